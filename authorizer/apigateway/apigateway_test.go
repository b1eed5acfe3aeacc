package apigateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/internal/authtest"
)

// fixture is one authorizer over a populated table and the test rules,
// and its Handler.
type fixture struct {
	is *cognitotest.Issuer
	a  *authorizer.Authorizer
	h  *Handler
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	is := newIssuer(t)
	store := newStore(t, 0)
	populate(t, store)
	a, err := authorizer.New(authorizer.Config{Verifier: newVerifier(t, is, 100), Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{is, a, newHandler(t, a, "")}
}

func newHandler(t *testing.T, a *authorizer.Authorizer, httpAPI HTTPAPIResponse) *Handler {
	t.Helper()
	h, err := New(a, httpAPI)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readTestdata(t *testing.T, name, token string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{TOKEN}}"), []byte(token))
}

// TestEventsFromTestdata feeds realistic events through the handlers and
// HandleEvent, and compares the answers with the expected JSON.
func TestEventsFromTestdata(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// With rules, HandleEvent answers HTTP API events with policies unless
	// simple answers were chosen as unsafe.
	simple := newHandler(t, f.a, HTTPAPISimpleUnsafeWithCache)
	bob := f.is.AccessToken("partner-bob", partnerClient, cognitotest.WithScopes("reports/read"), cognitotest.WithGroups("analysts"))
	for _, tc := range []struct {
		event, response string
		token           string
		typed           func(raw []byte) (any, error)
		decodeInto      any
		eventHandler    *Handler // for HandleEvent; default f.h
	}{
		{
			event: "token-event.json", response: "token-response.json",
			token: f.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read")),
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayCustomAuthorizerRequest
				mustUnmarshal(t, raw, &ev)
				return f.h.HandleToken(ctx, ev)
			},
			decodeInto: &events.APIGatewayCustomAuthorizerRequest{},
		},
		{
			event: "request-event.json", response: "request-response.json",
			token: f.is.ClientCredentialsToken(m2mClient, []string{"orders/write"}),
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
				mustUnmarshal(t, raw, &ev)
				return f.h.HandleRequest(ctx, ev)
			},
			decodeInto: &events.APIGatewayCustomAuthorizerRequestTypeRequest{},
		},
		{
			event: "httpapi-event.json", response: "httpapi-response.json",
			token: bob,
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayV2CustomAuthorizerV2Request
				mustUnmarshal(t, raw, &ev)
				return f.h.HandleHTTPAPI(ctx, ev)
			},
			decodeInto:   &events.APIGatewayV2CustomAuthorizerV2Request{},
			eventHandler: simple,
		},
		{
			event: "httpapi-event.json", response: "httpapi-policy-response.json",
			token: bob,
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayV2CustomAuthorizerV2Request
				mustUnmarshal(t, raw, &ev)
				return f.h.HandleHTTPAPIPolicy(ctx, ev)
			},
			decodeInto: &events.APIGatewayV2CustomAuthorizerV2Request{},
		},
	} {
		eventHandler := tc.eventHandler
		if eventHandler == nil {
			eventHandler = f.h
		}
		t.Run(tc.response, func(t *testing.T) {
			raw := readTestdata(t, tc.event, tc.token)
			want := readTestdata(t, tc.response, "")

			// The event type keeps every field of the realistic event.
			mustUnmarshal(t, raw, tc.decodeInto)
			again, err := json.Marshal(tc.decodeInto)
			if err != nil {
				t.Fatal(err)
			}
			assertSubset(t, raw, again)

			for name, answer := range map[string]func() (any, error){
				"typed handler": func() (any, error) { return tc.typed(raw) },
				"HandleEvent":   func() (any, error) { return eventHandler.HandleEvent(ctx, raw) },
			} {
				resp, err := answer()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got, err := json.Marshal(resp)
				if err != nil {
					t.Fatal(err)
				}
				if !jsonEqual(t, got, want) {
					t.Fatalf("%s answered\n%s\nwant\n%s", name, got, want)
				}
			}
		})
	}
}

