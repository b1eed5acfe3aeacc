package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

const (
	clientA = "client-a"
	clientB = "client-b"
)

var (
	testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	// testIss is shared by the tests that do not rotate keys.
	testIss *cognitotest.Issuer
)

func TestMain(m *testing.M) {
	var err error
	testIss, err = cognitotest.NewIssuer(cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testIss.Close()
	os.Exit(code)
}

func TestVerifyPostSignatureErrorsCarryClaims(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Pools[0].Groups = []string{"admins"}
	v := mustNew(t, cfg)
	c, err := v.Verify(context.Background(), access())
	if !errors.Is(err, jwtverify.ErrGroup) || c == nil || c.Username != "alice" {
		t.Fatalf("Verify = %+v, %v; want alice's claims and ErrGroup", c, err)
	}
	c, err = v.Verify(context.Background(), access(cognitotest.WithExpiry(-time.Minute)))
	if !errors.Is(err, jwtverify.ErrExpired) || c == nil {
		t.Fatalf("Verify = %v, %v; want claims and ErrExpired", c, err)
	}
}

func TestVerifyFillsClaims(t *testing.T) {
	v := mustNew(t, baseConfig(t))
	ctx := context.Background()
	iat := testNow.Add(-10 * time.Minute)

	c, err := v.Verify(ctx, access(cognitotest.WithGroups("admins", "users"),
		cognitotest.WithScopes("openid", "orders/read"), cognitotest.WithTimes(iat, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	want := jwtverify.Claims{
		Subject: testIss.Sub("alice"), Username: "alice", ClientID: clientA, TokenUse: jwtverify.TokenUseAccess,
		Issuer: testIss.IssuerURL(), Groups: []string{"admins", "users"}, Scopes: []string{"openid", "orders/read"},
		IssuedAt: iat, AuthTime: iat, ExpiresAt: iat.Add(time.Hour),
	}
	compareClaims(t, c, &want)
	if c.JTI == "" || c.OriginJTI == "" || c.Raw()["event_id"] == nil || c.Raw()["version"] != float64(2) {
		t.Errorf("jti %q origin_jti %q raw %v", c.JTI, c.OriginJTI, c.Raw())
	}
	if c.IsClientCredentials() || !c.InGroup("admins") || !c.HasScope("orders/read") {
		t.Error("helpers disagree with the claims")
	}

	c, err = v.Verify(ctx, id(cognitotest.WithGroups("admins"), cognitotest.WithTimes(iat, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	want = jwtverify.Claims{
		Subject: testIss.Sub("alice"), Username: "alice", ClientID: clientA, TokenUse: jwtverify.TokenUseID,
		Issuer: testIss.IssuerURL(), Groups: []string{"admins"},
		IssuedAt: iat, AuthTime: iat, ExpiresAt: iat.Add(time.Hour),
	}
	compareClaims(t, c, &want)

	c, err = v.Verify(ctx, testIss.ClientCredentialsToken(clientA, []string{"orders/read", "orders/write"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsClientCredentials() || c.Subject != clientA || c.ClientID != clientA || len(c.Scopes) != 2 || c.Groups != nil {
		t.Errorf("client credentials claims: %+v", c)
	}
}

func compareClaims(t *testing.T, got, want *jwtverify.Claims) {
	t.Helper()
	if got.Subject != want.Subject || got.Username != want.Username || got.ClientID != want.ClientID ||
		got.TokenUse != want.TokenUse || got.Issuer != want.Issuer ||
		strings.Join(got.Groups, ",") != strings.Join(want.Groups, ",") ||
		strings.Join(got.Scopes, ",") != strings.Join(want.Scopes, ",") ||
		!got.IssuedAt.Equal(want.IssuedAt) || !got.AuthTime.Equal(want.AuthTime) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("claims\n got %+v\nwant %+v", got, want)
	}
}

func TestVerifyCustomCheck(t *testing.T) {
	errRevoked := errors.New("revoked")
	cfg := baseConfig(t)
	var seen *jwtverify.Claims
	cfg.Pools[0].Check = func(_ context.Context, c *jwtverify.Claims) error {
		seen = c
		if c.Username == "mallory" {
			return errRevoked
		}
		return nil
	}
	v := mustNew(t, cfg)
	if _, err := v.Verify(context.Background(), access()); err != nil || seen == nil {
		t.Fatalf("err %v, check saw %v", err, seen)
	}
	c, err := v.Verify(context.Background(), testIss.AccessToken("mallory", clientA))
	if !errors.Is(err, errRevoked) || c == nil || jwtverify.Code(err) != "error" {
		t.Fatalf("Verify = %v, %v (code %s); want claims and the check's error", c, err, jwtverify.Code(err))
	}
	// The check runs only after every built-in check passed.
	seen = nil
	if _, err := v.Verify(context.Background(), testIss.AccessToken("mallory", clientB)); !errors.Is(err, jwtverify.ErrClientID) || seen != nil {
		t.Fatalf("err %v, check ran: %v", err, seen != nil)
	}
}

func TestVerifyDoesNotFetchForUnknownIssuerOrTokenURLs(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(testIss.JWKS())
	}))
	defer srv.Close()
	ks := newMapKeySet(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()})
	cfg := baseConfig(t)
	cfg.Pools[0].KeySet = ks
	v := mustNew(t, cfg)
	ctx := context.Background()

	if _, err := v.Verify(ctx, access(claims(map[string]any{"iss": srv.URL}))); !errors.Is(err, jwtverify.ErrIssuer) {
		t.Fatalf("unknown issuer: %v", err)
	}
	if n := ks.calls.Load(); n != 0 {
		t.Fatalf("key set consulted %d times for an unknown issuer", n)
	}
	pointers := map[string]any{"jku": srv.URL, "x5u": srv.URL, "jwk": map[string]any{"kty": "RSA"}}
	if _, err := v.Verify(ctx, access(header(pointers))); err != nil {
		t.Fatalf("jku/x5u/jwk must be ignored, got %v", err)
	}
	pointers["kid"] = "elsewhere"
	if _, err := v.Verify(ctx, access(header(pointers), cognitotest.SignWithUnknownKey())); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("unknown kid with jku: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the verifier fetched a URL named by the token")
	}
}

func TestVerifyPicksPoolByIssuer(t *testing.T) {
	other, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID("eu-west-1_Other"), cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg := baseConfig(t)
	pc := other.PoolConfig(jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientB}
	pc.KeySet = staticSet(t, other)
	cfg.Pools = append(cfg.Pools, pc)
	cfg.TokenCacheSize = 4
	v := mustNew(t, cfg)
	ctx := context.Background()
	c, err := v.Verify(ctx, other.AccessToken("bob", clientB))
	if err != nil {
		t.Fatalf("second pool: %v", err)
	}
	if c.UserPoolID != "eu-west-1_Other" {
		t.Errorf("second pool's token: UserPoolID %q", c.UserPoolID)
	}
	// Twice: the second answer comes from the token cache when there is one.
	for range 2 {
		c, err = v.Verify(ctx, testIss.AccessToken("bob", clientA))
		if err != nil || c.UserPoolID != testIss.UserPoolID() {
			t.Fatalf("first pool's token: UserPoolID %q, %v", c.UserPoolID, err)
		}
	}
	if _, err := v.Verify(ctx, other.AccessToken("bob", clientA)); !errors.Is(err, jwtverify.ErrClientID) {
		t.Fatalf("second pool's client rules: %v", err)
	}
	// A token claiming the first pool but signed by the second pool's key
	// must be looked up only in the first pool's keys.
	forged := other.AccessToken("bob", clientA, claims(map[string]any{"iss": testIss.IssuerURL()}))
	if _, err := v.Verify(ctx, forged); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("cross-pool token: %v", err)
	}
	forged = other.AccessToken("bob", clientA, claims(map[string]any{"iss": testIss.IssuerURL()}), cognitotest.WithKID(testIss.KID()))
	if _, err := v.Verify(ctx, forged); !errors.Is(err, jwtverify.ErrSignature) {
		t.Fatalf("cross-pool token with the first pool's kid: %v", err)
	}
}

func TestNewConfigValidation(t *testing.T) {
	ks := staticSet(t, testIss)
	good := func() jwtverify.PoolConfig {
		return jwtverify.PoolConfig{
			UserPoolID: "eu-west-1_AbCdEf123",
			TokenUses:  []jwtverify.TokenUse{jwtverify.TokenUseAccess},
			ClientIDs:  []string{clientA},
			KeySet:     ks,
		}
	}
	withPool := func(f func(*jwtverify.PoolConfig)) jwtverify.Config {
		p := good()
		f(&p)
		return jwtverify.Config{Pools: []jwtverify.PoolConfig{p}}
	}
	tests := []struct {
		name    string
		cfg     jwtverify.Config
		wantErr bool
	}{
		{"minimal", withPool(func(*jwtverify.PoolConfig) {}), false},
		{"no pools", jwtverify.Config{}, true},
		{"pool id empty", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "" }), true},
		{"pool id without region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "AbCdEf123" }), true},
		{"pool id without id", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_" }), true},
		{"pool id upper-case region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "EU-WEST-1_abc" }), true},
		{"pool id with a path", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_abc/../x" }), true},
		{"pool id with a host", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "evil.example/x-1_abc" }), true},
		{"pool id of a local stand-in without an issuer", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "local_abc" }), true},
		{"pool id too long", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_" + strings.Repeat("a", 50) }), true},
		{"gov region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "us-gov-west-1_abc" }), false},
		{"no token uses", withPool(func(p *jwtverify.PoolConfig) { p.TokenUses = nil }), true},
		{"unknown token use", withPool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{"refresh"} }), true},
		{"no client ids", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs = nil }), true},
		{"skip client ids", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs, p.SkipClientIDCheck = nil, true }), false},
		{"client ids and skip", withPool(func(p *jwtverify.PoolConfig) { p.SkipClientIDCheck = true }), true},
		{"empty client id", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs = []string{""} }), true},
		{"empty group", withPool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"a", ""} }), true},
		{"empty scope", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{""} }), true},
		{"two scopes in one", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/a rs/b"} }), true},
		{"scope with a tab", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/a\trs/b"} }), true},
		{"scope with a quote", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{`rs/"a"`} }), true},
		{"non-ASCII scope", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/é"} }), true},
		{"scope-token punctuation", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"https://api.example/rs:read!"} }), false},
		{"negative grace", withPool(func(p *jwtverify.PoolConfig) { p.Grace = -time.Second }), true},
		{"https issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https://idp.example/pool" }), false},
		{"http issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "http://localhost:9229/pool" }), true},
		{"http issuer allowed", withPool(func(p *jwtverify.PoolConfig) {
			p.Issuer, p.InsecureHTTP = "http://localhost:9229/pool", true
		}), false},
		{"issuer of another scheme", withPool(func(p *jwtverify.PoolConfig) { p.Issuer, p.InsecureHTTP = "ftp://x/pool", true }), true},
		{"issuer without host", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https:///pool" }), true},
		{"relative issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "/pool" }), true},
		{"issuer with credentials", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https://u:p@idp.example/pool" }), true},
		{"http JWKS URL", withPool(func(p *jwtverify.PoolConfig) { p.JWKSURL = "http://localhost/jwks.json" }), true},
		{"http JWKS URL allowed", withPool(func(p *jwtverify.PoolConfig) {
			p.JWKSURL, p.InsecureHTTP = "http://localhost/jwks.json", true
		}), false},
		{"remote key set", withPool(func(p *jwtverify.PoolConfig) { p.KeySet = nil }), false},
		{"algorithm none", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"none"}}, true},
		{"algorithm HS256", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"RS256", "HS256"}}, true},
		{"algorithm lower case", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"rs256"}}, true},
		{"algorithm ES256", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"ES256"}}, false},
		{"negative max size", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, MaxTokenSize: -1}, true},
		{"negative cache size", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, TokenCacheSize: -1}, true},
		{"negative JWKS fetch timeout", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, JWKSFetchTimeout: -1}, true},
		{"two pools, one issuer", jwtverify.Config{Pools: []jwtverify.PoolConfig{good(), good()}}, true},
		{"issuer override colliding with a default", jwtverify.Config{Pools: []jwtverify.PoolConfig{good(), func() jwtverify.PoolConfig {
			p := good()
			p.UserPoolID = "us-east-1_Other"
			p.Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
			return p
		}()}}, true},
		// Claims.UserPoolID names the mapping's user name namespace: two
		// issuers under one id would make equal names in both one caller.
		{"two pools, one id, two issuers", jwtverify.Config{Pools: []jwtverify.PoolConfig{good(), func() jwtverify.PoolConfig {
			p := good()
			p.Issuer = "https://idp.example/eu-west-1_AbCdEf123"
			return p
		}()}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel() // stops remote key sets
			v, err := jwtverify.New(ctx, tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && v != nil {
				t.Fatal("New returned a Verifier with an error")
			}
		})
	}
}

