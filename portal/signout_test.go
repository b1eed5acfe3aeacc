package portal_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// TestSignOutOnMoto: POST /auth/sign-out end to end on moto_server, which
// has GlobalSignOut (cognito-local 5.3.0 does not). The people's pool is
// on a moto of the test's own, in us-east-1: moto reads an unsigned
// GlobalSignOut's region from nothing and looks only there. Its tokens
// name Cognito's real issuer, so the verifier is given it with moto's
// JWKS URL. The mapping is the shared moto's DynamoDB.
//
// Sign-out refuses the tokens issued before it at the authorizer and the
// portal (signed_out); a sign-in from the next whole second on is
// admitted; recording failing after Cognito's sign-out answers 503
// sign_out_not_recorded and a retry with the same token completes it; a
// retry after success answers 204; another person is not signed out (API
// clients are untouched: TestIdentityChecks in package authorizer).
func TestSignOutOnMoto(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := localservices.StartMoto(t)
	idp := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})})
	pool, err := userpool.Create(ctx, idp, "portal-sign-out")
	must(t, err)
	clientID, secret, err := pool.Client(ctx, "web", true)
	must(t, err)
	pw := "Pw-" + rand.Text() + "1!"
	for _, n := range []string{"ivy", "jon"} {
		must(t, pool.User(ctx, n, pw))
	}
	// nia may use the portal but has not yet: no mapping.
	must(t, pool.Group(ctx, group))
	must(t, pool.User(ctx, "nia", pw, group))
	vctx, vcancel := context.WithCancel(context.Background())
	t.Cleanup(vcancel)
	v, err := jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
		UserPoolID: pool.ID, ClientIDs: []string{clientID},
		Issuer:  "https://cognito-idp.us-east-1.amazonaws.com/" + pool.ID,
		JWKSURL: m.URL + "/" + pool.ID + "/.well-known/jwks.json", InsecureHTTP: true,
		TokenUses:                     []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
		AnyClientForClientCredentials: true,
	}}})
	must(t, err)
	auth, err := cognitoauth.New(cognitoauth.Config{API: idp, UserPoolID: pool.ID, ClientID: clientID, ClientSecret: secret})
	must(t, err)
	ivy, err := f.store.CreateUser(f.ctx, "", pool.ID, "ivy", pool.MustSub(t, "ivy"), mapping.KindUser)
	must(t, err)
	_, err = f.store.CreateUser(f.ctx, "", pool.ID, "jon", pool.MustSub(t, "jon"), mapping.KindUser)
	must(t, err)
	h := f.handler(func(c *portal.Config) { c.Auth, c.Verifier = auth, v })
	authz, err := authorizer.New(authorizer.Config{Verifier: v, Directory: f.store})
	must(t, err)
	decide := func(token string) authorizer.Decision {
		return authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders"})
	}
	signIn := func(name string) (id, access string) {
		t.Helper()
		r := f.do(h, "POST", "/auth/sign-in", "", `{"username":"`+name+`","password":"`+pw+`"}`)
		if r.status != http.StatusOK {
			t.Fatalf("sign-in %s: %d %s", name, r.status, r.body)
		}
		return r.str("id_token"), r.str("access_token")
	}
	var secrets []string

	oldID, oldAccess := signIn("ivy")
	secrets = append(secrets, oldID, oldAccess)
	if d := decide(oldID); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != ivy.InternalID {
		t.Fatalf("before sign-out: %v %s", d.Outcome, d.Reason)
	}
	for _, tt := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "unauthenticated"},
		{"ID token", oldID, 400, "access_token_required"},
		{"tampered", oldAccess + "x", 401, "unauthenticated"},
	} {
		if r := f.do(h, "POST", "/auth/sign-out", tt.token, ""); r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}

	r := f.do(h, "POST", "/auth/sign-out", oldAccess, "")
	signedOutBy := time.Now()
	if r.status != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", r.status, r.body)
	}
	for _, tok := range []string{oldID, oldAccess} {
		if d := decide(tok); d.Outcome != authorizer.OutcomeUnauthorized || d.Reason != authorizer.ReasonSignedOut {
			t.Errorf("old token after sign-out: %v %s", d.Outcome, d.Reason)
		}
	}
	if r := f.do(h, "POST", "/auth/sign-out", oldAccess, ""); r.status != http.StatusNoContent {
		t.Errorf("sign-out again with the old token: %d %s", r.status, r.body)
	}
	// A sign-in in the sign-out's second would be refused: wait for the
	// next whole second by the clock, then sign in again.
	userpool.WaitForSecond(mapping.SignOutSecond(signedOutBy))
	newID, newAccess := signIn("ivy")
	secrets = append(secrets, newID, newAccess)
	if d := decide(newID); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != ivy.InternalID {
		t.Fatalf("fresh sign-in after sign-out: %v %s", d.Outcome, d.Reason)
	}
	// jon was not signed out.
	jonID, jonAccess := signIn("jon")
	secrets = append(secrets, jonID, jonAccess)
	if d := decide(jonID); d.Outcome != authorizer.OutcomeAllow {
		t.Fatalf("jon: %v %s", d.Outcome, d.Reason)
	}

	// Recording fails after Cognito signed jon out: 503, nothing recorded;
	// the retry with the same token (Cognito no longer accepts it)
	// records it.
	broken := f.handler(func(c *portal.Config) {
		c.Auth, c.Verifier = auth, v
		c.Directory = &faultyDirectory{Store: f.store, failSignOut: mapping.ErrUnavailable}
	})
	if r := f.do(broken, "POST", "/auth/sign-out", jonAccess, ""); r.status != http.StatusServiceUnavailable || r.errorCode() != "sign_out_not_recorded" {
		t.Fatalf("sign-out with the store failing: %d %s", r.status, r.body)
	}
	if d := decide(jonID); d.Outcome != authorizer.OutcomeAllow {
		t.Fatalf("jon after the half sign-out: %v %s", d.Outcome, d.Reason)
	}
	if r := f.do(h, "POST", "/auth/sign-out", jonAccess, ""); r.status != http.StatusNoContent {
		t.Fatalf("retried sign-out: %d %s", r.status, r.body)
	}
	if d := decide(jonID); d.Reason != authorizer.ReasonSignedOut {
		t.Fatalf("jon after the retried sign-out: %v %s", d.Outcome, d.Reason)
	}
	// nia signs out before her first use: she is bound now and signed
	// out, so a first use with her old token cannot bind and pass.
	niaID, niaAccess := signIn("nia")
	secrets = append(secrets, niaID, niaAccess)
	if r := f.do(h, "POST", "/auth/sign-out", niaAccess, ""); r.status != http.StatusNoContent {
		t.Fatalf("nia's sign-out: %d %s", r.status, r.body)
	}
	if u, err := f.store.UserByUsername(f.ctx, pool.ID, "nia"); err != nil || u.SignedOut == 0 || u.Sub != pool.MustSub(t, "nia") {
		t.Fatalf("nia after signing out before first use: %+v, %v", u, err)
	}
	if r := f.do(h, "GET", "/clients", niaID, ""); r.status != http.StatusUnauthorized || r.errorCode() != "signed_out" {
		t.Fatalf("nia's old token on first use: %d %s", r.status, r.body)
	}
	logscan.NoSecrets(t, f.logs.String(), append(secrets, pw, secret)...)
}
