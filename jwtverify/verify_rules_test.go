package jwtverify_test

// The table of Verify's rules: every way a token is accepted or refused.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

type verifyCase struct {
	name  string
	token func() string
	cfg   func(*jwtverify.Config)
	want  error // nil: accepted
	check func(t *testing.T, c *jwtverify.Claims)
}

func verifyCases(t *testing.T) []verifyCase {
	in := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	pool := func(f func(*jwtverify.PoolConfig)) func(*jwtverify.Config) {
		return func(c *jwtverify.Config) { f(&c.Pools[0]) }
	}
	var (
		ErrMalformed   = jwtverify.ErrMalformed
		ErrAlg         = jwtverify.ErrAlgorithmNotAllowed
		ErrInvalidKey  = jwtverify.ErrInvalidKey
		ErrKeyNotFound = jwtverify.ErrKeyNotFound
	)
	valid := access()
	return []verifyCase{
		// Accepted tokens.
		{name: "access token", token: func() string { return valid }},
		{name: "ID token", token: func() string { return id() }},
		{name: "client credentials token", token: func() string {
			return testIss.ClientCredentialsToken(clientA, []string{"orders/read"})
		}},
		{name: "hand-written payload", token: func() string { return rawToken(rawHeader(), rawPayload("")) }},
		{name: "whitespace inside JSON", token: func() string {
			return rawToken(" {\"kid\" : \""+testIss.KID()+"\",\t\"alg\":\"RS256\"}\n", rawPayload(` , "x" : [ 1 , { } ] `))
		}},

		// Size and compact form.
		{name: "empty", token: func() string { return "" }, want: ErrMalformed},
		{name: "over MaxTokenSize", token: func() string { return valid },
			cfg: func(c *jwtverify.Config) { c.MaxTokenSize = len(valid) - 1 }, want: ErrMalformed},
		{name: "exactly MaxTokenSize", token: func() string { return valid },
			cfg: func(c *jwtverify.Config) { c.MaxTokenSize = len(valid) }},
		{name: "over default size", token: func() string {
			return access(claims(map[string]any{"pad": strings.Repeat("x", 16<<10)}))
		}, want: ErrMalformed},
		{name: "Bearer prefix", token: func() string { return "Bearer " + valid }, want: ErrMalformed},
		{name: "two segments", token: func() string { s := segments(valid); return s[0] + "." + s[1] }, want: ErrMalformed},
		{name: "four segments", token: func() string { return valid + "." + segments(valid)[2] }, want: ErrMalformed},
		{name: "JWE-like five segments", token: func() string { return valid + ".a.b" }, want: ErrMalformed},
		{name: "empty signature", token: func() string { s := segments(valid); return s[0] + "." + s[1] + "." }, want: ErrMalformed},
		{name: "empty header", token: func() string { s := segments(valid); return "." + s[1] + "." + s[2] }, want: ErrMalformed},
		{name: "padding", token: func() string { return valid + "==" }, want: ErrMalformed},
		{name: "newline in payload", token: func() string {
			s := segments(valid)
			return s[0] + "." + s[1][:10] + "\n" + s[1][10:] + "." + s[2]
		}, want: ErrMalformed},
		{name: "CRLF at end", token: func() string { return valid + "\r\n" }, want: ErrMalformed},
		{name: "trailing space", token: func() string { return valid + " " }, want: ErrMalformed},
		{name: "standard alphabet", token: func() string {
			s := segments(valid)
			return s[0] + "." + s[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s[2]) + "+/"
		}, want: ErrMalformed},
		{name: "non-zero trailing bits", token: func() string { return withTrailingBits(valid) }, want: ErrMalformed},
		{name: "impossible base64 length", token: func() string { return valid + "AAA" }, want: ErrMalformed},

		// Header.
		{name: "header not JSON", token: func() string { return rawToken(`kid`, rawPayload("")) }, want: ErrMalformed},
		{name: "header is an array", token: func() string { return rawToken(`["RS256"]`, rawPayload("")) }, want: ErrMalformed},
		{name: "header trailing data", token: func() string { return rawToken(rawHeader()+`{}`, rawPayload("")) }, want: ErrMalformed},
		{name: "duplicate alg", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":%q,"alg":"RS256","alg":"RS256"}`, testIss.KID()), rawPayload(""))
		}, want: ErrMalformed},
		{name: "duplicate kid through an escape", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":%q,"alg":"RS256","\u006bid":"other"}`, testIss.KID()), rawPayload(""))
		}, want: ErrMalformed},
		{name: "kid missing", token: func() string { return access(header(map[string]any{"kid": nil})) }, want: ErrMalformed},
		{name: "kid empty", token: func() string { return access(header(map[string]any{"kid": ""})) }, want: ErrMalformed},
		{name: "kid not a string", token: func() string { return access(header(map[string]any{"kid": 7})) }, want: ErrMalformed},
		{name: "alg missing", token: func() string { return access(header(map[string]any{"alg": nil})) }, want: ErrMalformed},
		{name: "alg not a string", token: func() string { return access(header(map[string]any{"alg": true})) }, want: ErrMalformed},
		{name: "alg none", token: func() string { return access(header(map[string]any{"alg": "none"})) }, want: ErrAlg},
		{name: "alg none unsigned", token: func() string {
			s := segments(access(header(map[string]any{"alg": "none"})))
			return s[0] + "." + s[1] + "."
		}, want: ErrMalformed},
		{name: "alg HS256", token: func() string { return access(header(map[string]any{"alg": "HS256"})) }, want: ErrAlg},
		{name: "alg lower case", token: func() string { return access(header(map[string]any{"alg": "rs256"})) }, want: ErrAlg},
		{name: "alg RS384 not configured", token: func() string { return access(header(map[string]any{"alg": "RS384"})) }, want: ErrAlg},
		{name: "crit", token: func() string { return access(header(map[string]any{"crit": []string{"exp"}, "exp": 1})) }, want: ErrMalformed},
		{name: "crit empty", token: func() string { return access(header(map[string]any{"crit": []string{}})) }, want: ErrMalformed},
		{name: "typ JWT is fine", token: func() string { return access(header(map[string]any{"typ": "JWT"})) }},

		// Keys.
		{name: "unknown kid", token: func() string { return access(cognitotest.WithKID("nope")) }, want: ErrKeyNotFound},
		{name: "signed by an unknown key", token: func() string { return access(cognitotest.SignWithUnknownKey()) },
			want: jwtverify.ErrSignature},
		{name: "tampered payload", token: func() string {
			s, o := segments(valid), segments(testIss.AccessToken("mallory", clientA))
			return s[0] + "." + o[1] + "." + s[2]
		}, want: jwtverify.ErrSignature},
		{name: "tampered signature", token: func() string {
			s := segments(valid)
			sig := []byte(s[2])
			// Another base64url character: flipping bits could leave the alphabet.
			if sig[10] == 'A' {
				sig[10] = 'B'
			} else {
				sig[10] = 'A'
			}
			return s[0] + "." + s[1] + "." + string(sig)
		}, want: jwtverify.ErrSignature},
		{name: "RS256 key without JWK alg", token: func() string { return access(cognitotest.WithKID(kidRSANoAlg)) },
			cfg: withAltKeys(t)},
		{name: "header alg differs from JWK alg", token: func() string { return access(cognitotest.WithKID(kidRSAWrongAlg)) },
			cfg: withAltKeys(t), want: ErrAlg},
		{name: "PS256 header on a key without alg but signed RS256", token: func() string {
			return access(cognitotest.WithKID(kidRSANoAlg), header(map[string]any{"alg": "PS256"}))
		}, cfg: withAltKeys(t), want: jwtverify.ErrSignature},
		{name: "ES256", token: func() string { return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256)) },
			cfg: withAltKeys(t)},
		{name: "ES256 without JWK alg", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256NoAlg))
		}, cfg: withAltKeys(t)},
		{name: "ES384", token: func() string { return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID(kidEC384)) },
			cfg: withAltKeys(t)},
		{name: "ES256 header on a P-384 key", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID(kidEC384AsEC256Alg), header(map[string]any{"alg": "ES256"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "EdDSA", token: func() string { return access(cognitotest.WithSigningKey(edKey), cognitotest.WithKID(kidEd)) },
			cfg: withAltKeys(t)},
		{name: "ES256 header on an Ed25519 key", token: func() string {
			return access(cognitotest.WithSigningKey(edKey), cognitotest.WithKID(kidEdAsEC), header(map[string]any{"alg": "ES256"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "RS256 header on an EC key", token: func() string { return access(cognitotest.WithKID(kidEC256AsRSA)) },
			cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "EdDSA header on an RSA key", token: func() string {
			return access(cognitotest.WithKID(kidRSANoAlg), header(map[string]any{"alg": "EdDSA"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "RSA key under 2048 bits", token: func() string {
			return access(cognitotest.WithSigningKey(smallRSA), cognitotest.WithKID(kidSmallRSA))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "key set returns no public key", token: func() string { return access(cognitotest.WithKID(kidNilPublic)) },
			cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "ES256 not in Algorithms", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256))
		}, cfg: func(c *jwtverify.Config) { withAltKeys(t)(c); c.Algorithms = []string{"RS256"} }, want: ErrAlg},
		{name: "key set unavailable", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) {
				p.KeySet = &mapKeySet{err: fmt.Errorf("%w: endpoint down", jwtverify.ErrKeysUnavailable)}
			}), want: jwtverify.ErrKeysUnavailable},
		{name: "key set fails without a sentinel", token: func() string { return valid },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.KeySet = &mapKeySet{err: errors.New("boom")} }),
			want: jwtverify.ErrKeysUnavailable},

		// Issuer.
		{name: "unknown issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://evil.example/us-east-1_Gatehouse"}))
		},
			want: jwtverify.ErrIssuer},
		{name: "issuer with trailing slash", token: func() string { return access(claims(map[string]any{"iss": testIss.IssuerURL() + "/"})) },
			want: jwtverify.ErrIssuer},
		{name: "issuer missing", token: func() string { return access(claims(map[string]any{"iss": nil})) }, want: jwtverify.ErrIssuer},
		{name: "issuer not a string", token: func() string { return access(claims(map[string]any{"iss": []string{testIss.IssuerURL()}})) },
			want: ErrMalformed},
		{name: "Cognito issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito second issuer form", token: func() string {
			return access(claims(map[string]any{"iss": "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito issuer of another region", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false }), want: jwtverify.ErrIssuer},
		{name: "override replaces the Cognito issuers", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, want: jwtverify.ErrIssuer},

		// Time.
		{name: "exp missing", token: func() string { return access(claims(map[string]any{"exp": nil})) }, want: ErrMalformed},
		{name: "exp a string", token: func() string { return access(claims(map[string]any{"exp": "2099-01-01"})) }, want: ErrMalformed},
		{name: "expired", token: func() string { return access(cognitotest.WithTimes(testNow.Add(-2*time.Hour), time.Hour)) },
			want: jwtverify.ErrExpired},
		{name: "exp equals now", token: func() string { return access(claims(map[string]any{"exp": in(0)})) }, want: jwtverify.ErrExpired},
		{name: "exp one second ahead", token: func() string { return access(claims(map[string]any{"exp": in(time.Second)})) }},
		{name: "expired within grace", token: func() string { return access(claims(map[string]any{"exp": in(-30 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "expired beyond grace", token: func() string { return access(claims(map[string]any{"exp": in(-61 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute }), want: jwtverify.ErrExpired},
		{name: "fractional exp", token: func() string { return access(claims(map[string]any{"exp": float64(in(0)) + 0.5})) }},
		{name: "exp 1e20 is valid", token: func() string { return access(claims(map[string]any{"exp": 1e20})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.ExpiresAt.Year() != 9999 {
					t.Errorf("ExpiresAt = %v, want clamped to year 9999", c.ExpiresAt)
				}
			}},
		{name: "exp near float max", token: func() string {
			return rawToken(rawHeader(), strings.Replace(rawPayload(""), `"exp":`, `"exp":1.7e308,"x":`, 1))
		}},
		{name: "number beyond float range", token: func() string { return rawToken(rawHeader(), rawPayload(`,"nbf":1e400`)) }, want: ErrMalformed},
		{name: "exp negative", token: func() string { return access(claims(map[string]any{"exp": -1e20})) }, want: jwtverify.ErrExpired},
		{name: "exp zero", token: func() string { return access(claims(map[string]any{"exp": 0})) }, want: jwtverify.ErrExpired},
		{name: "nbf in the future", token: func() string { return access(claims(map[string]any{"nbf": in(time.Minute)})) },
			want: jwtverify.ErrNotYetValid},
		{name: "nbf now", token: func() string { return access(claims(map[string]any{"nbf": in(0)})) }},
		{name: "nbf within grace", token: func() string { return access(claims(map[string]any{"nbf": in(30 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "nbf 1e20", token: func() string { return access(claims(map[string]any{"nbf": 1e20})) }, want: jwtverify.ErrNotYetValid},
		{name: "nbf -1e20", token: func() string { return access(claims(map[string]any{"nbf": -1e20})) }},
		{name: "nbf a string", token: func() string { return access(claims(map[string]any{"nbf": "soon"})) }, want: ErrMalformed},
		{name: "iat a string", token: func() string { return access(claims(map[string]any{"iat": "now"})) }, want: ErrMalformed},
		{name: "auth_time null", token: func() string { return rawToken(rawHeader(), rawPayload(`,"auth_time":null`)) }, want: ErrMalformed},
		{name: "absurd iat is only reported", token: func() string { return access(claims(map[string]any{"iat": -1e300, "auth_time": 1e300})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.IssuedAt.Year() != 1 || c.AuthTime.Year() != 9999 {
					t.Errorf("IssuedAt %v AuthTime %v, want clamped", c.IssuedAt, c.AuthTime)
				}
			}},

		// Token use.
		{name: "ID token refused by access-only pool", token: func() string { return id() },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseAccess} }),
			want: jwtverify.ErrTokenUse},
		{name: "access token refused by ID-only pool", token: func() string { return valid },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseID} }),
			want: jwtverify.ErrTokenUse},
		{name: "token_use missing", token: func() string { return access(claims(map[string]any{"token_use": nil})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use refresh", token: func() string { return access(claims(map[string]any{"token_use": "refresh"})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use not a string", token: func() string { return access(claims(map[string]any{"token_use": 1})) }, want: ErrMalformed},

		// Client id.
		{name: "access token of another client", token: func() string { return testIss.AccessToken("alice", clientB) },
			want: jwtverify.ErrClientID},
		{name: "ID token of another client", token: func() string { return testIss.IDToken("alice", clientB) },
			want: jwtverify.ErrClientID},
		{name: "access token judged by client_id, not aud", token: func() string {
			return testIss.AccessToken("alice", clientB, claims(map[string]any{"aud": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token judged by aud, not client_id", token: func() string {
			return testIss.IDToken("alice", clientB, claims(map[string]any{"client_id": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token aud as a list", token: func() string { return id(claims(map[string]any{"aud": []string{clientA}})) },
			want: ErrMalformed},
		{name: "client_id not a string", token: func() string { return access(claims(map[string]any{"client_id": 5})) }, want: ErrMalformed},
		{name: "second accepted client", token: func() string { return testIss.AccessToken("alice", clientB) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.ClientIDs = []string{clientA, clientB} })},
		{name: "client check skipped", token: func() string { return testIss.IDToken("alice", "anyone") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.ClientIDs, p.SkipClientIDCheck = nil, true })},
		{name: "client-credentials token of an unlisted client", token: func() string { return testIss.ClientCredentialsToken("program", []string{"orders/read"}) },
			want: jwtverify.ErrClientID},
		{name: "client-credentials token of any client, when allowed", token: func() string { return testIss.ClientCredentialsToken("program", []string{"orders/read"}) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true })},
		{name: "user access token of an unlisted client, any client for client credentials", token: func() string { return testIss.AccessToken("alice", "program") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true }), want: jwtverify.ErrClientID},
		{name: "ID token of an unlisted client, any client for client credentials", token: func() string { return testIss.IDToken("alice", "program") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true }), want: jwtverify.ErrClientID},

		// Groups.
		{name: "in a required group", token: func() string { return access(cognitotest.WithGroups("users", "admins")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins", "ops"} })},
		{name: "not in a required group", token: func() string { return access(cognitotest.WithGroups("users")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins"} }), want: jwtverify.ErrGroup},
		{name: "no groups", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins"} }), want: jwtverify.ErrGroup},
		{name: "groups as a string", token: func() string { return access(claims(map[string]any{"cognito:groups": "admins"})) },
			want: ErrMalformed},
		{name: "groups holding a number", token: func() string { return access(claims(map[string]any{"cognito:groups": []any{"a", 1}})) },
			want: ErrMalformed},

		// Scopes.
		{name: "has a required scope", token: func() string { return access(cognitotest.WithScopes("openid", "orders/read")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read", "orders/write"} })},
		{name: "lacks the required scopes", token: func() string { return access(cognitotest.WithScopes("orders/write2")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read", "orders/write"} }), want: jwtverify.ErrScope},
		{name: "scope is not a prefix match", token: func() string { return access(cognitotest.WithScopes("orders/readall")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read"} }), want: jwtverify.ErrScope},
		{name: "ID tokens carry no scope", token: func() string { return id() },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"openid"} }), want: jwtverify.ErrScope},
		{name: "scope as a list", token: func() string { return access(claims(map[string]any{"scope": []string{"a"}})) }, want: ErrMalformed},
		// RFC 6749 §3.3: single spaces between scope-tokens, nothing else.
		// A tab is not a separator: the claim is malformed, not two scopes
		// one of which is required (aws-jwt-verify refuses it too).
		{name: "scopes separated by a tab", token: func() string { return access(claims(map[string]any{"scope": "rs/a	rs/b"})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: ErrMalformed},
		{name: "scopes separated by a tab, no scope required", token: func() string { return access(claims(map[string]any{"scope": "rs/a	rs/b"})) },
			want: ErrMalformed},
		{name: "scopes separated by two spaces", token: func() string { return access(claims(map[string]any{"scope": "rs/a  rs/b"})) },
			want: ErrMalformed},
		{name: "scope with a trailing space", token: func() string { return access(claims(map[string]any{"scope": "rs/b "})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: ErrMalformed},
		{name: "scope with a no-break space", token: func() string { return access(claims(map[string]any{"scope": "rs/a rs/b"})) },
			want: ErrMalformed},
		{name: "scope with a quote", token: func() string { return access(claims(map[string]any{"scope": `rs/"b"`})) },
			want: ErrMalformed},
		// An empty claim holds no scopes, as in aws-jwt-verify: accepted
		// unless a scope is required.
		{name: "empty scope claim", token: func() string { return access(claims(map[string]any{"scope": ""})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.Scopes != nil {
					t.Errorf("Scopes = %q, want none", c.Scopes)
				}
			}},
		{name: "empty scope claim, a scope required", token: func() string { return access(claims(map[string]any{"scope": ""})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: jwtverify.ErrScope},

		// Other claims.
		{name: "sub missing", token: func() string { return access(claims(map[string]any{"sub": nil})) }, want: ErrMalformed},
		{name: "sub a number", token: func() string { return access(claims(map[string]any{"sub": 12})) }, want: ErrMalformed},
		{name: "username a number", token: func() string { return access(claims(map[string]any{"username": 12})) }, want: ErrMalformed},
		{name: "jti an object", token: func() string { return access(claims(map[string]any{"jti": map[string]any{}})) }, want: ErrMalformed},
		{name: "origin_jti a list", token: func() string { return access(claims(map[string]any{"origin_jti": []string{"o"}})) }, want: ErrMalformed},
		{name: "cognito:username a number", token: func() string { return id(claims(map[string]any{"cognito:username": 12})) }, want: ErrMalformed},
		{name: "cognito:username of an access token a number", token: func() string {
			return access(claims(map[string]any{"cognito:username": 12}))
		}, want: ErrMalformed},
		{name: "aud of an access token a number", token: func() string { return access(claims(map[string]any{"aud": 12})) }, want: ErrMalformed},
		{name: "auth_time a string", token: func() string { return access(claims(map[string]any{"auth_time": "1"})) }, want: ErrMalformed},
		{name: "exp true", token: func() string { return access(claims(map[string]any{"exp": true})) }, want: ErrMalformed},
		{name: "payload not JSON", token: func() string { return rawToken(rawHeader(), `exp`) }, want: ErrMalformed},
		{name: "payload is a string", token: func() string { return rawToken(rawHeader(), `"x"`) }, want: ErrMalformed},
		{name: "payload trailing data", token: func() string { return rawToken(rawHeader(), rawPayload("")+"x") }, want: ErrMalformed},
		{name: "duplicate exp", token: func() string { return rawToken(rawHeader(), rawPayload(`,"exp":1`)) }, want: ErrMalformed},
		{name: "duplicate sub through an escape", token: func() string { return rawToken(rawHeader(), rawPayload(`,"\u0073ub":"s-2"`)) },
			want: ErrMalformed},
		{name: "duplicate through a surrogate pair", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"😀":1,"\ud83d\ude00":2`))
		}, want: ErrMalformed},
		{name: "duplicate in a nested object", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":{"a":1,"b":{"c":1,"c":2}}`)) },
			want: ErrMalformed},
		{name: "duplicate in an object inside a list", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":[{"a":1,"a":1}]`)) },
			want: ErrMalformed},
		{name: "same name in sibling objects is fine", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"x":{"a":1},"y":{"a":1},"z":[{"a":1},{"a":2}]`))
		}},
		{name: "names differing only in case are fine", token: func() string { return rawToken(rawHeader(), rawPayload(`,"Exp":1`)) }},
		{name: "lone surrogate", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":"\ud800"`)) }, want: ErrMalformed},
		{name: "invalid UTF-8", token: func() string { return rawToken(rawHeader(), rawPayload(",\"x\":\"\xff\"")) }, want: ErrMalformed},
		{name: "deep nesting", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)))
		}, want: ErrMalformed},

		// Custom check.
		{name: "custom check accepts", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) {
				p.Check = func(_ context.Context, c *jwtverify.Claims) error { return nil }
			})},
	}
}

func TestVerifyRules(t *testing.T) {
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			v := mustNew(t, cfg)
			tok := tc.token()
			c, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.want)
			}
			checkErrorContract(t, tok, c, err)
			if err == nil && tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestVerifyRulesCached runs the table with the token cache on: every rule
// holds on the first sight of a token and again when it is seen a second
// time (a hit when the first was accepted), with the same claims.
func TestVerifyRulesCached(t *testing.T) {
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			cfg.TokenCacheSize = 4
			v := mustNew(t, cfg)
			tok := tc.token()
			var first *jwtverify.Claims
			for i := range 2 {
				c, err := v.Verify(context.Background(), tok)
				if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
					t.Fatalf("Verify #%d: err = %v, want %v", i+1, err, tc.want)
				}
				checkErrorContract(t, tok, c, err)
				if err == nil && tc.check != nil {
					tc.check(t, c)
				}
				if i == 0 {
					first = c
				} else if !reflect.DeepEqual(c, first) {
					t.Fatalf("second sight: %+v, first %+v", c, first)
				}
			}
			if cached := jwtverify.CacheLen(v); (tc.want == nil) != (cached == 1) {
				t.Fatalf("cache holds %d tokens after err %v", cached, tc.want)
			}
		})
	}
}

// checkErrorContract checks what every Verify result must satisfy.
func checkErrorContract(t *testing.T, tok string, c *jwtverify.Claims, err error) {
	t.Helper()
	if err == nil {
		if c == nil {
			t.Fatal("nil claims without an error")
		}
		return
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("error %q wraps %d sentinels, want exactly 1", err, n)
	}
	for _, s := range preSignature {
		if errors.Is(err, s) && c != nil {
			t.Errorf("claims returned with %v, before the signature verified", err)
		}
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
