package jwtverify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestKeyAlgAgreement checks that the JWKS loader and the verifier agree on
// which key may verify which "alg": every JWK the loader keeps verifies a
// token of its alg (of some alg, when the JWK states none) and of no other,
// and every alg the verifier supports loads and verifies with a key of its
// kind. The expected pairs are written out here, apart from the package's
// table, so that a wrong table entry shows.
func TestKeyAlgAgreement(t *testing.T) {
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	//nolint:gosec // deliberately too small: nothing may load or verify with it
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		name  string
		priv  crypto.Signer
		signs []string // the algs this key signs with
	}{
		{"RSA-2048", jwksTestRSAKeys()[0], []string{"PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}},
		{"RSA-1024", smallRSA, nil},
		{"P-256", ecKey(elliptic.P256()), []string{"ES256"}},
		{"P-384", ecKey(elliptic.P384()), []string{"ES384"}},
		{"P-521", ecKey(elliptic.P521()), []string{"ES512"}},
		{"P-224", ecKey(elliptic.P224()), nil},
		{"Ed25519", edKey, []string{"EdDSA"}},
	}
	// What a JWK may state: every supported alg, none, and algs the loader
	// must refuse (RFC 9864's fully-specified "Ed25519" among them: the
	// verifier knows "EdDSA" only, so such a key could never verify).
	jwkAlgs := append([]string{"", "Ed25519", "Ed448", "ES256K", "HS256", "none", "RSA-OAEP", "RSA1_5"}, SupportedAlgorithms()...)

	covered := map[string]bool{}
	for _, k := range keys {
		for _, a := range k.signs {
			if !slices.Contains(SupportedAlgorithms(), a) {
				t.Fatalf("test table: %s is not a supported alg", a)
			}
			covered[a] = true
		}
		for _, jwkAlg := range jwkAlgs {
			ks, err := NewStaticKeySet(agreementJWKS(t, k.priv.Public(), jwkAlg))
			loaded := err == nil
			wantLoaded := slices.Contains(k.signs, jwkAlg) || (jwkAlg == "" && len(k.signs) > 0)
			if loaded != wantLoaded {
				t.Errorf("%s with JWK alg %q: loaded %v (%v), want %v", k.name, jwkAlg, loaded, err, wantLoaded)
			}
			if !loaded {
				continue
			}
			v, err := New(context.Background(), Config{Algorithms: SupportedAlgorithms(), Pools: []PoolConfig{{
				UserPoolID: "eu-west-1_agree", TokenUses: []TokenUse{TokenUseAccess}, SkipClientIDCheck: true, KeySet: ks,
			}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, alg := range k.signs {
				_, err := v.Verify(context.Background(), agreementToken(t, alg, k.priv))
				if want := jwkAlg == "" || jwkAlg == alg; (err == nil) != want {
					t.Errorf("%s with JWK alg %q, token alg %s: err %v, want verified %v", k.name, jwkAlg, alg, err, want)
				}
			}
		}
	}
	for _, a := range SupportedAlgorithms() {
		if !covered[a] {
			t.Errorf("supported alg %s signs with no key of the test table", a)
		}
	}
}

// agreementJWKS is a JWKS with pub under kid "k", stating alg unless empty.
func agreementJWKS(t *testing.T, pub crypto.PublicKey, alg string) []byte {
	t.Helper()
	var j jwksTestJWK
	switch p := pub.(type) {
	case *rsa.PublicKey:
		j = jwksTestRSAJWK("k", p)
	case *ecdsa.PublicKey:
		point, err := p.Bytes() // 0x04 || X || Y
		if err != nil {
			t.Fatal(err)
		}
		size := len(point) / 2
		j = jwksTestJWK{"kty": "EC", "kid": "k", "crv": p.Curve.Params().Name, "x": jwksTestB64(point[1 : 1+size]), "y": jwksTestB64(point[1+size:])}
	case ed25519.PublicKey:
		j = jwksTestJWK{"kty": "OKP", "kid": "k", "crv": "Ed25519", "x": jwksTestB64(p)}
	default:
		t.Fatalf("key %T", pub)
	}
	j = j.with("alg", nil, "use", nil)
	if alg != "" {
		j = j.with("alg", alg)
	}
	return jwksTestDoc(j)
}

// agreementToken is an access token of pool eu-west-1_agree signed with alg
// by priv, which must be of the kind alg signs with.
func agreementToken(t *testing.T, alg string, priv crypto.Signer) string {
	t.Helper()
	part := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return jwksTestB64(b)
	}
	input := part(map[string]any{"alg": alg, "kid": "k"}) + "." + part(map[string]any{
		"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_agree", "sub": "s", "token_use": "access",
		"client_id": "c", "exp": time.Now().Add(time.Hour).Unix(),
	})
	a := algorithms[alg]
	var sig []byte
	var err error
	if a.kind == kindEd25519 {
		sig = ed25519.Sign(priv.(ed25519.PrivateKey), []byte(input))
	} else {
		h := a.hash.New()
		h.Write([]byte(input))
		digest := h.Sum(nil)
		switch a.kind {
		case kindRSAPKCS1:
			sig, err = rsa.SignPKCS1v15(rand.Reader, priv.(*rsa.PrivateKey), a.hash, digest)
		case kindRSAPSS:
			sig, err = rsa.SignPSS(rand.Reader, priv.(*rsa.PrivateKey), a.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		case kindECDSA:
			k := priv.(*ecdsa.PrivateKey)
			r, s, serr := ecdsa.Sign(rand.Reader, k, digest)
			size := (k.Curve.Params().BitSize + 7) / 8
			sig, err = make([]byte, 2*size), serr
			if serr == nil {
				r.FillBytes(sig[:size])
				s.FillBytes(sig[size:])
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + jwksTestB64(sig)
}
