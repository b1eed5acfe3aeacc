// Package envconfig reads Gatehouse's GATEHOUSE_* environment variables for
// the Lambda functions and their local servers. A Reader collects one error
// per bad variable, each naming the variable, so a cold start reports every
// mistake at once; Pool reads the token-verification settings that the
// authorizer, the portal and the refresh service share.
package envconfig