func TestSupportedAlgorithms(t *testing.T) {
	for _, a := range jwtverify.SupportedAlgorithms() {
		if a == "none" || strings.HasPrefix(a, "HS") {
			t.Errorf("%s is supported", a)
		}
	}
}

// TestRemoteKeySetAndHydrate uses the default remote key set against the
// issuer's JWKS endpoint, including a key rotation.
func TestRemoteKeySetAndHydrate(t *testing.T) {
	iss, err := cognitotest.NewIssuer(cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pc := iss.PoolConfig(jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientA}
	v := mustNew(t, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, Now: func() time.Time { return testNow }})
	if err := v.Hydrate(ctx); err != nil {
		t.Fatalf("Hydrate: %v", err)
	}
	if _, err := v.Verify(ctx, iss.AccessToken("alice", clientA)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	iss.Rotate()
	if _, err := v.Verify(ctx, iss.AccessToken("alice", clientA)); err != nil {
		t.Fatalf("Verify after rotation: %v", err)
	}

	pc.JWKSURL = iss.IssuerURL() + "/missing.json"
	v = mustNew(t, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}})
	if err := v.Hydrate(ctx); !errors.Is(err, jwtverify.ErrKeysUnavailable) || !strings.Contains(err.Error(), iss.UserPoolID()) {
		t.Fatalf("Hydrate of a missing JWKS: %v", err)
	}
	// A static set has nothing to hydrate.
	if err := mustNew(t, baseConfig(t)).Hydrate(ctx); err != nil {
		t.Fatalf("Hydrate with a static set: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	cfg := baseConfig(t)
	cfg.TokenCacheSize = 4
	v := mustNew(t, cfg)
	toks := []string{access(), id(), testIss.AccessToken("bob", clientA), access(cognitotest.WithGroups("g")),
		testIss.AccessToken("carol", clientA), access(cognitotest.WithExpiry(-time.Hour))}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 30 {
				tok := toks[(g+i)%len(toks)]
				c, err := v.Verify(context.Background(), tok)
				if (err == nil) == (tok == toks[5]) {
					t.Errorf("token %d: %v", (g+i)%len(toks), err)
					return
				}
				if err == nil && len(c.Groups) > 0 {
					c.Groups[0] = "changed" // must not leak into other results
				}
			}
		})
	}
	wg.Wait()
	c, err := v.Verify(context.Background(), toks[3])
	if err != nil || c.Groups[0] != "g" {
		t.Fatalf("groups %v, err %v", c.Groups, err)
	}
}
