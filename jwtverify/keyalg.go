package jwtverify

import "fmt"

// CheckAlgorithm reports whether a token whose header "alg" is alg may be
// verified with k, by the rules Verify applies: alg is one of
// SupportedAlgorithms (never "none" or HMAC) and equals k.Algorithm when the
// JWK states one (else the error wraps ErrAlgorithmNotAllowed), and k.Public
// is the kind and size of key alg signs with (else ErrInvalidKey). Adapters
// that verify signatures with another library (jwtverify/jwtv5) call it
// before handing the key over.
func (k Key) CheckAlgorithm(alg string) error {
	a, ok := algorithms[alg]
	if !ok {
		return fmt.Errorf("%w: header alg is not a supported asymmetric algorithm", ErrAlgorithmNotAllowed)
	}
	if k.Algorithm != "" && k.Algorithm != alg {
		return fmt.Errorf("%w: header alg differs from the key's alg", ErrAlgorithmNotAllowed)
	}
	if k.Public == nil {
		return fmt.Errorf("%w: key set returned an empty key", ErrInvalidKey)
	}
	return a.checkKey(k.Public)
}
