// Package clientcredentials is a local stand-in for Cognito's /oauth2/token
// endpoint, client-credentials grant only, in front of a local user pool
// (cognito-local or moto_server), neither of which implements that grant.
//
// It checks the client id and secret against the pool through the ordinary
// DescribeUserPoolClient call (so a deleted or reset client gets no new
// token, as in Cognito), and mints an access token with Cognito's
// client-credentials claim shape, issued under the pool's issuer and signed
// with a key the verifier takes for the pool's: cognito-local's own
// published development key (CognitoLocalKey), or a key of the caller's,
// published with the pool's own keys by JWKS (moto_server: its key ships
// inside its Python package, not in a form the demo can load). To a
// verifier configured for the pool (and, for moto, JWKS as its keys URL),
// the token is indistinguishable from one the pool would issue. Used by
// `make demo` and end-to-end tests; never in production.
package clientcredentials
