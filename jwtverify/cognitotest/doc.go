// Package cognitotest is a fake Cognito user pool for tests: an Issuer mints
// ID, user access and client-credentials access tokens with the claim shapes
// Cognito uses, signs them with RSA 2048 (RS256) keys, and serves the public
// keys at /<poolId>/.well-known/jwks.json from an httptest.Server, like
// cognito-local does.
//
// It is meant for the tests of any package that verifies Cognito tokens, and
// so it does not import "testing":
//
//	iss, err := cognitotest.NewIssuer()
//	if err != nil { ... }
//	defer iss.Close()
//
//	pc := iss.PoolConfig(jwtverify.TokenUseAccess)
//	pc.ClientIDs = []string{"my-client"}
//	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}})
//	...
//	claims, err := v.Verify(ctx, iss.AccessToken("alice", "my-client", cognitotest.WithGroups("admins")))
//
// The issuer URL is the server's plain-http URL followed by "/<poolId>", so
// PoolConfig sets Issuer, JWKSURL and InsecureHTTP. Negative tests use the
// token options: WithClaims and WithHeader override anything (a nil value
// deletes), WithKID and SignWithUnknownKey make tokens whose key is missing or
// whose signature fails, WithTimes and WithExpiry move the token in time.
// Rotate and RetireOldKeys exercise key rotation.
//
// Scope claims follow RFC 6749 §3.3 (scope-tokens joined by single spaces),
// as jwtverify requires: a scope given to WithScopes or
// ClientCredentialsToken must be one scope-token. No scopes make an empty
// claim.
//
// Minting functions return the token string and panic only on a programming
// error in the test (an override that cannot be encoded as JSON, a scope
// that is not one scope-token).
package cognitotest
