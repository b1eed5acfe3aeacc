package refresh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		refresh.EnvUserPoolID:          "eu-west-1_AbCdEf123",
		refresh.EnvPartnerUserPoolID:   "eu-west-1_Partners1",
		refresh.EnvTable:               "gatehouse",
		refresh.EnvKMSKeyID:            "alias/gatehouse",
		refresh.EnvPartnerClientID:     "partnerclient",
		refresh.EnvPartnerClientSecret: "s3cr3t-value",
		refresh.EnvClientIDs:           "webclient, otherclient",
		refresh.EnvAdminGroup:          "admins",
	}
}

func TestConfigFromEnv(t *testing.T) {
	e, err := refresh.ConfigFromEnv(envFrom(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if e.Rotation || e.AdminGroup != "admins" || len(e.Admins.First().ClientIDs) != 2 || len(e.Admins.First().TokenUses) != 2 || len(e.Admins.Pools) != 1 ||
		e.Admins.First().AnyClientForClientCredentials || e.Admins.TokenCacheSize != 0 || e.PartnerClientSecret.Reveal() != "s3cr3t-value" {
		t.Fatalf("%+v", e)
	}
	// The secret never prints.
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s %q", e, e, e, e.PartnerClientSecret, e.PartnerClientSecret), mustJSON(t, map[string]any{"secret": e.PartnerClientSecret})} {
		if strings.Contains(s, "s3cr3t-value") {
			t.Fatalf("the secret printed: %s", s)
		}
	}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secret", e.PartnerClientSecret)
	if strings.Contains(logs.String(), "s3cr3t-value") {
		t.Fatal("the secret was logged")
	}

	tests := []struct {
		name   string
		change map[string]string
		bad    string
	}{
		{"no pool", map[string]string{refresh.EnvUserPoolID: ""}, refresh.EnvUserPoolID},
		{"no partners' pool", map[string]string{refresh.EnvPartnerUserPoolID: ""}, refresh.EnvPartnerUserPoolID},
		{"partners in the people's pool", map[string]string{refresh.EnvPartnerUserPoolID: "eu-west-1_AbCdEf123"}, refresh.EnvPartnerUserPoolID},
		{"no table", map[string]string{refresh.EnvTable: " "}, refresh.EnvTable},
		{"no key", map[string]string{refresh.EnvKMSKeyID: ""}, refresh.EnvKMSKeyID},
		{"no partner client", map[string]string{refresh.EnvPartnerClientID: ""}, refresh.EnvPartnerClientID},
		{"no secret", map[string]string{refresh.EnvPartnerClientSecret: ""}, refresh.EnvPartnerClientSecret},
		{"two secrets", map[string]string{refresh.EnvPartnerClientSecretID: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}, refresh.EnvPartnerClientSecretID},
		{"bad rotation", map[string]string{refresh.EnvRotation: "sometimes"}, refresh.EnvRotation},
		{"no admin clients", map[string]string{refresh.EnvClientIDs: ""}, refresh.EnvClientIDs},
		{"partner client as admin client", map[string]string{refresh.EnvClientIDs: "partnerclient"}, refresh.EnvClientIDs},
		{"no admin group", map[string]string{refresh.EnvAdminGroup: ""}, refresh.EnvAdminGroup},
		{"bad token use", map[string]string{refresh.EnvTokenUses: "refresh"}, refresh.EnvTokenUses},
		{"skip client id check", map[string]string{refresh.EnvClientIDs: "", refresh.EnvSkipClientIDCheck: "true"}, refresh.EnvSkipClientIDCheck},
		{"bad skew", map[string]string{refresh.EnvClockSkew: "soon"}, refresh.EnvClockSkew},
		{"bad body limit", map[string]string{refresh.EnvMaxBodyBytes: "10"}, refresh.EnvMaxBodyBytes},
		{"bad timeout", map[string]string{refresh.EnvMappingTimeout: "-1s"}, refresh.EnvMappingTimeout},
		{"partner administrators on the machine client", map[string]string{refresh.EnvPartnerAdminClientID: "partnerclient"}, refresh.EnvPartnerAdminClientID},
		{"partner administrators on an operators' client", map[string]string{refresh.EnvPartnerAdminClientID: "webclient"}, refresh.EnvPartnerAdminClientID},
		{"partner administrators' secret alone", map[string]string{refresh.EnvPartnerAdminClientSecret: "x"}, refresh.EnvPartnerAdminClientSecret},
		{"partner administrators' secret ARN alone", map[string]string{refresh.EnvPartnerAdminClientSecretID: "arn:aws:secretsmanager:eu-west-1:1:secret:a"}, refresh.EnvPartnerAdminClientSecretID},
		{"partner administrators' secret twice", map[string]string{refresh.EnvPartnerAdminClientID: "people", refresh.EnvPartnerAdminClientSecret: "x",
			refresh.EnvPartnerAdminClientSecretID: "arn:aws:secretsmanager:eu-west-1:1:secret:a"}, refresh.EnvPartnerAdminClientSecretID},
		{"partners' issuer without the administrators' client", map[string]string{"GATEHOUSE_PARTNER_ISSUER": "http://127.0.0.1:1/x_y"}, "GATEHOUSE_PARTNER_ISSUER"},
		{"bad partner insecure http", map[string]string{refresh.EnvPartnerAdminClientID: "people", "GATEHOUSE_PARTNER_INSECURE_HTTP": "maybe"}, "GATEHOUSE_PARTNER_INSECURE_HTTP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := validEnv()
			for k, v := range tc.change {
				m[k] = v
			}
			_, err := refresh.ConfigFromEnv(envFrom(m))
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("error %v, want one naming %s", err, tc.bad)
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Fatal("the error holds the secret")
			}
		})
	}
	// Partner administrators: the partners' pool, their client only.
	m0 := validEnv()
	m0[refresh.EnvPartnerAdminClientID] = "people"
	m0[refresh.EnvPartnerAdminClientSecret] = "p30ple-secret"
	m0["GATEHOUSE_PARTNER_ISSUER"] = "http://127.0.0.1:9229/eu-west-1_Partners1"
	m0["GATEHOUSE_PARTNER_INSECURE_HTTP"] = "true"
	pe, err := refresh.ConfigFromEnv(envFrom(m0))
	if err != nil {
		t.Fatal(err)
	}
	if pa := pe.PartnerAdmins; pa.UserPoolID != "eu-west-1_Partners1" || len(pa.ClientIDs) != 1 || pa.ClientIDs[0] != "people" ||
		len(pa.TokenUses) != 2 || !pa.InsecureHTTP || pa.Issuer == "" || pe.PartnerAdminClientSecret.Reveal() != "p30ple-secret" {
		t.Fatalf("partner administrators: %+v", pa)
	}
	if strings.Contains(fmt.Sprintf("%+v", pe), "p30ple-secret") {
		t.Fatal("the partner administrators' client secret printed")
	}
	// Or in Secrets Manager, as the CDK app deploys it.
	delete(m0, refresh.EnvPartnerAdminClientSecret)
	m0[refresh.EnvPartnerAdminClientSecretID] = "arn:aws:secretsmanager:eu-west-1:1:secret:a"
	if pe, err = refresh.ConfigFromEnv(envFrom(m0)); err != nil {
		t.Fatal(err)
	}
	if pe.PartnerAdminClientSecretARN != m0[refresh.EnvPartnerAdminClientSecretID] || !pe.PartnerAdminClientSecret.IsZero() {
		t.Fatalf("partner administrators' secret ARN: %q", pe.PartnerAdminClientSecretARN)
	}
	if e.PartnerAdmins.UserPoolID != "" {
		t.Fatal("partner administrators configured without their client")
	}
	// The operator's commands need no administrator settings.
	m := validEnv()
	delete(m, refresh.EnvClientIDs)
	delete(m, refresh.EnvAdminGroup)
	if _, err := refresh.ServiceConfigFromEnv(envFrom(m)); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuildFromEnv builds the service from environment variables alone,