func mustUnmarshal(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// assertSubset fails unless every member of the JSON object sub appears
// with the same value in super (objects compared member by member, so the
// round trip may add zero-valued members the event left out).
func assertSubset(t *testing.T, sub, super []byte) {
	t.Helper()
	var a, b any
	mustUnmarshal(t, sub, &a)
	mustUnmarshal(t, super, &b)
	if path, ok := subset(a, b, "$"); !ok {
		t.Errorf("the round trip lost or changed %s", path)
	}
}

func subset(a, b any, path string) (string, bool) {
	am, ok := a.(map[string]any)
	if !ok {
		return path, reflect.DeepEqual(a, b)
	}
	bm, ok := b.(map[string]any)
	if !ok {
		return path, false
	}
	for k, v := range am {
		if p, ok := subset(v, bm[k], path+"."+k); !ok {
			return p, false
		}
	}
	return "", true
}

// TestHandlerOutcomes: 401 is exactly "Unauthorized", 500 says nothing,
// 403 is a policy whose Deny matches the method ARN.
func TestHandlerOutcomes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	arn := "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/admin/users"

	_, err := f.h.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer junk", MethodArn: arn})
	if err == nil || err.Error() != "Unauthorized" {
		t.Fatalf("401: err = %v, want exactly Unauthorized", err)
	}
	_, err = f.h.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + f.is.IDToken("alice", webClient), MethodArn: "not-an-arn"})
	if err == nil || err.Error() == "Unauthorized" || strings.Contains(err.Error(), "arn") {
		t.Fatalf("bad ARN: err = %v, want a generic error", err)
	}
	resp, err := f.h.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + f.is.IDToken("alice", webClient), MethodArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if authtest.IAMAllows(resp.PolicyDocument, arn) {
		t.Fatalf("403 expected, policy allows %s: %+v", arn, resp.PolicyDocument)
	}
	if resp.PrincipalID != "u-alice" {
		t.Fatalf("principalId = %q", resp.PrincipalID)
	}
	for k, v := range resp.Context {
		if _, ok := v.(string); !ok {
			t.Fatalf("context %q is %T, want string", k, v)
		}
	}

	// HTTP API simple: false for 401 and 403.
	for _, auth := range []string{"Bearer junk", "Bearer " + f.is.IDToken("alice", webClient)} {
		r, err := f.h.HandleHTTPAPI(ctx, events.APIGatewayV2CustomAuthorizerV2Request{
			Version: "2.0", Type: "REQUEST", RouteArn: arn, Headers: map[string]string{"authorization": auth},
		})
		if err != nil || r.IsAuthorized || r.Context != nil {
			t.Fatalf("HTTP API: %+v, %v; want isAuthorized false", r, err)
		}
	}
	// HTTP API IAM format: the same policy as REST.
	pr, err := f.h.HandleHTTPAPIPolicy(ctx, events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST", RouteArn: arn, Headers: map[string]string{"authorization": "Bearer " + f.is.IDToken("alice", webClient, cognitotest.WithGroups("admins"))},
	})
	if err != nil || !authtest.IAMAllows(pr.PolicyDocument, arn) {
		t.Fatalf("HTTP API policy: %+v, %v", pr, err)
	}

	// REQUEST with two different Authorization headers: refused.
	_, err = f.h.HandleRequest(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: arn,
		Headers:           map[string]string{"Authorization": "Bearer " + f.is.IDToken("alice", webClient)},
		MultiValueHeaders: map[string][]string{"authorization": {"Bearer " + f.is.IDToken("alice", webClient), "Bearer other"}},
	})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("ambiguous header: err = %v", err)
	}
	// Unknown event kinds are errors.
	if _, err := f.h.HandleEvent(ctx, json.RawMessage(`{"type":"WEBSOCKET"}`)); err == nil || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("unknown event: err = %v", err)
	}
	if _, err := f.h.HandleEvent(ctx, json.RawMessage(`[1,2`)); err == nil {
		t.Fatal("broken JSON: no error")
	}
}

