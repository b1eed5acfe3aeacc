package apigateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// HTTPAPIResponse is a kind of answer to HTTP API (payload 2.0) events.
type HTTPAPIResponse string

const (
	// HTTPAPIPolicy answers with the IAM policy REST APIs get: it covers
	// every route, so API Gateway may cache it per token. The default with
	// rules.
	HTTPAPIPolicy HTTPAPIResponse = "policy"
	// HTTPAPISimple answers isAuthorized for the one route asked. API
	// Gateway caches it per token and reuses it on the token's other
	// routes, so it is the default only without rules, and refused with
	// them.
	HTTPAPISimple HTTPAPIResponse = "simple"
	// HTTPAPISimpleUnsafeWithCache is HTTPAPISimple with rules, chosen
	// knowingly: safe only with the authorizer's result cache off (TTL 0).
	HTTPAPISimpleUnsafeWithCache HTTPAPIResponse = "simple-unsafe-with-cache"
)

// Resolve returns the answer kind in effect for r (empty: the default),
// refusing simple answers with rules unless chosen as unsafe.
func (r HTTPAPIResponse) Resolve(haveRules bool) (HTTPAPIResponse, error) {
	switch {
	case r == "" && haveRules:
		return HTTPAPIPolicy, nil
	case r == "":
		return HTTPAPISimple, nil
	case r == HTTPAPISimple && haveRules:
		return "", fmt.Errorf("%q answers are per route, and API Gateway reuses a cached answer on the token's other routes, which the rules may deny: use %q (the default with rules), or %q with the authorizer's result cache TTL at 0",
			r, HTTPAPIPolicy, HTTPAPISimpleUnsafeWithCache)
	case r == HTTPAPIPolicy, r == HTTPAPISimple, r == HTTPAPISimpleUnsafeWithCache:
		return r, nil
	}
	return "", fmt.Errorf("%q is none of %q, %q and %q", string(r), HTTPAPIPolicy, HTTPAPISimple, HTTPAPISimpleUnsafeWithCache)
}

// HandleEvent answers any of the authorizer events, told apart by their
// "version" and "type": payload 2.0 → HandleHTTPAPI or HandleHTTPAPIPolicy
// (per GATEHOUSE_HTTP_API_RESPONSE), "TOKEN" → HandleToken, "REQUEST" →
// HandleRequest. It is what cmd/authorizer hands to lambda.Start.
func (h *Handler) HandleEvent(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version string `json:"version"`
		Type    string `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return h.badEvent(ctx, err)
	}
	switch {
	case probe.Version == "2.0":
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(raw, &ev); err != nil {
			return h.badEvent(ctx, err)
		}
		if h.simple {
			return h.HandleHTTPAPI(ctx, ev)
		}
		return h.HandleHTTPAPIPolicy(ctx, ev)
	case probe.Type == "TOKEN":
		var ev events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return h.badEvent(ctx, err)
		}
		return h.HandleToken(ctx, ev)
	case probe.Type == "REQUEST":
		var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return h.badEvent(ctx, err)
		}
		return h.HandleRequest(ctx, ev)
	default:
		return h.badEvent(ctx, errors.New("event is neither TOKEN, REQUEST nor payload 2.0"))
	}
}

func (h *Handler) badEvent(ctx context.Context, err error) (any, error) {
	h.a.Fail(ctx, authorizer.ReasonBadEvent, err)
	return nil, errInternal
}
