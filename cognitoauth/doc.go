// Package cognitoauth signs users in to a Cognito user pool and refreshes
// and revokes their tokens on behalf of a confidential app client: one whose
// secret only Gatehouse holds. It computes SECRET_HASH, maps Cognito's
// answers to a few sentinel errors, and never puts a password, secret or
// token in an error.
//
// The portal uses it for people's sign-in and refresh; the refresh service
// uses it for B2B partners' credential exchange.
package cognitoauth
