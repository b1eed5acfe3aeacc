package jwtverify

import (
	"context"
	"fmt"
)

// StaticKeySet is a fixed set of keys parsed once from a JWKS document, for
// tests, air-gapped use or pre-loading. It is safe for concurrent use.
type StaticKeySet struct {
	keys map[string]Key
}

var _ KeySet = (*StaticKeySet)(nil)

// NewStaticKeySet parses a JWKS document ({"keys": [...]}).
//
// Keys are filtered as for RemoteKeySet: a key without "kid", with a "use"
// other than "sig" or with "key_ops" lacking "verify" is ignored; a malformed
// or unsafe key (bad encoding, an RSA modulus outside 2048..8192 bits, an
// "alg" that does not fit the key, private or symmetric material, a kid
// shared by different keys) is skipped; "x5u" is never followed. The error, which wraps ErrInvalidKey, is returned only
// when jwks is not a JWKS document at all or yields no usable key.
func NewStaticKeySet(jwks []byte) (*StaticKeySet, error) {
	parsed, err := jwksParse(jwks, nil)
	if err != nil {
		return nil, err
	}
	return &StaticKeySet{keys: parsed.keys}, nil
}

// Key returns the key with the given kid, or an error wrapping ErrKeyNotFound.
func (s *StaticKeySet) Key(_ context.Context, kid string) (Key, error) {
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return Key{}, fmt.Errorf("%w: kid %q", ErrKeyNotFound, jwksQuoteKID(kid))
}
