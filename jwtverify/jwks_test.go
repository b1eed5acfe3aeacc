package jwtverify

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Test keys and JWKS documents. Helpers are prefixed jwksTest to keep clear of
// the rest of the package's tests.

var jwksTestRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// jwksTestRSA returns the i-th shared RSA 2048 public key (i < 3).
func jwksTestRSA(i int) *rsa.PublicKey { return &jwksTestRSAKeys()[i].PublicKey }

func jwksTestB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwksTestJWK is one JWK as a JSON object; fields can be edited before
// marshalling.
type jwksTestJWK map[string]any

func jwksTestRSAJWK(kid string, pub *rsa.PublicKey) jwksTestJWK {
	j := jwksTestJWK{
		"kty": "RSA", "alg": "RS256", "use": "sig",
		"n": jwksTestB64(pub.N.Bytes()),
		"e": jwksTestB64(big.NewInt(int64(pub.E)).Bytes()),
	}
	if kid != "" {
		j["kid"] = kid
	}
	return j
}

func jwksTestECJWK(kid string) (jwksTestJWK, *ecdsa.PublicKey) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	point, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(err)
	}
	return jwksTestJWK{
		"kty": "EC", "alg": "ES256", "crv": "P-256", "kid": kid,
		"x": jwksTestB64(point[1:33]), "y": jwksTestB64(point[33:]),
	}, &k.PublicKey
}

func jwksTestEdJWK(kid string) (jwksTestJWK, ed25519.PublicKey) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return jwksTestJWK{"kty": "OKP", "alg": "EdDSA", "crv": "Ed25519", "kid": kid, "x": jwksTestB64(pub)}, pub
}

