package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
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
	f.do(h, "POST", "/auth/refresh", "", `{"username":"dana","refresh_token":"`+r.str("refresh_token")+`"}`)
	f.do(h, "GET", "/clients", tok, "")
	r = f.do(h, "POST", "/clients", tok, `{"name":"x"}`)
	r = f.do(h, "POST", "/clients/"+r.str("client_id")+"/reset", tok, "")
	f.do(h, "GET", "/clients", tok, "")
	f.do(h, "DELETE", "/clients/"+r.str("client_id"), tok, "")

	d := openAPI(t)
	for _, op := range d.Operations() {
		if !f.exercised[op] {
			t.Errorf("documented operation %s was not exercised", op)
		}
	}
	// Routed operations: whatever answers other than 404 "no such route"
	// and 405 must be documented.
	for _, path := range []string{"/auth/sign-in", "/auth/refresh", "/auth", "/clients", "/clients/abc", "/clients/abc/reset", "/clients/abc/x", "/"} {
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
// cmd/portal does, and checks the answer against the document.
func TestThroughAPIGateway(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	lambda := apigwproxy.Handler(f.handler(nil))
	tok := f.signIn("dana").AccessToken
	resp, err := lambda(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/clients", Body: `{"name":"via gateway"}`,
		MultiValueHeaders: map[string][]string{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}},
	})
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
	resp, _ = lambda(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/clients",
		Body: strings.Repeat("x", 2<<20)})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized event body: %d", resp.StatusCode)
	}
}
