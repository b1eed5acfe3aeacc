package cognitotest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func newIssuer(t *testing.T, opts ...cognitotest.IssuerOption) *cognitotest.Issuer {
	t.Helper()
	iss, err := cognitotest.NewIssuer(append([]cognitotest.IssuerOption{cognitotest.WithNow(func() time.Time { return now })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	return iss
}

// decode returns a token's header and claims without verifying it.
func decode(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestIssuerServesJWKS(t *testing.T) {
	iss := newIssuer(t)
	if iss.UserPoolID() != cognitotest.DefaultUserPoolID {
		t.Errorf("pool id %q", iss.UserPoolID())
	}
	if !strings.HasPrefix(iss.IssuerURL(), "http://") || !strings.HasSuffix(iss.IssuerURL(), "/"+cognitotest.DefaultUserPoolID) ||
		iss.JWKSURL() != iss.IssuerURL()+"/.well-known/jwks.json" {
		t.Errorf("URLs %s %s", iss.IssuerURL(), iss.JWKSURL())
	}
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(iss.JWKS()) || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET jwks: %d %s", resp.StatusCode, body)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	k := set.Keys[0]
	if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] != iss.KID() || k["e"] != "AQAB" || len(k["n"]) != 342 {
		t.Errorf("JWK %v", k)
	}
	resp, err = http.Get(iss.IssuerURL() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: %d", resp.StatusCode)
	}
}

func TestTokenShapes(t *testing.T) {
	iss := newIssuer(t, cognitotest.WithUserPoolID("eu-west-1_Shapes"))
	exp := float64(now.Add(time.Hour).Unix())
	tests := []struct {
		name     string
		tok      string
		want     map[string]any
		required []string
		absent   []string
	}{
		{"ID", iss.IDToken("alice", "c1"), map[string]any{
			"token_use": "id", "aud": "c1", "cognito:username": "alice", "sub": iss.Sub("alice"),
			"iss": iss.IssuerURL(), "exp": exp, "iat": float64(now.Unix()), "auth_time": float64(now.Unix()),
		}, []string{"jti", "origin_jti", "event_id"}, []string{"client_id", "username", "scope", "cognito:groups", "version"}},
		{"access", iss.AccessToken("alice", "c1", cognitotest.WithGroups("g1", "g2")), map[string]any{
			"token_use": "access", "client_id": "c1", "username": "alice", "sub": iss.Sub("alice"),
			"scope": cognitotest.DefaultAccessScope, "version": 2.0, "exp": exp, "cognito:groups": []any{"g1", "g2"},
		}, []string{"jti", "origin_jti", "event_id", "auth_time", "iat"}, []string{"aud", "cognito:username"}},
		{"client credentials", iss.ClientCredentialsToken("c2", []string{"rs/read", "rs/write"}), map[string]any{
			"token_use": "access", "client_id": "c2", "sub": "c2", "scope": "rs/read rs/write", "version": 2.0,
		}, []string{"jti", "iat", "exp", "auth_time"}, []string{"username", "cognito:username", "aud", "cognito:groups"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, c := decode(t, tc.tok)
			if h["alg"] != "RS256" || h["kid"] != iss.KID() || len(h) != 2 {
				t.Errorf("header %v", h)
			}
			for k, v := range tc.want {
				got, _ := json.Marshal(c[k])
				want, _ := json.Marshal(v)
				if string(got) != string(want) {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			for _, k := range tc.required {
				if _, ok := c[k]; !ok {
					t.Errorf("%s missing from %v", k, keysOf(c))
				}
			}
			for _, k := range tc.absent {
				if _, ok := c[k]; ok {
					t.Errorf("%s present", k)
				}
			}
		})
	}
	alice := iss.Sub("alice")
	if _, c := decode(t, iss.IDToken("alice", "c2")); c["sub"] != alice || alice == iss.Sub("bob") || len(alice) != 36 {
		t.Errorf("Sub is not a stable UUID: %s", iss.Sub("alice"))
	}
}

func TestTokenOptions(t *testing.T) {
	iss := newIssuer(t)
	at := now.Add(-24 * time.Hour)
	_, c := decode(t, iss.AccessToken("alice", "c1",
		cognitotest.WithTimes(at, 5*time.Minute),
		cognitotest.WithScopes("a", "b"),
		cognitotest.WithClaims(map[string]any{"jti": nil, "custom:tenant": "t1", "username": "bob"})))
	if c["iat"] != float64(at.Unix()) || c["exp"] != float64(at.Add(5*time.Minute).Unix()) || c["scope"] != "a b" ||
		c["custom:tenant"] != "t1" || c["username"] != "bob" || c["jti"] != nil {
		t.Errorf("claims %v", c)
	}
	_, c = decode(t, iss.IDToken("alice", "c1", cognitotest.WithExpiry(-time.Minute)))
	if c["exp"] != float64(now.Add(-time.Minute).Unix()) {
		t.Errorf("exp %v", c["exp"])
	}
	h, _ := decode(t, iss.AccessToken("alice", "c1", cognitotest.WithKID("other"),
		cognitotest.WithHeader(map[string]any{"typ": "JWT", "alg": nil})))
	if h["kid"] != "other" || h["typ"] != "JWT" || h["alg"] != nil {
		t.Errorf("header %v", h)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.AccessToken("alice", "c1", cognitotest.WithSigningKey(ec))
	if h, _ = decode(t, tok); h["alg"] != "ES384" {
		t.Errorf("ECDSA header %v", h)
	}
	if sig, _ := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:]); len(sig) != 96 {
		t.Errorf("ES384 signature is %d bytes, want 96", len(sig))
	}
}

// TestScopeClaims: every scope claim the issuer mints follows RFC 6749
// §3.3, so jwtverify reads the scopes given; a scope that is not one
// scope-token is refused when minting, not turned into a malformed token.
func TestScopeClaims(t *testing.T) {
	iss := newIssuer(t)
	for _, tc := range []struct {
		name string
		tok  string
		want string
	}{
		{"default access", iss.AccessToken("alice", "c1"), cognitotest.DefaultAccessScope},
		{"access with scopes", iss.AccessToken("alice", "c1", cognitotest.WithScopes("openid", "rs/a")), "openid rs/a"},
		{"access without scopes", iss.AccessToken("alice", "c1", cognitotest.WithScopes()), ""},
		{"client credentials", iss.ClientCredentialsToken("c2", []string{"rs/read", "rs/write"}), "rs/read rs/write"},
		{"client credentials without scopes", iss.ClientCredentialsToken("c2", nil), ""},
	} {
		_, c := decode(t, tc.tok)
		claim, _ := c["scope"].(string)
		scopes, err := jwtverify.ParseScope(claim)
		if claim != tc.want || err != nil || strings.Join(scopes, " ") != tc.want {
			t.Errorf("%s: scope claim %q parses to %q, %v; want %q", tc.name, claim, scopes, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a b", "a\tb", `"a"`, `a\b`, "é", "a\x7f"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithScopes(%q) minted a token", bad)
				}
			}()
			iss.AccessToken("alice", "c1", cognitotest.WithScopes("ok", bad))
		}()
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ClientCredentialsToken with %q minted a token", bad)
				}
			}()
			iss.ClientCredentialsToken("c2", []string{bad})
		}()
	}
}

