package jwtverify

import "fmt"

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
	if claim == "" {
		return nil, nil
	}
	n := 1
	for i := 0; i < len(claim); i++ {
		switch c := claim[i]; {
		case c == ' ':
			if i == 0 || i == len(claim)-1 || claim[i-1] == ' ' {
				return nil, fmt.Errorf("%w: claim scope has an empty scope-token", ErrMalformed)
			}
			n++
		case c < 0x21 || c > 0x7e || c == '"' || c == '\\':
			return nil, fmt.Errorf("%w: claim scope has a character outside RFC 6749 scope-token", ErrMalformed)
		}
	}
	scopes := make([]string, 0, n)
	start := 0
	for i := 0; i < len(claim); i++ {
		if claim[i] == ' ' {
			scopes = append(scopes, claim[start:i])
			start = i + 1
		}
	}
	return append(scopes, claim[start:]), nil
}
