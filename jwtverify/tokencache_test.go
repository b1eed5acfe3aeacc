package jwtverify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// cachedVerifier has a token cache, a settable clock and a changeable key set.
func cachedVerifier(t *testing.T, size int) (*jwtverify.Verifier, *mapKeySet, *clock) {
	t.Helper()
	ks := newMapKeySet(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()})
	clk := &clock{t: testNow}
	cfg := baseConfig(t)
	cfg.Pools[0].KeySet = ks
	cfg.Now = clk.now
	cfg.TokenCacheSize = size
	return mustNew(t, cfg), ks, clk
}

func TestTokenCacheHit(t *testing.T) {
	v, ks, _ := cachedVerifier(t, 8)
	ctx := context.Background()
	tok := access(cognitotest.WithGroups("admins"), cognitotest.WithScopes("a", "b"))
	first, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if n := jwtverify.CacheLen(v); n != 1 {
		t.Fatalf("cache holds %d tokens, want 1", n)
	}
	// Callers may scribble on what they got; the cache must not see it.
	first.Groups[0] = "changed"
	first.Scopes = append(first.Scopes[:0], "x")
	raw := first.Raw()
	raw["sub"] = "changed"
	raw["cognito:groups"].([]any)[0] = "changed"
	first.Username = "changed"

	calls := ks.calls.Load()
	second, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if ks.calls.Load() != calls+1 {
		t.Error("a cache hit must re-resolve the kid once")
	}
	if second == first || second.Username != "alice" || second.Groups[0] != "admins" ||
		second.Scopes[0] != "a" || second.Raw()["sub"] != testIss.Sub("alice") ||
		second.Raw()["cognito:groups"].([]any)[0] != "admins" || first.Raw()["sub"] != testIss.Sub("alice") {
		t.Fatalf("cached claims were corrupted: %+v", second)
	}
	second.Groups[0] = "changed again"
	third, _ := v.Verify(ctx, tok)
	if third.Groups[0] != "admins" {
		t.Fatal("a hit's Groups alias the cache")
	}
	var decoded struct {
		Sub    string   `json:"sub"`
		Groups []string `json:"cognito:groups"`
	}
	if err := third.Decode(&decoded); err != nil || decoded.Sub != testIss.Sub("alice") || decoded.Groups[0] != "admins" {
		t.Fatalf("Decode = %+v, %v", decoded, err)
	}
	// Failed tokens are not cached.
	_, _ = v.Verify(ctx, access(cognitotest.WithExpiry(-time.Hour)))
	_, _ = v.Verify(ctx, testIss.AccessToken("alice", clientB))
	if n := jwtverify.CacheLen(v); n != 1 {
		t.Fatalf("cache holds %d tokens, want 1", n)
	}
}

func TestTokenCacheExpiry(t *testing.T) {
	v, _, clk := cachedVerifier(t, 8)
	ctx := context.Background()
	tok := access(claims(map[string]any{"nbf": testNow.Add(-time.Minute).Unix()}))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// Before nbf: refused from the cache, entry kept.
	clk.set(testNow.Add(-2 * time.Minute))
	if c, err := v.Verify(ctx, tok); !errors.Is(err, jwtverify.ErrNotYetValid) || c == nil {
		t.Fatalf("before nbf: %v, %v", c, err)
	}
	clk.set(testNow)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("back to now: %v", err)
	}
	// At exp: refused and dropped.
	clk.set(testNow.Add(time.Hour))
	c, err := v.Verify(ctx, tok)
	if !errors.Is(err, jwtverify.ErrExpired) || c == nil {
		t.Fatalf("at exp: %v, %v", c, err)
	}
	if n := jwtverify.CacheLen(v); n != 0 {
		t.Fatalf("expired token still cached (%d)", n)
	}
}

func TestTokenCacheGrace(t *testing.T) {
	clk := &clock{t: testNow}
	cfg := baseConfig(t)
	cfg.Now = clk.now
	cfg.TokenCacheSize = 8
	cfg.Pools[0].Grace = time.Minute
	v := mustNew(t, cfg)
	tok := access()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	clk.set(testNow.Add(time.Hour + 30*time.Second))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within grace: %v", err)
	}
	clk.set(testNow.Add(time.Hour + time.Minute))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, jwtverify.ErrExpired) {
		t.Fatalf("beyond grace: %v", err)
	}
}

func TestTokenCacheKeyLeavesSet(t *testing.T) {
	v, ks, _ := cachedVerifier(t, 8)
	ctx := context.Background()
	tok := access()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	ks.remove(testIss.KID())
	if c, err := v.Verify(ctx, tok); !errors.Is(err, jwtverify.ErrKeyNotFound) || c != nil {
		t.Fatalf("key removed: %v, %v", c, err)
	}
	if n := jwtverify.CacheLen(v); n != 0 {
		t.Fatalf("token of a removed key still cached (%d)", n)
	}
	// Back with the same material (a re-parsed JWKS): verifies and caches.
	pub := *testIss.PublicKey()
	ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: &pub})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	pub2 := *testIss.PublicKey()
	ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: &pub2})
	if _, err := v.Verify(ctx, tok); err != nil || jwtverify.CacheLen(v) != 1 {
		t.Fatalf("same key material under a new pointer: %v", err)
	}
	// The kid now names another key: the token must be verified again, and fail.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: &other.PublicKey})
	if c, err := v.Verify(ctx, tok); !errors.Is(err, jwtverify.ErrSignature) || c != nil {
		t.Fatalf("kid now names another key: %v, %v", c, err)
	}
	// The key set cannot answer: refused.
	ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	ks.mu.Lock()
	ks.err = jwtverify.ErrKeysUnavailable
	ks.mu.Unlock()
	if _, err := v.Verify(ctx, tok); !errors.Is(err, jwtverify.ErrKeysUnavailable) {
		t.Fatalf("key set down: %v", err)
	}
}

func TestTokenCacheEviction(t *testing.T) {
	v, _, _ := cachedVerifier(t, 2)
	ctx := context.Background()
	toks := []string{access(), id(), testIss.AccessToken("bob", clientA)}
	for _, tok := range toks {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := jwtverify.CacheLen(v); n != 2 {
		t.Fatalf("cache holds %d tokens, want 2", n)
	}
	for _, tok := range toks {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := jwtverify.CacheLen(v); n != 2 {
		t.Fatalf("cache holds %d tokens, want 2", n)
	}
}

func TestTokenCacheRunsCheckOnHits(t *testing.T) {
	var mu sync.Mutex
	revoked := false
	errRevoked := errors.New("revoked")
	cfg := baseConfig(t)
	cfg.TokenCacheSize = 4
	cfg.Pools[0].Check = func(context.Context, *jwtverify.Claims) error {
		mu.Lock()
		defer mu.Unlock()
		if revoked {
			return errRevoked
		}
		return nil
	}
	v := mustNew(t, cfg)
	tok := access()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	revoked = true
	mu.Unlock()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, errRevoked) {
		t.Fatalf("check skipped on a cache hit: %v", err)
	}
}
