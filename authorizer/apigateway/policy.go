package apigateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/authorizer"
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
func (m MethodARN) Resource(r authorizer.Route) string { return m.Prefix + r.Method + r.Path }

// Policy builds the IAM policy for grants under arn's API and stage: one
// Allow statement with the allowed routes and, when some are denied, one
// Deny statement with the denied routes. IAM lets an explicit Deny win, so the
// policy says the same thing for every route as authorizer.Decide would, which is what
// makes it safe to cache per token.
func Policy(arn MethodARN, g *authorizer.Grants) (events.APIGatewayCustomAuthorizerPolicy, error) {
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
			if len(r) > authorizer.MaxARNLen {
				return doc, fmt.Errorf("authorizer: policy resource is %d characters, over API Gateway's %d", len(r), authorizer.MaxARNLen)
			}
		}
	}
	return doc, nil
}
