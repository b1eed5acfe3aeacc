package clientcredentials_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/demo/clientcredentials"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.CognitoIDP))
}

// Tokens from the stand-in verify against cognito-local's own JWKS and
// issuer, carry the client-credentials shape, and stop once the client is
// deleted.
func TestClientCredentialsGrant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := userpool.OnCognitoLocal(ctx, t, "m2m")
	idp := pool.API
	poolID := pool.ID
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                      aws.String(poolID),
		ClientName:                      aws.String("program"),
		GenerateSecret:                  true,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              []string{"orders/read", "orders/write"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := *client.UserPoolClient.ClientId, aws.ToString(client.UserPoolClient.ClientSecret)

	module, err := localservices.CognitoLocalModule()
	if err != nil {
		t.Fatal(err)
	}
	key, kid, err := clientcredentials.CognitoLocalKey(module)
	if err != nil {
		t.Fatal(err)
	}
	issuer := pool.LocalIssuer()
	ep, err := clientcredentials.New(clientcredentials.Config{Cognito: idp, UserPoolID: poolID, Issuer: issuer, Key: key, KID: kid})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	srv := httptest.NewServer(ep)
	defer srv.Close()

	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
		UserPoolID: poolID, TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseAccess},
		ClientIDs: []string{id}, Issuer: issuer, InsecureHTTP: true,
	}}})
	if err != nil {
		t.Fatal(err)
	}

	post := func(form url.Values, basicID, basicSecret string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basicID != "" {
			req.SetBasicAuth(basicID, basicSecret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	grant := url.Values{"grant_type": {"client_credentials"}}

	status, body := post(grant, id, secret)
	if status != http.StatusOK {
		t.Fatalf("grant: %d %v", status, body)
	}
	claims, err := v.Verify(ctx, body["access_token"].(string))
	if err != nil {
		t.Fatalf("the minted token does not verify against cognito-local's keys: %v", err)
	}
	if !claims.IsClientCredentials() || claims.ClientID != id || !claims.HasScope("orders/write") {
		t.Errorf("claims %+v", claims)
	}

	status, body = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"orders/read"}}, "", "")
	if status != http.StatusOK {
		t.Fatalf("grant with form credentials: %d %v", status, body)
	}
	if claims, err := v.Verify(ctx, body["access_token"].(string)); err != nil || claims.HasScope("orders/write") || !claims.HasScope("orders/read") {
		t.Errorf("narrowed scope: %+v, %v", claims, err)
	}

	for _, tc := range []struct {
		name       string
		form       url.Values
		id, secret string
		status     int
		code       string
	}{
		{"wrong secret", grant, id, secret + "x", 401, "invalid_client"},
		{"unknown client", grant, "nope", secret, 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"other grant", url.Values{"grant_type": {"password"}}, id, secret, 400, "unsupported_grant_type"},
		{"scope not allowed", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, id, secret, 400, "invalid_scope"},
		{"scope with a tab", url.Values{"grant_type": {"client_credentials"}, "scope": {"orders/read\torders/write"}}, id, secret, 400, "invalid_scope"},
		{"scope with a doubled space", url.Values{"grant_type": {"client_credentials"}, "scope": {"orders/read  orders/read"}}, id, secret, 400, "invalid_scope"},
	} {
		if status, body := post(tc.form, tc.id, tc.secret); status != tc.status || body["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}

	if _, err := idp.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if status, body := post(grant, id, secret); status != http.StatusUnauthorized {
		t.Errorf("a deleted client got %d %v", status, body)
	}
}

// With a key of its own (the demo's people's pool on moto_server, whose key
// the demo cannot load), the endpoint's JWKS serves the pool's keys and its
// own: one keys URL verifies the pool's own tokens (a person's, signed by
// cognito-local here) and the minted ones. When the
// pool's keys cannot be read, JWKS answers 502 and the verifier refuses.
func TestOwnKeyPublishedWithThePools(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := userpool.OnCognitoLocal(ctx, t, "own-key")
	idp := pool.API
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(pool.ID), ClientName: aws.String("program"), GenerateSecret: true,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthScopes: []string{"orders/read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := *client.UserPoolClient.ClientId, aws.ToString(client.UserPoolClient.ClientSecret)
	webID, _, err := pool.Client(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	password := "Pw-" + rand.Text() + "1!"
	if err := pool.User(ctx, "ann", password); err != nil {
		t.Fatal(err)
	}
	person, err := pool.SignIn(ctx, webID, "ann", password)
	if err != nil {
		t.Fatal(err)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	poolKeys := pool.LocalIssuer() + "/.well-known/jwks.json"
	newServer := func(poolJWKS string) (*httptest.Server, *jwtverify.Verifier) {
		t.Helper()
		ep, err := clientcredentials.New(clientcredentials.Config{
			Cognito: idp, UserPoolID: pool.ID, Issuer: pool.LocalIssuer(), Key: key, KID: "own", PoolJWKSURL: poolJWKS,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ep.Close)
		mux := http.NewServeMux()
		mux.Handle("POST /oauth2/token", ep)
		mux.Handle("/jwks", ep.JWKS())
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
			UserPoolID: pool.ID, TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseAccess},
			ClientIDs: []string{id, webID}, Issuer: pool.LocalIssuer(), JWKSURL: srv.URL + "/jwks", InsecureHTTP: true,
		}}})
		if err != nil {
			t.Fatal(err)
		}
		return srv, v
	}
	grant := func(srv *httptest.Server) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		tok, _ := body["access_token"].(string)
		if resp.StatusCode != http.StatusOK || tok == "" {
			t.Fatalf("grant: %d %v", resp.StatusCode, body)
		}
		return tok
	}

	srv, v := newServer(poolKeys)
	minted := grant(srv)
	if c, err := v.Verify(ctx, minted); err != nil || !c.IsClientCredentials() || c.ClientID != id {
		t.Errorf("the minted token through the merged keys: %+v, %v", c, err)
	}
	if c, err := v.Verify(ctx, aws.ToString(person.AccessToken)); err != nil || c.Username != "ann" {
		t.Errorf("the pool's own token through the merged keys: %+v, %v", c, err)
	}
	if resp, err := http.Post(srv.URL+"/jwks", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to the keys: %v %v", resp, err)
	}

	// The pool's keys unreachable: 502, and the verifier refuses even the
	// minted token rather than trust a partial set.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	srv, v = newServer(down.URL + "/jwks.json")
	resp, err := http.Get(srv.URL + "/jwks")
	if err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("keys with the pool's unreachable: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := v.Verify(ctx, grant(srv)); err == nil {
		t.Error("a token verified while the keys URL answered 502")
	}
}
