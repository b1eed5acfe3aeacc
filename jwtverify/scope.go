package jwtverify

import (
	"fmt"
	"strings"
)

// ParseScope splits a `scope` claim by the grammar of RFC 6749 §3.3:
//
//	scope       = scope-token *( SP scope-token )
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// Scope-tokens are separated by single spaces; a tab, a doubled, leading or
// trailing space, `"`, `\`, a control character or a non-ASCII byte makes the
// claim malformed (ErrMalformed) rather than some other list of scopes, so
// that a check for one scope cannot be met by a token that another verifier
// would refuse. An empty claim holds no scopes: aws-jwt-verify reads it as
// one empty scope, which no requirement matches, so both accept the token
// unless a scope is required. It is the one scope parser of the module:
// adapters (jwtverify/jwtv5) call it too.
func ParseScope(claim string) ([]string, error) {
	n, err := countScope(claim)
	if err != nil || n == 0 {
		return nil, err
	}
	return splitScope(claim, make([]string, n)), nil
}

// countScope checks claim by ParseScope's grammar and counts its
// scope-tokens, so the result can be allocated once, at its size.
func countScope(claim string) (int, error) {
	if claim == "" {
		return 0, nil
	}
	n := 1
	afterSpace := true // a leading space would start an empty scope-token
	for i := 0; i < len(claim); i++ {
		switch c := claim[i]; {
		case c == ' ':
			if afterSpace {
				return 0, errEmptyScopeToken
			}
			afterSpace = true
			n++
		case !scopeTokenByte[c]:
			return 0, errScopeCharacter
		default:
			afterSpace = false
		}
	}
	if afterSpace {
		return 0, errEmptyScopeToken
	}
	return n, nil
}

// splitScope fills scopes, of countScope's length, with claim's scope-tokens.
func splitScope(claim string, scopes []string) []string {
	n := len(scopes)
	for i := range n - 1 {
		j := strings.IndexByte(claim, ' ')
		scopes[i], claim = claim[:j], claim[j+1:]
	}
	scopes[n-1] = claim
	return scopes
}

// Built once: a flood of malformed tokens costs no error allocations.
var (
	errEmptyScopeToken = fmt.Errorf("%w: claim scope has an empty scope-token", ErrMalformed)
	errScopeCharacter  = fmt.Errorf("%w: claim scope has a character outside RFC 6749 scope-token", ErrMalformed)
)

// IsScopeToken reports whether s is one RFC 6749 scope-token: a scope a
// token can carry, and so the only kind worth requiring.
func IsScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !scopeTokenByte[s[i]] {
			return false
		}
	}
	return s != ""
}

// scopeTokenByte reports which bytes RFC 6749 allows in a scope-token:
// %x21 / %x23-5B / %x5D-7E.
var scopeTokenByte = func() (t [256]bool) {
	for c := 0x21; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
