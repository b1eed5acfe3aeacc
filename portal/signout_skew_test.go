package portal_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// signedOutAtCognito is Cognito's GlobalSignOut answering yes: an
// in-process stand-in, because the tokens here come from a
// cognitotest.Issuer (to set "iat"), which no local Cognito knows.
type signedOutAtCognito struct{ portal.Authenticator }

func (signedOutAtCognito) GlobalSignOut(context.Context, string) error { return nil }

// TestSignOutClockBehindCognito: Gatehouse's clock runs behind Cognito's,
// so the token a person signs out with was issued ("iat", Cognito's clock)
// after Gatehouse's now. The sign-out recorded must still refuse that very
// token, and every token issued before it, at the authorizer.
func TestSignOutClockBehindCognito(t *testing.T) {
	f := newFixture(t)
	is, err := cognitotest.NewIssuer()
	must(t, err)
	t.Cleanup(is.Close)
	pc := is.PoolConfig(jwtverify.TokenUseID, jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{"web"}
	vctx, vcancel := context.WithCancel(context.Background())
	t.Cleanup(vcancel)
	v, err := jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}})
	must(t, err)
	_, err = f.store.CreateUser(f.ctx, "", is.UserPoolID(), "kai", is.Sub("kai"), mapping.KindUser)
	must(t, err)
	h := f.handler(func(c *portal.Config) { c.Auth, c.Verifier = signedOutAtCognito{c.Auth}, v })
	authz, err := authorizer.New(authorizer.Config{Verifier: v, Directory: f.store})
	must(t, err)

	for _, ahead := range []time.Duration{0, 1500 * time.Millisecond, 30 * time.Second} {
		iat := time.Now().Add(ahead).Truncate(time.Second)
		access := is.AccessToken("kai", "web", cognitotest.WithTimes(iat, time.Hour))
		id := is.IDToken("kai", "web", cognitotest.WithTimes(iat, time.Hour))
		for _, tok := range []string{access, id} {
			if d := authz.Decide(f.ctx, authorizer.Request{Authorization: "Bearer " + tok, Method: "GET", Path: "/"}); d.Outcome != authorizer.OutcomeAllow {
				t.Fatalf("Cognito %v ahead: before the sign-out: %+v", ahead, d)
			}
		}
		if r := f.do(h, "POST", "/auth/sign-out", access, ""); r.status != http.StatusNoContent {
			t.Fatalf("Cognito %v ahead: sign-out: %d %s", ahead, r.status, r.body)
		}
		for _, tok := range []string{access, id} {
			if d := authz.Decide(f.ctx, authorizer.Request{Authorization: "Bearer " + tok, Method: "GET", Path: "/"}); d.Reason != authorizer.ReasonSignedOut {
				t.Errorf("Cognito %v ahead: a token issued before the sign-out still passes: %+v", ahead, d)
			}
		}
	}
}
