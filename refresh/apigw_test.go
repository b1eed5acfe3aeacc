package refresh_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// TestThroughAPIGateway runs the handler as cmd/refresh does, behind the
// API Gateway proxy adapter: registration and exchange as proxy events.
func TestThroughAPIGateway(t *testing.T) {
	f, fc, admin := newRotationFixture(t)
	lambdaFn := apigwproxy.Handler(f.handler)
	call := func(method, path, auth, body string) events.APIGatewayProxyResponse {
		t.Helper()
		ev := events.APIGatewayProxyRequest{
			HTTPMethod: method, Path: path, Body: body,
			MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		}
		if auth != "" {
			ev.MultiValueHeaders["Authorization"] = []string{"Bearer " + auth}
		}
		resp, err := lambdaFn(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := call("POST", "/partners", admin, `{"partner_id":"gw"}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(resp.Body, `"refresh_token"`) {
		t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	resp = call("POST", "/partners/token", "", `{"refresh_token":"unknown"}`)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Body, refresh.MessageInvalidCredential) {
		t.Fatalf("exchange: %d %s", resp.StatusCode, resp.Body)
	}
	if got := resp.MultiValueHeaders["Cache-Control"]; len(got) != 1 || got[0] != "no-store" {
		t.Errorf("Cache-Control %v", got)
	}
	assertNoSecrets(t, f.logs.String(), fc.secret, admin)
}
