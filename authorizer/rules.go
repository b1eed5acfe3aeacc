package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// Rule says what a route needs.
//
// Method is an HTTP method ("GET", any case, stored upper case) or "*" for
// any; a "GET" rule also covers "HEAD" (see coveredMethods). Path starts
// with "/"; "*" in it matches any run of characters, "/" included, exactly
// as in API Gateway's execute-api ARNs. Within Scopes any one scope
// suffices, within Groups any one group; when both are set, both must be
// met. A rule with neither is met by every authenticated caller.
type Rule struct {
	Method string   `json:"method"`
	Path   string   `json:"path"`
	Scopes []string `json:"scopes,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Limits on rules. MaxRulePathLen keeps every policy resource ARN under
// API Gateway's 512 characters whatever the region, account, API id and
// stage (see maxARNPrefixLen).
const (
	MaxRules         = 1000
	MaxRulePathLen   = 256
	maxMethodLen     = 16
	maxNamesPerRule  = 50
	maxNameLen       = 256
	maxRulesDocBytes = 1 << 20
)

// ParseRules parses a JSON array of rules strictly: unknown fields, trailing
// data, empty or invalid patterns, empty or white-space-holding scope and
// group names, and scopes that are not RFC 6749 scope-tokens (which no
// token could carry) are errors. The rules come back normalised (methods upper
// case).
func ParseRules(data []byte) ([]Rule, error) {
	if len(data) > maxRulesDocBytes {
		return nil, fmt.Errorf("authorizer: rules document is larger than %d bytes", maxRulesDocBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rules []Rule
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("authorizer: rules are not a JSON array of rules: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("authorizer: rules: unexpected data after the JSON array")
	}
	if rules == nil {
		return nil, errors.New("authorizer: rules: null is not an array of rules")
	}
	out := make([]Rule, len(rules))
	for i, r := range rules {
		n, err := r.normalize()
		if err != nil {
			return nil, fmt.Errorf("authorizer: rule %d: %w", i, err)
		}
		out[i] = n
	}
	if len(out) > MaxRules {
		return nil, fmt.Errorf("authorizer: %d rules, more than %d", len(out), MaxRules)
	}
	return out, nil
}

// normalize validates r and returns it with an upper-case method and copied
// lists.
func (r Rule) normalize() (Rule, error) {
	m := strings.ToUpper(r.Method)
	switch {
	case m == "":
		return Rule{}, errors.New("method is empty (use \"*\" for any method)")
	case m == "ANY":
		return Rule{}, errors.New("method ANY is not special here: use \"*\" for any method")
	case m != "*" && !isToken(m):
		return Rule{}, fmt.Errorf("method %q is neither \"*\" nor an HTTP method", r.Method)
	}
	if err := checkPathPattern(r.Path); err != nil {
		return Rule{}, err
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"scopes", r.Scopes}, {"groups", r.Groups}} {
		if len(l.v) > maxNamesPerRule {
			return Rule{}, fmt.Errorf("%s: more than %d entries", l.name, maxNamesPerRule)
		}
		for _, s := range l.v {
			if s == "" || len(s) > maxNameLen || strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
				return Rule{}, fmt.Errorf("%s: %q is empty, too long or holds white space or control characters", l.name, s)
			}
		}
	}
	for _, s := range r.Scopes {
		if !jwtverify.IsScopeToken(s) {
			return Rule{}, fmt.Errorf("scopes: %q is not an RFC 6749 scope-token (no token could carry it)", s)
		}
	}
	return Rule{Method: m, Path: r.Path, Scopes: slices.Clone(r.Scopes), Groups: slices.Clone(r.Groups)}, nil
}

func isToken(m string) bool {
	if len(m) > maxMethodLen {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// checkPathPattern accepts "/" followed by printable ASCII without "?" (a
// one-character wildcard in IAM, so a literal "?" would not mean what it
// says), "#", "{" and "}" (API Gateway resource templates are not what the
// method ARN holds: write "*"), white space or "\".
func checkPathPattern(p string) error {
	switch {
	case p == "":
		return errors.New("path is empty")
	case p[0] != '/':
		return fmt.Errorf("path %q does not start with \"/\"", p)
	case len(p) > MaxRulePathLen:
		return fmt.Errorf("path is longer than %d characters", MaxRulePathLen)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return fmt.Errorf("path %q holds white space, a control or a non-ASCII character", p)
		case c == '{' || c == '}':
			return fmt.Errorf("path %q holds a template variable: write \"*\" instead", p)
		case c == '?' || c == '#' || c == '\\':
			return fmt.Errorf("path %q holds %q", p, c)
		}
	}
	return nil
}

// requirement is one rule's condition.
type requirement struct {
	scopes, groups []string
}

// failure returns "" when the caller meets r, otherwise the reason code.
func (r requirement) failure(scopes, groups []string) string {
	if len(r.scopes) > 0 && !anyIn(r.scopes, scopes) {
		return ReasonMissingScope
	}
	if len(r.groups) > 0 && !anyIn(r.groups, groups) {
		return ReasonMissingGroup
	}
	return ""
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// pattern is one distinct route pattern with every requirement the rules
// put on it.
type pattern struct {
	route Route
	key   string // Method + Path: what is matched against VERB + path
	reqs  []requirement
	// subsumedBy lists the patterns whose matches include all of this
	// one's, so a policy that denies one of them need not list this one.
	subsumedBy []int
}

// universal reports whether p matches every route.
func (p *pattern) universal() bool {
	return p.route.Method == "*" && strings.Trim(p.route.Path, "*") == "/"
}

// ruleSet is the compiled form of the rules.
type ruleSet struct {
	patterns []pattern // only patterns with at least one real requirement

	memo     sync.Map // uint64 mask of denied patterns → *Grants
	memoSize atomic.Int64
}

func compileRules(rules []Rule) (*ruleSet, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%d rules, more than %d", len(rules), MaxRules)
	}
	rs := &ruleSet{}
	index := map[string]int{}
	for i, r := range rules {
		n, err := r.normalize()
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		if len(n.Scopes) == 0 && len(n.Groups) == 0 {
			continue // met by everyone: it can never deny
		}
		for _, m := range coveredMethods(n.Method) {
			key := m + n.Path
			j, ok := index[key]
			if !ok {
				j = len(rs.patterns)
				index[key] = j
				rs.patterns = append(rs.patterns, pattern{route: Route{Method: m, Path: n.Path}, key: key})
			}
			rs.patterns[j].reqs = append(rs.patterns[j].reqs, requirement{scopes: n.Scopes, groups: n.Groups})
		}
	}
	for i := range rs.patterns {
		for j := range rs.patterns {
			if i != j && globMatch(rs.patterns[j].key, rs.patterns[i].key) {
				// Sound because patterns hold no literal "*": j's stars
				// absorb i's.
				rs.patterns[i].subsumedBy = append(rs.patterns[i].subsumedBy, j)
			}
		}
	}
	return rs, nil
}

// coveredMethods lists the methods a rule for method applies to: a GET rule
// also covers HEAD, because most servers and frameworks (Go's ServeMux,
// Express, Flask, Rails) run the GET handler for HEAD, side effects and
// headers included. Expanding here, once, makes the decision, the policy's
// Deny list and the response budget agree.
func coveredMethods(method string) []string {
	if method == http.MethodGet {
		return getAndHead
	}
	return []string{method}
}

var getAndHead = []string{http.MethodGet, http.MethodHead}

// denied returns the indexes of the patterns the caller does not meet.
func (rs *ruleSet) denied(scopes, groups []string) []int {
	var out []int
	for i := range rs.patterns {
		for _, req := range rs.patterns[i].reqs {
			if req.failure(scopes, groups) != "" {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// check returns "" when every pattern matching the route key is met, else
// the reason of the first failure.
func (rs *ruleSet) check(key string, scopes, groups []string) string {
	for i := range rs.patterns {
		p := &rs.patterns[i]
		if !globMatch(p.key, key) {
			continue
		}
		for _, req := range p.reqs {
			if why := req.failure(scopes, groups); why != "" {
				return why
			}
		}
	}
	return ""
}

// checkRoute is check for method and path; either empty (the route is
// unknown): only the patterns that match every route apply.
func (rs *ruleSet) checkRoute(method, path string, scopes, groups []string) string {
	if method != "" && path != "" {
		return rs.check(strings.ToUpper(method)+path, scopes, groups)
	}
	for i := range rs.patterns {
		p := &rs.patterns[i]
		if !p.universal() {
			continue
		}
		for _, req := range p.reqs {
			if why := req.failure(scopes, groups); why != "" {
				return why
			}
		}
	}
	return ""
}

// globMatch reports whether s matches pattern, in which "*" matches any run
// of bytes (including "/") and every other byte matches itself: IAM's rule
// for resource ARNs without "?". It runs in O(len(pattern)·len(s)) at worst.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