// TestCacheTrap: API Gateway caches the answer to one token and applies it
// to the token's later calls on other routes. For every caller and every
// pair of routes, the policy returned for route A, evaluated for route B,
// must say what a decision made directly for route B says.
func TestCacheTrap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const prefix = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/"
	routes := []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/profile"}, {"DELETE", "/profile"},
		{"GET", "/admin"}, {"GET", "/admin/"}, {"POST", "/admin/users"}, {"GET", "/v1/admin/x"},
		{"POST", "/orders"}, {"PUT", "/orders"}, {"GET", "/orders"}, {"GET", "/orders/42"}, {"GET", "/ordersx"},
		{"POST", "/orders/42"}, {"GET", "/reports/q3"}, {"GET", "/reports"}, {"POST", "/reports/q3"},
		{"GET", "/health"}, {"GET", "/x/GET/orders"},
		{"HEAD", "/reports/q3"}, {"HEAD", "/orders/42"}, {"HEAD", "/admin/users"}, {"HEAD", "/profile"},
		{"OPTIONS", "/reports/q3"}, {"OPTIONS", "/admin/users"},
	}
	tokens := map[string]string{
		"user id":              f.is.IDToken("alice", webClient),
		"user admin":           f.is.IDToken("alice", webClient, cognitotest.WithGroups("admins")),
		"user reader":          f.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read")),
		"user writer analyst":  f.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/write", "reports/read"), cognitotest.WithGroups("analysts")),
		"client writer":        f.is.ClientCredentialsToken(m2mClient, []string{"orders/write"}),
		"client narrowed":      f.is.ClientCredentialsToken(narrowClient, []string{"orders/write", "orders/read"}),
		"client without scope": f.is.ClientCredentialsToken(m2mClient, nil),
		"partner analyst":      f.is.IDToken("partner-bob", partnerClient, cognitotest.WithGroups("analysts", "admins")),
	}
	for who, token := range tokens {
		direct := map[int]bool{}
		for j, r := range routes {
			d := f.a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + token, Method: r.method, Path: r.path})
			if d.Outcome != authorizer.OutcomeAllow && d.Outcome != authorizer.OutcomeForbidden {
				t.Fatalf("%s %s %s: %v/%s", who, r.method, r.path, d.Outcome, d.Reason)
			}
			direct[j] = d.Outcome == authorizer.OutcomeAllow
		}
		for i, a := range routes {
			resp, err := f.h.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{
				Type: "TOKEN", AuthorizationToken: "Bearer " + token, MethodArn: prefix + a.method + a.path,
			})
			if err != nil {
				t.Fatalf("%s on %s %s: %v", who, a.method, a.path, err)
			}
			for j, b := range routes {
				if got := authtest.IAMAllows(resp.PolicyDocument, prefix+b.method+b.path); got != direct[j] {
					t.Errorf("%s: answer cached for %s %s says %v for %s %s; deciding directly says %v",
						who, a.method, a.path, got, b.method, b.path, direct[j])
				}
			}
			_ = i
		}
	}
}

