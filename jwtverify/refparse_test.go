package jwtverify

// The reading of header and payload before the hand-written claims reader
// (commit 51d9142: decode the whole object into a map, then type the known
// claims), kept verbatim but for names as the reference the differential
// fuzz targets compare Verify's reading against. Do not "improve" it: its
// point is to stay what was reviewed and shipped.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type refParser struct {
	data  string
	pos   int
	depth int
}

// refParseJSONObject decodes data, which must hold exactly one JSON object.
// sizeHint presizes the top-level map. Errors are details for ErrMalformed.
func refParseJSONObject(data string, sizeHint int) (map[string]any, string) {
	p := refParser{data: data}
	p.skipSpace()
	if p.peek() != '{' {
		return nil, "not a JSON object"
	}
	m, err := p.object(sizeHint)
	if err != "" {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, "data after the JSON object"
	}
	return m, ""
}

func (p *refParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *refParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *refParser) value() (any, string) {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '{':
		return p.object(0)
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, "invalid JSON value"
	}
}

func (p *refParser) literal(word string) string {
	if !strings.HasPrefix(p.data[p.pos:], word) {
		return "invalid JSON literal"
	}
	p.pos += len(word)
	return ""
}

func (p *refParser) object(sizeHint int) (map[string]any, string) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, "JSON nested too deeply"
	}
	p.pos++ // '{'
	m := make(map[string]any, sizeHint)
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		p.depth--
		return m, ""
	}
	for {
		p.skipSpace()
		if p.peek() != '"' {
			return nil, "expected a JSON member name"
		}
		k, err := p.str()
		if err != "" {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, "duplicate JSON member name"
		}
		p.skipSpace()
		if p.peek() != ':' {
			return nil, "expected ':' in JSON object"
		}
		p.pos++
		v, err := p.value()
		if err != "" {
			return nil, err
		}
		m[k] = v
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return m, ""
		default:
			return nil, "expected ',' or '}' in JSON object"
		}
	}
}

func (p *refParser) array() ([]any, string) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, "JSON nested too deeply"
	}
	p.pos++ // '['
	a := make([]any, 0, 4)
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		p.depth--
		return a, ""
	}
	for {
		v, err := p.value()
		if err != "" {
			return nil, err
		}
		a = append(a, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return a, ""
		default:
			return nil, "expected ',' or ']' in JSON array"
		}
	}
}

// str decodes the string starting at the opening quote.
func (p *refParser) str() (string, string) {
	start := p.pos + 1
	for i := start; i < len(p.data); {
		c := p.data[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return p.data[start:i], "" // a substring: no copy
		case c == '\\':
			return p.strSlow(start)
		case c < 0x20:
			return "", "control character in JSON string"
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(p.data[i:])
			if r == utf8.RuneError && size == 1 {
				return "", "invalid UTF-8 in JSON string"
			}
			i += size
		default:
			i++
		}
	}
	return "", "unterminated JSON string"
}

// strSlow handles strings with escapes.
func (p *refParser) strSlow(start int) (string, string) {
	buf := make([]byte, 0, 32)
	i := start
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(buf), ""
		case c < 0x20:
			return "", "control character in JSON string"
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(p.data[i:])
			if r == utf8.RuneError && size == 1 {
				return "", "invalid UTF-8 in JSON string"
			}
			buf = append(buf, p.data[i:i+size]...)
			i += size
		case c != '\\':
			buf = append(buf, c)
			i++
		default:
			if i+1 >= len(p.data) {
				return "", "unterminated JSON string"
			}
			e := p.data[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := refHex4(p.data, i)
				if !ok {
					return "", "invalid \\u escape in JSON string"
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// Only a high surrogate followed by an escaped low one
					// makes a character; anything else is refused rather
					// than replaced, so two names cannot collide on U+FFFD.
					var r2 rune
					if r < 0xdc00 && i+1 < len(p.data) && p.data[i] == '\\' && p.data[i+1] == 'u' {
						r2, ok = refHex4(p.data, i+2)
					} else {
						ok = false
					}
					if r = utf16.DecodeRune(r, r2); !ok || r == utf8.RuneError {
						return "", "lone surrogate in JSON string"
					}
					i += 6
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", "invalid escape in JSON string"
			}
		}
	}
	return "", "unterminated JSON string"
}

