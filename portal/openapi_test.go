package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/apigwevent"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/openapicheck"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// TestOpenAPI drives every documented operation through the handler
// (fixture.do checks each request and response against openapi.json),
// then checks that every documented operation was exercised and that every
// operation the handler routes is documented.
func TestOpenAPI(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(nil)
	r := f.do(h, "POST", "/auth/sign-in", "", `{"username":"dana","password":"`+password+`"}`)
	tok := r.str("id_token")
	// dana has no challenge to answer: an unknown one gets 400 (cognito-local
	// lacks AdminRespondToAuthChallenge; challenge_test.go completes
	// challenges on moto and on the MFA stand-in).
	f.do(h, "POST", "/auth/respond", "", `{"username":"dana","challenge":"CUSTOM_CHALLENGE","session":"s","responses":{}}`)
	f.do(h, "POST", "/auth/refresh", "", `{"username":"dana","refresh_token":"`+r.str("refresh_token")+`"}`)
	f.do(h, "GET", "/clients", tok, "")
	r = f.do(h, "POST", "/clients", tok, `{"name":"x"}`)
	r = f.do(h, "POST", "/clients/"+r.str("client_id")+"/reset", tok, "")
	f.do(h, "GET", "/clients", tok, "")
	f.do(h, "DELETE", "/clients/"+r.str("client_id"), tok, "")
	// cognito-local lacks GlobalSignOut: an ID token is refused before it
	// is called (signout_test.go signs out on moto).
	f.do(h, "POST", "/auth/sign-out", tok, "")

	d := openAPI(t)
	for _, op := range d.Operations() {
		if !f.exercised[op] {
			t.Errorf("documented operation %s was not exercised", op)
		}
	}
	// Routed operations: whatever answers other than 404 "no such route"
	// and 405 must be documented.
	for _, path := range []string{"/auth/sign-in", "/auth/respond", "/auth/refresh", "/auth/sign-out", "/auth", "/clients", "/clients/abc", "/clients/abc/reset", "/clients/abc/x", "/"} {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			resp := f.do(h, m, path, tok, "")
			e, _ := resp.json["error"].(map[string]any)
			if resp.status == http.StatusMethodNotAllowed || (resp.status == http.StatusNotFound && e["message"] == "no such route") {
				continue
			}
			if _, ok := d.FindOperation(m, path); !ok {
				t.Errorf("%s %s is routed (%d) but not documented", m, path, resp.status)
			}
		}
	}
}

// TestThroughAPIGateway runs the handler behind the proxy adapter, as
// cmd/portal does, with a REST API proxy event from testdata, and checks
// the answer against the document.
func TestThroughAPIGateway(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	lambda := apigwproxy.Handler(f.handler(nil))
	tok := f.signIn("dana").AccessToken
	ev := apigwevent.Load(t, "create-client")
	ev.MultiValueHeaders["Authorization"] = []string{"Bearer " + tok}
	resp, err := lambda(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
	if err := openAPI(t).CheckResponse("POST", "/clients", resp.StatusCode, resp.Headers["Content-Type"], []byte(resp.Body)); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	must(t, json.Unmarshal([]byte(resp.Body), &body))
	if body["client_secret"] == "" || resp.MultiValueHeaders["Cache-Control"][0] != "no-store" {
		t.Fatalf("%v", resp)
	}
	ev = apigwevent.Load(t, "create-client")
	ev.Body = strings.Repeat("x", 2<<20)
	resp, _ = lambda(context.Background(), ev)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized event body: %d", resp.StatusCode)
	}
}

// Behind API Gateway the portal serves a route only when
// requestContext.resourcePath names it. Each event is one API Gateway
// could send for a spelling of /auth/sign-in it did not match to that
// resource (so the resource's throttle and web ACL rule did not apply):
// none reaches sign-in, whatever its path says. Nothing here emulates API
// Gateway's routing: the events state what it matched.
func TestEncodedVariantsDoNotReachSignIn(t *testing.T) {
	f := newFixture(t)
	lambda := apigwproxy.Handler(f.handler(nil))
	tests := []struct {
		event  string
		status int
		route  string
	}{
		{"sign-in", http.StatusUnauthorized, `"route":"/auth/sign-in"`}, // the control
		{"sign-in-encoded-proxy", http.StatusNotFound, `"route":"unknown"`},
		{"sign-in-case-proxy", http.StatusNotFound, `"route":"unknown"`},
		{"sign-in-trailing-slash-proxy", http.StatusNotFound, `"route":"unknown"`},
		{"unknown-resource", http.StatusNotFound, `"route":"unknown"`},
		// The path of sign-in under another resource runs that resource's
		// operation (here: "sign-in" is no client id), never sign-in.
		{"sign-in-as-reset", http.StatusBadRequest, `"route":"/clients/{id}/reset"`},
	}
	// Under a parent resource (GATEHOUSE_BASE_PATH=/portal, as the CDK app
	// deploys it) resourcePath carries it; without it the route is unknown.
	underPortal := apigwproxy.Handler(f.handler(func(c *portal.Config) { c.BasePath = "/portal" }))
	for event, status := range map[string]int{"portal-sign-in": http.StatusUnauthorized, "sign-in": http.StatusNotFound} {
		if resp, err := underPortal(context.Background(), apigwevent.Load(t, event)); err != nil || resp.StatusCode != status {
			t.Errorf("%s under /portal: %v %d %s, want %d", event, err, resp.StatusCode, resp.Body, status)
		}
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			before := len(f.logs.String())
			resp, err := lambda(context.Background(), apigwevent.Load(t, tt.event))
			if err != nil || resp.StatusCode != tt.status {
				t.Fatalf("%v %d %s, want %d", err, resp.StatusCode, resp.Body, tt.status)
			}
			if logs := f.logs.String()[before:]; !strings.Contains(logs, tt.route) {
				t.Errorf("log %q, want %s", logs, tt.route)
			}
		})
	}
}

// Routes and openapi.json name the same operations (parameter names
// aside): the API Gateway resources deployed from Routes are the
// documented API.
func TestRoutesAreTheDocumentedOperations(t *testing.T) {
	if diff := openapicheck.CompareRoutes(openAPI(t), portal.Routes); diff != "" {
		t.Error(diff)
	}
}
