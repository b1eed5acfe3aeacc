package jwtverify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
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
// encoding/json matches member names to struct fields under Unicode case
// folding ("ſub" fills the field tagged "sub"), so a payload with two names
// that fold alike in one object could decode to another value than Claims
// and Raw hold: Decode refuses it (ErrMalformed) rather than pick one.
func (c *Claims) Decode(v any) error {
	if c.payload == "" {
		return errors.New("jwtverify: claims hold no verified payload to decode")
	}
	if p, _ := newDocument(c.payload); p.foldedNames() {
		return fmt.Errorf("%w: payload has member names that encoding/json would not tell apart", ErrMalformed)
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

// foldedNames reports whether an object in the value at p.pos has two member
// names equal under the folding encoding/json matches struct fields by, or
// whether the value cannot be read (which Verify refused already).
func (p *jsonParser) foldedNames() bool {
	switch p.peekValue() {
	case '{':
		var w objectWalk
		var seen map[string]struct{}
		for {
			name, more, detail := p.nextMember(&w)
			if detail != "" {
				return true
			}
			if !more {
				return false
			}
			if seen == nil {
				seen = make(map[string]struct{})
			}
			k := foldName(name)
			if _, dup := seen[k]; dup {
				return true
			}
			seen[k] = struct{}{}
			if p.foldedNames() {
				return true
			}
		}
	case '[':
		var w arrayWalk
		for {
			more, detail := p.nextElem(&w)
			if detail != "" {
				return true
			}
			if !more {
				return false
			}
			if p.foldedNames() {
				return true
			}
		}
	}
	return p.skip() != ""
}

// foldName maps every rune of s to the smallest rune of its simple-folding
// orbit, as encoding/json folds names: foldName(a) == foldName(b) exactly
// when strings.EqualFold(a, b).
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}
