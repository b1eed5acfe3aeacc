package authorizer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// fixture is one authorizer over a populated table and the test rules.
type fixture struct {
	is *cognitotest.Issuer
	a  *Authorizer
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	is := newIssuer(t)
	store := newStore(t, 0)
	populate(t, store)
	a, err := New(Config{Verifier: newVerifier(t, is, 100), Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{is, a}
}

// with returns an authorizer like f's, over the same issuer and table,
// with cfg changed by change.
func (f fixture) with(t *testing.T, change func(*Config)) *Authorizer {
	t.Helper()
	cfg := Config{Verifier: f.a.verifier, Directory: f.a.directory, Rules: testRules}
	change(&cfg)
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
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
	simple := f.with(t, func(c *Config) { c.HTTPAPIResponse = HTTPAPISimpleUnsafeWithCache })
	bob := f.is.AccessToken("partner-bob", partnerClient, cognitotest.WithScopes("reports/read"), cognitotest.WithGroups("analysts"))
	for _, tc := range []struct {
		event, response string
		token           string
		typed           func(raw []byte) (any, error)
		decodeInto      any
		eventHandler    *Authorizer // for HandleEvent; default f.a
	}{
		{
			event: "token-event.json", response: "token-response.json",
			token: f.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read")),
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayCustomAuthorizerRequest
				mustUnmarshal(t, raw, &ev)
				return f.a.HandleToken(ctx, ev)
			},
			decodeInto: &events.APIGatewayCustomAuthorizerRequest{},
		},
		{
			event: "request-event.json", response: "request-response.json",
			token: f.is.ClientCredentialsToken(m2mClient, []string{"orders/write"}),
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
				mustUnmarshal(t, raw, &ev)
				return f.a.HandleRequest(ctx, ev)
			},
			decodeInto: &events.APIGatewayCustomAuthorizerRequestTypeRequest{},
		},
		{
			event: "httpapi-event.json", response: "httpapi-response.json",
			token: bob,
			typed: func(raw []byte) (any, error) {
				var ev events.APIGatewayV2CustomAuthorizerV2Request
				mustUnmarshal(t, raw, &ev)
				return f.a.HandleHTTPAPI(ctx, ev)
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
				return f.a.HandleHTTPAPIPolicy(ctx, ev)
			},
			decodeInto: &events.APIGatewayV2CustomAuthorizerV2Request{},
		},
	} {
		eventHandler := tc.eventHandler
		if eventHandler == nil {
			eventHandler = f.a
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

	_, err := f.a.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer junk", MethodArn: arn})
	if err == nil || err.Error() != "Unauthorized" {
		t.Fatalf("401: err = %v, want exactly Unauthorized", err)
	}
	_, err = f.a.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + f.is.IDToken("alice", webClient), MethodArn: "not-an-arn"})
	if err == nil || err.Error() == "Unauthorized" || strings.Contains(err.Error(), "arn") {
		t.Fatalf("bad ARN: err = %v, want a generic error", err)
	}
	resp, err := f.a.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + f.is.IDToken("alice", webClient), MethodArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if iamAllows(resp.PolicyDocument, arn) {
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
		r, err := f.a.HandleHTTPAPI(ctx, events.APIGatewayV2CustomAuthorizerV2Request{
			Version: "2.0", Type: "REQUEST", RouteArn: arn, Headers: map[string]string{"authorization": auth},
		})
		if err != nil || r.IsAuthorized || r.Context != nil {
			t.Fatalf("HTTP API: %+v, %v; want isAuthorized false", r, err)
		}
	}
	// HTTP API IAM format: the same policy as REST.
	pr, err := f.a.HandleHTTPAPIPolicy(ctx, events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST", RouteArn: arn, Headers: map[string]string{"authorization": "Bearer " + f.is.IDToken("alice", webClient, cognitotest.WithGroups("admins"))},
	})
	if err != nil || !iamAllows(pr.PolicyDocument, arn) {
		t.Fatalf("HTTP API policy: %+v, %v", pr, err)
	}

	// REQUEST with two different Authorization headers: refused.
	_, err = f.a.HandleRequest(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: arn,
		Headers:           map[string]string{"Authorization": "Bearer " + f.is.IDToken("alice", webClient)},
		MultiValueHeaders: map[string][]string{"authorization": {"Bearer " + f.is.IDToken("alice", webClient), "Bearer other"}},
	})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("ambiguous header: err = %v", err)
	}
	// Unknown event kinds are errors.
	if _, err := f.a.HandleEvent(ctx, json.RawMessage(`{"type":"WEBSOCKET"}`)); err == nil || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("unknown event: err = %v", err)
	}
	if _, err := f.a.HandleEvent(ctx, json.RawMessage(`[1,2`)); err == nil {
		t.Fatal("broken JSON: no error")
	}
}

