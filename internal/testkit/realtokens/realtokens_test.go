package realtokens

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.CognitoIDP, localservices.DynamoDB))
}

// signedIn provisions a pool, a client and a user on the Cognito endpoint
// behind idp, signs the user in and returns the pool id, client id and tokens.
func signedIn(t *testing.T, ctx context.Context, idp *cip.Client, username string, groups ...string) (string, string, *types.AuthenticationResultType) {
	t.Helper()
	pool, err := userpool.Create(ctx, idp, "realtokens-"+rand.Text()[:8])
	if err != nil {
		t.Fatal(err)
	}
	clientID, _, err := pool.Client(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if err := pool.Group(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	password := "Pw-" + rand.Text() + "1!"
	if err := pool.User(ctx, username, password, groups...); err != nil {
		t.Fatal(err)
	}
	tokens, err := pool.SignIn(ctx, clientID, username, password)
	if err != nil {
		t.Fatal(err)
	}
	return pool.ID, clientID, tokens
}

// checkTokens verifies a real ID and access token under pool, and makes sure
// the usual refusals hold for them too.
func checkTokens(t *testing.T, ctx context.Context, pool jwtverify.PoolConfig, username, clientID string, tokens *types.AuthenticationResultType, groups []string) {
	t.Helper()
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Hydrate(ctx); err != nil {
		t.Fatalf("hydrate: %v", err)
	}
	id, err := v.Verify(ctx, *tokens.IdToken)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if id.Username != username || id.ClientID != clientID || id.TokenUse != jwtverify.TokenUseID || id.IsClientCredentials() {
		t.Errorf("ID token claims: %+v", id)
	}
	for _, g := range groups {
		if !id.InGroup(g) {
			t.Errorf("ID token lacks group %q: %v", g, id.Groups)
		}
	}
	access, err := v.Verify(ctx, *tokens.AccessToken)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	if access.Username != username || access.ClientID != clientID || access.TokenUse != jwtverify.TokenUseAccess || access.IsClientCredentials() {
		t.Errorf("access token claims: %+v", access)
	}

	// The same real token under a stricter configuration.
	strict := pool
	strict.ClientIDs = []string{"another-client"}
	sv, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{strict}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Verify(ctx, *tokens.IdToken); !errors.Is(err, jwtverify.ErrClientID) {
		t.Errorf("ID token for another client: %v, want ErrClientID", err)
	}
	later := jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}, Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	lv, err := jwtverify.New(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Verify(ctx, *tokens.AccessToken); !errors.Is(err, jwtverify.ErrExpired) {
		t.Errorf("access token two days later: %v, want ErrExpired", err)
	}
	// A real refresh token is not a JWS at all.
	if tokens.RefreshToken != nil {
		if _, err := v.Verify(ctx, *tokens.RefreshToken); err == nil {
			t.Error("a refresh token verified")
		}
	}
}

func TestCognitoLocalTokens(t *testing.T) {
	localservices.Require(t, localservices.CognitoIDP)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := localservices.Endpoint(localservices.CognitoIDP)
	poolID, clientID, tokens := signedIn(t, ctx, cip.NewFromConfig(cfg), "alice", "api-users")

	// cognito-local issues as http://<host>:<port>/<pool> and serves the
	// keys under that issuer.
	checkTokens(t, ctx, jwtverify.PoolConfig{
		UserPoolID:   poolID,
		TokenUses:    []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
		ClientIDs:    []string{clientID},
		Issuer:       strings.TrimRight(endpoint, "/") + "/" + poolID,
		InsecureHTTP: true,
	}, "alice", clientID, tokens, []string{"api-users"})
}

func TestMotoTokens(t *testing.T) {
	// moto is started for this test alone: cognito-local answers the
	// package's Cognito endpoint.
	moto := startMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp := cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(moto) })
	poolID, clientID, tokens := signedIn(t, ctx, idp, "bob")

	// moto issues with the real Cognito issuer (the default) but serves the
	// keys on its own host.
	checkTokens(t, ctx, jwtverify.PoolConfig{
		UserPoolID:   poolID,
		TokenUses:    []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
		ClientIDs:    []string{clientID},
		JWKSURL:      moto + "/" + poolID + "/.well-known/jwks.json",
		InsecureHTTP: true,
	}, "bob", clientID, tokens, nil)
}

// startMoto returns the moto endpoint: AWS_ENDPOINT_URL when the developer
// set one, else a moto_server this test starts through the harness.
func startMoto(t *testing.T) string {
	t.Helper()
	localservices.Require(t, localservices.DynamoDB)
	endpoint := localservices.Endpoint(localservices.DynamoDB)
	// Make sure it is moto: its JWKS path is moto's own.
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.JoinPath("moto-api").String() + "/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Skipf("the DynamoDB endpoint %s is not moto_server: moto token shapes not tested", endpoint)
	}
	resp.Body.Close()
	return endpoint
}
