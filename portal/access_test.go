package portal_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

func TestAccessRules(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	f.person("finn", group)
	f.person("eve") // not in the group
	f.person("pat", group)
	_, err := f.store.CreateUser(f.ctx, "p-1", f.poolID, "pat", f.sub("pat"), mapping.KindPartner)
	must(t, err)
	h := f.handler(nil)
	dana, finn, eve, pat := f.signIn("dana").IDToken, f.signIn("finn").AccessToken, f.signIn("eve").IDToken, f.signIn("pat").IDToken

	r := f.do(h, "GET", "/clients", "", "")
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", r.status, r.header)
	}
	if r := f.do(h, "GET", "/clients", dana[:len(dana)-4]+"AAAA", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("tampered token: %d", r.status)
	}
	if r := f.do(h, "POST", "/clients", eve, ""); r.status != http.StatusForbidden || r.errorCode() != "forbidden" {
		t.Fatalf("outside the group: %d %s", r.status, r.body)
	}
	if r := f.do(h, "POST", "/clients", pat, ""); r.status != http.StatusForbidden {
		t.Fatalf("partner: %d %s", r.status, r.body)
	}
	strict := f.handler(func(c *portal.Config) { c.CreateUsers = false })
	if r := f.do(strict, "GET", "/clients", dana, ""); r.status != http.StatusForbidden || r.errorCode() != "not_registered" {
		t.Fatalf("unregistered without CreateUsers: %d %s", r.status, r.body)
	}

	// Per-user limit (3 in the fixture).
	var ids []string
	for i := range 3 {
		r := f.do(h, "POST", "/clients", dana, "")
		if r.status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.status, r.body)
		}
		ids = append(ids, r.str("client_id"))
	}
	if r := f.do(h, "POST", "/clients", dana, `{"name":"one too many"}`); r.status != http.StatusConflict || r.errorCode() != "client_limit" {
		t.Fatalf("over the limit: %d %s", r.status, r.body)
	}
	if n := len(f.cognitoClients()); n != 3 {
		t.Fatalf("Cognito has %d clients after a refused create", n)
	}

	// Another person's client is not found, and is left alone.
	for _, tc := range []struct{ method, path string }{{"DELETE", "/clients/" + ids[0]}, {"POST", "/clients/" + ids[0] + "/reset"}} {
		if r := f.do(h, tc.method, tc.path, finn, ""); r.status != http.StatusNotFound {
			t.Fatalf("%s %s by another person: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
	if !f.cognitoClientExists(ids[0]) {
		t.Fatal("another person's request deleted the client")
	}
	if r := f.do(h, "GET", "/clients", finn, ""); r.status != http.StatusOK || len(r.json["clients"].([]any)) != 0 {
		t.Fatalf("finn's list: %s", r.body)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(func(c *portal.Config) { c.MaxBodyBytes = 1024 })
	dana := f.signIn("dana").IDToken
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		code, field                     string
	}{
		{"unknown field", "POST", "/clients", dana, `{"nme":"x"}`, 400, "invalid_request", "nme"},
		{"wrong type", "POST", "/clients", dana, `{"name":5}`, 400, "invalid_request", "name"},
		{"duplicate field", "POST", "/clients", dana, `{"name":"a","name":"b"}`, 400, "duplicate_field", "name"},
		{"name too long", "POST", "/clients", dana, `{"name":"` + strings.Repeat("x", 65) + `"}`, 400, "invalid_request", "name"},
		{"not an object", "POST", "/clients", dana, `["x"]`, 400, "invalid_request", ""},
		{"malformed", "POST", "/clients", dana, `{"name":`, 400, "invalid_request", ""},
		{"trailing", "POST", "/clients", dana, `{} {}`, 400, "invalid_request", ""},
		{"too large", "POST", "/clients", dana, `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413, "request_too_large", ""},
		{"bad client id", "DELETE", "/clients/a-b", dana, "", 400, "invalid_request", "id"},
		{"reset with body", "POST", "/clients/abc/reset", dana, `{}`, 400, "invalid_request", ""},
		{"sign-in without password", "POST", "/auth/sign-in", "", `{"username":"dana"}`, 400, "invalid_request", "password"},
		{"sign-in empty username", "POST", "/auth/sign-in", "", `{"username":"","password":"x"}`, 400, "invalid_request", "username"},
		{"sign-in no body", "POST", "/auth/sign-in", "", ``, 400, "invalid_request", ""},
		{"refresh without token", "POST", "/auth/refresh", "", `{"username":"dana"}`, 400, "invalid_request", "refresh_token"},
		{"method", "PUT", "/clients", dana, ``, 405, "method_not_allowed", ""},
		{"route", "GET", "/nothing", "", ``, 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(h, tc.method, tc.path, tc.token, tc.body)
			e, _ := r.json["error"].(map[string]any)
			if r.status != tc.status || r.errorCode() != tc.code || (tc.field != "" && e["field"] != tc.field) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if tc.status == 405 && r.header.Get("Allow") != "GET, POST" {
				t.Fatalf("Allow %q", r.header.Get("Allow"))
			}
		})
	}
	if n := len(f.cognitoClients()); n != 0 {
		t.Fatalf("bad requests created %d clients", n)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(nil)
	wrong := f.do(h, "POST", "/auth/sign-in", "", `{"username":"dana","password":"wrong-Password-1"}`)
	unknown := f.do(h, "POST", "/auth/sign-in", "", `{"username":"nobody","password":"wrong-Password-1"}`)
	if wrong.status != http.StatusUnauthorized || string(wrong.body) != string(unknown.body) || unknown.status != wrong.status {
		t.Fatalf("wrong password %d %s, unknown user %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	if r := f.do(h, "POST", "/auth/refresh", "", `{"username":"dana","refresh_token":"not-a-token"}`); r.status != http.StatusUnauthorized {
		t.Fatalf("bad refresh token: %d %s", r.status, r.body)
	}
	if strings.Contains(f.logs.String(), "wrong-Password-1") || strings.Contains(f.logs.String(), "nobody") {
		t.Fatal("the logs contain what was typed at sign-in")
	}
	noAuth := f.handler(func(c *portal.Config) { c.Auth = nil })
	if r := f.do(noAuth, "POST", "/auth/sign-in", "", `{"username":"dana","password":"x"}`); r.status != http.StatusNotFound {
		t.Fatalf("sign-in without a sign-in client: %d", r.status)
	}
}

// downAuth is Cognito failing: every call answers err.
type downAuth struct{ err error }

func (c downAuth) SignIn(context.Context, string, string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error) {
	return nil, nil, c.err
}

func (c downAuth) Refresh(context.Context, string, string) (*cognitoauth.Tokens, error) {
	return nil, c.err
}

func (c downAuth) Respond(context.Context, string, string, string, map[string]string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error) {
	return nil, nil, c.err
}

func (c downAuth) GlobalSignOut(context.Context, string) error { return c.err }

func TestSignInOutage(t *testing.T) {
	f := newFixture(t)
	down := f.handler(func(c *portal.Config) {
		c.Auth = downAuth{err: errors.Join(cognitoauth.ErrUnavailable, errors.New("InternalErrorException: secret detail"))}
	})
	for path, body := range map[string]string{
		"/auth/sign-in": `{"username":"dana","password":"x"}`,
		"/auth/refresh": `{"username":"dana","refresh_token":"x"}`,
		"/auth/respond": `{"username":"dana","challenge":"SOFTWARE_TOKEN_MFA","session":"s","responses":{"SOFTWARE_TOKEN_MFA_CODE":"123456"}}`,
	} {
		r := f.do(down, "POST", path, "", body)
		if r.status != http.StatusServiceUnavailable || strings.Contains(string(r.body), "secret detail") {
			t.Fatalf("%s with Cognito down: %d %s", path, r.status, r.body)
		}
	}
	// Sign-out with Cognito down: 503, and nothing recorded.
	f.person("dora")
	_, err := f.store.CreateUser(f.ctx, "", f.poolID, "dora", f.sub("dora"), "")
	must(t, err)
	tok := f.signIn("dora")
	r := f.do(down, "POST", "/auth/sign-out", tok.AccessToken, "")
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "unavailable" {
		t.Fatalf("sign-out with Cognito down: %d %s", r.status, r.body)
	}
	if u, err := f.store.UserByUsername(f.ctx, f.poolID, "dora"); err != nil || u.SignedOut != 0 {
		t.Fatalf("a failed sign-out recorded one: %+v, %v", u, err)
	}
}

// A user name bound to another sub (the Cognito user was deleted and the
// name created again) is refused with identity_rebound, on cognito-local;
// first-use binding records the token's own sub.
func TestReboundRefused(t *testing.T) {
	f := newFixture(t)
	f.person("rex", group)
	f.person("uma", group)
	_, err := f.store.CreateUser(f.ctx, "", f.poolID, "rex", "sub-of-an-earlier-rex", mapping.KindUser)
	must(t, err)
	h := f.handler(nil)
	if r := f.do(h, "GET", "/clients", f.signIn("rex").IDToken, ""); r.status != http.StatusUnauthorized || r.errorCode() != "identity_rebound" {
		t.Fatalf("rebound rex: %d %s", r.status, r.body)
	}
	if r := f.do(h, "GET", "/clients", f.signIn("uma").IDToken, ""); r.status != http.StatusOK {
		t.Fatalf("uma, bound on first use: %d %s", r.status, r.body)
	}
	if u, err := f.store.UserByUsername(f.ctx, f.poolID, "uma"); err != nil || u.Sub != f.sub("uma") {
		t.Fatalf("uma's binding: %+v, %v", u, err)
	}
}
