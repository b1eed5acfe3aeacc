// Command demo is what `make demo` and `make dev` run: Gatehouse end to end
// on one machine, with no AWS account.
//
// It starts the local stand-ins for AWS on loopback (cognito-local for the
// user pool, moto_server for DynamoDB and KMS), provisions a pool with its
// groups, app clients and users, the mapping table and a KMS key, and starts
// the real gatehouse binary three times: `gatehouse serve --upstream` in
// front of a small sample API, `gatehouse portal` and `gatehouse partners
// serve`. cognito-local has no client-credentials grant, so a local token
// endpoint (package clientcredentials) stands in for /oauth2/token.
//
// `make demo` then walks the story, printing each step and what came back,
// exits 0 only when every step behaved, names the failing step otherwise,
// and stops everything it started. `make dev` (-dev) leaves the stack
// running, prints its endpoints and sample commands, and stops it all on
// Ctrl-C.
package main
