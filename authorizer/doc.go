// Package authorizer is Gatehouse's decision core: what runs before every
// request. It authenticates a Cognito token (jwtverify), resolves the caller
// to one internal user id (a Directory: mapping's Store), and applies route
// rules. API Gateway's Lambda authorizer (package authorizer/apigateway) and
// `gatehouse serve` (package forwardauth) translate its Decision.
//
// # Callers
//
//   - A person's ID token: resolved by "cognito:username" (kind "user", or
//     "partner" when the mapping says so).
//   - A person's access token: resolved by "username" (same kinds).
//   - A program's client-credentials token (an access token without a user
//     name): resolved by "client_id" (kind "client"). The mapping is the
//     revocation check: a removed client is refused at once (after the
//     mapping cache TTL). When the mapping lists scopes for the client, the
//     token's scopes are narrowed to them, never widened.
//
// A user name or client id that is not (or no longer) mapped is not
// authenticated. A person's or partner's token must also carry the "sub"
// the user name was bound to (another: identity_rebound — the Cognito user
// was deleted and the name created again; none recorded: identity_unbound)
// and an "iat" no earlier than the user's last sign-out everywhere
// (signed_out), read from the same mapping item (record.User.Admits), so
// the checks add no read. Client-credentials tokens are bound through
// their client id, and a person's sign-out does not touch them.
//
// # Outcomes
//
//	outcome        when                                            REST/TOKEN answer            HTTP API simple
//	unauthorized   missing, malformed, invalid, expired, unmapped, error "Unauthorized" (401)   isAuthorized false (403)
//	               rebound, unbound, signed out
//	forbidden      a rule for this route is not met                policy with a matching Deny  isAuthorized false (403)
//	allow          authenticated, every matching rule met          policy, context              isAuthorized true, context
//	error          no usable keys, DynamoDB unavailable, bad event generic error (500)          error (500)
//
// An error is never cached by API Gateway and is never an allow. Reason codes
// (Decision.Reason) are jwtverify's codes for refused tokens ("expired",
// "bad_signature", ...) and the Reason constants of this package.
//
// # Rules
//
// A rule is {"method","path","scopes","groups"}. Patterns are those of
// execute-api ARNs: method "*" is any method; "*" in a path matches any run
// of characters, "/" included (so "/admin/*" covers "/admin/a/b", and a
// method "*" followed by "/pets" also covers "GET/v1/pets", exactly as IAM
// reads the ARN). "?" and "{var}" are refused. Within scopes any one
// suffices, within groups any one; when a rule has both, both must be met.
// Scopes must be RFC 6749 scope-tokens, the only ones a token can carry.
//
//   - Every rule whose pattern matches the route must be met (IAM: an
//     explicit Deny wins). Rules are not ordered.
//   - A route that no rule matches is open to every authenticated caller.
//     For "deny unless listed", add a catch-all rule such as
//     {"method":"*","path":"/*","groups":["api-users"]}.
//   - No rules: every authenticated caller may use every route.
//
// Methods are compared exactly (upper case), with two exceptions:
//
//   - "*" covers every method, HEAD and OPTIONS included.
//   - A "GET" rule also covers HEAD, because most servers and frameworks
//     (Go's ServeMux, Express, Flask, Rails) run the GET handler for HEAD,
//     side effects and headers included. The policy's Deny list then names
//     the pattern for both verbs, and both entries count against the
//     response budget. Nothing else is implied: a "GET" rule says nothing
//     about OPTIONS or POST, and a "HEAD" rule nothing about GET.
//
// OPTIONS gets no exception: like every request, it needs a valid token.
// Browsers send CORS preflights (OPTIONS) without credentials, so a
// preflight that reaches the authorizer is refused (reason "missing").
// Answer preflights in front of it: on a REST API, with OPTIONS methods
// without an authorizer (what CDK's defaultCorsPreflightOptions creates);
// on an HTTP API, its CORS configuration answers preflights itself, except
// where an ANY or $default route with this authorizer catches OPTIONS (add
// an OPTIONS /{proxy+} route without authorizer); behind a proxy, in the
// proxy.
//
// Rules come from GATEHOUSE_ROUTES (JSON) or GATEHOUSE_ROUTES_FILE (package
// authorizer/awsenv), parsed strictly by ParseRules.
//
// # Context for the backend
//
// principalId is the internal user id. The context holds strings only, one
// per identity field (internalId is the same as principalId; lists are
// space-separated): IdentityFields lists them, each with its key, the header
// gatehouse serve sends it in, and its meaning.
//
// A backend Lambda behind a REST API reads them from the request context:
//
//	func handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
//		userID, _ := req.RequestContext.Authorizer[authorizer.ContextInternalID].(string)
//		scopes := strings.Fields(req.RequestContext.Authorizer[authorizer.ContextScopes].(string))
//		...
//	}
//
// Behind an HTTP API (payload 2.0) they are in
// req.RequestContext.Authorizer.Lambda[...]; in mapping templates,
// $context.authorizer.internalId.
//
// # Front ends and wiring
//
// This package decides and depends on neither aws-lambda-go nor the AWS
// SDK (it names the mapping's records through package mapping/record, and
// the Directory it consumes is an interface). Beside it:
//
//   - package authorizer/apigateway answers API Gateway's authorizer events
//     (TOKEN, REQUEST, HTTP API) with IAM policies or simple responses,
//     and holds the event dispatcher cmd/authorizer hands to lambda.Start;
//   - package authorizer/awsenv reads the GATEHOUSE_* variables and builds
//     an Authorizer over DynamoDB (the mapping) and the JWKS;
//   - package forwardauth answers proxies (`gatehouse serve`).
//
// # Warm decisions
//
// With a token cache (jwtverify's VerifyMemo) and a mapping cache
// (mapping.Store's leases), a token seen again is decided without a
// mapping lookup: its resolved identity (and which route patterns it
// fails) is kept in the token's cache entry while the mapping cache entry
// it came from answers, that is until that entry expires (its own fetch
// time plus the TTL) or leaves the cache (a write through the Store drops
// it, or it is evicted), whichever comes first. The revocation delay is the
// mapping cache's, unchanged. Every check of a token-cache hit (the key
// still in its set, exp and nbf) and the route rules still run on each
// request; refusals are never kept. With either cache off, for a pool with
// a jwtverify.PoolConfig.Check (which may change the claims), or with a
// Verifier or Directory that wraps them (a type embedding a
// *jwtverify.Verifier or *mapping.Store, whose overrides of Verify or of a
// lookup the memo's methods would bypass), there is no memo.
//
// # Observability
//
// Every decision writes at most one log line ("authorizer decision":
// outcome, reason, kind, internal_id, client_id, token_use, route,
// latency_ms, for errors the dependency's error, and "context" when the
// caller's deadline had passed), at Debug for allows, Info for denials and
// Error for errors (at least Warn past the deadline), so the default Info
// level logs what needs looking at and not the bulk of the traffic
// (figures in BENCHMARKS.md). With GATEHOUSE_METRICS on (the Lambda's
// default; gatehouse serve leaves it off and has /metrics) it also writes
// one CloudWatch embedded-metric-format line in namespace Gatehouse, dimension Service=authorizer, with
// counts Allow, Unauthorized, Forbidden, Error (one of them 1) and Latency
// in milliseconds; Latency is published a second time by [Service, Outcome].
// Neither ever holds a token or secret; a test scans them.
package authorizer
