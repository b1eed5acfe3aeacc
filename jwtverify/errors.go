package jwtverify

import "errors"

// Error is a verification failure reason. Every error returned by Verify wraps
// exactly one of the sentinel values below, so callers decide with errors.Is
// and log or print the stable Code.
type Error struct {
	code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// Code is a short, stable, machine-readable name for the reason, such as
// "expired". It never contains token material.
func (e *Error) Code() string { return e.code }

// The reasons a token is refused. Each is a distinct sentinel.
var (
	ErrMalformed           = &Error{"malformed", "token is malformed"}
	ErrKeyNotFound         = &Error{"key_not_found", "signing key not found"}
	ErrInvalidKey          = &Error{"invalid_key", "signing key is not usable"}
	ErrAlgorithmNotAllowed = &Error{"algorithm_not_allowed", "signing algorithm is not allowed"}
	ErrSignature           = &Error{"bad_signature", "token signature is invalid"}
	ErrExpired             = &Error{"expired", "token is expired"}
	ErrNotYetValid         = &Error{"not_yet_valid", "token is not valid yet"}
	ErrIssuer              = &Error{"issuer", "token issuer is not accepted"}
	ErrClientID            = &Error{"client_id", "token client id is not accepted"}
	ErrTokenUse            = &Error{"token_use", "token use is not accepted"}
	ErrGroup               = &Error{"group", "token lacks a required group"}
	ErrScope               = &Error{"scope", "token lacks a required scope"}
	ErrKeysUnavailable     = &Error{"keys_unavailable", "signing keys are unavailable"}
)

// Code returns the stable code of the reason err wraps, or "error" when err
// wraps none of the sentinels (for example a failing custom check).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return "error"
}
