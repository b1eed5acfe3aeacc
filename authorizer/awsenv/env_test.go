package awsenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/apigateway"
	"github.com/gatehouse-auth/gatehouse/authorizer/internal/authtest"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB))
}

// The fixtures shared with the decision core's tests.
const (
	webClient = authtest.WebClient
	m2mClient = authtest.M2MClient
)

var (
	newStore      = authtest.NewStore
	populate      = authtest.Populate
	newIssuer     = authtest.NewIssuer
	jsonLines     = authtest.JSONLines
	newTestLogger = authtest.NewTestLogger
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		EnvUserPoolID: "eu-west-1_AbCdEf123",
		EnvClientIDs:  "web-client, m2m-client",
		EnvTable:      "gatehouse",
	}
}

func TestConfigFromEnv(t *testing.T) {
	e, err := ConfigFromEnv(envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	pool := e.Verifier.First()
	if pool.UserPoolID != "eu-west-1_AbCdEf123" || strings.Join(pool.ClientIDs, ",") != "web-client,m2m-client" ||
		len(pool.TokenUses) != 2 || !pool.AnyClientForClientCredentials || len(e.Verifier.Pools) != 1 ||
		e.Table != "gatehouse" || e.Verifier.TokenCacheSize != DefaultTokenCacheSize ||
		!e.MetricsEnabled || e.HTTPAPIResponse != apigateway.HTTPAPISimple || e.ResponseBudget != authorizer.DefaultResponseBudget || len(e.Rules) != 0 {
		t.Fatalf("defaults: %+v", e)
	}

	two := validEnv()
	two["GATEHOUSE_PARTNER_USER_POOL_ID"], two["GATEHOUSE_PARTNER_CLIENT_IDS"] = "eu-west-1_Partners", "partner-client"
	e, err = ConfigFromEnv(envOf(two))
	if err != nil {
		t.Fatal(err)
	}
	if p := e.Verifier.Pools; len(p) != 2 || p[1].UserPoolID != "eu-west-1_Partners" || len(p[1].TokenUses) != 1 ||
		p[1].TokenUses[0] != "id" || p[1].AnyClientForClientCredentials || len(p[0].TokenUses) != 2 {
		t.Fatalf("two pools: %+v", p)
	}
	delete(two, "GATEHOUSE_PARTNER_CLIENT_IDS")
	if _, err := ConfigFromEnv(envOf(two)); err == nil || !strings.Contains(err.Error(), "GATEHOUSE_PARTNER_CLIENT_IDS") {
		t.Errorf("partners' pool without clients: %v", err)
	}

	rulesFile := filepath.Join(t.TempDir(), "routes.json")
	if err := os.WriteFile(rulesFile, []byte(`[{"method":"GET","path":"/a/*","scopes":["s"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	const rules = `[{"method":"GET","path":"/x","groups":["g"]}]`
	for _, tc := range []struct {
		name    string
		set     map[string]string
		wantErr string // the variable the message must name; "" for success
		httpAPI apigateway.HTTPAPIResponse
	}{
		{"no pool", map[string]string{EnvUserPoolID: ""}, EnvUserPoolID, ""},
		{"no clients", map[string]string{EnvClientIDs: ""}, EnvClientIDs, ""},
		{"skip client check", map[string]string{EnvClientIDs: "", EnvSkipClientIDCheck: "true"}, "", ""},
		{"skip and clients", map[string]string{EnvSkipClientIDCheck: "true"}, EnvClientIDs, ""},
		{"bad bool", map[string]string{EnvSkipClientIDCheck: "yes please"}, EnvSkipClientIDCheck, ""},
		{"bad token use", map[string]string{EnvTokenUses: "id,refresh"}, EnvTokenUses, ""},
		{"access only", map[string]string{EnvTokenUses: "access"}, "", ""},
		{"no table", map[string]string{EnvTable: ""}, EnvTable, ""},
		{"bad routes", map[string]string{EnvRoutes: `[{"method":"GET","path":"x"}]`}, EnvRoutes, ""},
		{"routes", map[string]string{EnvRoutes: rules}, "", ""},
		{"routes file", map[string]string{EnvRoutesFile: rulesFile}, "", ""},
		{"missing routes file", map[string]string{EnvRoutesFile: rulesFile + ".nope"}, EnvRoutesFile, ""},
		{"both routes", map[string]string{EnvRoutes: `[]`, EnvRoutesFile: rulesFile}, EnvRoutes, ""},
		{"bad cache size", map[string]string{EnvTokenCacheSize: "-1"}, EnvTokenCacheSize, ""},
		{"bad ttl", map[string]string{EnvMappingCacheTTL: "a minute"}, EnvMappingCacheTTL, ""},
		{"bad skew", map[string]string{EnvClockSkew: "-5s"}, EnvClockSkew, ""},
		{"bad http api response", map[string]string{EnvHTTPAPIResponse: "fancy"}, EnvHTTPAPIResponse, ""},
		{"policy http api response", map[string]string{EnvHTTPAPIResponse: "policy"}, "", apigateway.HTTPAPIPolicy},
		{"simple http api response", map[string]string{EnvHTTPAPIResponse: "simple"}, "", apigateway.HTTPAPISimple},
		// With rules, policy is the default and plain simple is refused:
		// a cached simple answer would be reused on routes the rules deny.
		{"rules: default http api response", map[string]string{EnvRoutes: rules}, "", apigateway.HTTPAPIPolicy},
		{"rules file: default http api response", map[string]string{EnvRoutesFile: rulesFile}, "", apigateway.HTTPAPIPolicy},
		{"rules: simple", map[string]string{EnvRoutes: rules, EnvHTTPAPIResponse: "simple"}, EnvHTTPAPIResponse, ""},
		{"rules file: simple", map[string]string{EnvRoutesFile: rulesFile, EnvHTTPAPIResponse: "Simple"}, EnvHTTPAPIResponse, ""},
		{"rules: simple, unsafe", map[string]string{EnvRoutes: rules, EnvHTTPAPIResponse: "simple-unsafe-with-cache"}, "", apigateway.HTTPAPISimpleUnsafeWithCache},
		{"rules: policy", map[string]string{EnvRoutes: rules, EnvHTTPAPIResponse: "policy"}, "", apigateway.HTTPAPIPolicy},
		{"empty rules: simple", map[string]string{EnvRoutes: `[]`, EnvHTTPAPIResponse: "simple"}, "", apigateway.HTTPAPISimple},
		{"bad budget", map[string]string{EnvResponseBudget: "lots"}, EnvResponseBudget, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tc.set {
				env[k] = v
			}
			e, err := ConfigFromEnv(envOf(env))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			case tc.httpAPI != "" && e.HTTPAPIResponse != tc.httpAPI:
				t.Fatalf("HTTP API answers %q, want %q", e.HTTPAPIResponse, tc.httpAPI)
			}
		})
	}
}

// TestBuild builds the whole authorizer from environment variables against
// moto_server and a fake pool, as the Lambda does at cold start.
func TestBuild(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	store := newStore(t, 0)
	populate(t, store)
	env := map[string]string{
		EnvUserPoolID:   is.UserPoolID(),
		EnvClientIDs:    webClient,
		EnvIssuer:       is.IssuerURL(),
		EnvJWKSURL:      is.JWKSURL(),
		EnvInsecureHTTP: "true",
		EnvTable:        store.Table(),
		// No EnvHTTPAPIResponse: with rules, HTTP API events get policies.
		EnvRoutes: `[{"method":"*","path":"/admin/*","groups":["admins"]}]`,
	}
	cfg, err := ConfigFromEnv(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := newTestLogger()
	metrics := &authtest.LogBuffer{}
	cfg.Logger, cfg.Metrics = logger, metrics
	a, err := cfg.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"version":"2.0","type":"REQUEST","routeArn":"arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/admin/x",` +
		`"headers":{"authorization":"Bearer ` + is.IDToken("alice", webClient) + `"}}`
	h, err := apigateway.New(a, cfg.HTTPAPIResponse)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.HandleEvent(ctx, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	pr, ok := resp.(events.APIGatewayV2CustomAuthorizerIAMPolicyResponse)
	if !ok || pr.PrincipalID != "u-alice" || authtest.IAMAllows(pr.PolicyDocument, "arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/admin/x") {
		t.Fatalf("HandleEvent = %#v", resp)
	}
	// Client-credentials clients are not listed in GATEHOUSE_CLIENT_IDS
	// (people create them at run time): the mapping admits or refuses them.
	if d := a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + is.ClientCredentialsToken(m2mClient, nil)}); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != "u-alice" {
		t.Errorf("mapped client: %v %s", d.Outcome, d.Reason)
	}
	if d := a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + is.ClientCredentialsToken("unmapped-client", nil)}); d.Outcome != authorizer.OutcomeUnauthorized || d.Reason != authorizer.ReasonUnmapped {
		t.Errorf("unmapped client: %v %s", d.Outcome, d.Reason)
	}
	if d := a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + is.IDToken("alice", m2mClient)}); d.Outcome != authorizer.OutcomeUnauthorized || d.Reason != "client_id" {
		t.Errorf("a user token of an unlisted client: %v %s", d.Outcome, d.Reason)
	}
	if !strings.Contains(logs.String(), `"authorizer start"`) || len(jsonLines(t, metrics)) != 4 {
		t.Fatalf("logs %s metrics %s", logs.String(), metrics.String())
	}

	// A rule set over the budget fails at Build, naming the variable.
	env[EnvResponseBudget] = "1000"
	cfg, err = ConfigFromEnv(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Build(ctx); err == nil || !strings.Contains(err.Error(), EnvRoutes) {
		t.Fatalf("Build over budget: %v", err)
	}
}

