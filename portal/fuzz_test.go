package portal

import (
	"strings"
	"testing"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
)

// The decoders take untrusted bodies: they must never panic, and what they
// accept must satisfy the documented limits.

func FuzzDecodeCreateClient(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"name":"job"}`, `{"name":5}`, `{"name":"a","name":"b"}`, `{"x":1}`, `[1]`, `{"name":"\u0000"}`, `{} {}`, `{"name":"` + strings.Repeat("é", 40) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeCreateClient(body)
		if err != nil {
			if err.Status != 400 || (err.Code != "invalid_request" && err.Code != "duplicate_field") {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if len(req.Name) > maxNameLen || strings.ContainsFunc(req.Name, unicode.IsControl) || strings.TrimSpace(req.Name) != req.Name {
			t.Fatalf("accepted name %q", req.Name)
		}
	})
}

func FuzzDecodeSignIn(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"username":"a"}`, `{"username":"a","password":"b","x":1}`, `{"username":"\t","password":"b"}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeSignIn(body)
		if err != nil {
			return
		}
		if req.Username == "" || req.Password == "" || len(req.Username) > maxUsernameLen || len(req.Password) > maxPasswordLen ||
			strings.ContainsFunc(req.Username, unicode.IsControl) {
			t.Fatalf("accepted %q", body)
		}
	})
}

// What decodeRespond accepts names an answerable challenge and carries
// exactly its response keys, each non-empty and bounded: nothing else can
// reach Cognito.
func FuzzDecodeRespond(f *testing.F) {
	for _, s := range []string{
		`{"username":"a","challenge":"SOFTWARE_TOKEN_MFA","session":"s","responses":{"SOFTWARE_TOKEN_MFA_CODE":"123456"}}`,
		`{"username":"a","challenge":"NEW_PASSWORD_REQUIRED","session":"s","responses":{"NEW_PASSWORD":"p","USERNAME":"b"}}`,
		`{"username":"a","challenge":"MFA_SETUP","session":"s","responses":{}}`,
		`{"username":"a","challenge":"CUSTOM_CHALLENGE","session":"s","responses":{"ANSWER":"x"}}`,
		`{"username":"a","challenge":"SMS_MFA","session":"s","responses":{"sms_mfa_code":"1"}}`,
		`{"username":"a","challenge":"SMS_MFA","session":"s","responses":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeRespond(body)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("error %+v", err)
			}
			return
		}
		keys, ok := cognitoauth.ChallengeResponses[req.Challenge]
		if !ok || req.Username == "" || req.Session == "" || len(req.Session) > maxSessionLen || len(req.Responses) != len(keys) {
			t.Fatalf("accepted %q", body)
		}
		for _, k := range keys {
			if v := req.Responses[k]; v == "" || len(v) > maxResponseLen {
				t.Fatalf("accepted %q", body)
			}
		}
	})
}
