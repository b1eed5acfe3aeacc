package jwtverify_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// benchRingSize distinct tokens are cycled through by BenchmarkVerify/first.
const benchRingSize = 256

var (
	benchOnce   sync.Once
	benchTokens []string
)

// benchToken mints a Cognito-sized (about 1 KB) user access token.
func benchToken() string {
	return testIss.AccessToken("jane.doe@example.com", clientA,
		cognitotest.WithGroups("admins", "users", "eu-west-1_AbCdEf123_Google"),
		cognitotest.WithScopes("aws.cognito.signin.user.admin", "openid", "profile", "email", "phone"))
}

func benchRing(b *testing.B) []string {
	b.Helper()
	benchOnce.Do(func() {
		for range benchRingSize {
			benchTokens = append(benchTokens, benchToken())
		}
	})
	return benchTokens
}

// BenchmarkBaselineRSA is the floor Verify is measured against: SHA-256 of
// the signing input and one RSA-2048 PKCS #1 v1.5 verification.
func BenchmarkBaselineRSA(b *testing.B) {
	tok := benchRing(b)[0]
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := testIss.PublicKey()
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		h := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	ring := benchRing(b)

	b.Run("first", func(b *testing.B) {
		v := mustNew(b, baseConfig(b)) // no token cache
		b.ReportAllocs()
		b.SetBytes(int64(len(ring[0])))
		for i := 0; b.Loop(); i++ {
			if _, err := v.Verify(ctx, ring[i%len(ring)]); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("repeated", func(b *testing.B) {
		cfg := baseConfig(b)
		cfg.TokenCacheSize = 1024
		v := mustNew(b, cfg)
		tok := ring[0]
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(tok)))
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("parallel-repeated", func(b *testing.B) {
		cfg := baseConfig(b)
		cfg.TokenCacheSize = 1024
		v := mustNew(b, cfg)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := v.Verify(ctx, ring[i%16]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})

	b.Run("malformed", func(b *testing.B) {
		v := mustNew(b, baseConfig(b))
		tok := withTrailingBits(ring[0])
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkParseOnly isolates what Verify adds to the signature check, by
// verifying against a key set that lacks the token's kid.
func BenchmarkParseOnly(b *testing.B) {
	ctx := context.Background()
	tok := benchRing(b)[0]
	cfg := baseConfig(b)
	cfg.Pools[0].KeySet = newMapKeySet()
	v := mustNew(b, cfg)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err == nil {
			b.Fatal("accepted")
		}
	}
	_ = jwtverify.ErrKeyNotFound
}
