package signin

import (
	"strings"
	"testing"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
)

// The decoders take untrusted bodies: they must never panic, and what they
// accept must satisfy the documented limits.

var testEndpoints = &Endpoints{CodeTooLarge: "payload_too_large", CodeInternal: "internal_error"}

func FuzzDecodeSignIn(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"username":"a"}`, `{"username":"a","password":"b","x":1}`, `{"username":"\t","password":"b"}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := testEndpoints.decodeSignIn(body)
		if err != nil {
			return
		}
		if req.Username == "" || req.Password == "" || len(req.Username) > MaxUsernameLen || len(req.Password) > MaxPasswordLen ||
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
		req, err := testEndpoints.decodeRespond(body)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("error %+v", err)
			}
			return
		}
		keys, ok := cognitoauth.ChallengeResponses[req.Challenge]
		if !ok || req.Username == "" || req.Session == "" || len(req.Session) > MaxSessionLen || len(req.Responses) != len(keys) {
			t.Fatalf("accepted %q", body)
		}
		for _, k := range keys {
			if v := req.Responses[k]; v == "" || len(v) > MaxResponseLen {
				t.Fatalf("accepted %q", body)
			}
		}
	})
}
