package jwtv5_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/jwtverify/jwtv5"
)

const (
	clientA = "client-a"
	clientB = "client-b"
)

var (
	testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
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

// parseCase is a case of jwtverify's TestVerifyRules table that golang-jwt
// can express. want is the jwtverify reason both must give, unless verify
// is set: then jwtverify gives verify and golang-jwt want, and lax says why
// (the differences the package doc lists).
type parseCase struct {
	name   string
	token  func() string
	setup  func(*setup)
	want   error // nil: accepted
	jwt    error // the golang-jwt sentinel the error must match too
	verify error // jwtverify's answer when it differs
	lax    string
}

func parseCases(t *testing.T) []parseCase {
	in := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	withAlt := func(s *setup) { s.algs = allAlgs; s.pc.KeySet = alt(t) }
	pool := func(f func(*jwtverify.PoolConfig)) func(*setup) { return func(s *setup) { f(&s.pc) } }
	valid := access()
	seg := func(tok string) []string { return strings.Split(tok, ".") }
	var (
		mal = jwtverify.ErrMalformed
		alg = jwtverify.ErrAlgorithmNotAllowed
	)
	return []parseCase{
		{name: "access token", token: func() string { return valid }},
		{name: "ID token", token: func() string { return id() }},
		{name: "client credentials token", token: func() string {
			return testIss.ClientCredentialsToken(clientA, []string{"orders/read"})
		}},
		{name: "whitespace inside JSON", token: func() string {
			return rawToken(" {\"kid\" : \""+testIss.KID()+"\",\t\"alg\":\"RS256\"}\n", rawPayload(` , "x" : [ 1 , { } ] `))
		}},

		{name: "empty", token: func() string { return "" }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "over default size", token: func() string {
			return access(claims(map[string]any{"pad": strings.Repeat("x", 16<<10)}))
		}, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "Bearer prefix", token: func() string { return "Bearer " + valid }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "two segments", token: func() string { s := seg(valid); return s[0] + "." + s[1] }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "four segments", token: func() string { return valid + "." + seg(valid)[2] }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "padding", token: func() string { return valid + "==" }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "trailing space", token: func() string { return valid + " " }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "non-zero trailing bits", token: func() string {
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, valid[len(valid)-1])
			return valid[:len(valid)-1] + string(alphabet[last|1])
		}, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "newline in payload", token: func() string {
			s := seg(valid)
			return s[0] + "." + s[1][:10] + "\n" + s[1][10:] + "." + s[2]
		}, want: jwtverify.ErrSignature, verify: mal, lax: "Go's base64 decoder skips line breaks; the signature input keeps them"},

		{name: "header not JSON", token: func() string { return rawToken(`kid`, rawPayload("")) }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "duplicate alg", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":%q,"alg":"RS256","alg":"RS256"}`, testIss.KID()), rawPayload(""))
		}, verify: mal, lax: "encoding/json keeps the last duplicate member"},
		{name: "duplicate kid through an escape", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":"other","alg":"RS256","\u006bid":%q}`, testIss.KID()), rawPayload(""))
		}, verify: mal, lax: "encoding/json keeps the last duplicate member"},
		{name: "kid missing", token: func() string { return access(header(map[string]any{"kid": nil})) }, want: mal, jwt: jwt.ErrTokenUnverifiable},
		{name: "kid empty", token: func() string { return access(header(map[string]any{"kid": ""})) }, want: mal, jwt: jwt.ErrTokenUnverifiable},
		{name: "kid not a string", token: func() string { return access(header(map[string]any{"kid": 7})) }, want: mal},
		{name: "alg missing", token: func() string { return access(header(map[string]any{"alg": nil})) },
			want: alg, jwt: jwt.ErrTokenUnverifiable, verify: mal, lax: "a different reason, refused all the same"},
		{name: "alg none", token: func() string { return access(header(map[string]any{"alg": "none"})) }, want: alg, jwt: jwt.ErrTokenSignatureInvalid},
		{name: "alg HS256", token: func() string { return access(header(map[string]any{"alg": "HS256"})) }, want: alg, jwt: jwt.ErrTokenSignatureInvalid},
		{name: "alg lower case", token: func() string { return access(header(map[string]any{"alg": "rs256"})) }, want: alg, jwt: jwt.ErrTokenUnverifiable},
		{name: "alg RS384 not configured", token: func() string { return access(header(map[string]any{"alg": "RS384"})) }, want: alg},
		{name: "crit", token: func() string { return access(header(map[string]any{"crit": []string{"exp"}, "exp": 1})) }, want: mal},
		{name: "crit empty", token: func() string { return access(header(map[string]any{"crit": []string{}})) }, want: mal},
		{name: "typ JWT is fine", token: func() string { return access(header(map[string]any{"typ": "JWT"})) }},

		{name: "unknown kid", token: func() string { return access(cognitotest.WithKID("nope")) }, want: jwtverify.ErrKeyNotFound, jwt: jwt.ErrTokenUnverifiable},
		{name: "signed by an unknown key", token: func() string { return access(cognitotest.SignWithUnknownKey()) },
			want: jwtverify.ErrSignature, jwt: jwt.ErrTokenSignatureInvalid},
		{name: "tampered payload", token: func() string {
			s, o := seg(valid), seg(testIss.AccessToken("mallory", clientA))
			return s[0] + "." + o[1] + "." + s[2]
		}, want: jwtverify.ErrSignature, jwt: jwt.ErrTokenSignatureInvalid},
		{name: "RS256 key without JWK alg", token: func() string { return access(cognitotest.WithKID("rsa-noalg")) }, setup: withAlt},
		{name: "header alg differs from JWK alg", token: func() string { return access(cognitotest.WithKID("rsa-ps256")) },
			setup: withAlt, want: alg},
		{name: "ES256", token: func() string { return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID("ec256")) }, setup: withAlt},
		{name: "ES384 without JWK alg", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID("ec384-noalg"))
		}, setup: withAlt},
		{name: "ES256 header on a P-384 key", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID("ec384-noalg"), header(map[string]any{"alg": "ES256"}))
		}, setup: withAlt, want: jwtverify.ErrInvalidKey, jwt: jwt.ErrInvalidKeyType},
		{name: "EdDSA", token: func() string { return access(cognitotest.WithSigningKey(edKey), cognitotest.WithKID("ed")) }, setup: withAlt},
		{name: "RS256 header on an EC key", token: func() string { return access(cognitotest.WithKID("ec256-as-rs")) },
			setup: withAlt, want: jwtverify.ErrInvalidKey},
		{name: "key set returns no public key", token: func() string { return access(cognitotest.WithKID("nil-public")) },
			setup: withAlt, want: jwtverify.ErrInvalidKey},
		{name: "key set unavailable", token: func() string { return valid },
			setup: pool(func(p *jwtverify.PoolConfig) {
				p.KeySet = &mapKeySet{err: fmt.Errorf("%w: endpoint down", jwtverify.ErrKeysUnavailable)}
			}), want: jwtverify.ErrKeysUnavailable, jwt: jwt.ErrTokenUnverifiable},
		{name: "key set fails without a sentinel", token: func() string { return valid },
			setup: pool(func(p *jwtverify.PoolConfig) { p.KeySet = &mapKeySet{err: errors.New("boom")} }),
			want:  jwtverify.ErrKeysUnavailable},

		{name: "unknown issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://evil.example/us-east-1_Gatehouse"}))
		}, want: jwtverify.ErrIssuer, jwt: jwt.ErrTokenInvalidIssuer},
		{name: "issuer missing", token: func() string { return access(claims(map[string]any{"iss": nil})) }, want: jwtverify.ErrIssuer},
		{name: "issuer not a string", token: func() string { return access(claims(map[string]any{"iss": []string{testIss.IssuerURL()}})) },
			want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "Cognito issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito second issuer form", token: func() string {
			return access(claims(map[string]any{"iss": "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito issuer of another region", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false }), want: jwtverify.ErrIssuer},

		{name: "exp missing", token: func() string { return access(claims(map[string]any{"exp": nil})) }, want: mal, jwt: jwt.ErrTokenRequiredClaimMissing},
		{name: "exp a string", token: func() string { return access(claims(map[string]any{"exp": "2099-01-01"})) }, want: mal, jwt: jwt.ErrTokenMalformed},
		{name: "expired", token: func() string { return access(cognitotest.WithTimes(testNow.Add(-2*time.Hour), time.Hour)) },
			want: jwtverify.ErrExpired, jwt: jwt.ErrTokenExpired},
		{name: "exp equals now", token: func() string { return access(claims(map[string]any{"exp": in(0)})) }, want: jwtverify.ErrExpired},
		{name: "exp one second ahead", token: func() string { return access(claims(map[string]any{"exp": in(time.Second)})) }},
		{name: "expired within grace", token: func() string { return access(claims(map[string]any{"exp": in(-30 * time.Second)})) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "expired beyond grace", token: func() string { return access(claims(map[string]any{"exp": in(-61 * time.Second)})) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute }), want: jwtverify.ErrExpired},
		{name: "fractional exp", token: func() string { return access(claims(map[string]any{"exp": float64(in(0)) + 0.5})) },
			want: jwtverify.ErrExpired, verify: nil, lax: "stricter: golang-jwt truncates NumericDates to jwt.TimePrecision (1s)"},
		{name: "exp 1e20", token: func() string { return access(claims(map[string]any{"exp": 1e20})) },
			want: jwtverify.ErrExpired, verify: nil, lax: "stricter: golang-jwt's NumericDate overflows into the past"},
		{name: "exp zero", token: func() string { return access(claims(map[string]any{"exp": 0})) }, want: jwtverify.ErrExpired},
		{name: "nbf in the future", token: func() string { return access(claims(map[string]any{"nbf": in(time.Minute)})) },
			want: jwtverify.ErrNotYetValid, jwt: jwt.ErrTokenNotValidYet},
		{name: "nbf now", token: func() string { return access(claims(map[string]any{"nbf": in(0)})) }},
		{name: "nbf within grace", token: func() string { return access(claims(map[string]any{"nbf": in(30 * time.Second)})) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "nbf a string", token: func() string { return access(claims(map[string]any{"nbf": "soon"})) }, want: mal},
		{name: "auth_time null", token: func() string { return rawToken(rawHeader(), rawPayload(`,"auth_time":null`)) },
			verify: mal, lax: "encoding/json takes null as absent"},

		{name: "ID token refused by access-only pool", token: func() string { return id() },
			setup: pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseAccess} }),
			want:  jwtverify.ErrTokenUse, jwt: jwt.ErrTokenInvalidClaims},
		{name: "token_use missing", token: func() string { return access(claims(map[string]any{"token_use": nil})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use refresh", token: func() string { return access(claims(map[string]any{"token_use": "refresh"})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use not a string", token: func() string { return access(claims(map[string]any{"token_use": 1})) }, want: mal},
		{name: "expired and of the wrong use: the first reason in Verify's order", token: func() string {
			return id(cognitotest.WithExpiry(-time.Minute))
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseAccess} }),
			want: jwtverify.ErrExpired, jwt: jwt.ErrTokenExpired},

		{name: "access token of another client", token: func() string { return testIss.AccessToken("alice", clientB) },
			want: jwtverify.ErrClientID, jwt: jwt.ErrTokenInvalidAudience},
		{name: "ID token of another client", token: func() string { return testIss.IDToken("alice", clientB) }, want: jwtverify.ErrClientID},
		{name: "access token judged by client_id, not aud", token: func() string {
			return testIss.AccessToken("alice", clientB, claims(map[string]any{"aud": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token judged by aud, not client_id", token: func() string {
			return testIss.IDToken("alice", clientB, claims(map[string]any{"client_id": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token aud as a list", token: func() string { return id(claims(map[string]any{"aud": []string{clientA}})) }, want: mal},
		{name: "client check skipped", token: func() string { return testIss.IDToken("alice", "anyone") },
			setup: pool(func(p *jwtverify.PoolConfig) { p.ClientIDs, p.SkipClientIDCheck = nil, true })},
		{name: "client-credentials token of an unlisted client", token: func() string {
			return testIss.ClientCredentialsToken("program", []string{"orders/read"})
		}, want: jwtverify.ErrClientID},
		{name: "client-credentials token of any client, when allowed", token: func() string {
			return testIss.ClientCredentialsToken("program", []string{"orders/read"})
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true })},
		{name: "user access token of an unlisted client, any client for client credentials", token: func() string {
			return testIss.AccessToken("alice", "program")
		}, setup: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true }), want: jwtverify.ErrClientID},

		{name: "in a required group", token: func() string { return access(cognitotest.WithGroups("users", "admins")) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins", "ops"} })},
		{name: "not in a required group", token: func() string { return access(cognitotest.WithGroups("users")) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins"} }), want: jwtverify.ErrGroup, jwt: jwt.ErrTokenInvalidClaims},
		{name: "groups as a string", token: func() string { return access(claims(map[string]any{"cognito:groups": "admins"})) }, want: mal},
		{name: "groups holding a number", token: func() string { return access(claims(map[string]any{"cognito:groups": []any{"a", 1}})) }, want: mal},

		{name: "has a required scope", token: func() string { return access(cognitotest.WithScopes("openid", "orders/read")) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read", "orders/write"} })},
		{name: "lacks the required scopes", token: func() string { return access(cognitotest.WithScopes("orders/write2")) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read"} }), want: jwtverify.ErrScope, jwt: jwt.ErrTokenInvalidClaims},
		{name: "ID tokens carry no scope", token: func() string { return id() },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"openid"} }), want: jwtverify.ErrScope},
		{name: "scope as a list", token: func() string { return access(claims(map[string]any{"scope": []string{"a"}})) }, want: mal},
		{name: "scope with a doubled space", token: func() string { return access(claims(map[string]any{"scope": "a  orders/read"})) },
			setup: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read"} }), want: mal, jwt: jwt.ErrTokenMalformed},

		{name: "sub missing", token: func() string { return access(claims(map[string]any{"sub": nil})) }, want: mal, jwt: jwt.ErrTokenRequiredClaimMissing},
		{name: "sub a number", token: func() string { return access(claims(map[string]any{"sub": 12})) }, want: mal},
		{name: "payload trailing data", token: func() string { return rawToken(rawHeader(), rawPayload("")+"x") }, want: mal},
		{name: "duplicate exp", token: func() string { return rawToken(rawHeader(), rawPayload(`,"exp":1`)) },
			want: jwtverify.ErrExpired, verify: mal, lax: "encoding/json keeps the last duplicate member"},
		{name: "names differing only in case", token: func() string { return rawToken(rawHeader(), rawPayload(`,"Exp":1`)) },
			want: jwtverify.ErrExpired, verify: nil, lax: "encoding/json matches member names case-insensitively"},
		{name: "invalid UTF-8", token: func() string { return rawToken(rawHeader(), rawPayload(",\"x\":\"\xff\"")) },
			verify: mal, lax: "encoding/json replaces invalid UTF-8"},
	}
}

func TestParseMatchesVerify(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := base(t)
			if tc.setup != nil {
				tc.setup(s)
			}
			tok := tc.token()
			c, err := s.pool(t).Parse(context.Background(), tok)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Parse: err = %v, want %v", err, tc.want)
			}
			if tc.jwt != nil && !errors.Is(err, tc.jwt) {
				t.Errorf("Parse: err = %v, want it to match golang-jwt's %v", err, tc.jwt)
			}
			if err != nil {
				checkError(t, tok, err)
			} else if c.Subject == "" {
				t.Error("accepted without a subject")
			}

			want := tc.want
			if tc.lax != "" {
				want = tc.verify
			}
			_, verr := s.verifier(t).Verify(context.Background(), tok)
			if want == nil && verr != nil || want != nil && !errors.Is(verr, want) {
				t.Errorf("jwtverify.Verify: err = %v, want %v (the table is out of step with jwtverify)", verr, want)
			}
		})
	}
}

// checkError checks what every refusal must satisfy.
func checkError(t *testing.T, tok string, err error) {
	t.Helper()
	var e *jwtv5.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *jwtv5.Error", err)
	}
	n := 0
	for _, s := range []*jwtverify.Error{
		jwtverify.ErrMalformed, jwtverify.ErrKeyNotFound, jwtverify.ErrInvalidKey,
		jwtverify.ErrAlgorithmNotAllowed, jwtverify.ErrSignature, jwtverify.ErrExpired,
		jwtverify.ErrNotYetValid, jwtverify.ErrIssuer, jwtverify.ErrClientID,
		jwtverify.ErrTokenUse, jwtverify.ErrGroup, jwtverify.ErrScope, jwtverify.ErrKeysUnavailable,
	} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("error %q matches %d jwtverify sentinels, want 1", err, n)
	}
	if jwtverify.Code(err) != e.Code() || e.Code() == "error" {
		t.Errorf("Code %q, jwtverify.Code %q", e.Code(), jwtverify.Code(err))
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q contains token material", err)
		}
	}
	if strings.Contains(err.Error(), testIss.KID()) {
		t.Errorf("error %q contains the kid", err)
	}
}

func TestKeyfuncLooksUpOnlyTheTokensKid(t *testing.T) {
	ks := &mapKeySet{keys: map[string]jwtverify.Key{
		"other":       {KID: "other", Algorithm: "RS256", Public: testIss.PublicKey()},
		testIss.KID(): {KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()},
	}}
	kf := jwtv5.Keyfunc(context.Background(), ks)
	// No WithValidMethods: the Keyfunc holds to its algorithms by itself.
	opts := []jwt.ParserOption{jwt.WithTimeFunc(func() time.Time { return testNow })}

	// With MapClaims: the Keyfunc works with any claims type.
	if _, err := jwt.Parse(access(), kf, opts...); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := jwt.Parse(access(header(map[string]any{"kid": nil})), kf, opts...); !errors.Is(jwtv5.MapError(err), jwtverify.ErrMalformed) {
		t.Fatalf("Parse without kid: %v", err)
	}
	if _, err := jwt.Parse(access(cognitotest.WithKID("nope")), kf, opts...); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("Parse with an unknown kid: %v", err)
	}
	if _, err := jwt.Parse(access(header(map[string]any{"alg": "PS256"})), kf, opts...); !errors.Is(err, jwtverify.ErrAlgorithmNotAllowed) {
		t.Fatalf("Parse with PS256, not accepted by the Keyfunc: %v", err)
	}
	if want := []string{testIss.KID(), "nope"}; strings.Join(ks.kids, ",") != strings.Join(want, ",") {
		t.Errorf("looked up %q, want %q: one lookup per token, by its kid only", ks.kids, want)
	}
}

func TestParseWithClaimsDirectly(t *testing.T) {
	p := base(t).pool(t)
	c := p.NewClaims()
	_, err := jwt.ParseWithClaims(access(cognitotest.WithGroups("admins"), cognitotest.WithScopes("openid", "orders/read")),
		c, p.Keyfunc(context.Background()), p.ParserOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := c.Verified()
	if err != nil {
		t.Fatal(err)
	}
	if vc.Username != "alice" || vc.ClientID != clientA || !vc.InGroup("admins") || !vc.HasScope("orders/read") ||
		!vc.ExpiresAt.Equal(testNow.Add(time.Hour)) || vc.Subject != testIss.Sub("alice") {
		t.Errorf("Verified = %+v", vc)
	}
}

func TestClaimsFailClosed(t *testing.T) {
	p := base(t).pool(t)
	// Claims not made by NewClaims: the signature verifies, Validate refuses.
	_, err := jwt.ParseWithClaims(access(), &jwtv5.Claims{}, p.Keyfunc(context.Background()), p.ParserOptions()...)
	if !errors.Is(err, jwt.ErrTokenInvalidClaims) || !errors.Is(jwtv5.MapError(err), jwtverify.ErrMalformed) {
		t.Fatalf("zero Claims: %v", err)
	}
	// Without the parser options, Validate still requires exp.
	_, err = jwt.ParseWithClaims(access(claims(map[string]any{"exp": nil})), p.NewClaims(), p.Keyfunc(context.Background()))
	if !errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		t.Fatalf("no exp, no options: %v", err)
	}
	if jwtv5.MapError(nil) != nil {
		t.Error("MapError(nil) != nil")
	}
}

func TestNewPoolRefuses(t *testing.T) {
	for name, f := range map[string]func(*setup) jwtv5.Options{
		"Check": func(s *setup) jwtv5.Options {
			s.pc.Check = func(context.Context, *jwtverify.Claims) error { return nil }
			return jwtv5.Options{}
		},
		"HS256":       func(*setup) jwtv5.Options { return jwtv5.Options{Algorithms: []string{"HS256"}} },
		"none":        func(*setup) jwtv5.Options { return jwtv5.Options{Algorithms: []string{"none"}} },
		"no ClientID": func(s *setup) jwtv5.Options { s.pc.ClientIDs = nil; return jwtv5.Options{} },
		"no TokenUse": func(s *setup) jwtv5.Options { s.pc.TokenUses = nil; return jwtv5.Options{} },
	} {
		s := base(t)
		o := f(s)
		if _, err := jwtv5.NewPool(context.Background(), s.pc, o); err == nil {
			t.Errorf("%s: NewPool accepted", name)
		}
	}
}
