package portal_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// TestEndToEnd: a person signs in through the portal, creates a client,
// gets a client-credentials token for it, the authorizer resolves that
// token to the person's internal id; after a reset the old id is refused
// and the new one accepted; after a delete nothing is. Tokens come from
// cognito-local (people) and, since no local service implements Cognito's
// /oauth2/token, from internal/demo/clientcredentials, which mints under
// cognito-local's issuer and key only for a client id and secret the pool
// still has. The whole log is scanned for secrets and tokens at the end.
func TestEndToEnd(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(nil)

	// Sign in through the portal.
	r := f.do(h, "POST", "/auth/sign-in", "", `{"username":"dana","password":"`+password+`"}`)
	if r.status != http.StatusOK || r.str("id_token") == "" || r.str("access_token") == "" || r.str("refresh_token") == "" {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	if r.str("username") != "dana" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sign in: username %q, headers %v", r.str("username"), r.header)
	}
	idToken, accessToken, refreshToken := r.str("id_token"), r.str("access_token"), r.str("refresh_token")

	// Refresh for people.
	r = f.do(h, "POST", "/auth/refresh", "", `{"username":"dana","refresh_token":"`+refreshToken+`"}`)
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	refreshed := r.str("access_token")

	// Create a client with the ID token (first use records the person).
	r = f.do(h, "POST", "/clients", idToken, `{"name":"billing job"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id, secret := r.str("client_id"), r.str("client_secret")
	if id == "" || secret == "" || r.str("token_endpoint") != f.tokenURL || r.str("name") != "billing job" {
		t.Fatalf("create: %s", r.body)
	}
	person := f.decide(idToken)
	if person.Outcome != authorizer.OutcomeAllow || person.Identity.Kind != authorizer.CallerUser {
		t.Fatalf("the person's own token: %v %s", person.Outcome, person.Reason)
	}
	internalID := person.Identity.InternalID

	// The program's token resolves to the person.
	cc, oauthErr := f.clientToken(id, secret)
	if cc == "" {
		t.Fatalf("client-credentials token: %s", oauthErr)
	}
	d := f.decide(cc)
	if d.Outcome != authorizer.OutcomeAllow || d.Identity.Kind != authorizer.CallerClient || d.Identity.InternalID != internalID {
		t.Fatalf("client token: %v %s %+v", d.Outcome, d.Reason, d.Identity)
	}
	if !slices.Contains(d.Identity.Scopes, scope) {
		t.Errorf("client token scopes %v", d.Identity.Scopes)
	}

	// A program cannot manage clients.
	if r := f.do(h, "POST", "/clients", cc, ""); r.status != http.StatusForbidden || r.errorCode() != "person_required" {
		t.Fatalf("client-credentials token on POST /clients: %d %s", r.status, r.body)
	}
	// Nor sign anyone out: sign-out takes a person's access token.
	if r := f.do(h, "POST", "/auth/sign-out", cc, ""); r.status != http.StatusForbidden || r.errorCode() != "person_required" {
		t.Fatalf("client-credentials token on POST /auth/sign-out: %d %s", r.status, r.body)
	}

	// List (with the refreshed access token): no secret anywhere.
	r = f.do(h, "GET", "/clients", refreshed, "")
	if r.status != http.StatusOK || strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), "secret") {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if cs := r.json["clients"].([]any); len(cs) != 1 || cs[0].(map[string]any)["client_id"] != id {
		t.Fatalf("list: %s", r.body)
	}

	// Reset: the old id stops working at once, its secret gets nothing.
	r = f.do(h, "POST", "/clients/"+id+"/reset", accessToken, "")
	if r.status != http.StatusOK || r.str("replaced_client_id") != id || r.json["replaced_client_deleted"] != true {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	newID, newSecret := r.str("client_id"), r.str("client_secret")
	if newID == id || newSecret == "" || newSecret == secret || r.str("name") != "billing job" {
		t.Fatalf("reset: %s", r.body)
	}
	if d := f.decide(cc); d.Outcome != authorizer.OutcomeUnauthorized || d.Reason != authorizer.ReasonUnmapped {
		t.Fatalf("old client's unexpired token after reset: %v %s", d.Outcome, d.Reason)
	}
	if tok, e := f.clientToken(id, secret); tok != "" || e != "invalid_client" {
		t.Fatalf("old secret after reset: token %v, error %q", tok != "", e)
	}
	cc2, oauthErr := f.clientToken(newID, newSecret)
	if cc2 == "" {
		t.Fatalf("new client: %s", oauthErr)
	}
	if d := f.decide(cc2); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != internalID {
		t.Fatalf("new client token: %v %s", d.Outcome, d.Reason)
	}

	// Delete: refused by the authorizer, gone from Cognito.
	if r := f.do(h, "DELETE", "/clients/"+newID, idToken, ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if d := f.decide(cc2); d.Outcome != authorizer.OutcomeUnauthorized {
		t.Fatalf("deleted client's token: %v %s", d.Outcome, d.Reason)
	}
	if f.cognitoClientExists(newID) || len(f.cognitoClients()) != 0 {
		t.Fatalf("Cognito still has clients %v", f.cognitoClients())
	}
	if r := f.do(h, "DELETE", "/clients/"+newID, idToken, ""); r.status != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", r.status, r.body)
	}

	// No secret, refresh token or token in any log line of the whole flow.
	logs := f.logs.String()
	if !strings.Contains(logs, "portal request") || !strings.Contains(logs, id) {
		t.Fatalf("logs look empty: %s", logs)
	}
	for name, v := range map[string]string{
		"secret": secret, "new secret": newSecret, "refresh token": refreshToken, "ID token": idToken,
		"access token": accessToken, "refreshed token": refreshed, "client token": cc, "new client token": cc2,
		"password": password, "web client secret": f.webSecret,
	} {
		if strings.Contains(logs, v) || strings.Contains(logs, v[len(v)/2:]) {
			t.Errorf("the logs contain the %s", name)
		}
	}
}
