// Package envconfig reads Gatehouse's GATEHOUSE_* environment variables for
// the Lambda functions, their local servers and the CLI. A Reader collects
// one error per bad variable, each naming the variable, so a cold start
// reports every mistake at once. Reader.Verifier reads the token-verification
// settings (every user pool, the JWKS fetch bound, the token cache) that the
// authorizer, the portal, the refresh service and gatehouse verify share, and
// Verifier.Config turns them into the one jwtverify.Config they all build
// their verifier from.
package envconfig