// against cognito-local and moto_server, with the client secret in
// Secrets Manager (moto_server's, reached through the SDK's standard
// AWS_ENDPOINT_URL_SECRETS_MANAGER), and runs a registration and an
// exchange through it.
func TestBuildFromEnv(t *testing.T) {
	ctx := context.Background()
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", localservices.Endpoint(localservices.DynamoDB))
	lp := newLocalPool(t)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("gatehouse/partner-client-" + lp.partnerClient), SecretString: aws.String(`{"client_secret":"` + lp.partnerSecret + `"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(t)
	e, err := refresh.ConfigFromEnv(envFrom(map[string]string{
		refresh.EnvPartnerUserPoolID: lp.id, refresh.EnvTable: store.Table(), refresh.EnvKMSKeyID: testEnv(t).keyID,
		refresh.EnvPartnerClientID: lp.partnerClient, refresh.EnvPartnerClientSecretID: *created.ARN,
		refresh.EnvUserPoolID: lp.people.ID, refresh.EnvClientIDs: lp.adminClient, refresh.EnvAdminGroup: adminGroup,
		refresh.EnvIssuer: lp.people.LocalIssuer(), refresh.EnvInsecureHTTP: "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	e.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	svc, err := e.BuildService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h, err := e.BuildHandler(hctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{handler: h, store: store}
	cred := f.register(t, lp.adminToken, "envco")
	rec := f.exchange(t, cred.RefreshToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("exchange: %d %s", rec.Code, rec.Body)
	}
	var tr refresh.TokenResponse
	decodeBody(t, rec, &tr)
	assertNoSecrets(t, logs.String(), lp.partnerSecret, cred.RefreshToken, tr.IDToken, tr.AccessToken, lp.adminToken)

	// A missing secret is a clear start-up error naming the variable.
	e.PartnerClientSecretARN = "gatehouse/none"
	if _, err := e.BuildService(ctx); err == nil || !strings.Contains(err.Error(), refresh.EnvPartnerClientSecretID) {
		t.Fatalf("BuildService with a missing secret: %v", err)
	}

	// The partner administrators' client secret from Secrets Manager too:
	// read when the handler is built (a missing one fails the start).
	ae, err := refresh.ConfigFromEnv(envFrom(map[string]string{
		refresh.EnvPartnerUserPoolID: lp.id, refresh.EnvTable: store.Table(), refresh.EnvKMSKeyID: testEnv(t).keyID,
		refresh.EnvPartnerClientID: lp.partnerClient, refresh.EnvPartnerClientSecretID: *created.ARN,
		refresh.EnvUserPoolID: lp.people.ID, refresh.EnvClientIDs: lp.adminClient, refresh.EnvAdminGroup: adminGroup,
		refresh.EnvIssuer: lp.people.LocalIssuer(), refresh.EnvInsecureHTTP: "true",
		refresh.EnvPartnerAdminClientID: "partner-admins", refresh.EnvPartnerAdminClientSecretID: *created.ARN,
		"GATEHOUSE_PARTNER_ISSUER": lp.people.LocalIssuer(), "GATEHOUSE_PARTNER_INSECURE_HTTP": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	ae.Logger = e.Logger
	if _, err := ae.BuildHandler(hctx, svc); err != nil {
		t.Fatalf("BuildHandler with the administrators' secret in Secrets Manager: %v", err)
	}
	ae.PartnerAdminClientSecretARN = "gatehouse/none"
	if _, err := ae.BuildHandler(hctx, svc); err == nil || !strings.Contains(err.Error(), refresh.EnvPartnerAdminClientSecretID) {
		t.Fatalf("BuildHandler with a missing administrators' secret: %v", err)
	}
}
