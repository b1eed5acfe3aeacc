package jwtverify

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/MicahParks/jwkset"
)

const (
	// jwksMaxKIDLen bounds a "kid": real ones are short, and a bound keeps
	// attacker-chosen kids from growing the miss-penalty table.
	jwksMaxKIDLen = 256
	// jwksMaxReasons is how many skipped-key reasons one report lists.
	jwksMaxReasons = 5
)

// jwksDocument is the outer shape of a JWKS. Keys are kept raw so that one key
// with a field of the wrong JSON type does not sink the whole set (decoding
// straight into jwkset.JWKSMarshal would).
type jwksDocument struct {
	Keys *[]json.RawMessage `json:"keys"`
}

// jwksParsed is the outcome of parsing one JWKS document.
type jwksParsed struct {
	keys map[string]Key
	// skipped reports keys dropped as malformed or unsafe (wrapping
	// ErrInvalidKey), nil when none was. Keys ignored on purpose (no kid,
	// "use" other than "sig", "key_ops" without "verify") are not reported.
	skipped error
}

// jwksParse parses a JWKS document into verification keys by kid. It fails,
// with an error wrapping ErrInvalidKey, only when data is not a JWKS at all or
// yields no usable key; a malformed key is skipped and reported in skipped.
//
// prev, when not nil, holds the keys of an earlier parse: a key whose kid,
// "alg" and material are unchanged is returned as the very same Key value, so
// Key.Public stays pointer-identical across refreshes.
//
// Errors never contain key material; they name keys by index and kid.
func jwksParse(data []byte, prev map[string]Key) (jwksParsed, error) {
	var doc jwksDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return jwksParsed{}, fmt.Errorf("%w: not a JWKS document: %w", ErrInvalidKey, err)
	}
	if doc.Keys == nil {
		return jwksParsed{}, fmt.Errorf(`%w: not a JWKS document: no "keys" array`, ErrInvalidKey)
	}
	raws := *doc.Keys

	keys := make(map[string]Key, len(raws))
	var conflicted map[string]bool
	var reasons []string
	nSkipped := 0
	skip := func(i int, kid string, err error) {
		nSkipped++
		if len(reasons) < jwksMaxReasons {
			reasons = append(reasons, fmt.Sprintf("key %d (kid %q): %v", i, jwksQuoteKID(kid), err))
		}
	}

	for i, raw := range raws {
		k, ignored, err := jwksParseKey(raw)
		if ignored {
			continue
		}
		if err != nil {
			skip(i, k.KID, err)
			continue
		}
		if conflicted[k.KID] {
			skip(i, k.KID, errors.New("kid used by more than one key"))
			continue
		}
		if have, dup := keys[k.KID]; dup {
			// The same key listed twice is harmless; two different keys
			// under one kid are ambiguous, so neither is used.
			if have.Algorithm == k.Algorithm && jwksSameMaterial(have.Public, k.Public) {
				continue
			}
			delete(keys, k.KID)
			if conflicted == nil {
				conflicted = make(map[string]bool)
			}
			conflicted[k.KID] = true
			skip(i, k.KID, errors.New("kid used by more than one key"))
			continue
		}
		if old, ok := prev[k.KID]; ok && old.Algorithm == k.Algorithm && jwksSameMaterial(old.Public, k.Public) {
			k = old
		}
		keys[k.KID] = k
	}

	var skipped error
	if nSkipped > 0 {
		more := ""
		if nSkipped > len(reasons) {
			more = fmt.Sprintf(" (first %d listed)", len(reasons))
		}
		skipped = fmt.Errorf("%w: %d of %d JWKS keys skipped%s: %s",
			ErrInvalidKey, nSkipped, len(raws), more, strings.Join(reasons, "; "))
	}
	if len(keys) == 0 {
		if skipped != nil {
			return jwksParsed{}, fmt.Errorf("JWKS holds no usable signing key: %w", skipped)
		}
		return jwksParsed{}, fmt.Errorf("%w: JWKS holds no usable signing key", ErrInvalidKey)
	}
	return jwksParsed{keys: keys, skipped: skipped}, nil
}

// jwksParseKey turns one JWK into a Key. ignored reports a key that is left
// out on purpose rather than malformed. On error, the returned Key carries
// only the KID (for the report).
func jwksParseKey(raw json.RawMessage) (k Key, ignored bool, err error) {
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		return Key{}, false, errors.New("not a JWK object")
	}
	// The verifier requires a kid, so a key without one could never be used.
	if m.KID == "" {
		return Key{}, true, nil
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return Key{}, true, nil
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return Key{}, true, nil
	}
	k.KID = m.KID
	if len(m.KID) > jwksMaxKIDLen {
		return k, false, fmt.Errorf("kid longer than %d bytes", jwksMaxKIDLen)
	}
	// A published private or symmetric key means anyone may sign with it.
	if m.D != "" || m.K != "" || m.KTY == jwkset.KtyOct {
		return k, false, errors.New("carries private or symmetric key material")
	}
	// Never follow x5u (jwkset would only check its scheme, but a key must not
	// depend on a second URL at all).
	m.X5U = ""

	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return k, false, err
	}
	// The one table of key/alg agreement decides (signature.go): a key kept
	// here can verify a token of its alg.
	pub := jwk.Key()
	if err := jwkFits(string(m.ALG), pub); err != nil {
		return k, false, err
	}
	k.Algorithm = string(m.ALG)
	k.Public = pub
	return k, false, nil
}

// jwksSameMaterial reports whether two parsed public keys are equal in value.
func jwksSameMaterial(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// jwksQuoteKID shortens an untrusted kid for messages.
func jwksQuoteKID(kid string) string {
	const limit = 64
	if len(kid) > limit {
		return kid[:limit] + "..."
	}
	return kid
}
