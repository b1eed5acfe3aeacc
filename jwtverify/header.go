package jwtverify

import "fmt"

// header is the part of a JOSE header the verifier uses.
type header struct {
	alg, kid string
}

// parseHeader decodes and checks a JOSE header: "alg" and a non-empty "kid"
// are required strings, "crit" is refused (no extension is understood), and
// "jku", "x5u", "jwk" and "x5c" are ignored: keys come only from the pool's
// KeySet.
func parseHeader(data string) (header, error) {
	m, detail := parseJSONObject(data, 4)
	if detail != "" {
		return header{}, fmt.Errorf("%w: header: %s", ErrMalformed, detail)
	}
	if _, ok := m["crit"]; ok {
		return header{}, fmt.Errorf("%w: header has crit", ErrMalformed)
	}
	var h header
	var ok bool
	if h.alg, ok = m["alg"].(string); !ok {
		return header{}, fmt.Errorf("%w: header alg is missing or not a string", ErrMalformed)
	}
	if h.kid, ok = m["kid"].(string); !ok || h.kid == "" {
		return header{}, fmt.Errorf("%w: header kid is missing, empty or not a string", ErrMalformed)
	}
	return h, nil
}
