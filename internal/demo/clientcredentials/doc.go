// Package clientcredentials is a local stand-in for Cognito's /oauth2/token
// endpoint, client-credentials grant only, in front of cognito-local, which
// does not implement that grant.
//
// It checks the client id and secret against the pool through the ordinary
// DescribeUserPoolClient call (so a deleted or reset client gets no new
// token, as in Cognito), and mints an access token with Cognito's
// client-credentials claim shape, signed with cognito-local's own published
// development key and issued under its issuer: to a verifier configured for
// the cognito-local pool, the token is indistinguishable from one
// cognito-local would issue. Used by `make demo` and end-to-end tests; never
// in production.
package clientcredentials
