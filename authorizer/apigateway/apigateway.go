package apigateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// Handler answers API Gateway's Lambda authorizer events with an
// Authorizer's decisions. It is safe for concurrent use.
type Handler struct {
	a *authorizer.Authorizer
	// simple: HandleEvent answers payload 2.0 with simple responses
	// (HTTPAPISimple or HTTPAPISimpleUnsafeWithCache).
	simple bool
}

// New returns the Handler answering for a; httpAPI is how HandleEvent
// answers HTTP API (payload 2.0) events (empty: HTTPAPIPolicy when a has
// rules, HTTPAPISimple without), refused when unsafe with a's rules.
func New(a *authorizer.Authorizer, httpAPI HTTPAPIResponse) (*Handler, error) {
	if a == nil {
		return nil, errors.New("apigateway: the Authorizer is nil")
	}
	r, err := httpAPI.Resolve(a.HasRules())
	if err != nil {
		return nil, fmt.Errorf("apigateway: HTTP API response: %w", err)
	}
	return &Handler{a: a, simple: r != HTTPAPIPolicy}, nil
}

// HandleToken answers a REST API TOKEN authorizer event. Unauthorized
// outcomes return ErrUnauthorized (API Gateway: 401), errors a generic error
// (500); allow and forbidden return the caller's whole policy, so the cached
// answer is right for every route (403 where a Deny matches).
func (h *Handler) HandleToken(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	return h.handlePolicy(ctx, ev.MethodArn, ev.AuthorizationToken)
}

// HandleRequest answers a REST API REQUEST authorizer event (or an HTTP API
// one with payload format 1.0, whose fields it shares), taking the
// credential from the Authorization header. Answers as HandleToken.
func (h *Handler) HandleRequest(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	auth, ok := authorizationHeader(ev.Headers, ev.MultiValueHeaders)
	if !ok {
		auth = authorizer.AmbiguousAuthorization
	}
	return h.handlePolicy(ctx, ev.MethodArn, auth)
}

func (h *Handler) handlePolicy(ctx context.Context, methodARN, auth string) (events.APIGatewayCustomAuthorizerResponse, error) {
	arn, d, ok := h.decideARN(ctx, methodARN, auth)
	if !ok {
		return events.APIGatewayCustomAuthorizerResponse{}, errInternal
	}
	switch d.Outcome {
	case authorizer.OutcomeAllow, authorizer.OutcomeForbidden:
	case authorizer.OutcomeUnauthorized:
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	default:
		return events.APIGatewayCustomAuthorizerResponse{}, errInternal
	}
	doc, err := Policy(arn, d.Grants)
	if err != nil {
		h.a.Logger().ErrorContext(ctx, "authorizer policy", "reason", authorizer.ReasonBadEvent, "error", err.Error())
		return events.APIGatewayCustomAuthorizerResponse{}, errInternal
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:    d.Identity.InternalID,
		PolicyDocument: doc,
		Context:        authorizer.Context(d.Identity),
	}, nil
}

// decideARN parses the ARN and decides; ok is false when the ARN is
// unusable (the decision is then logged as an error).
func (h *Handler) decideARN(ctx context.Context, methodARN, auth string) (MethodARN, authorizer.Decision, bool) {
	arn, err := ParseMethodARN(methodARN)
	if err != nil {
		return arn, h.a.Fail(ctx, authorizer.ReasonBadEvent, err), false
	}
	d := h.a.Decide(ctx, authorizer.Request{Authorization: auth, Method: arn.Method, Path: arn.Path})
	return arn, d, true
}

// HandleHTTPAPI answers an HTTP API Lambda authorizer event (payload
// format 2.0) with a simple response: isAuthorized true with the context on
// allow, false on unauthorized and forbidden (the HTTP API answers 403 for
// both), and an error on dependency failure (500, and not cached).
//
// A simple response is about one route only, and API Gateway reuses a
// cached one on the token's other routes: with rules, HandleEvent uses it
// only when chosen as HTTPAPISimpleUnsafeWithCache (see the package
// documentation).
func (h *Handler) HandleHTTPAPI(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	_, d, ok := h.decideARN(ctx, ev.RouteArn, httpAPIAuthorization(ev))
	if !ok {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errInternal
	}
	switch d.Outcome {
	case authorizer.OutcomeAllow:
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: authorizer.Context(d.Identity)}, nil
	case authorizer.OutcomeUnauthorized, authorizer.OutcomeForbidden:
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	default:
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errInternal
	}
}

// HandleHTTPAPIPolicy answers an HTTP API Lambda authorizer event (payload
// format 2.0, simple responses off) with an IAM policy covering every
// route, like HandleToken, so caching per token is safe. Unauthorized
// returns ErrUnauthorized as for REST APIs.
func (h *Handler) HandleHTTPAPIPolicy(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerIAMPolicyResponse, error) {
	r, err := h.handlePolicy(ctx, ev.RouteArn, httpAPIAuthorization(ev))
	if err != nil {
		return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{}, err
	}
	return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{
		PrincipalID: r.PrincipalID, PolicyDocument: r.PolicyDocument, Context: r.Context,
	}, nil
}

func httpAPIAuthorization(ev events.APIGatewayV2CustomAuthorizerV2Request) string {
	auth, ok := authorizationHeader(ev.Headers, nil)
	switch {
	case !ok:
		return authorizer.AmbiguousAuthorization
	case auth == "" && len(ev.IdentitySource) == 1:
		// The identity source is the credential when it is configured as
		// $request.header.Authorization.
		return ev.IdentitySource[0]
	}
	return auth
}

// authorizationHeader finds the Authorization header whatever its case. It
// reports false when the header appears with different values.
func authorizationHeader(single map[string]string, multi map[string][]string) (string, bool) {
	var val string
	seen := false
	add := func(v string) bool {
		if seen && v != val {
			return false
		}
		val, seen = v, true
		return true
	}
	for k, v := range single {
		if strings.EqualFold(k, "Authorization") && !add(v) {
			return "", false
		}
	}
	for k, vs := range multi {
		if !strings.EqualFold(k, "Authorization") {
			continue
		}
		for _, v := range vs {
			if !add(v) {
				return "", false
			}
		}
	}
	return val, true
}
