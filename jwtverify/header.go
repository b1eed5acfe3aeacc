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
	var h header
	var crit, hasAlg, hasKid bool
	p, detail := newDocument(data)
	for w := (objectWalk{}); detail == ""; {
		var name string
		var more bool
		if name, more, detail = p.nextMember(&w); detail != "" || !more {
			break
		}
		var dst *string
		var found *bool
		switch name {
		case "alg":
			dst, found = &h.alg, &hasAlg
		case "kid":
			dst, found = &h.kid, &hasKid
		case "crit":
			crit = true
		}
		if dst == nil || p.peekValue() != '"' {
			detail = p.skip() // a non-string alg or kid is as if absent
			continue
		}
		*dst, detail = p.str()
		*found = true
	}
	if detail == "" {
		detail = p.end()
	}
	switch {
	case detail != "":
		return header{}, fmt.Errorf("%w: header: %s", ErrMalformed, detail)
	case crit:
		return header{}, fmt.Errorf("%w: header has crit", ErrMalformed)
	case !hasAlg:
		return header{}, fmt.Errorf("%w: header alg is missing or not a string", ErrMalformed)
	case !hasKid || h.kid == "":
		return header{}, fmt.Errorf("%w: header kid is missing, empty or not a string", ErrMalformed)
	}
	return h, nil
}
