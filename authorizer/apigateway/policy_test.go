package apigateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

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
	var rules []authorizer.Rule
	for area := range 15 {
		for _, m := range []string{"GET", "POST"} {
			path := fmt.Sprintf("/area%02d/*", area)
			for k := range 10 {
				r := authorizer.Rule{Method: m, Path: path}
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
	a, err := authorizer.New(authorizer.Config{Verifier: v, Directory: store, Rules: rules})
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
	resp, err := newHandler(t, a, "").HandleToken(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithGroups(groups...)), MethodArn: arn,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > authorizer.DefaultResponseBudget {
		t.Fatalf("response is %d bytes, over the %d-byte budget", len(out), authorizer.DefaultResponseBudget)
	}
	denied := 0
	for _, st := range resp.PolicyDocument.Statement {
		for _, r := range st.Resource {
			if len(r) > authorizer.MaxARNLen {
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
	t.Logf("300 rules: worst-case response %d bytes (budget %d)", len(out), authorizer.DefaultResponseBudget)

	// 300 distinct route patterns cannot fit: refused up front, never at
	// request time.
	var distinct []authorizer.Rule
	for i := range 300 {
		distinct = append(distinct, authorizer.Rule{Method: "GET", Path: fmt.Sprintf("/resource-%03d/*", i), Scopes: []string{"s"}})
	}
	if _, err := authorizer.New(authorizer.Config{Verifier: v, Directory: store, Rules: distinct}); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("300 distinct patterns: err = %v, want a budget error", err)
	}
	// A larger budget, chosen knowingly, lets them through.
	if _, err := authorizer.New(authorizer.Config{Verifier: v, Directory: store, Rules: distinct, ResponseBudget: 64 << 10}); err != nil {
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
