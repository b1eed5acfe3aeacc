package refresh_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/apigwevent"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/openapicheck"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// TestThroughAPIGateway runs the handler as cmd/refresh does, behind the
// API Gateway proxy adapter: registration and exchange as proxy events.
func TestThroughAPIGateway(t *testing.T) {
	f, fc, admin := newRotationFixture(t)
	lambdaFn := apigwproxy.Handler(f.handler)
	call := func(name, auth string) events.APIGatewayProxyResponse {
		t.Helper()
		ev := apigwevent.Load(t, name)
		if auth != "" {
			ev.MultiValueHeaders["Authorization"] = []string{"Bearer " + auth}
		}
		resp, err := lambdaFn(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := call("register", admin)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(resp.Body, `"refresh_token"`) {
		t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	resp = call("exchange", "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Body, refresh.MessageInvalidCredential) {
		t.Fatalf("exchange: %d %s", resp.StatusCode, resp.Body)
	}
	if got := resp.MultiValueHeaders["Cache-Control"]; len(got) != 1 || got[0] != "no-store" {
		t.Errorf("Cache-Control %v", got)
	}
	assertNoSecrets(t, f.logs.String(), fc.secret, admin)
}

// Behind API Gateway the handler serves a route only when
// requestContext.resourcePath names it. Each event below is one API
// Gateway could send for a spelling of /partners/token that it did not
// match to the /partners/token resource (so the resource's method throttle
// did not apply): none may reach the exchange, whatever its path says.
// Nothing here emulates API Gateway's routing: the events state what it
// matched, and the test checks only what the handler does with that.
func TestEncodedVariantsDoNotReachExchange(t *testing.T) {
	f, _, _ := newRotationFixture(t)
	lambdaFn := apigwproxy.Handler(f.handler)
	tests := []struct {
		event  string
		status int
		op     string
	}{
		{"exchange", http.StatusUnauthorized, `"op":"exchange"`}, // the control: the real resource
		{"exchange-encoded-proxy", http.StatusNotFound, `"op":"unknown"`},
		{"exchange-decoded-proxy", http.StatusNotFound, `"op":"unknown"`},
		{"exchange-double-slash-proxy", http.StatusNotFound, `"op":"unknown"`},
		{"exchange-trailing-slash-proxy", http.StatusNotFound, `"op":"unknown"`},
		{"exchange-case-proxy", http.StatusNotFound, `"op":"unknown"`},
		{"no-resource", http.StatusNotFound, `"op":"unknown"`},
		// A path of the exchange under another resource runs that resource's
		// operation (here administrators only), never the exchange.
		{"exchange-as-rotate", http.StatusUnauthorized, `"op":"rotate"`},
		{"show-encoded-token", http.StatusUnauthorized, `"op":"show"`},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			before := len(f.logs.String())
			resp, err := lambdaFn(context.Background(), apigwevent.Load(t, tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if logs := f.logs.String()[before:]; !strings.Contains(logs, tt.op) {
				t.Errorf("log %q, want %s", logs, tt.op)
			}
		})
	}
}

// Routes and openapi.json name the same operations (parameter names
// aside): the API Gateway resources deployed from Routes are the
// documented API.
func TestRoutesAreTheDocumentedOperations(t *testing.T) {
	doc, err := openapicheck.LoadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := openapicheck.CompareRoutes(doc, refresh.Routes); diff != "" {
		t.Error(diff)
	}
}
