package jwtverify

import (
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
	// Raw holds every claim as decoded from JSON (numbers as float64, as
	// encoding/json decodes into any). With the token cache on, Raw is shared
	// by every call that verifies the same token: treat it as read-only. The
	// other fields, Groups and Scopes included, belong to the caller.
	Raw map[string]any
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
