package refresh

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/smithy-go"

	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
)

func TestDecodeExchange(t *testing.T) {
	tests := []struct {
		body, want, errHas string
	}{
		{`{"refresh_token":"abc"}`, "abc", ""},
		{" \n{\"refresh_token\" : \"abc\"}\n", "abc", ""},
		{``, "", "required"},
		{`{}`, "", "refresh_token is required"},
		{`{"refresh_token":null}`, "", "refresh_token is required"},
		{`{"refresh_token":""}`, "", "refresh_token is empty"},
		{`{"refresh_token":1}`, "", "refresh_token must be a string"},
		{`{"refresh_token":["a"]}`, "", "refresh_token must be a string"},
		{`{"refresh_token":"a","x":1}`, "", `unknown field "x"`},
		{`{"refresh_token":"a","refresh_token":"b"}`, "", `"refresh_token" appears twice`},
		{`{"refresh_token":"junk","REFRESH_TOKEN":"valid"}`, "", `case-insensitive`},
		{`{"REFRESH_TOKEN":"valid"}`, "", `unknown field "REFRESH_TOKEN"`},
		{`{"refresh_token":"a"}x`, "", "after"},
		{`{"refresh_token":"a"`, "", "not valid JSON"},
		{`"abc"`, "", "JSON object"},
		{`null`, "", "JSON object"},
		{`{"` + strings.Repeat("k", 500) + `":1}`, "", "…"},
	}
	for _, tc := range tests {
		got, err := decodeExchange([]byte(tc.body))
		if tc.errHas == "" {
			if err != nil || got != tc.want {
				t.Errorf("%q: %q, %v; want %q", tc.body, got, err, tc.want)
			}
			continue
		}
		re, ok := errors.AsType[*httpjson.BodyError](err)
		if !ok || !strings.Contains(re.Message, tc.errHas) || httpjson.FromBody(err, CodeTooLarge).Status != http.StatusBadRequest {
			t.Errorf("%q: error %v, want one mentioning %q", tc.body, err, tc.errHas)
		}
	}
}

func TestDecodeRegister(t *testing.T) {
	in, err := decodeRegister([]byte(`{"partner_id":"acme","username":"u","internal_id":"i"}`))
	if err != nil || in != (RegisterInput{PartnerID: "acme", Username: "u", InternalID: "i"}) {
		t.Fatalf("%+v, %v", in, err)
	}
	for body, field := range map[string]string{
		`{"username":"u"}`:                          "partner_id",
		`{"partner_id":7}`:                          "partner_id",
		`{"partner_id":"a","username":""}`:          "username",
		`{"partner_id":"a","username":true}`:        "username",
		`{"partner_id":"a","internal_id":{}}`:       "internal_id",
		`{"partner_id":"a","kind":"user"}`:          `"kind"`,
		`{"partner_id":"dupa","PARTNER_ID":"dupb"}`: `"PARTNER_ID"`,
	} {
		if _, err := decodeRegister([]byte(body)); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want an error naming %s", body, err, field)
		}
	}
}

func TestCheckPartnerID(t *testing.T) {
	for id, ok := range map[string]bool{
		"acme": true, "a.b_c-D9": true, strings.Repeat("a", MaxPartnerIDLen): true,
		"": false, "token": false, "auth": false, "..": false, "a/b": false, "a b": false, "é": false,
		strings.Repeat("a", MaxPartnerIDLen+1): false,
	} {
		if err := checkPartnerID(id); (err == nil) != ok {
			t.Errorf("checkPartnerID(%q) = %v", id, err)
		}
	}
}

func TestRandomPassword(t *testing.T) {
	a, b := RandomPassword(), RandomPassword()
	if a == b || len(a) < 50 || !strings.ContainsAny(a, "abcdefghijklmnopqrstuvwxyz") ||
		!strings.ContainsAny(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || !strings.ContainsAny(a, "0123456789") || !strings.ContainsAny(a, "!-") {
		t.Fatalf("weak passwords")
	}
}

// FuzzDecodeExchange: any body gives a token or a body error naming the
// problem, never a panic; a token it returns is what the body held.
func FuzzDecodeExchange(f *testing.F) {
	for _, s := range []string{`{"refresh_token":"abc"}`, `{}`, `{"refresh_token":1}`, `{"a":1,"a":2}`, `[`, ``, `{"refresh_token":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		tok, err := decodeExchange([]byte(body))
		if err != nil {
			re, ok := errors.AsType[*httpjson.BodyError](err)
			if !ok || re.Message == "" {
				t.Fatalf("error %v is not a body error", err)
			}
			if !utf8.ValidString(re.Message) {
				t.Fatalf("message is not UTF-8: %q", re.Message)
			}
			return
		}
		var m map[string]any // encoding/json's own reading, exact keys
		if err := json.Unmarshal([]byte(body), &m); tok == "" || err != nil || len(m) != 1 || m["refresh_token"] != tok {
			t.Fatalf("token %q from %q (encoding/json: %v, %v)", tok, body, m, err)
		}
		if wellFormedToken(tok) && strings.ContainsAny(tok, " \x00\x7f") {
			t.Fatalf("token with a space or control character accepted: %q", tok)
		}
	})
}

// FuzzDecodeRegister: as FuzzDecodeExchange, for registrations.
func FuzzDecodeRegister(f *testing.F) {
	for _, s := range []string{`{"partner_id":"acme"}`, `{"partner_id":"a","username":"u","internal_id":"i"}`, `{"partner_id":null}`, `{"x":{}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		in, err := decodeRegister([]byte(body))
		if err != nil {
			re, ok := errors.AsType[*httpjson.BodyError](err)
			if !ok || re.Message == "" || !utf8.ValidString(re.Message) {
				t.Fatalf("error %v", err)
			}
			return
		}
		_ = checkPartnerID(in.PartnerID)
		_ = checkText("username", in.Username, MaxUsernameLen)
	})
}

// TestSafeErrorKeepsNoMessage: an AWS answer's message (moto echoes the
// request's token in it) never reaches a log line, only the operation and
// the error code.
func TestSafeErrorKeepsNoMessage(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "eyJsecret.token.here"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "AdminDeleteUser", Err: api}, "AdminDeleteUser: NotAuthorizedException"},
		{fmt.Errorf("wrapped: %w", api), "NotAuthorizedException"},
		{errors.New("plain"), "plain"},
	} {
		if got := safeError(tc.err); got != tc.want {
			t.Errorf("safeError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
