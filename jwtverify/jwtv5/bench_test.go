package jwtv5_test

import (
	"context"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// benchRing is the token set of jwtverify's BenchmarkVerify: 256 distinct
// Cognito-sized (about 1 KB) user access tokens, RS256 with a 2048-bit key.
func benchRing(b *testing.B) []string {
	ring := make([]string, 256)
	for i := range ring {
		ring[i] = testIss.AccessToken("jane.doe@example.com", clientA,
			cognitotest.WithGroups("admins", "users", "eu-west-1_AbCdEf123_Google"),
			cognitotest.WithScopes("aws.cognito.signin.user.admin", "openid", "profile", "email", "phone"))
	}
	return ring
}

// BenchmarkPaths verifies the same tokens with the same key and pool by both
// paths: jwtverify.Verify (no token cache), and golang-jwt's
// jwt.ParseWithClaims with this package's Keyfunc, Claims and options.
func BenchmarkPaths(b *testing.B) {
	ctx := context.Background()
	ring := benchRing(b)
	s := base(b)

	b.Run("jwtverify.Verify", func(b *testing.B) {
		v := s.verifier(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(ring[0])))
		for i := 0; b.Loop(); i++ {
			if _, err := v.Verify(ctx, ring[i%len(ring)]); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("golang-jwt+jwtv5.Keyfunc", func(b *testing.B) {
		p := s.pool(b)
		kf, opts := p.Keyfunc(ctx), p.ParserOptions()
		b.ReportAllocs()
		b.SetBytes(int64(len(ring[0])))
		for i := 0; b.Loop(); i++ {
			if _, err := jwt.ParseWithClaims(ring[i%len(ring)], p.NewClaims(), kf, opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParseOnly is what each path spends besides the RSA verification:
// jwtverify.Verify against a key set without the token's kid (it parses
// everything, then finds no key), and golang-jwt's ParseUnverified into this
// package's Claims.
func BenchmarkParseOnly(b *testing.B) {
	ctx := context.Background()
	tok := benchRing(b)[0]

	b.Run("jwtverify", func(b *testing.B) {
		s := base(b)
		s.pc.KeySet = &mapKeySet{keys: map[string]jwtverify.Key{}}
		v := s.verifier(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtverify.ErrKeyNotFound) {
				b.Fatal(err)
			}
		}
	})

	b.Run("golang-jwt", func(b *testing.B) {
		p := base(b).pool(b)
		parser := jwt.NewParser(p.ParserOptions()...)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := parser.ParseUnverified(tok, p.NewClaims()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
