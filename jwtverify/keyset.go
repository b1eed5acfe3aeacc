package jwtverify

import (
	"context"
	"crypto"
)

// Key is one verification key from a JSON Web Key Set.
type Key struct {
	// KID is the key id ("kid"); never empty.
	KID string
	// Algorithm is the JWK's "alg", or "" when the JWK does not state one.
	Algorithm string
	// Public is the public key: *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
}

// KeySet finds verification keys by key id. Keys whose "use" is present and
// is not "sig" are never returned. Implementations must be safe for
// concurrent use.
//
// Key returns an error wrapping ErrKeyNotFound when the set does not hold kid
// (after whatever refresh the implementation allows), and one wrapping
// ErrKeysUnavailable when it cannot know (for example the JWKS endpoint is down
// and no keys were ever loaded).
type KeySet interface {
	Key(ctx context.Context, kid string) (Key, error)
}
