package jwtverify

import (
	"fmt"
	"maps"
	"slices"
)

// timeClaims are the NumericDates the time checks need, as float seconds.
type timeClaims struct {
	exp, nbf float64
	hasNbf   bool
}

type parsedClaims struct {
	claims *Claims
	times  timeClaims
}

// claimsSizeHint presizes the claims map: Cognito tokens carry about 15.
const claimsSizeHint = 16

// parseClaims decodes the payload and fills Claims. A known claim of the
// wrong JSON type, or a missing "exp" or "sub", is ErrMalformed.
func parseClaims(data string) (parsedClaims, error) {
	raw, detail := parseJSONObject(data, claimsSizeHint)
	if detail != "" {
		return parsedClaims{}, fmt.Errorf("%w: payload: %s", ErrMalformed, detail)
	}
	c := &Claims{raw: raw, payload: data}
	// Plain statements rather than a table of pointers: taking the
	// locals' addresses would move them to the heap.
	var use, aud, clientID, idUsername, accessUsername, scope string
	var err error
	if c.Issuer, err = stringClaim(raw, "iss"); err != nil {
		return parsedClaims{}, err
	}
	if c.Subject, err = stringClaim(raw, "sub"); err != nil {
		return parsedClaims{}, err
	}
	if use, err = stringClaim(raw, "token_use"); err != nil {
		return parsedClaims{}, err
	}
	if aud, err = stringClaim(raw, "aud"); err != nil {
		return parsedClaims{}, err
	}
	if clientID, err = stringClaim(raw, "client_id"); err != nil {
		return parsedClaims{}, err
	}
	if idUsername, err = stringClaim(raw, "cognito:username"); err != nil {
		return parsedClaims{}, err
	}
	if accessUsername, err = stringClaim(raw, "username"); err != nil {
		return parsedClaims{}, err
	}
	if scope, err = stringClaim(raw, "scope"); err != nil {
		return parsedClaims{}, err
	}
	if c.JTI, err = stringClaim(raw, "jti"); err != nil {
		return parsedClaims{}, err
	}
	if c.OriginJTI, err = stringClaim(raw, "origin_jti"); err != nil {
		return parsedClaims{}, err
	}
	var t timeClaims
	var iat, authTime float64
	var hasExp, hasIat, hasAuthTime bool
	if t.exp, hasExp, err = numberClaim(raw, "exp"); err != nil {
		return parsedClaims{}, err
	}
	if t.nbf, t.hasNbf, err = numberClaim(raw, "nbf"); err != nil {
		return parsedClaims{}, err
	}
	if iat, hasIat, err = numberClaim(raw, "iat"); err != nil {
		return parsedClaims{}, err
	}
	if authTime, hasAuthTime, err = numberClaim(raw, "auth_time"); err != nil {
		return parsedClaims{}, err
	}
	if !hasExp {
		return parsedClaims{}, fmt.Errorf("%w: claim exp is missing", ErrMalformed)
	}
	if c.Subject == "" {
		return parsedClaims{}, fmt.Errorf("%w: claim sub is missing or empty", ErrMalformed)
	}
	if g, ok := raw["cognito:groups"]; ok {
		list, ok := g.([]any)
		if !ok {
			return parsedClaims{}, fmt.Errorf("%w: claim cognito:groups is not a list", ErrMalformed)
		}
		c.Groups = make([]string, len(list))
		for i, v := range list {
			if c.Groups[i], ok = v.(string); !ok {
				return parsedClaims{}, fmt.Errorf("%w: claim cognito:groups holds a non-string", ErrMalformed)
			}
		}
	}
	if c.Scopes, err = ParseScope(scope); err != nil {
		return parsedClaims{}, err
	}
	c.TokenUse = TokenUse(use)
	switch c.TokenUse {
	case TokenUseID:
		c.ClientID, c.Username = aud, idUsername
	case TokenUseAccess:
		c.ClientID, c.Username = clientID, accessUsername
	}
	c.ExpiresAt = numericDateTime(t.exp)
	if hasIat {
		c.IssuedAt = numericDateTime(iat)
	}
	if hasAuthTime {
		c.AuthTime = numericDateTime(authTime)
	}
	return parsedClaims{claims: c, times: t}, nil
}

func stringClaim(raw map[string]any, name string) (string, error) {
	v, ok := raw[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: claim %s is not a string", ErrMalformed, name)
	}
	return s, nil
}

func numberClaim(raw map[string]any, name string) (f float64, present bool, err error) {
	v, ok := raw[name]
	if !ok {
		return 0, false, nil
	}
	if f, ok = v.(float64); !ok {
		return 0, false, fmt.Errorf("%w: claim %s is not a number", ErrMalformed, name)
	}
	return f, true, nil
}

// clone is what the token cache keeps and what a cache hit returns: its own
// Claims, Groups and Scopes. The raw claims and payload are shared: nothing
// hands them out (Raw copies, Decode unmarshals afresh).
func (c *Claims) clone() *Claims {
	d := *c
	d.Groups = slices.Clone(c.Groups)
	d.Scopes = slices.Clone(c.Scopes)
	return &d
}

// deepCopyJSON copies a value produced by the JSON decoder.
func deepCopyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := maps.Clone(v)
		for k, e := range m {
			switch e.(type) {
			case map[string]any, []any:
				m[k] = deepCopyJSON(e)
			}
		}
		return m
	case []any:
		a := slices.Clone(v)
		for i, e := range a {
			a[i] = deepCopyJSON(e)
		}
		return a
	}
	return v
}