func refHex4(b string, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for j := i; j < i+4; j++ {
		c := b[j]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number decodes a JSON number to float64, like encoding/json does for any.
func (p *refParser) number() (float64, string) {
	start := p.pos
	i := p.pos
	neg := false
	if i < len(p.data) && p.data[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	switch {
	case i < len(p.data) && p.data[i] == '0':
		i++
	case i < len(p.data) && p.data[i] >= '1' && p.data[i] <= '9':
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
	default:
		return 0, "invalid JSON number"
	}
	intEnd := i
	simple := true
	if i < len(p.data) && p.data[i] == '.' {
		simple = false
		i++
		d := i
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, "invalid JSON number"
		}
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		simple = false
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		d := i
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, "invalid JSON number"
		}
	}
	p.pos = i
	// Integers of up to 15 digits (every NumericDate) are exact in float64
	// and need no strconv call.
	if simple && intEnd-intStart <= 15 {
		var n int64
		for j := intStart; j < intEnd; j++ {
			n = n*10 + int64(p.data[j]-'0')
		}
		f := float64(n)
		if neg {
			f = -f
		}
		return f, ""
	}
	f, err := strconv.ParseFloat(p.data[start:i], 64)
	if err != nil {
		return 0, "JSON number out of range"
	}
	return f, ""
}

// parseClaims decodes the payload and fills Claims. A known claim of the
// wrong JSON type, or a missing "exp" or "sub", is ErrMalformed.
func refParseClaims(data string) (parsedClaims, error) {
	raw, detail := refParseJSONObject(data, claimsSizeHint)
	if detail != "" {
		return parsedClaims{}, fmt.Errorf("%w: payload: %s", ErrMalformed, detail)
	}
	c := &Claims{payload: data}
	// Plain statements rather than a table of pointers: taking the
	// locals' addresses would move them to the heap.
	var use, aud, clientID, idUsername, accessUsername, scope string
	var err error
	if c.Issuer, err = refStringClaim(raw, "iss"); err != nil {
		return parsedClaims{}, err
	}
	if c.Subject, err = refStringClaim(raw, "sub"); err != nil {
		return parsedClaims{}, err
	}
	if use, err = refStringClaim(raw, "token_use"); err != nil {
		return parsedClaims{}, err
	}
	if aud, err = refStringClaim(raw, "aud"); err != nil {
		return parsedClaims{}, err
	}
	if clientID, err = refStringClaim(raw, "client_id"); err != nil {
		return parsedClaims{}, err
	}
	if idUsername, err = refStringClaim(raw, "cognito:username"); err != nil {
		return parsedClaims{}, err
	}
	if accessUsername, err = refStringClaim(raw, "username"); err != nil {
		return parsedClaims{}, err
	}
	if scope, err = refStringClaim(raw, "scope"); err != nil {
		return parsedClaims{}, err
	}
	if c.JTI, err = refStringClaim(raw, "jti"); err != nil {
		return parsedClaims{}, err
	}
	if c.OriginJTI, err = refStringClaim(raw, "origin_jti"); err != nil {
		return parsedClaims{}, err
	}
	var t timeClaims
	var iat, authTime float64
	var hasExp, hasIat, hasAuthTime bool
	if t.exp, hasExp, err = refNumberClaim(raw, "exp"); err != nil {
		return parsedClaims{}, err
	}
	if t.nbf, t.hasNbf, err = refNumberClaim(raw, "nbf"); err != nil {
		return parsedClaims{}, err
	}
	if iat, hasIat, err = refNumberClaim(raw, "iat"); err != nil {
		return parsedClaims{}, err
	}
	if authTime, hasAuthTime, err = refNumberClaim(raw, "auth_time"); err != nil {
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
	if c.Scopes, err = refParseScope(scope); err != nil {
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

func refStringClaim(raw map[string]any, name string) (string, error) {
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

func refNumberClaim(raw map[string]any, name string) (f float64, present bool, err error) {
	v, ok := raw[name]
	if !ok {
		return 0, false, nil
	}
	if f, ok = v.(float64); !ok {
		return 0, false, fmt.Errorf("%w: claim %s is not a number", ErrMalformed, name)
	}
	return f, true, nil
}

// KeySet.
func refParseHeader(data string) (header, error) {
	m, detail := refParseJSONObject(data, 4)
	if detail != "" {
		return header{}, fmt.Errorf("%w: header: %s", ErrMalformed, detail)
	}
	if _, ok := m["crit"]; ok {
		return header{}, fmt.Errorf("%w: header has crit", ErrMalformed)
	}
	var h header
	var ok bool
	if h.alg, ok = m["alg"].(string); !ok {
		return header{}, fmt.Errorf("%w: header alg is missing or not a string", ErrMalformed)
	}
	if h.kid, ok = m["kid"].(string); !ok || h.kid == "" {
		return header{}, fmt.Errorf("%w: header kid is missing, empty or not a string", ErrMalformed)
	}
	return h, nil
}
func refParseScope(claim string) ([]string, error) {
	if claim == "" {
		return nil, nil
	}
	// One pass checks the grammar and counts the scope-tokens, so the
	// result is allocated once, at its size.
	n := 1
	afterSpace := true // a leading space would start an empty scope-token
	for i := 0; i < len(claim); i++ {
		switch c := claim[i]; {
		case c == ' ':
			if afterSpace {
				return nil, errEmptyScopeToken
			}
			afterSpace = true
			n++
		case !scopeTokenByte[c]:
			return nil, errScopeCharacter
		default:
			afterSpace = false
		}
	}
	if afterSpace {
		return nil, errEmptyScopeToken
	}
	scopes := make([]string, n)
	for i := range n - 1 {
		j := strings.IndexByte(claim, ' ')
		scopes[i], claim = claim[:j], claim[j+1:]
	}
	scopes[n-1] = claim
	return scopes, nil
}