// iamAllows evaluates a policy for an execute-api:Invoke on arn the way
// IAM does: an explicit Deny wins, otherwise an Allow is needed. Resource
// patterns use "*" (any run) and "?" (one character). It is written
// independently of the package's matcher on purpose.
func iamAllows(doc events.APIGatewayCustomAuthorizerPolicy, arn string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !slicesContainsAction(st.Action) {
			continue
		}
		for _, r := range st.Resource {
			if !iamMatch(r, arn) {
				continue
			}
			if st.Effect == "Deny" {
				return false
			}
			if st.Effect == "Allow" {
				allowed = true
			}
		}
	}
	return allowed
}

func slicesContainsAction(actions []string) bool {
	for _, a := range actions {
		if a == "execute-api:Invoke" || a == "execute-api:*" || a == "*" {
			return true
		}
	}
	return false
}

func iamMatch(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
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
			d := f.a.Decide(ctx, Request{Authorization: "Bearer " + token, Method: r.method, Path: r.path})
			if d.Outcome != OutcomeAllow && d.Outcome != OutcomeForbidden {
				t.Fatalf("%s %s %s: %v/%s", who, r.method, r.path, d.Outcome, d.Reason)
			}
			direct[j] = d.Outcome == OutcomeAllow
		}
		for i, a := range routes {
			resp, err := f.a.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{
				Type: "TOKEN", AuthorizationToken: "Bearer " + token, MethodArn: prefix + a.method + a.path,
			})
			if err != nil {
				t.Fatalf("%s on %s %s: %v", who, a.method, a.path, err)
			}
			for j, b := range routes {
				if got := iamAllows(resp.PolicyDocument, prefix+b.method+b.path); got != direct[j] {
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
		want                     Outcome
		reason                   string
	}{
		// GET /reports/* needs reports/read and analysts.
		{"reader", reader, "HEAD", "/reports/q3", OutcomeForbidden, ReasonMissingScope},
		{"reader", reader, "head", "/reports/q3", OutcomeForbidden, ReasonMissingScope},
		{"reader", reader, "GET", "/reports/q3", OutcomeForbidden, ReasonMissingScope},
		{"analyst", analyst, "HEAD", "/reports/q3", OutcomeAllow, ReasonOK},
		// GET /orders* needs orders/read or orders/write.
		{"analyst", analyst, "HEAD", "/orders/42", OutcomeForbidden, ReasonMissingScope},
		{"reader", reader, "HEAD", "/orders/42", OutcomeAllow, ReasonOK},
		// A GET rule says nothing about other methods.
		{"reader", reader, "OPTIONS", "/reports/q3", OutcomeAllow, ReasonOK},
		{"reader", reader, "POST", "/reports/q3", OutcomeAllow, ReasonOK},
		// "*" covers every method, HEAD and OPTIONS included.
		{"reader", reader, "HEAD", "/admin/users", OutcomeForbidden, ReasonMissingGroup},
		{"reader", reader, "OPTIONS", "/admin/users", OutcomeForbidden, ReasonMissingGroup},
	} {
		name := tc.who + " " + tc.method + " " + tc.path
		d := f.a.Decide(ctx, Request{Authorization: "Bearer " + tc.token, Method: tc.method, Path: tc.path})
		if d.Outcome != tc.want || d.Reason != tc.reason {
			t.Errorf("%s: Decide = %v/%s, want %v/%s", name, d.Outcome, d.Reason, tc.want, tc.reason)
		}
		arn := prefix + strings.ToUpper(tc.method) + tc.path
		// The policy answered for this very route, and the one answered
		// for a GET elsewhere and then cached, say the same.
		for _, asked := range []string{arn, prefix + "GET/profile"} {
			resp, err := f.a.HandleToken(ctx, events.APIGatewayCustomAuthorizerRequest{
				Type: "TOKEN", AuthorizationToken: "Bearer " + tc.token, MethodArn: asked,
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := iamAllows(resp.PolicyDocument, arn); got != (tc.want == OutcomeAllow) {
				t.Errorf("%s: the policy answered for %s allows %s: %v, want %v\n%+v",
					name, asked, arn, got, tc.want == OutcomeAllow, resp.PolicyDocument)
			}
		}
	}
}

// TestHeadCountsAgainstBudget: the HEAD entries a GET rule adds to the Deny
// list count against the response budget, so as many GET patterns as POST
// patterns that just fit are refused at start.
func TestHeadCountsAgainstBudget(t *testing.T) {
	is := newIssuer(t)
	v := newVerifier(t, is, 0)
	store := newStore(t, 0)
	rules := func(method string) []Rule {
		var out []Rule
		for i := range 40 {
			out = append(out, Rule{Method: method, Path: fmt.Sprintf("/resource-%03d/*", i), Scopes: []string{"s"}})
		}
		return out
	}
	posts, err := compileRules(rules("POST"))
	if err != nil {
		t.Fatal(err)
	}
	budget := posts.worstResponseSize()
	if _, err := New(Config{Verifier: v, Directory: store, Rules: rules("POST"), ResponseBudget: budget}); err != nil {
		t.Fatalf("POST rules at their own worst case: %v", err)
	}
	if _, err := New(Config{Verifier: v, Directory: store, Rules: rules("GET"), ResponseBudget: budget}); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("as many GET rules: err = %v, want a budget error", err)
	}
	gets, err := compileRules(rules("GET"))
	if err != nil {
		t.Fatal(err)
	}
	if len(gets.patterns) != 80 {
		t.Fatalf("40 GET rules compile to %d patterns, want 80 (GET and HEAD)", len(gets.patterns))
	}
}

// TestLargeRuleSet: 300 rules stay within API Gateway's limits, and a rule
// set that could not is refused when the Authorizer is made.
func TestLargeRuleSet(t *testing.T) {
	is := newIssuer(t)
	v := newVerifier(t, is, 0)
	store := newStore(t, 0)
	populate(t, store)

	// 300 rules: 15 areas × (GET, POST) = 30 route patterns, each with ten
	// rules (scope and group requirements stacked on it); the GET ones also
	// cover HEAD, so the policy may deny 45 patterns.
	var rules []Rule
	for area := range 15 {
		for _, m := range []string{"GET", "POST"} {
			path := fmt.Sprintf("/area%02d/*", area)
			for k := range 10 {
				r := Rule{Method: m, Path: path}
				if k%2 == 0 {
					r.Scopes = []string{fmt.Sprintf("area%02d/%s%d", area, strings.ToLower(m), k)}
				} else {
					r.Groups = []string{fmt.Sprintf("team%02d-%d", area, k)}
				}
				rules = append(rules, r)
			}
		}
	}
	if len(rules) != 300 {
		t.Fatalf("%d rules", len(rules))
	}
	a, err := New(Config{Verifier: v, Directory: store, Rules: rules})
	if err != nil {
		t.Fatalf("300 rules refused: %v", err)
	}
	// The caller who meets nothing gets the largest policy. A long stage
	// name and many groups stand for the worst realistic case.
	arn := "arn:aws:execute-api:ap-southeast-2:123456789012:abcdefghij/production/GET/area07/x"
	groups := make([]string, 20)
	for i := range groups {
		groups[i] = fmt.Sprintf("some-rather-long-group-name-%02d", i)
	}
	resp, err := a.HandleToken(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithGroups(groups...)), MethodArn: arn,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > DefaultResponseBudget {
		t.Fatalf("response is %d bytes, over the %d-byte budget", len(out), DefaultResponseBudget)
	}
	denied := 0
	for _, st := range resp.PolicyDocument.Statement {
		for _, r := range st.Resource {
			if len(r) > maxARNLen {
				t.Fatalf("resource of %d characters", len(r))
			}
			if st.Effect == "Deny" {
				denied++
			}
		}
	}
	if denied != 45 {
		t.Fatalf("%d denied resources, want 45", denied)
	}
	t.Logf("300 rules: worst-case response %d bytes (budget %d)", len(out), DefaultResponseBudget)

	// 300 distinct route patterns cannot fit: refused up front, never at
	// request time.
	var distinct []Rule
	for i := range 300 {
		distinct = append(distinct, Rule{Method: "GET", Path: fmt.Sprintf("/resource-%03d/*", i), Scopes: []string{"s"}})
	}
	if _, err := New(Config{Verifier: v, Directory: store, Rules: distinct}); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("300 distinct patterns: err = %v, want a budget error", err)
	}
	// A larger budget, chosen knowingly, lets them through.
	if _, err := New(Config{Verifier: v, Directory: store, Rules: distinct, ResponseBudget: 64 << 10}); err != nil {
		t.Fatalf("with a 64 KiB budget: %v", err)
	}
}

func TestParseMethodARN(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok     bool
		prefix string
		method string
		path   string
	}{
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/orders/42", true, "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/", "GET", "/orders/42"},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/", true, "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/", "GET", "/"},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET", true, "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/", "GET", "/"},
		{"arn:aws-cn:execute-api:cn-north-1:123456789012:abc/$default/POST/a:b", true, "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/$default/", "POST", "/a:b"},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod", false, "", "", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:function:f", false, "", "", ""},
		{"arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/x", false, "", "", ""},
		{"", false, "", "", ""},
	} {
		m, err := ParseMethodARN(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseMethodARN(%q) err = %v", tc.in, err)
			continue
		}
		if tc.ok && (m.Prefix != tc.prefix || m.Method != tc.method || m.Path != tc.path) {
			t.Errorf("ParseMethodARN(%q) = %+v", tc.in, m)
		}
	}
}
