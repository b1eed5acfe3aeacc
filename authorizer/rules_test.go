package authorizer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer/internal/authtest"
)

func TestParseRules(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		wantErr  string // substring; "" for success
		want     []Rule
	}{
		{"empty array", `[]`, "", []Rule{}},
		{"normalised", `[{"method":"get","path":"/a/*","scopes":["s"]},{"method":"*","path":"/*","groups":["g"]}]`, "",
			[]Rule{{Method: "GET", Path: "/a/*", Scopes: []string{"s"}}, {Method: "*", Path: "/*", Groups: []string{"g"}}}},
		{"unknown field", `[{"method":"GET","path":"/","scope":["s"]}]`, "unknown field", nil},
		{"trailing data", `[] []`, "after the JSON array", nil},
		{"null", `null`, "null", nil},
		{"object", `{"method":"GET"}`, "array", nil},
		{"no method", `[{"path":"/"}]`, "method is empty", nil},
		{"ANY", `[{"method":"ANY","path":"/"}]`, "ANY", nil},
		{"odd method", `[{"method":"GE T","path":"/"}]`, "HTTP method", nil},
		{"no path", `[{"method":"GET"}]`, "path is empty", nil},
		{"relative path", `[{"method":"GET","path":"orders"}]`, "start with", nil},
		{"template", `[{"method":"GET","path":"/orders/{id}"}]`, "template", nil},
		{"question mark", `[{"method":"GET","path":"/a?b"}]`, "holds", nil},
		{"space", `[{"method":"GET","path":"/a b"}]`, "white space", nil},
		{"long path", `[{"method":"GET","path":"/` + strings.Repeat("a", MaxRulePathLen) + `"}]`, "longer", nil},
		{"empty scope", `[{"method":"GET","path":"/","scopes":[""]}]`, "scopes", nil},
		{"scope with space", `[{"method":"GET","path":"/","groups":["a b"]}]`, "groups", nil},
		{"scope with a quote", `[{"method":"GET","path":"/","scopes":["rs/\"a\""]}]`, "scope-token", nil},
		{"scope with a backslash", `[{"method":"GET","path":"/","scopes":["rs\\a"]}]`, "scope-token", nil},
		{"non-ASCII scope", `[{"method":"GET","path":"/","scopes":["rs/é"]}]`, "scope-token", nil},
		{"non-ASCII group is fine", `[{"method":"GET","path":"/","groups":["équipe"]}]`, "",
			[]Rule{{Method: "GET", Path: "/", Groups: []string{"équipe"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRules([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].Method != tc.want[i].Method || got[i].Path != tc.want[i].Path ||
					strings.Join(got[i].Scopes, " ") != strings.Join(tc.want[i].Scopes, " ") ||
					strings.Join(got[i].Groups, " ") != strings.Join(tc.want[i].Groups, " ") {
					t.Fatalf("rule %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*/*", "GET/", true},
		{"*/*", "GET/a/b", true},
		{"GET/orders", "GET/orders", true},
		{"GET/orders", "GET/orders/1", false},
		{"GET/orders*", "GET/orders/1", true},
		{"GET/orders/*", "GET/orders", false},
		{"*/admin/*", "POST/admin/users", true},
		{"*/admin/*", "GET/v1/admin/x", true}, // "*" crosses "/", as in IAM
		{"*/admin/*", "GET/admin", false},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "acb", false},
		{"", "", true},
		{"*", "", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
		if got := authtest.IAMMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("the test's IAM matcher disagrees on (%q, %q)", tc.pattern, tc.s)
		}
	}
}

// FuzzParseRules: any input gives rules or an error, never a panic, and
// accepted rules compile, survive a second parse unchanged in meaning, and
// match like the IAM matcher.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(`[{"method":"GET","path":"/orders/*","scopes":["orders/read"]}]`))
	f.Add([]byte(`[{"method":"*","path":"/*","groups":["admins"]},{"method":"post","path":"/a*b*c"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"method":"GET","path":"/{id}"}]`))
	f.Add([]byte(`{"method":"GET"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseRules(data)
		if err != nil {
			return
		}
		rs, err := compileRules(rules)
		if err != nil {
			t.Fatalf("parsed rules do not compile: %v", err)
		}
		for _, p := range rs.patterns {
			if len(p.key) > MaxARNLen-maxARNPrefixLen {
				t.Fatalf("pattern %q too long for an ARN", p.key)
			}
			probe := strings.ReplaceAll(p.key, "*", "x/y")
			if !globMatch(p.key, probe) || !authtest.IAMMatch(p.key, probe) {
				t.Fatalf("pattern %q does not match its own expansion %q", p.key, probe)
			}
		}
		_, _ = rs.judge("GET", "/", nil, nil, rs.failed(nil, nil))
		_, _ = rs.judge("", "", nil, nil, rs.failed(nil, nil))
	})
}

// FuzzJudge checks judge, which evaluates each pattern's requirements once
// for the grants and the route, against the plain evaluation: check (or the
// universal patterns) for the route, and buildGrants of denied.
func FuzzJudge(f *testing.F) {
	f.Add([]byte(authtest.RulesJSON), "GET", "/orders/42", "orders/read", "staff")
	f.Add([]byte(authtest.RulesJSON), "", "", "", "")
	f.Add([]byte(`[{"method":"*","path":"/*","groups":["admin"]},{"method":"POST","path":"/a*","scopes":["w"]}]`), "post", "/ab", "w", "")
	f.Fuzz(func(t *testing.T, data []byte, method, path, scope, group string) {
		rules, err := ParseRules(data)
		if err != nil {
			return
		}
		rs, err := compileRules(rules)
		if err != nil {
			t.Fatalf("parsed rules do not compile: %v", err)
		}
		scopes, groups := strings.Fields(scope), strings.Fields(group)
		g, why := rs.judge(method, path, scopes, groups, rs.failed(scopes, groups))
		if want := rs.checkRoute(method, path, scopes, groups); why != want {
			t.Fatalf("judge(%q, %q) refuses with %q, check with %q", method, path, why, want)
		}
		if want := rs.buildGrants(rs.denied(scopes, groups)); !reflect.DeepEqual(*g, *want) {
			t.Fatalf("judge's grants %+v, plain evaluation's %+v", *g, *want)
		}
	})
}
