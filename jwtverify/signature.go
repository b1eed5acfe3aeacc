package jwtverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"fmt"
	"math/big"
	"slices"
)

// minRSABits is the smallest RSA modulus accepted. Cognito uses 2048-bit
// keys; anything smaller is refused as ErrInvalidKey.
const minRSABits = 2048

type keyKind int

const (
	kindRSAPKCS1 keyKind = iota
	kindRSAPSS
	kindECDSA
	kindEd25519
)

// algorithm is one accepted JWS "alg".
type algorithm struct {
	name  string
	kind  keyKind
	hash  crypto.Hash    // unused for EdDSA
	curve elliptic.Curve // ECDSA only
}

// algorithms are the only "alg" values a Config may list: asymmetric
// signatures. "none" and the HMAC family are deliberately absent, so they can
// never be configured or accepted.
var algorithms = map[string]*algorithm{
	"RS256": {name: "RS256", kind: kindRSAPKCS1, hash: crypto.SHA256},
	"RS384": {name: "RS384", kind: kindRSAPKCS1, hash: crypto.SHA384},
	"RS512": {name: "RS512", kind: kindRSAPKCS1, hash: crypto.SHA512},
	"PS256": {name: "PS256", kind: kindRSAPSS, hash: crypto.SHA256},
	"PS384": {name: "PS384", kind: kindRSAPSS, hash: crypto.SHA384},
	"PS512": {name: "PS512", kind: kindRSAPSS, hash: crypto.SHA512},
	"ES256": {name: "ES256", kind: kindECDSA, hash: crypto.SHA256, curve: elliptic.P256()},
	"ES384": {name: "ES384", kind: kindECDSA, hash: crypto.SHA384, curve: elliptic.P384()},
	"ES512": {name: "ES512", kind: kindECDSA, hash: crypto.SHA512, curve: elliptic.P521()},
	"EdDSA": {name: "EdDSA", kind: kindEd25519},
}

// SupportedAlgorithms returns the "alg" values Config.Algorithms may hold, sorted.
func SupportedAlgorithms() []string {
	names := make([]string, 0, len(algorithms))
	for n := range algorithms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// checkKey reports, as an error wrapping ErrInvalidKey, whether pub is the kind
// of key alg signs with.
func (a *algorithm) checkKey(pub crypto.PublicKey) error {
	switch a.kind {
	case kindRSAPKCS1, kindRSAPSS:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k == nil || k.N == nil {
			return fmt.Errorf("%w: algorithm needs an RSA key", ErrInvalidKey)
		}
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("%w: RSA key shorter than %d bits", ErrInvalidKey, minRSABits)
		}
	case kindECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve == nil {
			return fmt.Errorf("%w: algorithm needs an ECDSA key", ErrInvalidKey)
		}
		if k.Curve != a.curve {
			return fmt.Errorf("%w: ECDSA key is on the wrong curve for the algorithm", ErrInvalidKey)
		}
	case kindEd25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: algorithm needs an Ed25519 key", ErrInvalidKey)
		}
	}
	return nil
}

// verify checks sig over input with pub, which checkKey accepted.
func (a *algorithm) verify(pub crypto.PublicKey, input, sig []byte) bool {
	if a.kind == kindEd25519 {
		return ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	}
	var digest []byte
	if a.hash == crypto.SHA256 {
		sum := sha256.Sum256(input) // the common case, without a hash.Hash
		digest = sum[:]
	} else {
		h := a.hash.New()
		h.Write(input)
		digest = h.Sum(nil)
	}
	switch a.kind {
	case kindRSAPKCS1:
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), a.hash, digest, sig) == nil
	case kindRSAPSS:
		// RFC 7518 section 3.5: the salt is as long as the hash.
		opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), a.hash, digest, sig, &opts) == nil
	case kindECDSA:
		// JWS ECDSA signatures are R || S, each as long as the curve order.
		k := pub.(*ecdsa.PublicKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}

// sameKey reports whether two keys from a KeySet are the same key: first by
// identity (key sets return the same value while a key is present), then by
// value, so a set that re-parsed an unchanged JWKS keeps cached tokens.
func sameKey(a, b crypto.PublicKey) bool {
	switch ka := a.(type) {
	case *rsa.PublicKey:
		kb, ok := b.(*rsa.PublicKey)
		return ok && (ka == kb || (ka != nil && kb != nil && ka.N != nil && kb.N != nil && ka.E == kb.E && ka.N.Cmp(kb.N) == 0))
	case *ecdsa.PublicKey:
		kb, ok := b.(*ecdsa.PublicKey)
		return ok && (ka == kb || (ka != nil && ka.Equal(kb)))
	case ed25519.PublicKey:
		return ka.Equal(b)
	}
	return false
}
