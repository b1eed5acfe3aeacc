package portal

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	base := map[string]string{
		EnvUserPoolID: "eu-west-1_AbC", EnvClientIDs: "web1, web2", EnvTable: "gatehouse",
		EnvAPIClientsGroup: "developers", EnvAPIClientScopes: "orders/read orders/write",
		EnvTokenEndpoint: "https://auth.example.com/oauth2/token",
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string // "" = ok; else every part must appear
		check   func(t *testing.T, e EnvConfig)
	}{
		{"defaults", nil, "", func(t *testing.T, e EnvConfig) {
			pool := e.Verifier.First()
			if len(pool.ClientIDs) != 2 || len(pool.TokenUses) != 2 || len(e.Portal.ClientScopes) != 2 ||
				!e.Portal.CreateUsers || e.Portal.MaxClientsPerUser != 0 || e.SignInClientID != "" ||
				!pool.AnyClientForClientCredentials || pool.SkipClientIDCheck || len(e.Verifier.Pools) != 1 ||
				e.Verifier.TokenCacheSize != 0 || !e.SignInClientSecret.IsZero() {
				t.Fatalf("%+v", e)
			}
		}},
		{"everything", map[string]string{EnvAPIClientTokenValidity: "30m", EnvMaxClientsPerUser: "10", EnvCreateUsers: "false",
			EnvSignInClientID: "web1", EnvSignInClientSecret: "s3cret", EnvBasePath: "/portal", EnvMaxBodyBytes: "4096"}, "",
			func(t *testing.T, e EnvConfig) {
				if e.Portal.AccessTokenValidity != 30*time.Minute || e.Portal.MaxClientsPerUser != 10 || e.Portal.CreateUsers ||
					e.SignInClientSecret.Reveal() != "s3cret" || e.Portal.BasePath != "/portal" || e.Portal.MaxBodyBytes != 4096 {
					t.Fatalf("%+v", e)
				}
				// The secret never prints, however the configuration is shown.
				shown, err := json.Marshal(map[string]any{"secret": e.SignInClientSecret})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{e.String(), fmt.Sprintf("%v %+v %#v %s %q", e, e, e, e.SignInClientSecret, e.SignInClientSecret), string(shown)} {
					if strings.Contains(s, "s3cret") {
						t.Fatalf("the secret shows: %s", s)
					}
				}
			}},
		{"missing", map[string]string{EnvUserPoolID: "", EnvClientIDs: "", EnvTable: "", EnvAPIClientsGroup: "", EnvAPIClientScopes: "", EnvTokenEndpoint: ""},
			EnvUserPoolID + "|" + EnvClientIDs + "|" + EnvTable + "|" + EnvAPIClientsGroup + "|" + EnvAPIClientScopes + "|" + EnvTokenEndpoint, nil},
		{"http token endpoint", map[string]string{EnvTokenEndpoint: "http://x/oauth2/token"}, EnvTokenEndpoint, nil},
		{"http allowed locally", map[string]string{EnvTokenEndpoint: "http://x/oauth2/token", EnvInsecureHTTP: "true"}, "", nil},
		{"validity", map[string]string{EnvAPIClientTokenValidity: "2m"}, EnvAPIClientTokenValidity, nil},
		{"limit", map[string]string{EnvMaxClientsPerUser: "41"}, EnvMaxClientsPerUser, nil},
		{"secret twice", map[string]string{EnvSignInClientID: "web1", EnvSignInClientSecret: "a", EnvSignInClientSecretARN: "arn"}, EnvSignInClientSecret, nil},
		{"secret without client", map[string]string{EnvSignInClientSecret: "a"}, EnvSignInClientID, nil},
		{"bool", map[string]string{EnvCreateUsers: "maybe"}, EnvCreateUsers, nil},
		{"base path", map[string]string{EnvBasePath: "portal/"}, EnvBasePath, nil},
		{"token uses", map[string]string{EnvTokenUses: "refresh"}, EnvTokenUses, nil},
		{"skip client id check", map[string]string{EnvClientIDs: "", "GATEHOUSE_SKIP_CLIENT_ID_CHECK": "true"}, "GATEHOUSE_SKIP_CLIENT_ID_CHECK", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.set {
				env[k] = v
			}
			e, err := ConfigFromEnv(func(k string) string { return env[k] })
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.check != nil {
					tc.check(t, e)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, part := range strings.Split(tc.wantErr, "|") {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %s", err, part)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Error("error shows the secret")
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := New(Config{})
	for _, want := range []string{"Verifier", "Cognito", "Directory", "UserPoolID", "ClientsGroup", "ClientScopes", "TokenEndpoint"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(Config{}) = %v, want it to name %s", err, want)
		}
	}
}
