package jwtverify_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

	b.Run("first-cached", func(b *testing.B) {
		v := mustNew(b, missConfig(b))
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

// missConfig has a full token cache that never holds the token about to be
// verified: half the ring, evicted oldest-first, while the benchmarks cycle
// through the whole ring. Every call is a first sight that also evicts.
func missConfig(b *testing.B) jwtverify.Config {
	cfg := baseConfig(b)
	cfg.TokenCacheSize = benchRingSize / 2
	return cfg
}

// BenchmarkVerifyPaired compares, on the same distinct tokens and in the
// same loop (so load on a shared machine hits all three alike), a bare
// RSA verification, Verify without token cache and Verify with a token
// cache that misses. The order rotates each iteration so none always runs
// with the token already in the CPU cache. It reports the median of each
// one's time and the medians of the per-iteration ratios the goals are
// stated in: medians, because a preemption inflates one sample, not all.
func BenchmarkVerifyPaired(b *testing.B) {
	ctx := context.Background()
	ring := benchRing(b)
	type signed struct{ input, sig []byte }
	bare := make([]signed, len(ring))
	for i, tok := range ring {
		dot := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if err != nil {
			b.Fatal(err)
		}
		bare[i] = signed{[]byte(tok[:dot]), sig}
	}
	pub := testIss.PublicKey()
	plain := mustNew(b, baseConfig(b))
	cached := mustNew(b, missConfig(b))
	var tBare, tPlain, tCached []float64
	for i := 0; b.Loop(); i++ {
		k := i % len(ring)
		var d [3]time.Duration
		for step := range 3 {
			which := (i + step) % 3
			t0 := time.Now()
			switch which {
			case 0:
				h := sha256.Sum256(bare[k].input)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], bare[k].sig); err != nil {
					b.Fatal(err)
				}
			case 1:
				if _, err := plain.Verify(ctx, ring[k]); err != nil {
					b.Fatal(err)
				}
			case 2:
				if _, err := cached.Verify(ctx, ring[k]); err != nil {
					b.Fatal(err)
				}
			}
			d[which] = time.Since(t0)
		}
		tBare = append(tBare, float64(d[0]))
		tPlain = append(tPlain, float64(d[1]))
		tCached = append(tCached, float64(d[2]))
	}
	ratio := func(num, den []float64) []float64 {
		r := make([]float64, len(num))
		for i := range num {
			r[i] = num[i] / den[i]
		}
		return r
	}
	b.ReportMetric(0, "ns/op") // the sum of three is no useful figure
	b.ReportMetric(median(tBare), "bare-ns/token")
	b.ReportMetric(median(tPlain), "verify-ns/token")
	b.ReportMetric(median(tCached), "cachemiss-ns/token")
	b.ReportMetric(median(ratio(tPlain, tBare)), "verify/bare")
	b.ReportMetric(median(ratio(tCached, tPlain)), "cachemiss/verify")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
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
