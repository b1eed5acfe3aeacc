package portal_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/mfacognito"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// respondBody is a POST /auth/respond body.
func respondBody(username, challenge, session, responses string) string {
	return `{"username":"` + username + `","challenge":"` + challenge + `","session":"` + session + `","responses":` + responses + `}`
}

// An MFA sign-in through the portal, against the in-process
// Cognito-protocol stand-in (internal/testkit/mfacognito): no local
// service here issues an MFA challenge. The challenge is handed back with
// its session and public parameters only, and /auth/respond completes it;
// bad answers get clear codes, and nothing typed or issued is logged.
func TestMFAChallenge(t *testing.T) {
	f := newFixture(t)
	mfa := mfacognito.New(t)
	h := f.handler(func(c *portal.Config) { c.Auth = mfa.Auth(t) })

	r := f.do(h, "POST", "/auth/sign-in", "", `{"username":"frank","password":"`+mfacognito.Password+`"}`)
	ch, _ := r.json["challenge"].(map[string]any)
	session, _ := ch["session"].(string)
	params, _ := ch["parameters"].(map[string]any)
	if r.status != http.StatusOK || ch["name"] != "SOFTWARE_TOKEN_MFA" || session == "" || ch["username"] != "frank" || r.json["id_token"] != nil {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	if len(params) != 1 || params["USER_ID_FOR_SRP"] != "frank" {
		t.Errorf("challenge parameters %v: only the public ones may reach a client", params)
	}
	code := `{"SOFTWARE_TOKEN_MFA_CODE":"` + mfacognito.Code + `"}`
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"wrong code", respondBody("frank", "SOFTWARE_TOKEN_MFA", session, `{"SOFTWARE_TOKEN_MFA_CODE":"000000"}`), 401, "wrong_code"},
		{"forged session", respondBody("frank", "SOFTWARE_TOKEN_MFA", "forged-session-0123456789", code), 401, "session_expired"},
		{"unknown challenge", respondBody("frank", "CUSTOM_CHALLENGE", session, `{"ANSWER":"x"}`), 400, "unknown_challenge"},
		{"a key of another challenge", respondBody("frank", "SOFTWARE_TOKEN_MFA", session, `{"SMS_MFA_CODE":"123456"}`), 400, "invalid_request"},
		{"an extra key", respondBody("frank", "SOFTWARE_TOKEN_MFA", session, `{"SOFTWARE_TOKEN_MFA_CODE":"123456","USERNAME":"admin"}`), 400, "invalid_request"},
		{"no responses", `{"username":"frank","challenge":"SOFTWARE_TOKEN_MFA","session":"` + session + `"}`, 400, "invalid_request"},
		{"no session", respondBody("frank", "SOFTWARE_TOKEN_MFA", "", code), 400, "invalid_request"},
		{"unknown field", `{"username":"frank","challenge":"SOFTWARE_TOKEN_MFA","session":"s","responses":{},"extra":1}`, 400, "invalid_request"},
		{"duplicate response key", `{"username":"frank","challenge":"SOFTWARE_TOKEN_MFA","session":"s","responses":{"SOFTWARE_TOKEN_MFA_CODE":"1","SOFTWARE_TOKEN_MFA_CODE":"2"}}`, 400, "duplicate_field"},
		{"right code", respondBody("frank", "SOFTWARE_TOKEN_MFA", session, code), 200, ""},
		{"session used", respondBody("frank", "SOFTWARE_TOKEN_MFA", session, code), 401, "session_expired"},
	}
	for _, tt := range tests {
		r := f.do(h, "POST", "/auth/respond", "", tt.body)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
		if tt.status == 200 && (r.str("id_token") == "" || r.str("refresh_token") == "" || r.str("username") != "frank") {
			t.Errorf("%s: tokens %s", tt.name, r.body)
		}
	}
	logscan.NoSecrets(t, f.logs.String(), mfacognito.Password, mfacognito.Code, session, "000000",
		"mfa-id-token", "mfa-access-token", "mfa-refresh-token")
}

// An invited person (temporary password, FORCE_CHANGE_PASSWORD) signs in
// through the portal, gets NEW_PASSWORD_REQUIRED and completes it with
// /auth/respond, end to end on moto_server: the portal calls
// AdminInitiateAuth and AdminRespondToAuthChallenge, which moto 5.2.1
// answers and cognito-local 5.3.0 does not (it lacks the second).
func TestNewPasswordRequiredOnMoto(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := localservices.StartMoto(t)
	idp := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})})
	pool, err := userpool.Create(ctx, idp, "portal-invited")
	must(t, err)
	clientID, secret, err := pool.Client(ctx, "web", true)
	must(t, err)
	temporary, permanent := "Tmp-"+rand.Text()+"1!", "Pw-"+rand.Text()+"1!"
	must(t, pool.InvitedUser(ctx, "gina", temporary))
	auth, err := cognitoauth.New(cognitoauth.Config{API: idp, UserPoolID: pool.ID, ClientID: clientID, ClientSecret: secret})
	must(t, err)
	h := f.handler(func(c *portal.Config) { c.Auth = auth })

	r := f.do(h, "POST", "/auth/sign-in", "", `{"username":"gina","password":"`+temporary+`"}`)
	ch, _ := r.json["challenge"].(map[string]any)
	session, _ := ch["session"].(string)
	if r.status != http.StatusOK || ch["name"] != "NEW_PASSWORD_REQUIRED" || session == "" {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	r = f.do(h, "POST", "/auth/respond", "", respondBody("gina", "NEW_PASSWORD_REQUIRED", session, `{"NEW_PASSWORD":"`+permanent+`"}`))
	if r.status != http.StatusOK || r.str("id_token") == "" || r.str("refresh_token") == "" {
		t.Fatalf("respond: %d %s", r.status, r.body)
	}
	idToken, refreshToken := r.str("id_token"), r.str("refresh_token")
	r = f.do(h, "POST", "/auth/sign-in", "", `{"username":"gina","password":"`+permanent+`"}`)
	if r.status != http.StatusOK || r.str("id_token") == "" {
		t.Fatalf("sign-in with the new password: %d %s", r.status, r.body)
	}
	logscan.NoSecrets(t, f.logs.String(), temporary, permanent, session, idToken, refreshToken)
}
