// Command demo is what `make demo` and `make dev` run: Gatehouse end to end
// on one machine, with no AWS account.
//
// It starts the local stand-ins for AWS on loopback (moto_server for
// DynamoDB, KMS and the people's user pool, cognito-local for the partners'
// pool), provisions the pools with their groups, app clients and users, the
// mapping table and a KMS key, and starts the real gatehouse binary three
// times: `gatehouse serve --upstream` in front of a small sample API,
// `gatehouse portal` and `gatehouse partners serve`, each reaching Cognito
// through AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER (the portal: moto; the
// partner service: cognito-local). The people's pool is on moto for
// GlobalSignOut (the sign-out step), which cognito-local lacks; the
// partners' pool on cognito-local for RevokeToken, which moto lacks. Moto
// answers an unsigned GlobalSignOut in us-east-1 only, so the demo runs in
// that region. Neither has the client-credentials grant, so a local token
// endpoint (package clientcredentials) stands in for /oauth2/token; it
// signs with a key of its own and serves it with moto's keys, the keys URL
// (GATEHOUSE_JWKS_URL) the demo gives the people's pool, whose issuer
// (GATEHOUSE_ISSUER) is the https://cognito-idp.us-east-1.amazonaws.com/...
// one moto's tokens name.
//
// `make demo` then walks the story, printing each step and what came back,
// exits 0 only when every step behaved, names the failing step otherwise,
// and stops everything it started. `make dev` (-dev) leaves the stack
// running, prints its endpoints and sample commands, and stops it all on
// Ctrl-C.
package main
