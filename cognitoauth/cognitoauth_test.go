package cognitoauth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/mfacognito"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.CognitoIDP))
}

func TestSecretHash(t *testing.T) {
	// Reference value: base64(HMAC-SHA256("secret", "alice"+"client123")),
	// computed independently.
	if got, want := cognitoauth.SecretHash("secret", "alice", "client123"), "oKHO337pkuh1r3zUNCZ1oCL3YgM0Yi2nkcAZsKQTIH8="; got != want {
		t.Errorf("SecretHash = %s, want %s", got, want)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	api := cip.New(cip.Options{Region: "us-east-1"})
	for _, cfg := range []cognitoauth.Config{
		{UserPoolID: "p", ClientID: "c"},
		{API: api, ClientID: "c"},
		{API: api, UserPoolID: "p"},
	} {
		if _, err := cognitoauth.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A confidential client on cognito-local: sign in, refresh, revoke.
func TestFlowsAgainstCognitoLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := userpool.OnCognitoLocal(ctx, t, "cognitoauth")
	idp := pool.API
	clientID, clientSecret, err := pool.Client(ctx, "confidential", true)
	if err != nil {
		t.Fatal(err)
	}
	password := "Pw-" + rand.Text() + "1!"
	if err := pool.User(ctx, "carol", password); err != nil {
		t.Fatal(err)
	}
	c, err := cognitoauth.New(cognitoauth.Config{API: idp, UserPoolID: pool.ID, ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ user, password string }{{"carol", "wrong-" + password}, {"nobody", password}} {
		if _, _, err := c.SignIn(ctx, tc.user, tc.password); !errors.Is(err, cognitoauth.ErrNotAuthorized) {
			t.Errorf("SignIn(%s, bad): %v, want ErrNotAuthorized", tc.user, err)
		}
		if err != nil && strings.Contains(err.Error(), tc.password) {
			t.Error("an error carries the password")
		}
	}

	tokens, challenge, err := c.SignIn(ctx, "carol", password)
	if err != nil || challenge != nil {
		t.Fatalf("SignIn: %v, challenge %+v", err, challenge)
	}
	if tokens.IDToken == "" || tokens.AccessToken == "" || tokens.RefreshToken == "" || tokens.ExpiresIn <= 0 {
		t.Fatalf("SignIn tokens incomplete: expires in %v", tokens.ExpiresIn)
	}
	refreshed, err := c.Refresh(ctx, "carol", tokens.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if refreshed.IDToken == "" || refreshed.AccessToken == "" {
		t.Fatal("Refresh returned no tokens")
	}
	if _, err := c.Refresh(ctx, "carol", "not-a-refresh-token"); !errors.Is(err, cognitoauth.ErrNotAuthorized) {
		t.Errorf("Refresh(garbage): %v, want ErrNotAuthorized", err)
	}
	if err := c.Revoke(ctx, tokens.RefreshToken); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := c.Refresh(ctx, "carol", tokens.RefreshToken); !errors.Is(err, cognitoauth.ErrNotAuthorized) {
		t.Errorf("Refresh after Revoke: %v, want ErrNotAuthorized", err)
	}
}

// No local service implements GetTokensFromRefreshToken: this in-process
// stand-in speaks its wire protocol, rotating one refresh token and refusing
// its reuse.
func TestRefreshRotatingProtocol(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		calls++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if calls > 1 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"RefreshTokenReuseException","message":"reused"}`)
			return
		}
		fmt.Fprint(w, `{"AuthenticationResult":{"IdToken":"id","AccessToken":"access","RefreshToken":"new-refresh","ExpiresIn":3600,"TokenType":"Bearer"}}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx := context.Background()
	got, err := c.RefreshRotating(ctx, "old-refresh")
	if err != nil {
		t.Fatal(err)
	}
	if got.RefreshToken != "new-refresh" || got.ExpiresIn != time.Hour {
		t.Errorf("tokens %+v", got)
	}
	if _, err := c.RefreshRotating(ctx, "old-refresh"); !errors.Is(err, cognitoauth.ErrRefreshTokenReused) {
		t.Errorf("reuse: %v, want ErrRefreshTokenReused", err)
	}
}

// cognito-local signs a user with a temporary password straight in, so the
// challenge answer is checked against Cognito's wire format in process.
func TestSignInChallenge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, `{"ChallengeName":"NEW_PASSWORD_REQUIRED","Session":"session-1","ChallengeParameters":{"USER_ID_FOR_SRP":"dave"}}`)
	}))
	defer srv.Close()
	tokens, challenge, err := newClient(t, srv.URL).SignIn(context.Background(), "dave", "temporary")
	if err != nil || tokens != nil || challenge == nil {
		t.Fatalf("tokens %v, challenge %+v, err %v", tokens != nil, challenge, err)
	}
	if challenge.Name != "NEW_PASSWORD_REQUIRED" || challenge.Session != "session-1" || challenge.Parameters["USER_ID_FOR_SRP"] != "dave" {
		t.Errorf("challenge %+v", challenge)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"throttled", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"TooManyRequestsException","message":"slow down"}`)
		}},
		{"no tokens", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{}`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := newClient(t, srv.URL)
			if _, _, err := c.SignIn(context.Background(), "u", "p"); !errors.Is(err, cognitoauth.ErrUnavailable) {
				t.Errorf("SignIn: %v, want ErrUnavailable", err)
			}
			if _, err := c.Refresh(context.Background(), "u", "r"); !errors.Is(err, cognitoauth.ErrUnavailable) {
				t.Errorf("Refresh: %v, want ErrUnavailable", err)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String()
		l.Close()
		if err := newClient(t, url).Revoke(context.Background(), "r"); !errors.Is(err, cognitoauth.ErrUnavailable) {
			t.Errorf("Revoke: %v, want ErrUnavailable", err)
		}
	})
}