// TestHeadUnderGetRule: a GET rule also covers HEAD, which most frameworks
// answer with the GET handler: in the decision and in the policy's Deny
// list (what API Gateway applies, possibly from its cache, to a HEAD
// request's methodArn). Other methods are not covered by a GET rule.
func TestHeadUnderGetRule(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const prefix = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/"
	reader := f.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read"))
	analyst := f.is.AccessToken("alice", webClient, cognitotest.WithScopes("reports/read"), cognitotest.WithGroups("analysts"))
	for _, tc := range []struct {
		who, token, method, path string
		want                     authorizer.Outcome
		reason                   string
	}{
		// GET /reports/* needs reports/read and analysts.
		{"reader", reader, "HEAD", "/reports/q3", authorizer.OutcomeForbidden, authorizer.ReasonMissingScope},
		{"reader", reader, "head", "/reports/q3", authorizer.OutcomeForbidden, authorizer.ReasonMissingScope},
		{"reader", reader, "GET", "/reports/q3", authorizer.OutcomeForbidden, authorizer.ReasonMissingScope},
		{"analyst", analyst, "HEAD", "/reports/q3", authorizer.OutcomeAllow, authorizer.ReasonOK},
		// GET /orders* needs orders/read or orders/write.
		{"analyst", analyst, "HEAD", "/orders/42", authorizer.OutcomeForbidden, authorizer.ReasonMissingScope},
		{"reader", reader, "HEAD", "/orders/42", authorizer.OutcomeAllow, authorizer.ReasonOK},
		// A GET rule says nothing about other methods.
		{"reader", reader, "OPTIONS", "/reports/q3", authorizer.OutcomeAllow, authorizer.ReasonOK},
		{"reader", reader, "POST", "/reports/q3", authorizer.OutcomeAllow, authorizer.ReasonOK},
		// "*" covers every method, HEAD and OPTIONS included.
		{"reader", reader, "HEAD", "/admin/users", authorizer.OutcomeForbidden, authorizer.ReasonMissingGroup},
		{"reader", reader, "OPTIONS", "/admin/users", authorizer.OutcomeForbidden, authorizer.ReasonMissingGroup},
	} {
		name := tc.who + " " + tc.method + " " + tc.path
		d := f.a.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tc.token, Method: tc.method, Path: tc.path})
		if d.Outcome != tc.want || d.Reason != tc.reason {
			t.Errorf("%s: Decide = %v/%s, want %v/%s", name, d.Outcome, d.Reason, tc.want, tc.reason)
		}
		arn := prefix + strings.ToUpper(tc.method) + tc.path
		// The policy answered for this very route, and the one answered
		// for a GET elsewhere and then cached, say the same.
		for _, asked := range []string{arn, prefix + "GET/profile"} {
			resp, err := f.h.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{
				Type: "TOKEN", AuthorizationToken: "Bearer " + tc.token, MethodArn: asked,
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := authtest.IAMAllows(resp.PolicyDocument, arn); got != (tc.want == authorizer.OutcomeAllow) {
				t.Errorf("%s: the policy answered for %s allows %s: %v, want %v\n%+v",
					name, asked, arn, got, tc.want == authorizer.OutcomeAllow, resp.PolicyDocument)
			}
		}
	}
}

// TestNewFailsClosed: simple answers with rules (unless chosen as unsafe),
// unknown answer kinds and no Authorizer are refused.
func TestNewFailsClosed(t *testing.T) {
	is := newIssuer(t)
	v := newVerifier(t, is, 0)
	store := newStore(t, 0)
	withRules, err := authorizer.New(authorizer.Config{Verifier: v, Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	noRules, err := authorizer.New(authorizer.Config{Verifier: v, Directory: store})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		a       *authorizer.Authorizer
		httpAPI HTTPAPIResponse
		wantErr bool
	}{
		{"no authorizer", nil, "", true},
		{"simple HTTP API answers with rules", withRules, HTTPAPISimple, true},
		{"unknown HTTP API answer", noRules, "Simple", true},
		{"default with rules", withRules, "", false},
		{"simple, unsafe with cache, with rules", withRules, HTTPAPISimpleUnsafeWithCache, false},
		{"simple without rules", noRules, HTTPAPISimple, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(tc.a, tc.httpAPI)
			if (err != nil) != tc.wantErr || (h == nil) != tc.wantErr {
				t.Fatalf("New = %v, %v; want an error: %v", h, err, tc.wantErr)
			}
		})
	}
}
