// Package refresh is Gatehouse's service for B2B partners: it registers a
// partner (a Cognito user of its own, mapped to an internal id of kind
// "partner"), gives it a refresh token once, and exchanges that token for
// ID and access tokens that the authorizer accepts as the partner's
// internal id. Operators rotate and revoke partner credentials; so does a
// partner's own administrator, for its partner only.
//
// # Why the refresh token is enough
//
// The partner app client has a secret that only Gatehouse holds
// (configuration or Secrets Manager). Cognito refuses to refresh without
// it, so the refresh token a partner holds is useless anywhere but at the
// exchange. Gatehouse keeps a copy sealed with KMS (mapping.SealPartnerToken)
// next to the partner's mapping: internal id, Cognito user name (the one
// SECRET_HASH is computed over) and app client.
//
// # Endpoints (openapi.json describes them)
//
//	POST   /partners                register; operators; 201 with the refresh token, shown once
//	POST   /partners/token          exchange; body {"refresh_token": "..."}; 200 with id_token, access_token, expires_in
//	GET    /partners/{id}           show (no secrets); operators, or the partner's administrator
//	DELETE /partners/{id}           revoke; operators, or the partner's administrator; 200 with the revoked record
//	POST   /partners/{id}/rotate    new refresh token (shown once), the old one revoked; operators, or the partner's administrator
//	POST   /partners/auth/sign-in   a partner administrator signs in (user name, password): tokens or a challenge
//	POST   /partners/auth/respond   answers the challenge (NEW_PASSWORD_REQUIRED at the first sign-in; MFA)
//
// Routes lists these as a table (the CDK app's facts file carries it).
// Behind API Gateway each must be a resource of its own, not {proxy+}: the
// handler serves a request only when requestContext.resourcePath and the
// method name a route (apigwproxy.Table.Match), so a spelling of a path
// that API Gateway matched to another resource — past that resource's
// throttle — never reaches the operation; anything else is 404. Served
// locally, the same table is a ServeMux over the canonical path.
//
// The exchange takes the refresh token in the JSON body, never in a header
// or the URL, so it does not end up in access logs or caches.
// Operators (administrators of Gatehouse) send a person's Cognito token of
// the people's pool (ID or access, not client-credentials, not of the
// partner client) as "Authorization: Bearer" carrying
// GATEHOUSE_ADMIN_GROUP in "cognito:groups".
//
// # Partner administrators (self-service)
//
// Registration may name the partner's administrator (admin_username,
// admin_email): a person, created in the partners' pool next to the
// partner's machine user, bound to that partner only by a mapping item of
// its own (PARTNERADMIN#<pool>#<name>, package mapping). It is never a
// user name item, so the authorizer — which reads only USERNAME# and
// CLIENT# keys — never takes an administrator for the partner's machine
// identity, and the authorizer's partners' pool accepts the machine
// client's tokens only (GATEHOUSE_PARTNER_CLIENT_IDS), not the
// administrators' client.
//
// The administrator is invited: AdminCreateUser with the e-mail address
// (email_verified, the operator vouches for it), and Cognito e-mails a
// temporary password it generates. Gatehouse never sees or sets a lasting
// password for a person — unlike the machine user, whose random password
// only Gatehouse uses, once — and the temporary one must be replaced at
// the first sign-in (NEW_PASSWORD_REQUIRED), so only the administrator
// knows the password that works. admin_temporary_password sets the
// temporary password instead and suppresses the message: for local
// stand-ins (the demo), or an operator who hands it over another way.
//
// Administrators sign in with the partners' pool's app client for people
// (GATEHOUSE_PARTNER_ADMIN_CLIENT_ID, its secret if it has one; never the
// machine client, whose secret only Gatehouse holds), through the same
// code as the portal's sign-in (internal/signin over cognitoauth), with
// the public pair InitiateAuth USER_PASSWORD_AUTH and
// RespondToAuthChallenge, SECRET_HASH included: the first sign-in answers
// the challenge NEW_PASSWORD_REQUIRED, and /partners/auth/respond
// completes it; any other challenge (MFA) is handed back the same way.
//
// With the ID or access token it gets, the administrator calls show,
// rotate and revoke for its own partner: the token must verify against the
// partners' pool and that client, be a person's, and name (pool, user
// name) an administrator whose partner record names it back (mapping
// PartnerOfAdmin), with the sub registration recorded (adminSub, from
// AdminCreateUser's answer for the user it just created; the rule user
// names follow, record.SameSub): an administrator's Cognito user deleted
// and created again under the name is another person, 401
// identity_rebound; a record without a sub, 401 identity_unbound.
// Administrators are new in the release that records their sub, so no
// record needs binding (no bind-subs for them); one without a sub is
// refused, never bound later. Any other partner id — existing or not — is 403
// forbidden_partner, decided before the partner is read, so an
// administrator learns nothing about other partners (a 404 for unknown
// ids only would tell them apart). Registration stays the operators'. The
// operations are the operators' own code paths (Rotate, Revoke), so what
// they stop — the old refresh token at the exchange, and the partner's
// earlier ID tokens once revoke and rotate record a sign-out time — holds
// alike. Every request's log line names who acted (actor_kind operator or
// partner_admin, actor: the Cognito user name) and the partner id, never
// a token.
//
// There is no sign-out for administrators: their tokens are checked for
// the bound sub, not against a sign-out time. One would matter (a stolen
// administrator's token can rotate and read the new credential until it
// expires), but it is not small: a sign-out time on the partner record
// checked against iat, a route, and GlobalSignOut, which cognito-local —
// the partners' pool's local stand-in — lacks. Until then keep the
// administrators' client's ID and access token validity short (its
// tokens are accepted until they expire, even after the user is disabled
// or deleted in Cognito), and to cut an administrator off at once an
// operator revokes the partner (rotate then answers 409) and registers it
// again with a new administrator.
//
// # Register
//
// AdminCreateUser (messages suppressed; an existing user is a 409, never
// taken over) → AdminSetUserPassword with a random permanent password that
// is never stored, logged or shown → AdminInitiateAuth
// ADMIN_USER_PASSWORD_AUTH with SECRET_HASH → mapping.CreateUser (kind
// partner, bound to the sub of the ID token Cognito just issued: a partner
// user deleted and created again under the name is refused by the
// authorizer, identity_rebound) → the administrator's AdminCreateUser, if
// one is named (an existing user is a 409) → seal → mapping.PutPartner,
// which writes the partner and its administrator's item in one
// transaction. A failure half way revokes the token and deletes what this
// registration created (best effort, logged), never a user it did not
// create.
//
// # Exchange
//
// Fingerprint (SHA-256) of the presented token → PartnerByFingerprint →
// constant-time comparison with the stored fingerprint, status active →
// open the sealed copy and compare it in constant time with the presented
// one → refresh with the stored copy:
//
//   - Rotation off (default): AdminInitiateAuth REFRESH_TOKEN_AUTH with
//     SECRET_HASH over the stored Cognito user name. The refresh token
//     stays the same.
//   - Rotation on (GATEHOUSE_PARTNER_REFRESH_ROTATION=true, for an app
//     client with refresh-token rotation): GetTokensFromRefreshToken. The
//     new refresh token is sealed and replaces the old one with
//     mapping.UpdatePartnerToken, conditional on the version read; the
//     answer carries it in "refresh_token" and the presented one stops
//     working.
//
// Of concurrent exchanges of one token (rotation on) exactly one succeeds.
// A loser gets the same 401 as any invalid credential: its token has been
// rotated away by the winner. The new token Cognito gave a loser is revoked
// (best effort). If storing the new token times out, the record is read
// once: when it holds the new token the exchange succeeds, otherwise the
// answer is 503 and the partner retries with its token (within the app
// client's rotation grace period, Cognito still accepts it).
//
// RefreshTokenReuseException from Cognito is a 401 and a warning in the
// log. The partner is not marked compromised automatically: the reused
// token is Gatehouse's own stored copy, which only a concurrent exchange
// whose successor is not stored yet can have used; revoking would destroy
// that exchange's new token. An operator who suspects theft revokes.
//
// # Revoke and rotate
//
// Revoke: mapping RevokePartner (status revoked, fingerprint dropped) →
// mapping SignOut of the partner's user → open the sealed copy →
// RevokeToken at Cognito → mapping DropPartnerToken. The sign-out time
// (rounded up to the next whole second) makes the authorizer refuse the
// ID tokens of every earlier exchange (signed_out) within its cache TTLs:
// without it they would keep working until they expire (up to a day). If
// recording it fails the answer is 503 "sign_out_not_recorded" and the
// sealed copy stays, so a retried revoke records it. The store is what
// stops the exchange, so it is updated first and even when Cognito or KMS
// then fails (fail closed); the answer is then 503
// "cognito_not_revoked" and the sealed copy stays, so a retried revoke
// opens it and calls RevokeToken again until Cognito confirms. Revoking a
// revoked partner whose copy is dropped answers 200 without calling Cognito.
//
// Rotate: the password is never stored, so the partner user gets a new
// random permanent password (AdminSetUserPassword) and is signed in with
// it; the new token replaces the old one version-conditionally (409 when a
// concurrent exchange or rotation won; the new token is then revoked), and
// a sign-out of the partner's user is recorded, so ID tokens of earlier
// exchanges are refused by the authorizer ("previous_tokens_signed_out";
// when false, rotate again — the new token is in the answer either way,
// since it is shown only once; an exchange within the same whole second
// gets tokens refused too and is repeated); then the old token is revoked
// at Cognito ("previous_token_revoked" says whether Cognito confirmed; the
// exchange refuses it either way).
//
// An exchange that passed its checks before a revoke or rotate and whose
// Cognito call was answered after it would carry tokens issued after the
// sign-out time; so the exchange re-reads the partner (strongly consistent)
// once Cognito answered and hands the tokens out only if the partner is
// still active with the presented credential (401 otherwise).
//
// # Errors
//
// JSON {"error":{"code","message","field"}} ("field" on body errors),
// Cache-Control: no-store on every answer (internal/httpjson, shared with
// the portal). Bodies are read once, strictly: member names are
// case-sensitive, and two members that encoding/json would match to one
// field ("partner_id" and "PARTNER_ID") are refused.
//
//	400 invalid_request          malformed body; the message names the field (unknown, wrong type, missing)
//	400 duplicate_field          two members of one object are the same name under case folding
//	401 unauthorized             exchange: unknown, revoked, rotated-away or wrong refresh token (one message); admin: no or invalid token
//	403 forbidden                admin endpoints: not a person's token, not in the admin group, or a partner administrator registering
//	403 forbidden_partner        a partner administrator's token on another partner's id (existing or not)
//	404 not_found                no such partner or route
//	405 method_not_allowed       with Allow
//	409 conflict                 partner id, user name or internal id taken; partner revoked; concurrent change
//	413 payload_too_large        body over GATEHOUSE_MAX_BODY_BYTES (16 KiB)
//	415 unsupported_media_type   a present body not declared application/json (a charset must be utf-8)
//	500 internal_error           a sealed token that does not open, an unexpected answer; no detail
//	500 configuration_error      the KMS key missing, disabled or pending deletion, the table or user pool missing, access denied: no retry cures it (the log line names the key or table)
//	503 unavailable              Cognito, DynamoDB, KMS or the admin JWKS unreachable; no detail
//	503 cognito_not_revoked      DELETE: revoked in Gatehouse, not at Cognito
//	503 sign_out_not_recorded    DELETE: revoked in Gatehouse, the sign-out of its issued tokens not recorded (retry)
//
// The sign-in routes answer as the portal's do (internal/signin): 401
// not_authorized (unknown user or wrong password, one answer), 401
// wrong_code, 401 session_expired, 400 password_rejected, 400
// unknown_challenge.
//
// Two answers are not JSON: when `gatehouse partners serve` serves the
// API, headers over 32 KiB (forwardauth.DefaultMaxHeaderBytes) get Go's own
// plain-text 431, and requests net/http cannot parse its plain-text 400,
// written before any handler runs; net/http offers no hook to change them
// (Go 1.26, pinned by internal/httpjson's tests). Behind API Gateway, API
// Gateway's own limits answer instead, in its JSON.
//
// Details go to the log (slog, one line per request), which never holds a
// refresh, ID or access token, a password or the client secret.
//
// # Configuration (environment)
//
// ConfigFromEnv reads these at cold start and names the variable at
// fault; BuildService and BuildHandler make the service.
//
//	variable                             default      meaning
//	GATEHOUSE_PARTNER_USER_POOL_ID       (required)   the partners' pool: partner users are created there, and every
//	                                                  Admin* call names it and no other (not the people's pool)
//	GATEHOUSE_USER_POOL_ID               (required)   the people's pool, of administrators' tokens
//	GATEHOUSE_TABLE                      (required)   DynamoDB mapping table
//	GATEHOUSE_KMS_KEY_ID                 (required)   KMS key sealing refresh tokens (id, ARN, alias/…)
//	GATEHOUSE_PARTNER_CLIENT_ID          (required)   partner app client of the partners' pool (with a secret;
//	                                                  ADMIN_USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH flows): one id.
//	                                                  Not GATEHOUSE_PARTNER_CLIENT_IDS, the authorizer's list of
//	                                                  the partners' pool's accepted clients, which names this one
//	GATEHOUSE_PARTNER_CLIENT_SECRET      (one of the two) the client secret
//	GATEHOUSE_PARTNER_CLIENT_SECRET_ARN  (one of the two) Secrets Manager secret holding it (string, or JSON {"client_secret": …})
//	GATEHOUSE_PARTNER_REFRESH_ROTATION   false        the partner client rotates refresh tokens (GetTokensFromRefreshToken)
//	GATEHOUSE_ADMIN_GROUP                (required)   Cognito group of administrators
//	GATEHOUSE_CLIENT_IDS                 (required)   app clients of administrators' tokens, in the people's pool
//	GATEHOUSE_TOKEN_USES                 id,access    accepted administrator token uses
//	GATEHOUSE_ISSUER, GATEHOUSE_JWKS_URL Cognito's    for local stand-ins, as for the authorizer
//	GATEHOUSE_INSECURE_HTTP              false        allow http issuer and JWKS URLs (local only)
//	GATEHOUSE_CLOCK_SKEW                 0s           tolerance on exp and nbf of administrator tokens
//	GATEHOUSE_JWKS_TIMEOUT               2s           bound on one JWKS fetch
//	GATEHOUSE_SKIP_CLIENT_ID_CHECK       false        true is refused: list the administrators' app clients
//	GATEHOUSE_MAX_BODY_BYTES             16384        request body limit
//	GATEHOUSE_MAPPING_TIMEOUT            3s           per DynamoDB/KMS call, retries included
//	GATEHOUSE_PARTNER_ADMIN_CLIENT_ID    (none)       the partners' pool's app client for people (ALLOW_USER_PASSWORD_AUTH):
//	                                                  partner administrators sign in with it and self-service accepts its
//	                                                  tokens only; unset: no sign-in routes (404), operators only
//	GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET (none)      its secret, if it has one
//	GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET_ARN (none)  or a Secrets Manager secret holding it (as for the partner client)
//	GATEHOUSE_PARTNER_ISSUER, GATEHOUSE_PARTNER_JWKS_URL, GATEHOUSE_PARTNER_INSECURE_HTTP
//	                                     Cognito's    the partners' pool's, for local stand-ins (as for the authorizer)
//
// The exchange's ID token has "cognito:username" = the partner's Cognito
// user name, "iss" = the partners' pool and "aud" = the partner client: give
// the authorizer the partners' pool (GATEHOUSE_PARTNER_USER_POOL_ID, and
// GATEHOUSE_PARTNER_CLIENT_IDS naming the partner client), and it resolves
// the token to the partner's internal id, kind "partner" — through the
// user name item of the partners' pool only (package mapping), so a
// partner user name equal to a person's is another caller.
//
// A deployment from before partners had their own pool keeps partner users
// in the people's pool; refresh tokens cannot move between pools, so
// Service.Reissue (gatehouse partners reissue --all) gives each a new user
// and refresh token in the partners' pool (the README's upgrade steps give
// the whole order).
package refresh
