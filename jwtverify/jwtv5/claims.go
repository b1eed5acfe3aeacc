package jwtv5

import (
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// Claims are a Cognito token's claims for jwt.ParseWithClaims. Make them with
// Pool.NewClaims: Validate then applies the pool's rules, and a Claims made
// otherwise fails Validate. golang-jwt fills them before it checks the
// signature, so read them only when parsing succeeded.
type Claims struct {
	Issuer   string             `json:"iss"`
	Subject  string             `json:"sub"`
	TokenUse jwtverify.TokenUse `json:"token_use"`
	// Audience is "aud": the client id of an ID token (a string; a list is
	// malformed, as for jwtverify).
	Audience string `json:"aud,omitempty"`
	// ClientID is "client_id": the client id of an access token.
	ClientID string `json:"client_id,omitempty"`
	// CognitoUsername is "cognito:username" (ID token); Username is
	// "username" (access token).
	CognitoUsername string   `json:"cognito:username,omitempty"`
	Username        string   `json:"username,omitempty"`
	Groups          []string `json:"cognito:groups,omitempty"`
	// Scope is "scope" as sent; Validate parses it with jwtverify.ParseScope.
	Scope     string           `json:"scope,omitempty"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	AuthTime  *jwt.NumericDate `json:"auth_time,omitempty"`
	JTI       string           `json:"jti,omitempty"`
	OriginJTI string           `json:"origin_jti,omitempty"`

	pool *Pool
}

var _ jwt.ClaimsValidator = (*Claims)(nil)

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }

// GetNotBefore implements jwt.Claims.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore, nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt, nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims: the ID token's "aud", if any.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) {
	if c.Audience == "" {
		return nil, nil
	}
	return jwt.ClaimStrings{c.Audience}, nil
}

// Validate implements jwt.ClaimsValidator; golang-jwt calls it after the
// signature and its own time checks. It requires "exp" and "sub" (also when
// the parser options were not used), an issuer of the pool, a well-formed
// "scope", and then the pool's token use, client id, group and scope rules
// (jwtverify.PoolPolicy.CheckClaims, the rules Verify applies). Its errors
// are *Error.
func (c *Claims) Validate() error {
	switch {
	case c.pool == nil:
		return newError(jwtverify.ErrMalformed, jwt.ErrTokenInvalidClaims, "claims were not made by Pool.NewClaims")
	case c.ExpiresAt == nil:
		return newError(jwtverify.ErrMalformed, jwt.ErrTokenRequiredClaimMissing, "claim exp is missing")
	case c.Subject == "":
		return newError(jwtverify.ErrMalformed, jwt.ErrTokenRequiredClaimMissing, "claim sub is missing or empty")
	case !slices.Contains(c.pool.issuers, c.Issuer):
		return newError(jwtverify.ErrIssuer, jwt.ErrTokenInvalidIssuer, "no configured pool has this issuer")
	}
	vc, err := c.Verified()
	if err != nil {
		return newError(jwtverify.ErrMalformed, jwt.ErrTokenMalformed, "claim scope is malformed")
	}
	if err := c.pool.policy.CheckClaims(vc); err != nil {
		reason := jwtverify.ErrMalformed // not kept: CheckClaims wraps one sentinel
		errors.As(err, &reason)
		j := jwt.ErrTokenInvalidClaims
		if reason == jwtverify.ErrClientID {
			j = jwt.ErrTokenInvalidAudience
		}
		return newError(reason, j, "")
	}
	return nil
}

// Verified returns the claims as jwtverify.Claims (Raw and Decode hold
// nothing), so code written for jwtverify.Verify's results, such as
// jwtverify.ClaimsFromContext's users, can take them. The error (wrapping
// jwtverify.ErrMalformed) is a "scope" outside RFC 6749's grammar.
func (c *Claims) Verified() (*jwtverify.Claims, error) {
	scopes, err := jwtverify.ParseScope(c.Scope)
	if err != nil {
		return nil, err
	}
	vc := &jwtverify.Claims{
		Subject: c.Subject, TokenUse: c.TokenUse, Issuer: c.Issuer,
		Groups: slices.Clone(c.Groups), Scopes: scopes,
		JTI: c.JTI, OriginJTI: c.OriginJTI,
	}
	switch c.TokenUse {
	case jwtverify.TokenUseID:
		vc.ClientID, vc.Username = c.Audience, c.CognitoUsername
	case jwtverify.TokenUseAccess:
		vc.ClientID, vc.Username = c.ClientID, c.Username
	}
	for _, t := range []struct {
		dst *time.Time
		src *jwt.NumericDate
	}{{&vc.ExpiresAt, c.ExpiresAt}, {&vc.IssuedAt, c.IssuedAt}, {&vc.AuthTime, c.AuthTime}} {
		if t.src != nil {
			*t.dst = t.src.Time
		}
	}
	return vc, nil
}
