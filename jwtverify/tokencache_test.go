package jwtverify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
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

// A cached token is found by the hash of its signed part, but only the very
// same signature text is a hit: another signature on that part is verified
// in full and refused.
func TestTokenCacheSignatureMustMatch(t *testing.T) {
	v, _, _ := cachedVerifier(t, 8)
	ctx := context.Background()
	tok, other := access(), testIss.AccessToken("bob", clientA)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	s := segments(tok)
	tests := []struct {
		name, tok string
		want      error
	}{
		{"trailing bits in the signature", withTrailingBits(tok), jwtverify.ErrMalformed},
		{"another token's signature", s[0] + "." + s[1] + "." + segments(other)[2], jwtverify.ErrSignature},
		{"signature cut short", s[0] + "." + s[1] + "." + s[2][:len(s[2])-2], jwtverify.ErrSignature},
		{"fourth segment", tok + "." + s[2], jwtverify.ErrMalformed},
		{"signature segment as signed part", s[0] + "." + s[1] + "." + s[2] + "." + s[2], jwtverify.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the refusal is not cached either
				if c, err := v.Verify(ctx, tc.tok); !errors.Is(err, tc.want) || c != nil {
					t.Fatalf("got %v, %v; want %v", c, err, tc.want)
				}
			}
		})
	}
	if c, err := v.Verify(ctx, tok); err != nil || c.Username != "alice" {
		t.Fatalf("the cached token after the attempts: %v, %v", c, err)
	}
	if n := jwtverify.CacheLen(v); n != 1 {
		t.Fatalf("cache holds %d tokens, want 1", n)
	}
}

// Many goroutines verifying more distinct tokens than the cache holds, so
// that hits, misses, evictions and refusals race: each gets the claims of its
// own token, never another's, and a tampered token is never a hit.
func TestTokenCacheConcurrentDistinct(t *testing.T) {
	v, _, _ := cachedVerifier(t, 8)
	type tokenOf struct{ tok, user string }
	var toks []tokenOf
	for i := range 24 {
		user := "user-" + string(rune('a'+i))
		toks = append(toks, tokenOf{testIss.AccessToken(user, clientA), user})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				k := (g*7 + i*5) % len(toks)
				tok := toks[k].tok
				if i%3 == 0 {
					if c, err := v.Verify(context.Background(), withTrailingBits(tok)); err == nil || c != nil {
						t.Errorf("tampered token %d accepted", k)
						return
					}
					continue
				}
				c, err := v.Verify(context.Background(), tok)
				if err != nil || c.Username != toks[k].user || !c.ExpiresAt.After(testNow) {
					t.Errorf("token %d: claims %+v, err %v", k, c, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A token that differs from a cached one anywhere (header, payload or
// signature text, even when it decodes to the same bytes) is never answered
// from the cache: each is refused as a fresh verification refuses it.
func TestTokenCacheNearMisses(t *testing.T) {
	v, _, _ := cachedVerifier(t, 8)
	ctx := context.Background()
	tok := access()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	s := segments(tok)
	reencode := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	hdr, err := base64.RawURLEncoding.DecodeString(s[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tok string
		want      error
	}{
		{"other header, same payload and signature", reencode(strings.Replace(string(hdr), "{", `{"typ":"JWT",`, 1)) + "." + s[1] + "." + s[2], jwtverify.ErrSignature},
		{"same header with white space", reencode(strings.Replace(string(hdr), "{", "{ ", 1)) + "." + s[1] + "." + s[2], jwtverify.ErrSignature},
		{"other kid, same payload", reencode(strings.Replace(string(hdr), testIss.KID(), "other", 1)) + "." + s[1] + "." + s[2], jwtverify.ErrKeyNotFound},
		{"other alg, same payload", reencode(strings.Replace(string(hdr), "RS256", "PS256", 1)) + "." + s[1] + "." + s[2], jwtverify.ErrAlgorithmNotAllowed},
		{"header with trailing bits", withTrailingBits(s[0]) + "." + s[1] + "." + s[2], jwtverify.ErrMalformed},
		{"payload with trailing bits", s[0] + "." + withTrailingBits(s[1]) + "." + s[2], jwtverify.ErrMalformed},
		{"padded signature", tok + "=", jwtverify.ErrMalformed},
		{"padded signature, two", tok + "==", jwtverify.ErrMalformed},
		{"standard alphabet signature", s[0] + "." + s[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s[2]) + "+", jwtverify.ErrMalformed},
		{"trailing dot", tok + ".", jwtverify.ErrMalformed},
		{"line break after", tok + "\n", jwtverify.ErrMalformed},
		{"space after", tok + " ", jwtverify.ErrMalformed},
		{"dot doubled", s[0] + ".." + s[1] + "." + s[2], jwtverify.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tok == tok {
				t.Fatal("the variant is the token itself")
			}
			for range 2 { // the refusal is not cached either
				if c, err := v.Verify(ctx, tc.tok); !errors.Is(err, tc.want) || c != nil {
					t.Fatalf("got %v, %v; want %v", c, err, tc.want)
				}
			}
		})
	}
	if n := jwtverify.CacheLen(v); n != 1 {
		t.Fatalf("cache holds %d tokens, want 1", n)
	}
}

// Two pools that publish the same keys: a cached token keeps the pool its
// issuer picked, also when the two pools' tokens race through a small cache.
func TestTokenCacheTwoPoolsSameKeys(t *testing.T) {
	const otherPool, otherIss = "us-east-1_Other", "https://issuer.example/us-east-1_Other"
	cfg := baseConfig(t)
	cfg.TokenCacheSize = 4
	b := cfg.Pools[0]
	b.UserPoolID, b.Issuer = otherPool, otherIss
	b.ClientIDs = []string{clientB}
	cfg.Pools = append(cfg.Pools, b)
	v := mustNew(t, cfg)
	type tokenOf struct{ tok, pool, client string }
	var toks []tokenOf
	for i := range 12 {
		user := "user-" + string(rune('a'+i))
		if i%2 == 0 {
			toks = append(toks, tokenOf{testIss.AccessToken(user, clientA), testIss.UserPoolID(), clientA})
		} else {
			toks = append(toks, tokenOf{testIss.AccessToken(user, clientB, claims(map[string]any{"iss": otherIss})), otherPool, clientB})
		}
	}
	// The other pool's client in this pool's token, and the reverse, are
	// refused whether or not the same user's token of the right pool is cached.
	crossed := []string{
		testIss.AccessToken("user-a", clientB),
		testIss.AccessToken("user-b", clientA, claims(map[string]any{"iss": otherIss})),
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				k := (g*5 + i*7) % len(toks)
				if i%5 == 0 {
					if c, err := v.Verify(context.Background(), crossed[k%2]); !errors.Is(err, jwtverify.ErrClientID) {
						t.Errorf("crossed token %d: %+v, %v", k%2, c, err)
						return
					}
					continue
				}
				c, err := v.Verify(context.Background(), toks[k].tok)
				if err != nil || c.UserPoolID != toks[k].pool || c.ClientID != toks[k].client || c.Username != "user-"+string(rune('a'+k)) {
					t.Errorf("token %d: %+v, %v; want pool %s", k, c, err, toks[k].pool)
					return
				}
			}
		})
	}
	wg.Wait()
}
