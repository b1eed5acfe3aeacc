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
//	POST   /auth/respond         {username,challenge,session,responses} → tokens, or the next challenge
//	POST   /auth/refresh         {username,refresh_token} → new ID and access tokens
//	POST   /auth/sign-out        the caller's own access token → 204: signed out everywhere
//	GET    /clients              the caller's clients, never a secret
//	POST   /clients              {name?} → 201 with client_id, client_secret (once), token_endpoint
//	DELETE /clients/{id}         204
//	POST   /clients/{id}/reset   200 with the new client_id and client_secret
//
// Routes lists these as a table (the CDK app's facts file carries it),
// relative to Config.BasePath (GATEHOUSE_BASE_PATH, the parent resource:
// /portal in the CDK app, so the resources are /portal/auth/sign-in...).
// Behind API Gateway each must be a resource of its own, not {proxy+}: the
// handler serves a request only when requestContext.resourcePath and the
// method name a route (apigwproxy.Table.Match), so a spelling of a path
// that API Gateway matched to another resource — past that resource's
// throttle — never reaches the operation; anything else is 404. Served
// locally, the same table is a ServeMux over the canonical path.
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
// (mapping kind partner) get 403. The first-use binding records the sub of
// the verified token; the token must then carry the sub its user name was
// bound to and be issued since the last sign-out, as at the authorizer
// (mapping.User.Admits): 401 identity_rebound, identity_unbound or
// signed_out otherwise.
//
// # Sign-out everywhere
//
// POST /auth/sign-out takes the person's own access token (an ID token is
// 400 access_token_required: Cognito's GlobalSignOut needs the access
// token; a client-credentials token is 403 person_required). It calls
// GlobalSignOut (their refresh tokens stop working), then, in the same
// request, records the sign-out on their mapping (mapping.Store.SignOut,
// rounded up to the next whole second; never earlier than just after the
// presented token's "iat", should this clock run behind Cognito's), so the
// ID and access tokens issued before it are refused by the authorizer and
// here (signed_out) within the cache TTLs. If Cognito confirmed but recording fails, the answer is 503
// sign_out_not_recorded; a retry with the same token completes it (Cognito
// no longer accepts the token, which is taken as signed out there; a token
// already refused for a recorded sign-out answers 204 at once). A person
// without a mapping is bound first when first use would bind them
// (Config.CreateUsers, in Config.ClientsGroup), so that an old token cannot
// bind later; otherwise they are signed out at Cognito only. A sign-in in
// the same second as the sign-out gets tokens that are refused: sign in
// again. The person's API clients are separate credentials and are not
// touched.
//
// # Consistency with Cognito, and the client limit
//
// Nothing half-done may authenticate, the per-person limit
// (Config.MaxClientsPerUser, GATEHOUSE_MAX_CLIENTS_PER_USER, at most
// mapping.MaxClientsPerUser = 40) holds under any concurrency, and no
// Cognito client is left unbound without a record. The authorizer accepts
// a client-credentials token only when its client id is bound in the
// mapping; the mapping counts, in one counter on the person's profile, the
// bound clients and the pending slots (mapping.PendingClient: a Cognito
// client under creation, or one unbound and awaiting deletion). Every
// write that moves the counter is one DynamoDB transaction with a
// condition, so DynamoDB — not a read-then-check — decides the limit:
//
//   - create: ReserveClient (counter < the configured limit, else 409
//     client_limit; a slot in state creating) → CreateUserPoolClient →
//     RecordPendingClient (the new id on the slot) → BindPending (the slot
//     becomes the binding; counted once). A failure before the record
//     deletes the Cognito client and releases the slot; a failure of the
//     binding claims the slot (state orphan: no binding can use it any
//     more), deletes the Cognito client and releases the slot. When the
//     claim finds the slot gone, the binding had landed after all (a lost
//     answer): the answer is 201.
//   - reset: ReserveReplacement (a slot beside the limit, tied to the old
//     client, which must be bound; one reset per client at a time, a
//     concurrent second gets 409 conflict) → CreateUserPoolClient →
//     RecordPendingClient → ReplacePending: one transaction unbinds the old
//     id, binds the new one and turns the slot into the old client's orphan
//     record → the old Cognito client is deleted and the slot released.
//     Failures before ReplacePending are undone as for create; the old
//     client stays intact. A deletion that fails leaves the orphan record
//     and answers replaced_client_deleted=false: the old id is unbound, so
//     the authorizer refuses it.
//   - delete: UnbindClient (unbind and record an orphan slot, one
//     transaction) → DeleteUserPoolClient → release.
//
// A slot goes back to the counter only once its Cognito client is known to
// be gone (or never existed). So the mapping's bindings never exceed the
// limit; Cognito's clients for a person are at most the counter, which
// exceeds the limit only by the resets under way (each holds its new
// client beside the old one until the swap, at most one per bound client,
// so never more than twice the limit); and once nothing is under way
// and Cognito answers, Cognito and the mapping hold the same clients
// (portal/limit_test.go checks this with 50 concurrent mixed requests).
//
// Compensation runs on a context the request's cancellation cannot reach
// (context.WithoutCancel), bounded by Config.CompensationTimeout. What it
// cannot finish stays recorded as a pending slot, and a Cleaner finishes
// it: the portal runs one over the person's pending slots before each of
// their requests (list, create, reset, delete), and `gatehouse clients
// cleanup --internal-id ID` runs one by hand. An orphan slot's Cognito
// client is deleted (already gone counts as deleted), then the slot
// released; a slot still in state creating after StaleAfter (15 minutes,
// longer than any request runs) is claimed first, so a crashed request's
// slot is not held for ever.
//
// What can be left behind: a process that dies between
// CreateUserPoolClient's answer and RecordPendingClient (one DynamoDB
// write), or a RecordPendingClient that fails while DeleteUserPoolClient
// and ClaimPending fail too, leaves a Cognito client whose id no record
// holds (the last case also logs it at error, with the id). It is unbound,
// so no token of it passes the authorizer, and nobody ever saw its secret;
// its Cognito name is "<ClientNamePrefix>-<internal id>". Its slot is
// released by the clean-up after StaleAfter.
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
// Sign-in answers an unknown user and a wrong password with the same 401.
//
// # Challenges and MFA
//
// When Cognito asks for more before it issues tokens, sign-in answers 200
// {"challenge":{name,session,username,parameters}}: any challenge, with
// only its public parameters (cognitoauth drops others, such as the user's
// attributes). POST /auth/respond answers it with
// AdminRespondToAuthChallenge and SECRET_HASH, the admin call that goes
// with sign-in's AdminInitiateAuth; it takes exactly the response keys
// cognitoauth.ChallengeResponses lists for the challenge
// (NEW_PASSWORD_REQUIRED: NEW_PASSWORD; SOFTWARE_TOKEN_MFA:
// SOFTWARE_TOKEN_MFA_CODE; SMS_MFA, EMAIL_OTP, SMS_OTP: their code;
// SELECT_MFA_TYPE: ANSWER; MFA_SETUP: none, after the client registered its
// app with Cognito's AssociateSoftwareToken and VerifySoftwareToken) and
// answers tokens or the next challenge. An unknown challenge is 400
// unknown_challenge, other keys 400 invalid_request, a new password the
// pool's policy refuses 400 password_rejected, a wrong or expired code 401
// wrong_code (the session may be retried), an expired, used or forged
// session 401 session_expired. Sessions, codes and passwords are never
// logged; only the challenge's name is.
//
// MFA is the deployer's choice (the CDK context gatehouse:mfa=optional, the
// default, or required, TOTP only). Required MFA costs every person an
// authenticator app and a second step at each sign-in, and makes lost
// devices an operator's task (AdminSetUserMFAPreference to reset); it has
// no per-user AWS price for TOTP (SMS would). Without challenge support a
// pool with required MFA would lock everyone out of this sign-in, and an
// invited person (NEW_PASSWORD_REQUIRED) could never sign in at all. With
// it, the only requirement left is that partners' machine users are not in
// the people's pool: they sign in without a second factor, which is why
// issue 13 moves them to a pool of their own.
//
// Two answers are not JSON: when `gatehouse portal` serves the portal,
// headers over 32 KiB (forwardauth.DefaultMaxHeaderBytes) get Go's own
// plain-text 431, and requests net/http cannot parse its plain-text 400,
// written before any handler runs; net/http offers no hook to change them
// (Go 1.26, pinned by internal/httpjson's tests). Behind API Gateway, API
// Gateway's own limits answer instead, in its JSON.
//
// Logs (Config.Logger) carry ids, routes, statuses and error codes; never a
// password, token, refresh token, client secret, challenge session or code,
// nor the user name typed at sign-in.
//
// The client routes' work — the steps above and their compensation — is
// done by a ClientService (Handler.Clients), which knows no HTTP and
// reports failures with its own sentinels (ErrClientNotFound,
// ErrClientLimit, ErrClientConflict, ErrUnavailable); the handlers only
// decode requests and translate answers.
//
// The Handler is plain net/http: cmd/portal wraps it for API Gateway proxy
// events (internal/apigwproxy) and `gatehouse portal` serves it locally.
// ConfigFromEnv reads the GATEHOUSE_* variables (see the Env constants).
package portal
