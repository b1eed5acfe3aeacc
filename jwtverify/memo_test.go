package jwtverify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// TestVerifyMemo: a memo's value comes back only after every check a
// cache hit makes, and only for the very entry it was stored in.
func TestVerifyMemo(t *testing.T) {
	ctx := context.Background()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		// change runs between storing the memo and verifying again.
		change   func(ks *mapKeySet, clk *clock, v *jwtverify.Verifier)
		wantErr  error
		wantHeld bool // the stored value comes back (and no claims)
		wantMemo bool // a memo is handed out
	}{
		{"hit", func(*mapKeySet, *clock, *jwtverify.Verifier) {}, nil, true, true},
		{"expired", func(_ *mapKeySet, clk *clock, _ *jwtverify.Verifier) { clk.set(testNow.Add(time.Hour)) }, jwtverify.ErrExpired, false, false},
		{"not yet valid", func(_ *mapKeySet, clk *clock, _ *jwtverify.Verifier) { clk.set(testNow.Add(-2 * time.Minute)) }, jwtverify.ErrNotYetValid, false, false},
		{"key left the set", func(ks *mapKeySet, _ *clock, _ *jwtverify.Verifier) { ks.remove(testIss.KID()) }, jwtverify.ErrKeyNotFound, false, false},
		{"key set down", func(ks *mapKeySet, _ *clock, _ *jwtverify.Verifier) {
			ks.mu.Lock()
			ks.err = jwtverify.ErrKeysUnavailable
			ks.mu.Unlock()
		}, jwtverify.ErrKeysUnavailable, false, false},
		{"kid names another key", func(ks *mapKeySet, _ *clock, _ *jwtverify.Verifier) {
			ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: &other.PublicKey})
		}, jwtverify.ErrSignature, false, false},
		{"key's alg changed", func(ks *mapKeySet, _ *clock, _ *jwtverify.Verifier) {
			ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "PS256", Public: testIss.PublicKey()})
		}, jwtverify.ErrAlgorithmNotAllowed, false, false},
		{"same key re-parsed: entry kept", func(ks *mapKeySet, _ *clock, _ *jwtverify.Verifier) {
			pub := *testIss.PublicKey()
			ks.set(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: &pub})
		}, nil, true, true},
		{"evicted: a new entry, an empty memo", func(_ *mapKeySet, _ *clock, v *jwtverify.Verifier) {
			for _, tok := range []string{id(), testIss.AccessToken("bob", clientA)} {
				if _, err := v.Verify(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
		}, nil, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, ks, clk := cachedVerifier(t, 2)
			tok := access(claims(map[string]any{"nbf": testNow.Add(-time.Minute).Unix()}))
			c, m, held, err := v.VerifyMemo(ctx, tok)
			if err != nil || c == nil || m == nil || held != nil {
				t.Fatalf("first sight: %v %v %v %v", c, m, held, err)
			}
			m.Store("derived")
			tt.change(ks, clk, v)
			c, m, held, err = v.VerifyMemo(ctx, tok)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if got := held == "derived"; got != tt.wantHeld {
				t.Errorf("held %v, want the stored value: %v", held, tt.wantHeld)
			}
			if tt.wantHeld != (c == nil) && err == nil {
				t.Errorf("claims %v with held %v", c, held)
			}
			if (m != nil) != tt.wantMemo {
				t.Errorf("memo %v, want one: %v", m, tt.wantMemo)
			}
			if _, verr := v.Verify(ctx, tok); !errors.Is(verr, tt.wantErr) {
				t.Errorf("Verify says %v where VerifyMemo said %v", verr, err)
			}
		})
	}

	t.Run("no memo without a token cache", func(t *testing.T) {
		v := mustNew(t, baseConfig(t))
		if c, m, held, err := v.VerifyMemo(ctx, access()); err != nil || c == nil || m != nil || held != nil {
			t.Fatalf("%v %v %v %v", c, m, held, err)
		}
	})
	t.Run("a refused token gets no memo", func(t *testing.T) {
		v, _, _ := cachedVerifier(t, 2)
		if _, m, _, err := v.VerifyMemo(ctx, access(cognitotest.SignWithUnknownKey())); err == nil || m != nil {
			t.Fatalf("memo %v, err %v", m, err)
		}
	})
}

// TestVerifyMemoRunsCheck: the pool's Check runs on every hit, on claims
// of its own, and a pool with a Check gets no memo (Check may change the
// claims, from more than the claims).
func TestVerifyMemoRunsCheck(t *testing.T) {
	var mu sync.Mutex
	revoked, seen := false, ""
	errRevoked := errors.New("revoked")
	cfg := baseConfig(t)
	cfg.TokenCacheSize = 4
	cfg.Pools[0].Check = func(_ context.Context, c *jwtverify.Claims) error {
		mu.Lock()
		defer mu.Unlock()
		seen = c.Username
		if revoked {
			return errRevoked
		}
		return nil
	}
	v := mustNew(t, cfg)
	ctx := context.Background()
	tok := access()
	if c, m, _, err := v.VerifyMemo(ctx, tok); err != nil || m != nil || c == nil {
		t.Fatal(c, m, err)
	}
	mu.Lock()
	seen = ""
	mu.Unlock()
	// Check may change the claims it is given: no memo is handed out, so
	// the caller derives from what Check left on every call.
	if c, m, held, err := v.VerifyMemo(ctx, tok); err != nil || m != nil || held != nil || c == nil || seen != "alice" {
		t.Fatalf("hit with Check: claims %v memo %v held %v err %v, Check saw %q", c, m, held, err, seen)
	}
	mu.Lock()
	revoked = true
	mu.Unlock()
	if _, m, held, err := v.VerifyMemo(ctx, tok); !errors.Is(err, errRevoked) || m != nil || held != nil {
		t.Fatalf("Check refused: memo %v held %v err %v", m, held, err)
	}
}

// A memo keeps what a caller derives from a token's claims with the token
// in the token cache, so a token seen again costs a cache hit and no
// derivation: here, a costly lookup of the caller's display name.
func ExampleVerifier_VerifyMemo() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	keys, err := jwtverify.NewStaticKeySet(iss.JWKS())
	if err != nil {
		panic(err)
	}
	pool := iss.PoolConfig(jwtverify.TokenUseAccess)
	pool.ClientIDs = []string{"web-client"}
	pool.KeySet = keys
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}, TokenCacheSize: 1000})
	if err != nil {
		panic(err)
	}

	lookups := 0
	displayName := func(ctx context.Context, token string) (string, error) {
		claims, memo, held, err := v.VerifyMemo(ctx, token)
		if err != nil {
			return "", err // every check of Verify ran, on a cache hit too
		}
		if name, ok := held.(string); ok {
			return name, nil // claims is nil here: nothing was copied
		}
		lookups++
		name := "Alice (" + claims.Username + ")" // the costly part
		if memo != nil {
			memo.Store(name)
		}
		return name, nil
	}

	token := iss.AccessToken("alice", "web-client")
	for range 3 {
		name, err := displayName(ctx, token)
		fmt.Println(name, err)
	}
	fmt.Println("lookups:", lookups)
	// Output:
	// Alice (alice) <nil>
	// Alice (alice) <nil>
	// Alice (alice) <nil>
	// lookups: 1
}
