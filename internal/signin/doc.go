// Package signin is the HTTP sign-in of people with challenge completion,
// over package cognitoauth: POST …/sign-in (user name and password) and
// POST …/respond (a challenge's name, session and responses). The portal
// serves it for people and the partner service for partner
// administrators; both answer alike, from this one implementation.
//
// A sign-in answers tokens, or a challenge (NEW_PASSWORD_REQUIRED for an
// invited user, an MFA challenge) with its name, session, public
// parameters and the Cognito user name to send back with the response.
// Bodies are read strictly (internal/httpjson); the responses of a
// challenge must be exactly the keys cognitoauth.ChallengeResponses lists,
// so nothing else reaches Cognito. Logs never carry a password, session,
// response or token, nor the typed user name (people type passwords
// into it).
package signin
