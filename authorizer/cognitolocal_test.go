package authorizer

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TestRealCognitoLocalTokens decides on tokens a real Cognito stand-in
// issued (cognito-local), through the JWKS it serves, with the mapping on
// moto_server.
func TestRealCognitoLocalTokens(t *testing.T) {
	localservices.Require(t, localservices.CognitoIDP, localservices.DynamoDB)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp := cip.NewFromConfig(cfg)
	p, err := userpool.Create(ctx, idp, "authorizer-test")
	if err != nil {
		t.Fatal(err)
	}
	pool := p.ID
	client, _, err := p.Client(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	const password = "Correct-Horse-Battery-9"
	for _, name := range []string{"dana", "eve"} {
		if err := p.User(ctx, name, password); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(name string) *types.AuthenticationResultType {
		res, err := p.SignIn(ctx, client, name, password)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	issuer := p.LocalIssuer()
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// cognito-local names pools "local_<id>", which jwtverify refuses as a
	// pool id; the id only picks the default issuer and JWKS URL, both set
	// here, so a well-formed stand-in id is used.
	poolID := pool
	if _, rest, ok := strings.Cut(pool, "_"); ok && strings.HasPrefix(pool, "local_") {
		poolID = "us-east-1_" + rest
	}
	v, err := jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
		UserPoolID: poolID, ClientIDs: []string{client},
		TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
		Issuer:    issuer, JWKSURL: issuer + "/.well-known/jwks.json", InsecureHTTP: strings.HasPrefix(issuer, "http://"),
	}}, TokenCacheSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(t, -1)
	if _, err := store.CreateUser(ctx, "u-dana", poolID, "dana", p.MustSub(t, "dana"), mapping.KindUser); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Verifier: v, Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}

	dana, eve := signIn("dana"), signIn("eve")
	for _, tc := range []struct {
		name, auth, method, path string
		want                     Outcome
		reason                   string
	}{
		{"id token", "Bearer " + *dana.IdToken, "GET", "/profile", OutcomeAllow, ReasonOK},
		{"access token", "bearer " + *dana.AccessToken, "GET", "/profile", OutcomeAllow, ReasonOK},
		{"needs a group", "Bearer " + *dana.AccessToken, "GET", "/admin/x", OutcomeForbidden, ReasonMissingGroup},
		{"unmapped user", "Bearer " + *eve.IdToken, "GET", "/profile", OutcomeUnauthorized, ReasonUnmapped},
		{"tampered", "Bearer " + tamper(*dana.IdToken), "GET", "/profile", OutcomeUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := a.Decide(ctx, Request{Authorization: tc.auth, Method: tc.method, Path: tc.path})
			if d.Outcome != tc.want || (tc.reason != "" && d.Reason != tc.reason) {
				t.Fatalf("Decide = %v/%s, want %v/%s", d.Outcome, d.Reason, tc.want, tc.reason)
			}
			if tc.want == OutcomeAllow && (d.Identity.InternalID != "u-dana" || d.Identity.Kind != CallerUser || d.Identity.Username != "dana") {
				t.Fatalf("identity %+v", d.Identity)
			}
		})
	}

	// A name freed and taken again: dana and the partner user acme are
	// deleted in Cognito without `gatehouse users remove`, and new users
	// take their names (new subs). Their tokens are refused, never given
	// the old internal ids; the old users' tokens still verify and pass
	// (deleting a user in Cognito does not reach issued tokens: sign-out
	// does, see TestSignOutReachesAuthorizer).
	if err := p.User(ctx, "acme", password); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateUser(ctx, "p-acme", poolID, "acme", p.MustSub(t, "acme"), mapping.KindPartner); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, internalID string
		kind             CallerKind
	}{{"dana", "u-dana", CallerUser}, {"acme", "p-acme", CallerPartner}} {
		before := signIn(c.name)
		d := a.Decide(ctx, Request{Authorization: "Bearer " + *before.IdToken, Method: "GET", Path: "/profile"})
		if d.Outcome != OutcomeAllow || d.Identity.InternalID != c.internalID || d.Identity.Kind != c.kind {
			t.Fatalf("%s before re-creation: %v %s %+v", c.name, d.Outcome, d.Reason, d.Identity)
		}
		oldSub := p.MustSub(t, c.name)
		if _, err := idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &pool, Username: &c.name}); err != nil {
			t.Fatal(err)
		}
		if err := p.User(ctx, c.name, password); err != nil {
			t.Fatal(err)
		}
		if p.MustSub(t, c.name) == oldSub {
			t.Fatalf("cognito-local gave the re-created %s the old sub", c.name)
		}
		after := signIn(c.name)
		for _, tok := range []string{*after.IdToken, *after.AccessToken} {
			d := a.Decide(ctx, Request{Authorization: "Bearer " + tok, Method: "GET", Path: "/profile"})
			if d.Outcome != OutcomeUnauthorized || d.Reason != ReasonIdentityRebound || d.Identity != nil {
				t.Errorf("re-created %s: %v %s %+v", c.name, d.Outcome, d.Reason, d.Identity)
			}
		}
	}
}

// tamper changes one character of the claims segment.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) < 10 {
		return token + "x"
	}
	b := []byte(parts[1])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}
