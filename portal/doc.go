// Package portal is the developer-credentials and sign-in service: people
// sign in with a user name and password, and members of a configured
// Cognito group create, list, reset and delete app clients for their own
// programs — Cognito client-credentials clients bound, in the mapping, to
// the person's internal user id, so that the authorizer resolves a
// program's token to its owner.
//
// Routes (see openapi.json, which a test checks the handlers against):
//
//	POST   /auth/sign-in         {username,password} → tokens, or {"challenge":{...}}
//	POST   /auth/refresh         {username,refresh_token} → new ID and access tokens
//	GET    /clients              the caller's clients, never a secret
//	POST   /clients              {name?} → 201 with client_id, client_secret (once), token_endpoint
//	DELETE /clients/{id}         204
//	POST   /clients/{id}/reset   200 with the new client_id and client_secret
//
// # Who the caller is
//
// /clients verifies the bearer token itself (Config.Verifier, for the web
// app clients' ID and access tokens), refuses client-credentials tokens
// (403 person_required) and people outside Config.ClientsGroup (403), and
// resolves the person's internal id with mapping's UserByUsername. A person
// without a mapping is recorded on first use when Config.CreateUsers is set
// (GATEHOUSE_CREATE_USERS, default true: membership of the group is the
// gate), with a new random internal id; a concurrent first call that wins
// is read back. Without it such a person gets 403 not_registered. Partners
// (mapping kind partner) get 403.
//
// # Consistency with Cognito
//
// Nothing half-done may authenticate. The authorizer accepts a
// client-credentials token only when its client id is bound in the
// mapping, so the order of steps is chosen for that:
//
//   - create: Cognito client, then bind. Bind fails → the Cognito client is
//     deleted (and, if the write's outcome is unknown, unbound too).
//   - reset: new Cognito client, then one transaction unbinds the old id and
//     binds the new; then the old Cognito client is deleted. Transaction
//     fails → the new client is deleted, the old one is intact. Deleting the
//     old client fails → it is retried, then logged for an operator and
//     reported as replaced_client_deleted=false: it is unbound already, so
//     the authorizer refuses it.
//   - delete: unbind, then delete in Cognito (same fallback).
//
// Compensation runs on a context the request's cancellation cannot reach
// (context.WithoutCancel), bounded by Config.CompensationTimeout.
//
// The per-user limit (Config.MaxClientsPerUser) is checked before creating
// anything, and again after binding: when concurrent creates overshoot, the
// newest client undoes itself. mapping enforces its own hard limit
// (mapping.MaxClientsPerUser) atomically.
//
// # Answers
//
// JSON, Cache-Control: no-store on every answer (internal/httpjson, shared
// with the partner service). Errors are {"error":{"code","message","field"}};
// 400 names the field; 401 carries WWW-Authenticate: Bearer; 405 carries
// Allow; bodies over Config.MaxBodyBytes get 413. A present body must be
// Content-Type application/json (415 otherwise) and is read once, strictly:
// member names are case-sensitive (an unknown or differently cased name is
// 400 invalid_request) and two members that encoding/json would match to
// one field ("username" and "USERNAME" or "uſername") are 400
// duplicate_field, so no body means one thing here and another to a proxy.
// Cognito or DynamoDB trouble gives 503 (or 500), never their messages; a
// deployment AWS says is wrong (missing table or user pool, access denied)
// gives 500 configuration_error, since no retry cures it, and one error log
// line naming the table (internal/awserr classifies, with no extra call).
// Sign-in answers an unknown user and a wrong password with the same 401;
// Cognito challenges come back as 200 {"challenge":{name,session,parameters}}
// (a respond-to-challenge endpoint is not implemented).
//
// Two answers are not JSON: when `gatehouse portal` serves the portal,
// headers over 32 KiB (forwardauth.DefaultMaxHeaderBytes) get Go's own
// plain-text 431, and requests net/http cannot parse its plain-text 400,
// written before any handler runs; net/http offers no hook to change them
// (Go 1.26, pinned by internal/httpjson's tests). Behind API Gateway, API
// Gateway's own limits answer instead, in its JSON.
//
// Logs (Config.Logger) carry ids, routes, statuses and error codes; never a
// password, token, refresh token or client secret, nor the user name typed
// at sign-in.
//
// The Handler is plain net/http: cmd/portal wraps it for API Gateway proxy
// events (internal/apigwproxy) and `gatehouse portal` serves it locally.
// ConfigFromEnv reads the GATEHOUSE_* variables (see the Env constants).
package portal
