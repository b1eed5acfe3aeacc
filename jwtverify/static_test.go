package jwtverify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"testing"
)

func TestNewStaticKeySetErrors(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	tests := []struct {
		name string
		doc  []byte
	}{
		{"not JSON", []byte("not json")},
		{"not a JWKS", []byte(`{"issuer":"x"}`)},
		{"a single JWK", jwksTestDoc(k1)[len(`{"keys":[`) : len(jwksTestDoc(k1))-2]},
		{"empty set", jwksTestDoc()},
		{"only encryption keys", jwksTestDoc(k1.with("use", "enc"))},
		{"only keys without kid", jwksTestDoc(k1.with("kid", nil))},
		{"only malformed keys", jwksTestDoc(k1.with("e", "!"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStaticKeySet(tt.doc)
			if !errors.Is(err, ErrInvalidKey) || s != nil {
				t.Fatalf("NewStaticKeySet = %v, %v; want nil and an error wrapping ErrInvalidKey", s, err)
			}
		})
	}
}

func TestStaticKeySetKey(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	ec, ecPub := jwksTestECJWK("ec1")
	s, err := NewStaticKeySet(jwksTestDoc(k1, k2.with("use", "enc"), ec, k1.with("kid", "bad", "n", "@")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kid     string
		wantPub any
		wantErr error
	}{
		{kid: "k1", wantPub: jwksTestRSA(0)},
		{kid: "ec1", wantPub: ecPub},
		{kid: "k2", wantErr: ErrKeyNotFound},  // use=enc
		{kid: "bad", wantErr: ErrKeyNotFound}, // malformed
		{kid: "unknown", wantErr: ErrKeyNotFound},
		{kid: "", wantErr: ErrKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.kid, func(t *testing.T) {
			k, err := s.Key(context.Background(), tt.kid)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.KID != tt.kid || !jwksSameMaterial(k.Public, tt.wantPub) {
				t.Errorf("Key(%q) = %q %T", tt.kid, k.KID, k.Public)
			}
		})
	}
	// Repeated look-ups return the same key value.
	a, _ := s.Key(context.Background(), "k1")
	b, _ := s.Key(context.Background(), "k1")
	if a.Public != b.Public {
		t.Error("Key returned different values for one kid")
	}
}

func ExampleNewStaticKeySet() {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks := fmt.Sprintf(`{"keys":[
		{"kty":"RSA","kid":"sig-1","alg":"RS256","use":"sig","n":%q,"e":%q},
		{"kty":"RSA","kid":"enc-1","alg":"RSA-OAEP","use":"enc","n":%q,"e":"AQAB"}]}`,
		b64(priv.N.Bytes()), b64(big.NewInt(int64(priv.E)).Bytes()), b64(priv.N.Bytes()))

	keys, err := NewStaticKeySet([]byte(jwks))
	if err != nil {
		panic(err)
	}
	k, err := keys.Key(context.Background(), "sig-1")
	fmt.Println(k.KID, k.Algorithm, priv.PublicKey.Equal(k.Public), err)
	_, err = keys.Key(context.Background(), "enc-1")
	fmt.Println(errors.Is(err, ErrKeyNotFound))
	// Output:
	// sig-1 RS256 true <nil>
	// true
}
