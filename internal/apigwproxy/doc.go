// Package apigwproxy runs a plain net/http handler behind an API Gateway
// REST API (v1) Lambda proxy integration: it turns an
// events.APIGatewayProxyRequest into an *http.Request, runs the handler
// against an in-memory ResponseWriter and turns what was written into an
// events.APIGatewayProxyResponse.
//
// The same handler is then served locally by net/http (the CLI) and tested
// with httptest; only cmd/<service>/main.go knows about Lambda.
//
// Conversion rules:
//
//   - Method from httpMethod, path from path (the request path as API
//     Gateway saw it; REST APIs are reported to pass it still
//     percent-encoded, so a handler must not route on it), query from
//     multiValueQueryStringParameters, else queryStringParameters.
//   - Headers from multiValueHeaders, plus any headers-only key; the Host
//     header becomes Request.Host; requestContext.identity.sourceIp becomes
//     RemoteAddr.
//   - Bodies may be base64 (isBase64Encoded). A body larger than
//     Options.MaxBodyBytes is refused with 413 before the handler runs.
//   - requestContext (with requestContext.authorizer, the Lambda
//     authorizer's context) is available to the handler through
//     RequestContext, Authorizer and AuthorizerString. These are set only
//     by this adapter, so a handler served directly by net/http never sees
//     them — it must not trust any header in their place.
//   - Responses: every header goes out in multiValueHeaders (and its first
//     value in headers); a body that is not valid UTF-8 is base64-encoded.
//
// Routing: a Table of Routes (method and API Gateway resource path) says
// which operation a request is. Behind API Gateway, Table.Match reads only
// httpMethod, requestContext.resourcePath and pathParameters — the
// resource API Gateway matched, whose method settings (throttles) and web
// ACL rules applied — so a spelling of a path that API Gateway matched to
// another resource ({proxy+}, or none) never reaches the operation; each
// route must be deployed as a resource of its own. Served by net/http, the
// same table is a ServeMux over the canonical path. REST API (v1) events
// only; HTTP API (v2) events are not supported.
//
// The returned function never returns an error and never panics: a
// malformed event gets 400, an oversized body 413, and a handler panic or
// an oversized response 500, each with a generic JSON body
// {"error":{"code":"...","message":"..."}} and no detail from the failure.
// (An error returned to the Lambda runtime would become a bare 502.)
package apigwproxy