// with returns a copy of j with the given fields set (a nil value deletes).
func (j jwksTestJWK) with(kv ...any) jwksTestJWK {
	c := maps.Clone(j)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

// jwksTestDoc marshals {"keys": [...]}; a key may be any JSON value.
func jwksTestDoc(keys ...any) []byte {
	if keys == nil {
		keys = []any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// jwksTestModulus returns an odd number of exactly bits bits: enough for a
// parser, which never factors moduli.
func jwksTestModulus(bits int) string {
	b := make([]byte, bits/8)
	_, _ = rand.Read(b)
	b[0] |= 0x80
	b[len(b)-1] |= 1
	return jwksTestB64(b)
}

func TestJWKSParse(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	ec, _ := jwksTestECJWK("ec1")
	ed, _ := jwksTestEdJWK("ed1")
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xk := jwksTestJWK{"kty": "OKP", "crv": "X25519", "kid": "x1", "x": jwksTestB64(x25519.PublicKey().Bytes())}
	otherEC, _ := jwksTestECJWK("ec1")

	tests := []struct {
		name        string
		doc         []byte
		wantKIDs    []string
		wantErr     error // nil, or the sentinel the error wraps
		wantSkipped bool  // a malformed key was reported
	}{
		{name: "cognito-like", doc: jwksTestDoc(k1, k2), wantKIDs: []string{"k1", "k2"}},
		{name: "rsa ec ed25519", doc: jwksTestDoc(k1, ec, ed), wantKIDs: []string{"ec1", "ed1", "k1"}},
		{name: "no use no alg", doc: jwksTestDoc(k1.with("use", nil, "alg", nil)), wantKIDs: []string{"k1"}},
		{name: "PS256 alg", doc: jwksTestDoc(k1.with("alg", "PS256")), wantKIDs: []string{"k1"}},
		{name: "use enc ignored", doc: jwksTestDoc(k1, k2.with("use", "enc")), wantKIDs: []string{"k1"}},
		{name: "no kid ignored", doc: jwksTestDoc(k1, k2.with("kid", nil)), wantKIDs: []string{"k1"}},
		{name: "empty kid ignored", doc: jwksTestDoc(k1, k2.with("kid", "")), wantKIDs: []string{"k1"}},
		{name: "key_ops without verify ignored", doc: jwksTestDoc(k1, k2.with("key_ops", []string{"encrypt"})), wantKIDs: []string{"k1"}},
		{name: "key_ops with verify", doc: jwksTestDoc(k1.with("key_ops", []string{"verify"})), wantKIDs: []string{"k1"}},
		{name: "unknown member kept", doc: jwksTestDoc(k1.with("extra", map[string]any{"a": 1})), wantKIDs: []string{"k1"}},
		{name: "x5u never followed nor required", doc: jwksTestDoc(k1.with("x5u", "http://127.0.0.1:1/never")), wantKIDs: []string{"k1"}},
		{name: "bad base64 n", doc: jwksTestDoc(k1, k2.with("n", "!!!not base64!!!")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "n of wrong JSON type", doc: jwksTestDoc(k1, k2.with("n", 12345)), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "missing e", doc: jwksTestDoc(k1, k2.with("e", nil)), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "non-object entries", doc: jwksTestDoc(42, "x", nil, []int{1}, k1), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "symmetric key", doc: jwksTestDoc(k1, jwksTestJWK{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "private RSA material", doc: jwksTestDoc(k1, k2.with("d", "AQAB")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA 1024 too small", doc: jwksTestDoc(k1, k2.with("n", jwksTestModulus(1024))), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA 16384 too large", doc: jwksTestDoc(k1, k2.with("n", jwksTestModulus(16384))), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA even exponent", doc: jwksTestDoc(k1, k2.with("e", jwksTestB64([]byte{1, 0, 0}))), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA exponent 1", doc: jwksTestDoc(k1, k2.with("e", "AQ")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA with EC alg", doc: jwksTestDoc(k1, k2.with("alg", "ES256")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA with encryption alg", doc: jwksTestDoc(k1, k2.with("alg", "RSA-OAEP", "use", nil)), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "RSA with alg none", doc: jwksTestDoc(k1, k2.with("alg", "none")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "P-256 with ES384", doc: jwksTestDoc(k1, ec.with("alg", "ES384")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "EC point off curve", doc: jwksTestDoc(k1, ec.with("y", ec["x"])), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "EC unknown curve", doc: jwksTestDoc(k1, ec.with("crv", "P-192")), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "X25519 cannot sign", doc: jwksTestDoc(k1, xk), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "unknown kty", doc: jwksTestDoc(k1, jwksTestJWK{"kty": "AKP", "kid": "pq", "pub": "AAAA"}), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "unregistered use", doc: jwksTestDoc(k1, k2.with("use", "sign")), wantKIDs: []string{"k1"}},
		{name: "kid too long", doc: jwksTestDoc(k1, k2.with("kid", strings.Repeat("k", jwksMaxKIDLen+1))), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "same key listed twice", doc: jwksTestDoc(k1, k1, k2), wantKIDs: []string{"k1", "k2"}},
		{name: "kid shared by two keys", doc: jwksTestDoc(k1, ec, otherEC), wantKIDs: []string{"k1"}, wantSkipped: true},
		{name: "kid shared by three keys", doc: jwksTestDoc(k1, k2.with("kid", "k1"), k1), wantErr: ErrInvalidKey},
		{name: "kid shared by two algs", doc: jwksTestDoc(k2, k1, k1.with("alg", "PS256")), wantKIDs: []string{"k2"}, wantSkipped: true},

		{name: "not JSON", doc: []byte("<html>oops</html>"), wantErr: ErrInvalidKey},
		{name: "empty body", doc: nil, wantErr: ErrInvalidKey},
		{name: "JSON array", doc: []byte(`[{"kty":"RSA"}]`), wantErr: ErrInvalidKey},
		{name: "no keys member", doc: []byte(`{"kty":"RSA"}`), wantErr: ErrInvalidKey},
		{name: "keys null", doc: []byte(`{"keys":null}`), wantErr: ErrInvalidKey},
		{name: "keys not array", doc: []byte(`{"keys":"k1"}`), wantErr: ErrInvalidKey},
		{name: "keys empty", doc: jwksTestDoc(), wantErr: ErrInvalidKey},
		{name: "only ignored keys", doc: jwksTestDoc(k1.with("use", "enc")), wantErr: ErrInvalidKey},
		{name: "only malformed keys", doc: jwksTestDoc(k1.with("n", "@@")), wantErr: ErrInvalidKey},
		{name: "trailing garbage", doc: append(jwksTestDoc(k1), " x"...), wantErr: ErrInvalidKey},
		{name: "truncated", doc: jwksTestDoc(k1)[:40], wantErr: ErrInvalidKey},
	}
	material := []string{k1["n"].(string), k2["n"].(string), ec["x"].(string), ed["x"].(string)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jwksParse(tt.doc, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want one wrapping %v", err, tt.wantErr)
				}
				jwksTestNoMaterial(t, err, material)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			kids := slices.Sorted(maps.Keys(got.keys))
			if !slices.Equal(kids, tt.wantKIDs) {
				t.Errorf("kids = %q, want %q", kids, tt.wantKIDs)
			}
			for kid, k := range got.keys {
				if k.KID != kid || k.Public == nil {
					t.Errorf("key %q = %+v", kid, k)
				}
			}
			if (got.skipped != nil) != tt.wantSkipped {
				t.Errorf("skipped = %v, want reported: %v", got.skipped, tt.wantSkipped)
			}
			if got.skipped != nil {
				if !errors.Is(got.skipped, ErrInvalidKey) {
					t.Errorf("skipped = %v, want it to wrap ErrInvalidKey", got.skipped)
				}
				jwksTestNoMaterial(t, got.skipped, material)
			}
		})
	}
}

func TestJWKSParseKeyValues(t *testing.T) {
	rsaPub := jwksTestRSA(0)
	ecJWK, ecPub := jwksTestECJWK("ec1")
	edJWK, edPub := jwksTestEdJWK("ed1")
	got, err := jwksParse(jwksTestDoc(jwksTestRSAJWK("k1", rsaPub), ecJWK, edJWK.with("alg", nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kid     string
		wantAlg string
		want    interface{ Equal(crypto.PublicKey) bool }
	}{
		{"k1", "RS256", rsaPub},
		{"ec1", "ES256", ecPub},
		{"ed1", "", edPub},
	}
	for _, tt := range tests {
		k := got.keys[tt.kid]
		if k.KID != tt.kid || k.Algorithm != tt.wantAlg || !tt.want.Equal(k.Public) {
			t.Errorf("key %q = {%q %q %T}, want alg %q and the minted key", tt.kid, k.KID, k.Algorithm, k.Public, tt.wantAlg)
		}
	}
}

func TestJWKSParseReusesUnchangedKeys(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	first, err := jwksParse(jwksTestDoc(k1, k2), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same material, other order and another encoding of e: still the same key.
	second, err := jwksParse(jwksTestDoc(k2, k1.with("e", "AAEAAQ")), first.keys)
	if err != nil {
		t.Fatal(err)
	}
	if first.keys["k1"].Public != second.keys["k1"].Public || first.keys["k2"].Public != second.keys["k2"].Public {
		t.Error("unchanged keys were not reused")
	}
	tests := []struct {
		name string
		k1   jwksTestJWK
	}{
		{"new material under the same kid", jwksTestRSAJWK("k1", jwksTestRSA(2))},
		{"new alg", k1.with("alg", "PS256")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			third, err := jwksParse(jwksTestDoc(tt.k1, k2), second.keys)
			if err != nil {
				t.Fatal(err)
			}
			if third.keys["k1"].Public == second.keys["k1"].Public && third.keys["k1"].Algorithm == second.keys["k1"].Algorithm {
				t.Error("changed key was reused")
			}
			if third.keys["k2"].Public != second.keys["k2"].Public {
				t.Error("unchanged key was not reused")
			}
		})
	}
}

// jwksTestNoMaterial fails if err's text holds any of the encoded keys.
func jwksTestNoMaterial(t *testing.T, err error, material []string) {
	t.Helper()
	msg := err.Error()
	for _, m := range material {
		if len(m) > 16 && strings.Contains(msg, m[:16]) {
			t.Errorf("error text holds key material: %s", msg)
		}
	}
}

func FuzzParseJWKS(f *testing.F) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	ec, _ := jwksTestECJWK("ec1")
	ed, _ := jwksTestEdJWK("ed1")
	f.Add(jwksTestDoc(k1, ec, ed))
	f.Add(jwksTestDoc(k1.with("use", "enc"), k1.with("n", "@@"), 1, nil))
	f.Add(jwksTestDoc(jwksTestJWK{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}))
	f.Add(jwksTestDoc(k1.with("x5c", []string{"MIIB", "AAAA"}), ec.with("crv", "P-521")))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","kid":"a","crv":"Ed25519","x":"AA"}]}`))
	f.Add([]byte(`{"keys":{}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := jwksParse(data, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
			}
			return
		}
		if len(got.keys) == 0 {
			t.Fatal("no error and no keys")
		}
		for kid, k := range got.keys {
			if kid == "" || k.KID != kid || len(kid) > jwksMaxKIDLen {
				t.Fatalf("bad kid %q for %q", k.KID, kid)
			}
			switch pub := k.Public.(type) {
			case *rsa.PublicKey:
				if pub.N.BitLen() < minRSABits || pub.N.BitLen() > maxRSABits {
					t.Fatalf("weak RSA key accepted: %d bits", pub.N.BitLen())
				}
			case *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Fatalf("unexpected key type %T", k.Public)
			}
			if err := jwkFits(k.Algorithm, k.Public); err != nil {
				t.Fatalf("alg %q kept for %T: %v", k.Algorithm, k.Public, err)
			}
		}
		// Re-parsing with the result as the previous generation must give the
		// same keys, reused.
		again, err := jwksParse(data, got.keys)
		if err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
		for kid, k := range got.keys {
			if again.keys[kid].Algorithm != k.Algorithm || !jwksSameMaterial(again.keys[kid].Public, k.Public) {
				t.Fatalf("key %q differs on re-parse", kid)
			}
		}
		if _, err := NewStaticKeySet(data); err != nil {
			t.Fatalf("NewStaticKeySet refused what the parser accepted: %v", err)
		}
	})
}
