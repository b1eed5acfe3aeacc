package jwtv5

import (
	"crypto/rsa"
	"errors"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// Error is a refusal in both vocabularies: errors.Is matches one jwtverify
// sentinel (jwtverify.ErrExpired, …; jwtverify.Code gives its code) and the
// golang-jwt sentinels of the same failure (jwt.ErrTokenExpired, …). Its
// message never contains token material.
type Error struct {
	reason *jwtverify.Error
	jwt    []error // golang-jwt sentinels
	detail string
}

func newError(reason *jwtverify.Error, jwtErr error, detail string) *Error {
	return &Error{reason: reason, jwt: []error{jwtErr}, detail: detail}
}

func (e *Error) Error() string {
	if e.detail == "" {
		return "jwtv5: " + e.reason.Error()
	}
	return "jwtv5: " + e.reason.Error() + ": " + e.detail
}

// Unwrap makes errors.Is and errors.As see the jwtverify reason and the
// golang-jwt sentinels.
func (e *Error) Unwrap() []error { return append([]error{e.reason}, e.jwt...) }

// Code is the jwtverify code of the reason, such as "expired".
func (e *Error) Code() string { return e.reason.Code() }

// reasons lists jwtverify's reasons in the order Verify checks them, each
// with the golang-jwt sentinels that mean the same, so that MapError reports
// the reason Verify would have reported first when golang-jwt joins several.
var reasons = []struct {
	reason *jwtverify.Error
	jwt    []error
}{
	{jwtverify.ErrMalformed, []error{jwt.ErrTokenMalformed, jwt.ErrTokenRequiredClaimMissing, jwt.ErrInvalidType}},
	{jwtverify.ErrKeyNotFound, nil},
	{jwtverify.ErrInvalidKey, []error{jwt.ErrInvalidKeyType, jwt.ErrInvalidKey}},
	{jwtverify.ErrKeysUnavailable, nil},
	// golang-jwt: an "alg" it does not know or that is missing.
	{jwtverify.ErrAlgorithmNotAllowed, []error{jwt.ErrTokenUnverifiable}},
	{jwtverify.ErrSignature, []error{jwt.ErrTokenSignatureInvalid}},
	{jwtverify.ErrIssuer, []error{jwt.ErrTokenInvalidIssuer}},
	{jwtverify.ErrExpired, []error{jwt.ErrTokenExpired}},
	{jwtverify.ErrNotYetValid, []error{jwt.ErrTokenNotValidYet, jwt.ErrTokenUsedBeforeIssued}},
	{jwtverify.ErrTokenUse, nil},
	{jwtverify.ErrClientID, []error{jwt.ErrTokenInvalidAudience}},
	{jwtverify.ErrGroup, nil},
	{jwtverify.ErrScope, nil},
}

// jwtSentinels are golang-jwt's errors that MapError keeps.
var jwtSentinels = []error{
	jwt.ErrInvalidKey, jwt.ErrInvalidKeyType, jwt.ErrHashUnavailable, jwt.ErrTokenMalformed,
	jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid, jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrTokenInvalidAudience, jwt.ErrTokenExpired, jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidSubject, jwt.ErrTokenNotValidYet,
	jwt.ErrTokenInvalidId, jwt.ErrTokenInvalidClaims, jwt.ErrInvalidType,
	jwt.ErrECDSAVerification, jwt.ErrEd25519Verification,
}

// MapError turns an error of jwt.Parse or jwt.ParseWithClaims into an *Error
// whose jwtverify reason is the first, in Verify's order, of the failures
// golang-jwt reported, and that still matches every golang-jwt sentinel the
// original did (but no other jwtverify reason, nor the original's other
// wrapped errors). The original's text, which may quote token contents, is not
// part of the message. An error no rule covers is jwtverify.ErrMalformed.
// nil stays nil.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var matched []error
	for _, j := range jwtSentinels {
		if errors.Is(err, j) {
			matched = append(matched, j)
		}
	}
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) && !errors.Is(err, rsa.ErrVerification) &&
		!errors.Is(err, jwt.ErrECDSAVerification) && !errors.Is(err, jwt.ErrEd25519Verification) {
		// No verification ran: the "alg" is not among the valid methods.
		return &Error{reason: jwtverify.ErrAlgorithmNotAllowed, jwt: matched, detail: "header alg is not in the accepted list"}
	}
	for _, r := range reasons {
		if errors.Is(err, r.reason) || slices.ContainsFunc(r.jwt, func(j error) bool { return errors.Is(err, j) }) {
			e := &Error{reason: r.reason, jwt: matched}
			if own := (*Error)(nil); errors.As(err, &own) && own.reason == r.reason {
				e.detail = own.detail // Keyfunc's or Validate's
			}
			return e
		}
	}
	return &Error{reason: jwtverify.ErrMalformed, jwt: matched, detail: "refused by golang-jwt"}
}