func newClient(t *testing.T, endpoint string) *cognitoauth.Client {
	t.Helper()
	api := cip.New(cip.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
	c, err := cognitoauth.New(cognitoauth.Config{API: api, UserPoolID: "us-east-1_Test", ClientID: "client", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A pool or app client that does not exist is ErrMisconfigured (what
// cognito-local answers, ResourceNotFoundException, is what Cognito
// answers): no retry cures it, so it is not ErrUnavailable.
func TestMisconfigured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := userpool.OnCognitoLocal(ctx, t, "cognitoauth-misconfigured")
	idp := pool.API
	for name, cfg := range map[string]cognitoauth.Config{
		"missing client": {API: idp, UserPoolID: pool.ID, ClientID: "nosuchclient0000000000000", ClientSecret: "s"},
		"missing pool":   {API: idp, UserPoolID: "us-east-1_NoSuchPool", ClientID: "nosuchclient0000000000000", ClientSecret: "s"},
	} {
		c, err := cognitoauth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.SignIn(ctx, "carol", "Pw-1!")
		if !errors.Is(err, cognitoauth.ErrMisconfigured) || errors.Is(err, cognitoauth.ErrUnavailable) {
			t.Errorf("%s: SignIn: %v, want ErrMisconfigured", name, err)
		}
	}
}

// motoClient is a Cognito client on a moto_server of the test's own:
// cognito-local 5.3.0 has no AdminRespondToAuthChallenge, moto 5.2.1 has
// it, and answers a FORCE_CHANGE_PASSWORD user's AdminInitiateAuth with
// NEW_PASSWORD_REQUIRED (it does not check SECRET_HASH).
func motoClient(t *testing.T) *cip.Client {
	t.Helper()
	m := localservices.StartMoto(t)
	return cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(m.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
}

// An invited user (temporary password) signs in, gets NEW_PASSWORD_REQUIRED,
// and completes it with AdminRespondToAuthChallenge on moto_server.
func TestNewPasswordRequiredOnMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	idp := motoClient(t)
	pool, err := userpool.Create(ctx, idp, "cognitoauth-challenge")
	if err != nil {
		t.Fatal(err)
	}
	clientID, clientSecret, err := pool.Client(ctx, "confidential", true)
	if err != nil {
		t.Fatal(err)
	}
	temporary, permanent := "Tmp-"+rand.Text()+"1!", "Pw-"+rand.Text()+"1!"
	if err := pool.InvitedUser(ctx, "erin", temporary); err != nil {
		t.Fatal(err)
	}
	c, err := cognitoauth.New(cognitoauth.Config{API: idp, UserPoolID: pool.ID, ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	tokens, ch, err := c.SignIn(ctx, "erin", temporary)
	if err != nil || tokens != nil || ch == nil || ch.Name != "NEW_PASSWORD_REQUIRED" || ch.Session == "" {
		t.Fatalf("SignIn: %v tokens %v challenge %+v", err, tokens != nil, ch)
	}
	for name, tc := range map[string]struct {
		challenge string
		responses map[string]string
		want      error
	}{
		"unknown challenge": {"CUSTOM_CHALLENGE", map[string]string{"ANSWER": "x"}, cognitoauth.ErrUnknownChallenge},
		"missing key":       {"NEW_PASSWORD_REQUIRED", map[string]string{}, cognitoauth.ErrBadResponses},
		"extra key":         {"NEW_PASSWORD_REQUIRED", map[string]string{"NEW_PASSWORD": permanent, "userAttributes.email": "x@example.com"}, cognitoauth.ErrBadResponses},
		"other key":         {"NEW_PASSWORD_REQUIRED", map[string]string{"USERNAME": "admin"}, cognitoauth.ErrBadResponses},
		"empty value":       {"NEW_PASSWORD_REQUIRED", map[string]string{"NEW_PASSWORD": ""}, cognitoauth.ErrBadResponses},
	} {
		if _, _, err := c.Respond(ctx, "erin", tc.challenge, ch.Session, tc.responses); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	tokens, next, err := c.Respond(ctx, "erin", ch.Name, ch.Session, map[string]string{"NEW_PASSWORD": permanent})
	if err != nil || next != nil || tokens == nil || tokens.IDToken == "" || tokens.RefreshToken == "" {
		t.Fatalf("Respond: %v next %+v", err, next)
	}
	if tokens, ch, err := c.SignIn(ctx, "erin", permanent); err != nil || ch != nil || tokens == nil {
		t.Fatalf("SignIn with the new password: %v %+v", err, ch)
	}
}

// The public pair (Config.Public) on cognito-local, which implements it:
// an invited user's first sign-in answers NEW_PASSWORD_REQUIRED, and
// RespondToAuthChallenge with SECRET_HASH completes it. cognito-local does
// not check the temporary password nor the session (Cognito does); the
// test checks what Gatehouse sends and gets back.
func TestPublicNewPasswordRequiredOnCognitoLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := userpool.OnCognitoLocal(ctx, t, "cognitoauth-public")
	idp := pool.API
	clientID, clientSecret, err := pool.SignInClient(ctx, "people", true)
	if err != nil {
		t.Fatal(err)
	}
	temporary, permanent := "Tmp-"+rand.Text()+"1!", "Pw-"+rand.Text()+"1!"
	if err := pool.InvitedUser(ctx, "frank", temporary); err != nil {
		t.Fatal(err)
	}
	c, err := cognitoauth.New(cognitoauth.Config{API: idp, Public: idp, UserPoolID: pool.ID, ClientID: clientID, ClientSecret: clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SignIn(ctx, "nobody", temporary); !errors.Is(err, cognitoauth.ErrNotAuthorized) {
		t.Errorf("SignIn(nobody): %v, want ErrNotAuthorized", err)
	}
	tokens, ch, err := c.SignIn(ctx, "frank", temporary)
	if err != nil || tokens != nil || ch == nil || ch.Name != "NEW_PASSWORD_REQUIRED" || ch.Session == "" {
		t.Fatalf("SignIn: %v tokens %v challenge %+v", err, tokens != nil, ch)
	}
	if _, ok := ch.Parameters["userAttributes"]; ok {
		t.Error("the challenge hands back the user's attributes")
	}
	if _, _, err := c.Respond(ctx, "frank", ch.Name, ch.Session, map[string]string{"NEW_PASSWORD": permanent, "USERNAME": "x"}); !errors.Is(err, cognitoauth.ErrBadResponses) {
		t.Errorf("Respond with an extra key: %v, want ErrBadResponses", err)
	}
	tokens, next, err := c.Respond(ctx, "frank", ch.Name, ch.Session, map[string]string{"NEW_PASSWORD": permanent})
	if err != nil || next != nil || tokens == nil || tokens.IDToken == "" || tokens.RefreshToken == "" {
		t.Fatalf("Respond: %v next %+v", err, next)
	}
	if _, _, err := c.SignIn(ctx, "frank", "wrong-"+permanent); !errors.Is(err, cognitoauth.ErrNotAuthorized) {
		t.Errorf("SignIn with a wrong password: %v, want ErrNotAuthorized", err)
	}
	if tokens, ch, err := c.SignIn(ctx, "frank", permanent); err != nil || ch != nil || tokens == nil {
		t.Fatalf("SignIn with the new password: %v %+v", err, ch)
	}
}

// MFA against the in-process protocol stand-in (internal/testkit/mfacognito):
// no local service here issues an MFA challenge.
func TestMFAChallengeProtocol(t *testing.T) {
	c := mfacognito.New(t).Auth(t)
	ctx := context.Background()
	_, ch, err := c.SignIn(ctx, mfacognito.Username, mfacognito.Password)
	if err != nil || ch == nil || ch.Name != "SOFTWARE_TOKEN_MFA" || ch.Session == "" {
		t.Fatalf("SignIn: %v %+v", err, ch)
	}
	if !maps.Equal(ch.Parameters, map[string]string{"USER_ID_FOR_SRP": mfacognito.Username}) {
		t.Errorf("challenge parameters %v: only the public ones may reach a client", ch.Parameters)
	}
	tests := []struct {
		name, session, code string
		want                error
	}{
		{"wrong code", ch.Session, "000000", cognitoauth.ErrWrongCode},
		{"unknown session", "mfa-session-forged", mfacognito.Code, cognitoauth.ErrNotAuthorized},
		{"right code", ch.Session, mfacognito.Code, nil},
		{"session used", ch.Session, mfacognito.Code, cognitoauth.ErrNotAuthorized},
	}
	for _, tt := range tests {
		tokens, next, err := c.Respond(ctx, mfacognito.Username, "SOFTWARE_TOKEN_MFA", tt.session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": tt.code})
		if !errors.Is(err, tt.want) || (tt.want == nil && (tokens == nil || next != nil)) {
			t.Errorf("%s: %v tokens %v next %+v, want %v", tt.name, err, tokens != nil, next, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), tt.code) || strings.Contains(err.Error(), tt.session)) {
			t.Errorf("%s: the error carries the code or session: %v", tt.name, err)
		}
	}
	if _, _, err := c.Respond(ctx, mfacognito.Username, "SELECT_MFA_TYPE", ch.Session, map[string]string{"ANSWER": "PASSWORD"}); !errors.Is(err, cognitoauth.ErrBadResponses) {
		t.Errorf("SELECT_MFA_TYPE with an unknown answer: %v", err)
	}
}
