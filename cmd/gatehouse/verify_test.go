package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

type verifyResult struct {
	Valid bool `json:"valid"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Claims *struct {
		Username          string   `json:"username"`
		ClientID          string   `json:"client_id"`
		TokenUse          string   `json:"token_use"`
		ClientCredentials bool     `json:"client_credentials"`
		Groups            []string `json:"groups"`
	} `json:"claims"`
}

// clearVerifyEnv unsets every variable gatehouse verify falls back to, so
// that only the test's flags and variables count.
func clearVerifyEnv(t *testing.T) {
	for _, v := range verifyFlagVars {
		t.Setenv(v, "")
	}
}

func TestVerifyCommand(t *testing.T) {
	clearVerifyEnv(t)
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	remote := []string{"--user-pool-id", iss.UserPoolID(), "--issuer", iss.IssuerURL(), "--insecure-http"}
	static := []string{"--user-pool-id", iss.UserPoolID(), "--issuer", iss.IssuerURL(), "--insecure-http", "--jwks-file", jwksFile}
	with := func(base []string, more ...string) []string { return append(append([]string{}, base...), more...) }

	idToken := iss.IDToken("alice", "web", cognitotest.WithGroups("api-users"))
	expired := iss.IDToken("alice", "web", cognitotest.WithTimes(time.Now().Add(-2*time.Hour), time.Hour))
	m2m := iss.ClientCredentialsToken("prog", []string{"orders/read"})

	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantErr  string // error code in the JSON, "" when valid or a usage error
		check    func(t *testing.T, r verifyResult)
	}{
		{name: "valid ID token, keys fetched", args: with(remote, "--token-use", "id", "--client-id", "web", idToken), wantCode: 0,
			check: func(t *testing.T, r verifyResult) {
				if r.Claims == nil || r.Claims.Username != "alice" || r.Claims.TokenUse != "id" || len(r.Claims.Groups) != 1 {
					t.Errorf("claims %+v", r.Claims)
				}
			}},
		{name: "valid ID token, static keys", args: with(static, "--token-use", "any", "--client-id", "web", idToken), wantCode: 0},
		{name: "from standard input with a trailing newline", args: with(static, "--token-use", "id", "--client-id", "web", "-"), stdin: idToken + "\n", wantCode: 0},
		{name: "argument is passed byte for byte", args: with(static, "--token-use", "id", "--client-id", "web", idToken+"\n"), wantCode: 1, wantErr: "malformed"},
		{name: "Bearer prefix is not stripped", args: with(static, "--token-use", "id", "--client-id", "web", "Bearer "+idToken), wantCode: 1, wantErr: "malformed"},
		{name: "client-credentials token", args: with(static, "--token-use", "access", "--client-id", "prog", "--scope", "orders/read", m2m), wantCode: 0,
			check: func(t *testing.T, r verifyResult) {
				if r.Claims == nil || !r.Claims.ClientCredentials || r.Claims.Username != "" {
					t.Errorf("claims %+v", r.Claims)
				}
			}},
		{name: "expired", args: with(static, "--token-use", "id", "--client-id", "web", expired), wantCode: 1, wantErr: "expired",
			check: func(t *testing.T, r verifyResult) {
				if r.Claims == nil {
					t.Error("claims of a token whose signature verified should be shown with the error")
				}
			}},
		{name: "expired token verified as of its lifetime", args: with(static, "--token-use", "id", "--client-id", "web", "--at", time.Now().Add(-90*time.Minute).Format(time.RFC3339), expired), wantCode: 0},
		{name: "expired token verified as of unix seconds", args: with(static, "--token-use", "id", "--client-id", "web", "--at", jsonNumber(time.Now().Add(-90*time.Minute).Unix()), expired), wantCode: 0},
		{name: "wrong client", args: with(static, "--token-use", "id", "--client-id", "other", idToken), wantCode: 1, wantErr: "client_id"},
		{name: "missing group", args: with(static, "--token-use", "id", "--client-id", "web", "--group", "admins", idToken), wantCode: 1, wantErr: "group"},
		{name: "wrong token use", args: with(static, "--token-use", "access", "--client-id", "web", idToken), wantCode: 1, wantErr: "token_use"},
		{name: "unknown kid", args: with(static, "--token-use", "id", "--client-id", "web", iss.IDToken("alice", "web", cognitotest.WithKID("unknown"))), wantCode: 1, wantErr: "key_not_found"},
		{name: "signed by another key", args: with(static, "--token-use", "id", "--client-id", "web", iss.IDToken("alice", "web", cognitotest.SignWithUnknownKey())), wantCode: 1, wantErr: "bad_signature"},
		{name: "garbage", args: with(static, "--token-use", "id", "--client-id", "web", "not-a-token"), wantCode: 1, wantErr: "malformed"},
		{name: "no token use", args: with(static, "--client-id", "web", idToken), wantCode: 2},
		{name: "no client id and no skip", args: with(static, "--token-use", "id", idToken), wantCode: 2},
		{name: "plain http issuer without --insecure-http", args: []string{"--user-pool-id", iss.UserPoolID(), "--issuer", iss.IssuerURL(), "--token-use", "id", "--skip-client-id-check", idToken}, wantCode: 2},
		{name: "both key sources", args: with(static, "--jwks-url", iss.JWKSURL(), "--token-use", "id", "--client-id", "web", idToken), wantCode: 2},
		{name: "bad --at", args: with(static, "--token-use", "id", "--client-id", "web", "--at", "yesterday", idToken), wantCode: 2},
		{name: "no token", args: with(static, "--token-use", "id", "--client-id", "web"), wantCode: 2},
		{name: "bad pool id", args: []string{"--user-pool-id", "nope", "--token-use", "id", "--skip-client-id-check", idToken}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runVerify(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if code == 2 {
				if stderr.Len() == 0 {
					t.Error("a usage error must say what is wrong on stderr")
				}
				return
			}
			var r verifyResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
			}
			if r.Valid != (code == 0) {
				t.Errorf("valid=%v with exit %d", r.Valid, code)
			}
			if tt.wantErr != "" && (r.Error == nil || r.Error.Code != tt.wantErr) {
				t.Errorf("error %+v, want code %q", r.Error, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestVerifyCommandEnvironment checks that unset flags take the services'
// GATEHOUSE_* variables, read by the services' own reader, and that flags
// win.
func TestVerifyCommandEnvironment(t *testing.T) {
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	idToken := iss.IDToken("alice", "web")
	service := map[string]string{
		envconfig.UserPoolID: iss.UserPoolID(), envconfig.ClientIDs: "web, other", envconfig.Issuer: iss.IssuerURL(),
		envconfig.InsecureHTTP: "true", envconfig.JWKSURL: iss.JWKSURL(), envconfig.JWKSTimeout: "1s",
	}
	tests := []struct {
		name     string
		env      map[string]string // over service
		args     []string
		wantCode int
		wantErr  string // error code in the JSON, or text on stderr for exit 2
	}{
		{name: "everything from the environment, keys fetched", wantCode: 0},
		{name: "static keys win over the variable's URL", args: []string{"--jwks-file", jwksFile}, wantCode: 0},
		{name: "token use from the environment", env: map[string]string{envconfig.TokenUses: "access"}, wantCode: 1, wantErr: "token_use"},
		{name: "flag wins over the token use variable", env: map[string]string{envconfig.TokenUses: "access"}, args: []string{"--token-use", "id"}, wantCode: 0},
		{name: "no token use anywhere", env: map[string]string{envconfig.TokenUses: ""}, wantCode: 2, wantErr: "--token-use"},
		{name: "flag wins over the client variable", args: []string{"--client-id", "nobody"}, wantCode: 1, wantErr: "client_id"},
		{name: "client flag replaces the skip variable", env: map[string]string{envconfig.ClientIDs: "", envconfig.SkipClientIDCheck: "true"},
			args: []string{"--client-id", "nobody"}, wantCode: 1, wantErr: "client_id"},
		{name: "skip flag replaces the client variable", env: map[string]string{envconfig.ClientIDs: "nobody"}, args: []string{"--skip-client-id-check"}, wantCode: 0},
		{name: "flag wins over the issuer variable", args: []string{"--issuer", "http://127.0.0.1:1/other"}, wantCode: 1, wantErr: "issuer"},
		{name: "flag wins over insecure http", args: []string{"--insecure-http=false"}, wantCode: 2, wantErr: "http"},
		{name: "bad variable named", env: map[string]string{envconfig.ClockSkew: "soon"}, wantCode: 2, wantErr: envconfig.ClockSkew},
		{name: "missing pool named", env: map[string]string{envconfig.UserPoolID: ""}, wantCode: 2, wantErr: envconfig.UserPoolID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearVerifyEnv(t)
			for k, v := range service {
				t.Setenv(k, v)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if _, ok := tt.env[envconfig.TokenUses]; !ok {
				t.Setenv(envconfig.TokenUses, "id")
			}
			var stdout, stderr bytes.Buffer
			code := runVerify(context.Background(), append(tt.args, idToken), strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if code == 2 {
				if !strings.Contains(stderr.String(), tt.wantErr) {
					t.Errorf("stderr %q does not say %q", stderr.String(), tt.wantErr)
				}
				return
			}
			// stderr names what came from the environment, not what a flag set.
			if !strings.Contains(stderr.String(), "from the environment: ") || !strings.Contains(stderr.String(), envconfig.UserPoolID) ||
				(slices.Contains(tt.args, "--client-id") && strings.Contains(stderr.String(), envconfig.ClientIDs)) {
				t.Errorf("stderr %q", stderr.String())
			}
			var r verifyResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
			}
			if r.Valid != (code == 0) || (tt.wantErr != "" && (r.Error == nil || r.Error.Code != tt.wantErr)) {
				t.Errorf("result %+v, want code %q", r, tt.wantErr)
			}
		})
	}
	var stderr bytes.Buffer
	if code := runVerify(context.Background(), []string{"-h"}, strings.NewReader(""), io.Discard, &stderr); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	for _, v := range verifyFlagVars {
		if !strings.Contains(stderr.String(), "[$"+v+"]") {
			t.Errorf("-h does not name %s", v)
		}
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestDecodeCommand(t *testing.T) {
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	token := iss.AccessToken("bob", "web")

	var stdout, stderr bytes.Buffer
	if code := runDecode(context.Background(), []string{token}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var out struct {
		Unverified bool           `json:"unverified"`
		Header     map[string]any `json:"header"`
		Claims     map[string]any `json:"claims"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Unverified || out.Header["kid"] != iss.KID() || out.Claims["username"] != "bob" {
		t.Errorf("decoded %+v", out)
	}

	for _, bad := range []string{"", "a.b", "!!.e30.x", "e30.bm90IGpzb24.x"} {
		stdout.Reset()
		if code := runDecode(context.Background(), []string{bad}, strings.NewReader(""), &stdout, &stderr); code != 1 {
			t.Errorf("decode %q: exit %d, want 1", bad, code)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"help"}, strings.NewReader(""), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "verify") {
		t.Errorf("help: exit %d, %s", code, stdout.String())
	}
}
