// Package realtokens holds integration tests only: jwtverify verifying tokens
// that real Cognito stand-ins issued (cognito-local and moto_server), so the
// verifier is checked against token shapes it did not mint itself.
package realtokens
