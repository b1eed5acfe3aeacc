package jwtverify

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Claims are the verified contents of a Cognito token.
type Claims struct {
	// Subject is "sub". For client-credentials tokens Cognito sets it to the
	// client id in practice; do not rely on that.
	Subject string
	// Username is "cognito:username" (ID token) or "username" (access token);
	// "" for a client-credentials token.
	Username string
	// ClientID is "aud" (ID token) or "client_id" (access token).
	ClientID string
	// TokenUse is "token_use".
	TokenUse TokenUse
	// Issuer is "iss".
	Issuer string
	// UserPoolID is the id of the configured pool that verified the token
	// (PoolConfig.UserPoolID), the pool whose issuer "iss" names. Mapping a
	// user name takes the pool from here, never from the caller.
	UserPoolID string
	// Groups is "cognito:groups".
	Groups []string
	// Scopes is "scope" read by RFC 6749 §3.3 (see ParseScope); nil when
	// the claim is absent or empty.
	Scopes []string
	// IssuedAt, ExpiresAt and AuthTime are "iat", "exp" and "auth_time"; zero
	// when absent (only "exp" is required).
	IssuedAt, ExpiresAt, AuthTime time.Time
	// JTI and OriginJTI are "jti" and "origin_jti"; "" when absent.
	JTI, OriginJTI string

	// payload is the verified payload's JSON text. With the token cache on
	// it is shared by every call for the same token; Raw and Decode decode it
	// afresh, so nothing shared is handed out.
	payload string
}

// Raw returns every claim as decoded from JSON (numbers as float64, as
// encoding/json decodes into any). Each call decodes the verified payload
// afresh, so the caller may modify the result; nil for Claims that Verify did
// not make.
//
// Verify reads only the claims Claims has fields for into Go values (the
// rest are checked, not built), which keeps a fresh verification's
// allocations few; Raw pays for the rest when asked.
func (c *Claims) Raw() map[string]any {
	if c.payload == "" {
		return nil
	}
	m, detail := parseJSONObject(c.payload, claimsSizeHint)
	if detail != "" {
		return nil // Verify accepted this very text: unreachable
	}
	return m
}

// claimsSizeHint presizes Raw's map: Cognito tokens carry about 15 claims.
const claimsSizeHint = 16

// Decode unmarshals the verified payload into v with encoding/json, for
// claims Claims has no field for (custom attributes, for example):
//
//	var custom struct {
//		Tenant string `json:"custom:tenant"`
//	}
//	err := claims.Decode(&custom)
//
// The payload had no duplicate member names (Verify refuses them), but
// encoding/json matches member names to struct fields case-insensitively:
// tag the exact name and do not rely on two names differing only in case.
func (c *Claims) Decode(v any) error {
	if c.payload == "" {
		return errors.New("jwtverify: claims hold no verified payload to decode")
	}
	return json.Unmarshal([]byte(c.payload), v)
}

// IsClientCredentials reports whether the token is an access token issued to
// an app client by the client-credentials grant: an access token with no user.
func (c *Claims) IsClientCredentials() bool {
	return c.TokenUse == TokenUseAccess && c.Username == ""
}

// HasScope reports whether the token's scopes include scope.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// InGroup reports whether the token's groups include group.
func (c *Claims) InGroup(group string) bool { return slices.Contains(c.Groups, group) }
