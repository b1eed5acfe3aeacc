// Package testkit holds nothing itself; its subpackages are what only tests
// use: local AWS stand-ins (localservices), a Cognito pool fixture
// (userpool), an in-process Cognito stand-in for MFA sign-ins
// (mfacognito), API Gateway proxy events from testdata (apigwevent), log
// scanning for secrets (logscan), OpenAPI body checks
// (openapicheck), tests against real Cognito tokens (realtokens) and the
// derivation of the facts the CDK app imports (infrafacts). No shipped
// binary imports them. Shipped helpers sit directly under internal/, the
// demo's parts under internal/demo.
package testkit