// BenchmarkColdStartBuild measures what a cold start does before the first
// event: read the environment, load the AWS configuration, make the
// verifier and store, fetch the JWKS once.
func BenchmarkColdStartBuild(b *testing.B) {
	is := newIssuer(b)
	store := newStore(b, 0)
	env := map[string]string{
		EnvUserPoolID: is.UserPoolID(), EnvClientIDs: webClient, EnvIssuer: is.IssuerURL(),
		EnvJWKSURL: is.JWKSURL(), EnvInsecureHTTP: "true", EnvTable: store.Table(),
		EnvRoutes:  `[{"method":"*","path":"/admin/*","groups":["admins"]},{"method":"POST","path":"/orders","scopes":["orders/write"]}]`,
		EnvMetrics: "false",
	}
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		cfg, err := ConfigFromEnv(envOf(env))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cfg.Build(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}

// TestBuildTwoPools builds the authorizer as deployed with the partners'
// pool, from the environment alone: a partner and a person of the same user
// name get their own internal ids, a partners' token of a name mapped only
// in the people's pool is refused, and the partners' pool takes ID tokens
// only by default.
func TestBuildTwoPools(t *testing.T) {
	ctx := context.Background()
	people := newIssuer(t)
	partners, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID("eu-west-1_Partners"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(partners.Close)
	store := newStore(t, 0)
	populate(t, store) // alice and the others, in the people's pool
	if _, err := store.CreateUser(ctx, "p-alice", partners.UserPoolID(), "alice", partners.Sub("alice"), mapping.KindPartner); err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromEnv(envOf(map[string]string{
		EnvUserPoolID: people.UserPoolID(), EnvClientIDs: webClient, EnvIssuer: people.IssuerURL(), EnvInsecureHTTP: "true",
		"GATEHOUSE_PARTNER_USER_POOL_ID": partners.UserPoolID(), "GATEHOUSE_PARTNER_CLIENT_IDS": authtest.PartnerClient,
		"GATEHOUSE_PARTNER_ISSUER": partners.IssuerURL(), "GATEHOUSE_PARTNER_INSECURE_HTTP": "true",
		EnvTable: store.Table(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := cfg.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, wantReason, wantID string
	}{
		{"person", people.IDToken("alice", webClient), authorizer.ReasonOK, "u-alice"},
		{"partner of the same name", partners.IDToken("alice", authtest.PartnerClient), authorizer.ReasonOK, "p-alice"},
		{"partners' token, name only in the people's pool", partners.IDToken("carol", authtest.PartnerClient), authorizer.ReasonUnmapped, ""},
		{"partners' access token", partners.AccessToken("alice", authtest.PartnerClient), "token_use", ""},
		{"people's client in the partners' pool", partners.IDToken("alice", webClient), "client_id", ""},
	}
	for _, tt := range tests {
		d := a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tt.token})
		if d.Reason != tt.wantReason || (tt.wantID != "") != (d.Identity != nil) || (d.Identity != nil && d.Identity.InternalID != tt.wantID) {
			t.Errorf("%s: %v/%s %+v, want %s %s", tt.name, d.Outcome, d.Reason, d.Identity, tt.wantReason, tt.wantID)
		}
	}
}
