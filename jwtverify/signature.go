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

// RSA moduli are bounded: below 2048 bits a key is too weak (Cognito uses
// 2048), above 8192 it only makes verification expensive.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

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
// never be configured or accepted. It is the one table of key/alg agreement:
// Verify, Key.CheckAlgorithm and the JWKS loader (jwkFits) all derive from
// it, so a key the loader keeps can always verify a token of its alg.
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
	return k.fits(a)
}

// fits is CheckAlgorithm for an alg already looked up in algorithms (Verify's,
// per request).
func (k Key) fits(a *algorithm) error {
	if k.Algorithm != "" && k.Algorithm != a.name {
		return fmt.Errorf("%w: header alg differs from the key's alg", ErrAlgorithmNotAllowed)
	}
	if k.Public == nil {
		return fmt.Errorf("%w: key set returned an empty key", ErrInvalidKey)
	}
	return a.checkKey(k.Public)
}

// jwkFits reports, as an error wrapping ErrInvalidKey, whether a JWK with
// "alg" alg (possibly empty) and public key pub could verify a token: a
// stated alg must be in algorithms and fit pub; without one, some algorithm
// must fit pub. An encryption "alg" on a key without "use" thus makes it
// unusable for signatures.
func jwkFits(alg string, pub crypto.PublicKey) error {
	if alg != "" {
		a, ok := algorithms[alg]
		if !ok {
			return fmt.Errorf("%w: alg %q is not a supported signature algorithm", ErrInvalidKey, alg)
		}
		return a.checkKey(pub)
	}
	if err := checkPublic(pub); err != nil {
		return err
	}
	for _, a := range algorithms {
		if a.checkKey(pub) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no supported algorithm signs with this key (ECDSA curve?)", ErrInvalidKey)
}

// checkPublic reports, as an error wrapping ErrInvalidKey, whether pub is a
// sound key of a kind some algorithm uses: RSA of minRSABits..maxRSABits
// with an odd exponent of at least 3, ECDSA with a curve, Ed25519 of the
// right size.
func checkPublic(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("%w: empty RSA key", ErrInvalidKey)
		}
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("%w: RSA modulus of %d bits outside %d..%d", ErrInvalidKey, bits, minRSABits, maxRSABits)
		}
		if k.E < 3 || k.E%2 == 0 {
			return fmt.Errorf("%w: RSA exponent is not an odd number of at least 3", ErrInvalidKey)
		}
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("%w: empty ECDSA key", ErrInvalidKey)
		}
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes", ErrInvalidKey, len(k))
		}
	default:
		return fmt.Errorf("%w: key type %T cannot verify signatures", ErrInvalidKey, pub)
	}
	return nil
}

// checkKey reports, as an error wrapping ErrInvalidKey, whether pub is a
// sound key (checkPublic) of the kind alg signs with.
func (a *algorithm) checkKey(pub crypto.PublicKey) error {
	var fits bool
	switch k := pub.(type) {
	case *rsa.PublicKey:
		fits = a.kind == kindRSAPKCS1 || a.kind == kindRSAPSS
	case *ecdsa.PublicKey:
		fits = a.kind == kindECDSA
		if fits && k != nil && k.Curve != a.curve {
			return fmt.Errorf("%w: ECDSA key is on the wrong curve for the algorithm", ErrInvalidKey)
		}
	case ed25519.PublicKey:
		fits = a.kind == kindEd25519
	}
	if !fits {
		return fmt.Errorf("%w: algorithm %s needs another kind of key than %T", ErrInvalidKey, a.name, pub)
	}
	return checkPublic(pub)
}

// verify checks sig over input with pub, which checkKey accepted. buf is
// room for the digest (maxDigestSize bytes); sum256, when not nil, is
// SHA-256(input) already computed (by the token cache's lookup).
func (a *algorithm) verify(pub crypto.PublicKey, input, sig, buf []byte, sum256 *[sha256.Size]byte) bool {
	if a.kind == kindEd25519 {
		return ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	}
	var digest []byte
	switch {
	case a.hash == crypto.SHA256 && sum256 != nil:
		digest = buf[:copy(buf, sum256[:])]
	case a.hash == crypto.SHA256:
		sum := sha256.Sum256(input) // the common case, without a hash.Hash
		digest = buf[:copy(buf, sum[:])]
	default:
		h := a.hash.New()
		h.Write(input)
		digest = h.Sum(nil) // not into buf: through the interface, buf would escape
	}
	switch a.kind {
	case kindRSAPKCS1:
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), a.hash, digest, sig) == nil
	case kindRSAPSS:
		// RFC 7518 section 3.5: the salt is as long as the hash.
		opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
		// A copy: VerifyPSS's digest escapes, and would take buf with it.
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), a.hash, slices.Clone(digest), sig, &opts) == nil
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
