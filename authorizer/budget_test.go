package authorizer

import (
	"fmt"
	"strings"
	"testing"
)

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
