// Package authorizer is Gatehouse's decision core: the function API Gateway
// calls before every request. It authenticates a Cognito token (jwtverify),
// resolves the caller to one internal user id (mapping), applies route
// rules, and answers in the forms API Gateway understands: TOKEN and
// REQUEST authorizers with IAM policies, HTTP APIs (payload 2.0) with simple
// or policy responses. The same Decide serves `gatehouse serve`.
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
// authenticated.
//
// # Outcomes
//
//	outcome        when                                            REST/TOKEN answer            HTTP API simple
//	unauthorized   missing, malformed, invalid, expired, unmapped  error "Unauthorized" (401)   isAuthorized false (403)
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
// Rules come from GATEHOUSE_ROUTES (JSON) or GATEHOUSE_ROUTES_FILE, parsed
// strictly by ParseRules.
//
// # The policy, and API Gateway's cache
//
// API Gateway caches an authorizer's answer per token and applies it to the
// token's later requests on other routes. So the policy never names the
// route that was asked: it is one Allow statement for the whole stage
// (arn:...:<api>/<stage>/*/*) and one Deny statement listing every rule
// pattern the caller does not meet (a pattern covered by another denied one
// is left out). It depends only on who the caller is, so a cached answer is
// right for every route; TestCacheTrap checks this with an IAM-like matcher.
//
// The size of the policy grows with the number of distinct rule patterns
// that carry requirements (a GET pattern counts twice: GET and HEAD). New
// computes the worst case (a caller meeting nothing, long ARNs, 2 KiB for
// principal and context) and refuses rules over Config.ResponseBudget,
// default 8 KiB: the only published size limit for authorizer responses is
// 8 KB (WebSocket APIs); REST and HTTP APIs document none, so the default
// keeps one authorizer usable everywhere. Raise it
// (GATEHOUSE_RESPONSE_BUDGET) only knowingly. Rule paths are at most 256
// characters so every resource ARN stays under API Gateway's 512.
//
// HTTP API simple responses are a yes or no for one route, and API Gateway
// reuses a cached one on the token's other routes (the default TTL is 300
// s): with rules, a yes for an open route would let the token through on
// the routes the rules deny. So GATEHOUSE_HTTP_API_RESPONSE
// (Config.HTTPAPIResponse) is:
//
//	value                      answers                                   when
//	policy                     the IAM policy of REST APIs, every route  default with rules
//	simple                     isAuthorized for the route asked          default without rules; refused with rules
//	simple-unsafe-with-cache   isAuthorized for the route asked          with rules, only with the authorizer's
//	                                                                     result cache TTL at 0
//
// "With rules" means GATEHOUSE_ROUTES or GATEHOUSE_ROUTES_FILE holds at
// least one rule. Adding $context.routeKey to the identity sources does not
// make simple answers safe: a greedy route such as ANY /{proxy+} is one
// route key for every path. For policy answers, turn the authorizer's
// simple responses off (EnableSimpleResponses false); payload format 1.0
// events are always answered with policies.
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
// # Configuration (environment)
//
// ConfigFromEnv reads these variables at cold start and names the variable
// at fault in its error; EnvConfig.Build makes the Authorizer.
//
//	variable                        default        meaning
//	GATEHOUSE_USER_POOL_ID          (required)     Cognito user pool id, <region>_<id>
//	GATEHOUSE_CLIENT_IDS            (required)     app clients whose user tokens (ID, user access) are accepted,
//	                                               comma-separated; client-credentials tokens are accepted from
//	                                               any app client of the pool that the mapping knows
//	GATEHOUSE_SKIP_CLIENT_ID_CHECK  false          true: accept every app client of the pool (instead of the list)
//	GATEHOUSE_TOKEN_USES            id,access      accepted token uses
//	GATEHOUSE_ISSUER                Cognito's      expected "iss" (local stand-ins)
//	GATEHOUSE_JWKS_URL              <issuer>/.well-known/jwks.json
//	GATEHOUSE_INSECURE_HTTP         false          allow http issuer and JWKS URLs (local development only)
//	GATEHOUSE_CLOCK_SKEW            0s             tolerance on exp and nbf
//	GATEHOUSE_JWKS_TIMEOUT          2s             bound on one JWKS fetch (well under the decision timeout)
//	GATEHOUSE_TABLE                 (required)     DynamoDB mapping table
//	GATEHOUSE_ROUTES                (none)         rules as JSON
//	GATEHOUSE_ROUTES_FILE           (none)         path of a JSON rules file (not with GATEHOUSE_ROUTES)
//	GATEHOUSE_TOKEN_CACHE_SIZE      10000          verified tokens remembered (0: none)
//	GATEHOUSE_MAPPING_CACHE_SIZE    10000          mapping lookups remembered per kind
//	GATEHOUSE_MAPPING_CACHE_TTL     60s            how long a mapping answer is reused (the revocation delay)
//	GATEHOUSE_MAPPING_TIMEOUT       3s             bound on each DynamoDB call, retries included
//	GATEHOUSE_RESPONSE_BUDGET       8192           largest worst-case response the rules may lead to
//	GATEHOUSE_HTTP_API_RESPONSE     see above      HTTP API answers: policy (default with rules), simple (default
//	                                               without rules, refused with them) or simple-unsafe-with-cache
//	GATEHOUSE_METRICS               true           write embedded-metric-format lines to stdout
//
// The AWS SDK's own variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, ...)
// apply as usual. Log level and format come from the function's logging
// configuration (AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT=JSON) through
// lambdacontext.NewLogHandler.
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
