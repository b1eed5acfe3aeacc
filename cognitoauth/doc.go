// Package cognitoauth signs users in to a Cognito user pool and refreshes
// and revokes their tokens on behalf of a confidential app client: one whose
// secret only Gatehouse holds. It computes SECRET_HASH, maps Cognito's
// answers to a few sentinel errors, and never puts a password, secret or
// token in an error.
//
// A sign-in that Cognito answers with a challenge (NEW_PASSWORD_REQUIRED
// for an invited user, an MFA challenge where the pool requires MFA) is
// handed back with its name, session and public parameters; Respond
// answers it with AdminRespondToAuthChallenge (the admin pair of SignIn's
// AdminInitiateAuth), sending only the allow-listed keys of
// ChallengeResponses plus USERNAME and SECRET_HASH. Locally, moto_server
// answers both calls; cognito-local 5.3.0 has no
// AdminRespondToAuthChallenge. With Config.Public, SignIn and Respond use
// the public pair instead (InitiateAuth USER_PASSWORD_AUTH and
// RespondToAuthChallenge, same parameters), which cognito-local implements.
//
// GlobalSignOut signs a person out everywhere with their own access token
// (no SECRET_HASH: Cognito takes the token alone); moto_server answers it,
// cognito-local 5.3.0 does not.
//
// The portal uses it for people's sign-in, refresh and sign-out; the refresh service
// uses it for B2B partners' credential exchange, and, with the public pair,
// for partner administrators' sign-in.
package cognitoauth
