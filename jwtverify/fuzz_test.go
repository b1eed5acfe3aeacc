package jwtverify_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// FuzzVerify feeds arbitrary strings to Verify (with the token cache on, so
// hits are exercised too). It must never panic, and must never accept a token,
// or return claims, unless the token carries a valid signature of the pool's
// key, as checked here independently of the package; returned scopes must
// come from a claim that follows RFC 6749's grammar.
func FuzzVerify(f *testing.F) {
	valid := access(cognitotest.WithGroups("admins"))
	s := segments(valid)
	for _, seed := range []string{
		valid,
		id(),
		testIss.ClientCredentialsToken(clientA, []string{"orders/read"}),
		access(cognitotest.WithExpiry(-time.Hour)),
		testIss.AccessToken("alice", clientB),
		access(cognitotest.SignWithUnknownKey()),
		access(cognitotest.WithKID("other")),
		access(header(map[string]any{"alg": "none"})),
		access(header(map[string]any{"alg": "HS256"})),
		access(header(map[string]any{"crit": []string{"b64"}, "b64": false})),
		access(claims(map[string]any{"exp": 1e20, "nbf": -1e20})),
		access(claims(map[string]any{"scope": "rs/a\trs/b"})),
		access(claims(map[string]any{"scope": "rs/a  rs/b "})),
		access(claims(map[string]any{"scope": ""})),
		rawToken(rawHeader(), rawPayload(`,"exp":1`)),
		rawToken(rawHeader(), rawPayload(`,"x":{"a":[1,{"b":"\u00e9"}]}`)),
		withTrailingBits(valid),
		s[0] + "." + s[1] + ".",
		s[0] + ".." + s[2],
		"Bearer " + valid,
		valid + "\n",
		"",
		"...",
		"e30.e30.e30",
	} {
		f.Add(seed)
	}
	cfg := baseConfig(f)
	cfg.TokenCacheSize = 16
	cfg.Pools[0].TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess}
	v := mustNew(f, cfg)
	pub := testIss.PublicKey()
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if err == nil && c == nil {
			t.Fatal("accepted without claims")
		}
		if c == nil {
			return
		}
		if !signedBy(pub, tok) {
			t.Fatalf("claims returned (err %v) for a token without a valid signature: %q", err, tok)
		}
		if err == nil && (c.Issuer != testIss.IssuerURL() || c.ClientID != clientA || !c.ExpiresAt.After(testNow)) {
			t.Fatalf("accepted claims that break the configuration: %+v", c)
		}
		// Scopes come only from a claim of RFC 6749's grammar, read as
		// single-space separated.
		scope, _ := c.Raw()["scope"].(string)
		if !scopeGrammar.MatchString(scope) || strings.Join(c.Scopes, " ") != scope {
			t.Fatalf("scopes %q from the claim %q", c.Scopes, scope)
		}
	})
}

// signedBy reports whether tok is "<input>.<sig>" with sig a valid RS256
// signature of input by pub.
func signedBy(pub *rsa.PublicKey, tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return false
	}
	h := sha256.Sum256([]byte(tok[:i]))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
}
