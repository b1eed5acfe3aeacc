package jwtverify

import (
	"fmt"
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

// The claims parseClaims types: each name lives in its table, and
// claimIndex (checked against the tables by a test) maps a name to its place.
// Type errors are reported in table order.
const (
	cIss = iota
	cSub
	cTokenUse
	cAud
	cClientID
	cIDUsername
	cAccessUsername
	cScope
	cJTI
	cOriginJTI
	nStringClaims
)

const (
	cExp = iota
	cNbf
	cIat
	cAuthTime
	nNumberClaims
)

const groupsClaim = "cognito:groups"

var (
	stringClaimNames = [nStringClaims]string{"iss", "sub", "token_use", "aud", "client_id",
		"cognito:username", "username", "scope", "jti", "origin_jti"}
	numberClaimNames = [nNumberClaims]string{"exp", "nbf", "iat", "auth_time"}
)

// claimIndex places name in stringClaimNames (isNumber false) or
// numberClaimNames; i is -1 for any other name. A switch rather than a map:
// it runs for every member of every fresh token.
func claimIndex(name string) (i int, isNumber bool) {
	switch name {
	case "iss":
		return cIss, false
	case "sub":
		return cSub, false
	case "token_use":
		return cTokenUse, false
	case "aud":
		return cAud, false
	case "client_id":
		return cClientID, false
	case "cognito:username":
		return cIDUsername, false
	case "username":
		return cAccessUsername, false
	case "scope":
		return cScope, false
	case "jti":
		return cJTI, false
	case "origin_jti":
		return cOriginJTI, false
	case "exp":
		return cExp, true
	case "nbf":
		return cNbf, true
	case "iat":
		return cIat, true
	case "auth_time":
		return cAuthTime, true
	}
	return -1, false
}

// claimReader collects the typed claims while the payload is read. A claim
// of the wrong type is noted and reading goes on, so that a JSON error
// anywhere is reported first, as when the payload was decoded whole.
type claimReader struct {
	strs      [nStringClaims]string
	nums      [nNumberClaims]float64
	hasNum    [nNumberClaims]bool
	badStr    [nStringClaims]bool
	badNum    [nNumberClaims]bool
	hasGroups bool
	groupsBad string // why cognito:groups is unusable, or ""
}

// member reads the value of the member name (not cognito:groups).
func (r *claimReader) member(p *jsonParser, name string) string {
	i, isNumber := claimIndex(name)
	c := p.peekValue()
	switch {
	case i < 0:
		return p.skip()
	case isNumber && (c == '-' || (c >= '0' && c <= '9')):
		var detail string
		r.nums[i], detail = p.number()
		r.hasNum[i] = true
		return detail
	case isNumber:
		r.badNum[i] = true
		return p.skip()
	case c == '"':
		var detail string
		r.strs[i], detail = p.str()
		return detail
	default:
		r.badStr[i] = true
		return p.skip()
	}
}

// readGroups reads cognito:groups, appending to groups. It returns the
// list rather than storing it in r: a slice stored through a pointer moves
// its stack buffer to the heap.
func (r *claimReader) readGroups(p *jsonParser, groups []string) ([]string, string) {
	if p.peekValue() != '[' {
		r.groupsBad = "is not a list"
		return groups, p.skip()
	}
	r.hasGroups = true
	var w arrayWalk
	for {
		more, detail := p.nextElem(&w)
		if detail != "" || !more {
			return groups, detail
		}
		if p.peekValue() != '"' {
			r.groupsBad = "holds a non-string"
			detail = p.skip()
		} else {
			var s string
			s, detail = p.str()
			groups = append(groups, s)
		}
		if detail != "" {
			return groups, detail
		}
	}
}

// parseClaims decodes the payload and fills Claims. A known claim of the
// wrong JSON type, or a missing "exp" or "sub", is ErrMalformed.
func parseClaims(data string) (parsedClaims, error) {
	var r claimReader
	var buf [16]string
	groups := buf[:0]
	p, detail := newDocument(data)
	for w := (objectWalk{}); detail == ""; {
		var name string
		var more bool
		if name, more, detail = p.nextMember(&w); detail != "" || !more {
			break
		}
		if name == groupsClaim {
			groups, detail = r.readGroups(&p, groups)
		} else {
			detail = r.member(&p, name)
		}
	}
	if detail == "" {
		detail = p.end()
	}
	if detail != "" {
		return parsedClaims{}, fmt.Errorf("%w: payload: %s", ErrMalformed, detail)
	}
	for i, bad := range r.badStr {
		if bad {
			return parsedClaims{}, fmt.Errorf("%w: claim %s is not a string", ErrMalformed, stringClaimNames[i])
		}
	}
	for i, bad := range r.badNum {
		if bad {
			return parsedClaims{}, fmt.Errorf("%w: claim %s is not a number", ErrMalformed, numberClaimNames[i])
		}
	}
	if !r.hasNum[cExp] {
		return parsedClaims{}, fmt.Errorf("%w: claim exp is missing", ErrMalformed)
	}
	if r.strs[cSub] == "" {
		return parsedClaims{}, fmt.Errorf("%w: claim sub is missing or empty", ErrMalformed)
	}
	if r.groupsBad != "" {
		return parsedClaims{}, fmt.Errorf("%w: claim %s %s", ErrMalformed, groupsClaim, r.groupsBad)
	}
	nScopes, err := countScope(r.strs[cScope])
	if err != nil {
		return parsedClaims{}, err
	}
	c := &Claims{
		Issuer:    r.strs[cIss],
		Subject:   r.strs[cSub],
		TokenUse:  TokenUse(r.strs[cTokenUse]),
		JTI:       r.strs[cJTI],
		OriginJTI: r.strs[cOriginJTI],
		ExpiresAt: numericDateTime(r.nums[cExp]),
		payload:   data,
	}
	// Groups (off the stack buffer) and Scopes share one allocation, each
	// capacity-capped so neither can grow into the other. Groups is non-nil
	// when the claim was there, even empty; Scopes nil without scopes.
	if ng := len(groups); r.hasGroups || nScopes > 0 {
		lists := make([]string, ng+nScopes)
		if r.hasGroups {
			c.Groups = lists[:copy(lists, groups):ng]
		}
		if nScopes > 0 {
			c.Scopes = splitScope(r.strs[cScope], lists[ng:ng+nScopes:ng+nScopes])
		}
	}
	switch c.TokenUse {
	case TokenUseID:
		c.ClientID, c.Username = r.strs[cAud], r.strs[cIDUsername]
	case TokenUseAccess:
		c.ClientID, c.Username = r.strs[cClientID], r.strs[cAccessUsername]
	}
	if r.hasNum[cIat] {
		c.IssuedAt = numericDateTime(r.nums[cIat])
	}
	if r.hasNum[cAuthTime] {
		c.AuthTime = numericDateTime(r.nums[cAuthTime])
	}
	t := timeClaims{exp: r.nums[cExp], nbf: r.nums[cNbf], hasNbf: r.hasNum[cNbf]}
	return parsedClaims{claims: c, times: t}, nil
}

// copyInto makes d a private copy of c, with Groups and Scopes in one
// allocation (capacity-capped, so neither can grow into the other): what the
// token cache keeps, and what each cache hit returns. The payload is shared:
// nothing hands it out (Raw and Decode decode it afresh).
func (c *Claims) copyInto(d *Claims) {
	*d = *c
	ng, ns := len(c.Groups), len(c.Scopes)
	if ng+ns == 0 {
		return
	}
	both := make([]string, ng+ns)
	if c.Groups != nil {
		d.Groups = both[:copy(both, c.Groups):ng]
	}
	if c.Scopes != nil {
		d.Scopes = both[ng : ng+copy(both[ng:], c.Scopes) : ng+ns]
	}
}