// TestWithVerifier runs the issuer against jwtverify with the remote key set,
// as other packages' tests will.
func TestWithVerifier(t *testing.T) {
	iss := newIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pc := iss.PoolConfig()
	if len(pc.TokenUses) != 2 || !pc.InsecureHTTP || pc.ClientIDs != nil || pc.SkipClientIDCheck || pc.Issuer != iss.IssuerURL() {
		t.Fatalf("PoolConfig %+v", pc)
	}
	pc.ClientIDs = []string{"c1"}
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{iss.IDToken("alice", "c1"), iss.AccessToken("alice", "c1"), iss.ClientCredentialsToken("c1", nil)} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	if _, err := v.Verify(ctx, iss.AccessToken("alice", "c1", cognitotest.SignWithUnknownKey())); !errors.Is(err, jwtverify.ErrSignature) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := v.Verify(ctx, iss.AccessToken("alice", "c1", cognitotest.WithKID("nope"))); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("unknown kid: %v", err)
	}
	if _, err := v.Verify(ctx, iss.SignRaw([]byte(`{"alg":"RS256","kid":"`+iss.KID()+`"}`), []byte(`{"a":1,"a":2}`))); !errors.Is(err, jwtverify.ErrMalformed) {
		t.Fatalf("SignRaw duplicate: %v", err)
	}
}

func TestRotation(t *testing.T) {
	iss := newIssuer(t)
	old := iss.AccessToken("alice", "c1")
	oldKID := iss.KID()
	newKID := iss.Rotate()
	if newKID == oldKID || iss.KID() != newKID {
		t.Fatalf("Rotate: %s -> %s (current %s)", oldKID, newKID, iss.KID())
	}
	if h, _ := decode(t, iss.AccessToken("alice", "c1")); h["kid"] != newKID {
		t.Errorf("new tokens signed with %v", h["kid"])
	}
	verify := func(tok string) error {
		ks, err := jwtverify.NewStaticKeySet(iss.JWKS())
		if err != nil {
			return err
		}
		pc := iss.PoolConfig()
		pc.ClientIDs, pc.KeySet = []string{"c1"}, ks
		v, err := jwtverify.New(context.Background(), jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, Now: func() time.Time { return now }})
		if err != nil {
			return err
		}
		_, err = v.Verify(context.Background(), tok)
		return err
	}
	if err := verify(old); err != nil {
		t.Fatalf("old token during rotation: %v", err)
	}
	iss.RetireOldKeys()
	if err := verify(old); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("old token after retirement: %v", err)
	}
	if err := verify(iss.AccessToken("alice", "c1")); err != nil {
		t.Fatalf("new token after retirement: %v", err)
	}
}

func TestNewIssuerRefusesBadPoolID(t *testing.T) {
	for _, id := range []string{"", "a/b", "a b", "a?b"} {
		if iss, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID(id)); err == nil {
			iss.Close()
			t.Errorf("pool id %q accepted", id)
		}
	}
}

// TestDoesNotImportTesting keeps the package usable outside tests.
func TestDoesNotImportTesting(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if imp.Path.Value == `"testing"` {
				t.Errorf("%s imports testing", f)
			}
		}
	}
}
