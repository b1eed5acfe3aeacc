// Package apigateway answers Amazon API Gateway's Lambda authorizer events
// with the decisions of an authorizer.Authorizer (the decision core, which
// documents callers, outcomes, rules and the context): REST API TOKEN and
// REQUEST authorizers (and HTTP API payload 1.0) with IAM policies, HTTP
// APIs (payload 2.0) with simple or policy responses. Handler.HandleEvent
// tells the events apart; it is what cmd/authorizer hands to lambda.Start.
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
// that carry requirements (a GET pattern counts twice: GET and HEAD).
// authorizer.New computes the worst case (a caller meeting nothing, long
// ARNs, 2 KiB for principal and context) and refuses rules over
// authorizer.Config.ResponseBudget, default 8 KiB: the only published size limit for authorizer responses is
// 8 KB (WebSocket APIs); REST and HTTP APIs document none, so the default
// keeps one authorizer usable everywhere. Raise it
// (GATEHOUSE_RESPONSE_BUDGET) only knowingly. Rule paths are at most 256
// characters so every resource ARN stays under API Gateway's 512.
//
// HTTP API simple responses are a yes or no for one route, and API Gateway
// reuses a cached one on the token's other routes (the default TTL is 300
// s): with rules, a yes for an open route would let the token through on
// the routes the rules deny. So GATEHOUSE_HTTP_API_RESPONSE
// (the httpAPI argument of New) is:
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
package apigateway
