package clientcredentials_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
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
	localservices.Require(t, localservices.CognitoIDP)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp := cip.NewFromConfig(awsCfg)
	pool, err := userpool.Create(ctx, idp, "m2m")
	if err != nil {
		t.Fatal(err)
	}
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
