package authorizer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// DefaultResponseBudget is the default Config.ResponseBudget: the largest
// authorizer response, in bytes, a rule set may lead to; New refuses rules
// whose worst case exceeds it. 8 KiB is the
// only published figure for authorizer responses (WebSocket APIs); REST and
// HTTP APIs document none, so staying under it keeps one authorizer usable
// on every kind of API.
const DefaultResponseBudget = 8 << 10

// Worst-case sizes assumed when checking rules against the response budget and
// the 512-character ARN limit.
const (
	// maxARNPrefixLen bounds "arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/"
	// with a 128-character stage name (API Gateway's limit).
	maxARNPrefixLen = 220
	// budgetARNPrefixLen is the prefix length assumed for the size budget:
	// a long region, 10-character API id and a stage of up to 16 characters.
	budgetARNPrefixLen = 80
	// budgetIdentityBytes is what principalId and the context may take.
	budgetIdentityBytes = 2 << 10
	// maxARNLen is API Gateway's limit on a policy resource.
	maxARNLen = 512
)

// ErrUnauthorized is what the API Gateway handlers return for a 401: API
// Gateway recognises exactly this message.
var ErrUnauthorized = errors.New("Unauthorized")

// errInternal is returned for a 500; the detail is only in the log.
var errInternal = errors.New("internal error")

// MethodARN is a parsed execute-api ARN:
// arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>.
type MethodARN struct {
	// Prefix is everything up to and including "<stage>/".
	Prefix string
	Method string
	// Path is "/" followed by the ARN's resource path.
	Path string
}

// ParseMethodARN parses a methodArn or routeArn.
func ParseMethodARN(arn string) (MethodARN, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "execute-api" || parts[3] == "" || parts[4] == "" {
		return MethodARN{}, errors.New("authorizer: not an execute-api ARN")
	}
	res := strings.SplitN(parts[5], "/", 4)
	if len(res) < 3 || res[0] == "" || res[1] == "" || res[2] == "" || strings.Contains(res[0]+res[1], "*") {
		return MethodARN{}, errors.New("authorizer: execute-api ARN lacks an API id, stage or method")
	}
	path := "/"
	if len(res) == 4 {
		path += res[3]
	}
	prefix := arn[:len(arn)-len(parts[5])] + res[0] + "/" + res[1] + "/"
	return MethodARN{Prefix: prefix, Method: res[2], Path: path}, nil
}

// Resource returns the ARN of route under the prefix.
func (m MethodARN) Resource(r Route) string { return m.Prefix + r.Method + r.Path }

// Policy builds the IAM policy for grants under arn's API and stage: one
// Allow statement with the allowed routes and, when some are denied, one
// Deny statement with the denied routes. IAM lets an explicit Deny win, so the
// policy says the same thing for every route as Decide would, which is what
// makes it safe to cache per token.
func Policy(arn MethodARN, g *Grants) (events.APIGatewayCustomAuthorizerPolicy, error) {
	doc := events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17"}
	if g == nil || len(g.Allowed) == 0 {
		return doc, errors.New("authorizer: no grants to build a policy from")
	}
	allow := make([]string, 0, len(g.Allowed))
	for _, r := range g.Allowed {
		allow = append(allow, arn.Resource(r))
	}
	doc.Statement = append(doc.Statement, events.IAMPolicyStatement{
		Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: allow,
	})
	if len(g.Denied) > 0 {
		deny := make([]string, 0, len(g.Denied))
		for _, r := range g.Denied {
			deny = append(deny, arn.Resource(r))
		}
		doc.Statement = append(doc.Statement, events.IAMPolicyStatement{
			Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: deny,
		})
	}
	for _, st := range doc.Statement {
		for _, r := range st.Resource {
			if len(r) > maxARNLen {
				return doc, fmt.Errorf("authorizer: policy resource is %d characters, over API Gateway's %d", len(r), maxARNLen)
			}
		}
	}
	return doc, nil
}
