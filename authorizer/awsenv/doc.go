// Package awsenv builds the authorizer from the environment, as
// cmd/authorizer (the Lambda) and `gatehouse serve` do at start: it reads
// the GATEHOUSE_* variables (ConfigFromEnv) and wires the decision core
// (package authorizer) to its verifier (jwtverify) and to the mapping table
// in DynamoDB through the AWS SDK (EnvConfig.Build).
//
// # Configuration (environment)
//
// ConfigFromEnv reads these variables at cold start and names the variable
// at fault in its error; EnvConfig.Build makes the Authorizer.
//
//	variable                        default        meaning
//	GATEHOUSE_USER_POOL_ID          (required)     the people's Cognito user pool id, <region>_<id>
//	GATEHOUSE_CLIENT_IDS            (required)     app clients whose user tokens (ID, user access) are accepted,
//	                                               comma-separated; client-credentials tokens are accepted from
//	                                               any app client of the pool that the mapping knows
//	GATEHOUSE_SKIP_CLIENT_ID_CHECK  false          true: accept every app client of the pool (instead of the list)
//	GATEHOUSE_TOKEN_USES            id,access      accepted token uses
//	GATEHOUSE_ISSUER                Cognito's      expected "iss" (local stand-ins)
//	GATEHOUSE_JWKS_URL              <issuer>/.well-known/jwks.json
//	GATEHOUSE_INSECURE_HTTP         false          allow http issuer and JWKS URLs (local development only)
//	GATEHOUSE_CLOCK_SKEW            0s             tolerance on exp and nbf
//	GATEHOUSE_PARTNER_USER_POOL_ID  (none)         the partners' user pool id; unset: people's pool only
//	GATEHOUSE_PARTNER_CLIENT_IDS    (required      app clients of the partners' pool whose tokens are accepted:
//	                                with the pool) the partner app client (the refresh service's
//	                                               GATEHOUSE_PARTNER_CLIENT_ID, a single id there)
//	GATEHOUSE_PARTNER_SKIP_CLIENT_ID_CHECK, _ISSUER, _JWKS_URL, _INSECURE_HTTP, _CLOCK_SKEW
//	                                as above       the same settings for the partners' pool
//	GATEHOUSE_PARTNER_TOKEN_USES    id             partners call with the ID tokens the exchange returns
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
// A user name maps to an internal id only within the pool that issued the
// token (the pool whose issuer signed it): "acme" in the people's pool and
// "acme" in the partners' pool are two callers (see package mapping).
//
// The AWS SDK's own variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, ...)
// apply as usual. Log level and format come from the function's logging
// configuration (AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT=JSON) through
// lambdacontext.NewLogHandler.
package awsenv
