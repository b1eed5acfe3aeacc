package jwtverify

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file holds the parsing of untrusted token bytes: the compact JWS split,
// strict base64url, and a small JSON decoder. The decoder exists, rather than
// encoding/json, because one pass must both build Claims.Raw and reject
// duplicate member names (which encoding/json silently resolves to the last
// one), and because encoding/json costs more than the 15% of an RSA
// verification the parse path is allowed.

// b64 is the only base64 form a JWS segment may use: URL alphabet, no
// padding, no non-zero trailing bits. Go's decoder skips '\r' and '\n' even in
// strict mode, so splitToken refuses those itself.
var b64 = base64.RawURLEncoding.Strict()

// compactJWS is a token split into its decoded parts but the signature,
// which splitToken returns on its own: escape analysis does not tell one field
// from another, and header and payload go to the heap.
type compactJWS struct {
	// header and payload are the decoded JSON texts.
	header, payload string
	// signingInput is the ASCII "<header>.<payload>" the signature covers.
	signingInput []byte
}

// splitToken splits and decodes a compact JWS. Its errors are details for
// ErrMalformed and never quote the token.
//
// To keep the parse path to one allocation, the token is read through a
// []byte view (unsafe.Slice: the bytes are only read, by the base64 decoder
// and the hash), and the decoded header and payload are string views of the
// freshly decoded buffer (unsafe.String: the buffer is never written again),
// so the JSON decoder can hand out substrings instead of copies. The
// signature is decoded into sigBuf, the caller's stack buffer (nothing keeps
// it), when it fits: the heap then holds only the header and payload that
// Claims point into.
func splitToken(token string, sigBuf *[maxSignatureSize]byte) (jws compactJWS, sig []byte, detail string) {
	// The strict decoder refuses every byte outside the alphabet except '\r'
	// and '\n', which it skips: refuse those here.
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return compactJWS{}, nil, "line break in token"
	}
	var dots [2]int
	if dots[0] = strings.IndexByte(token, '.'); dots[0] < 0 {
		return compactJWS{}, nil, "not three segments"
	}
	if dots[1] = strings.IndexByte(token[dots[0]+1:], '.'); dots[1] < 0 {
		return compactJWS{}, nil, "not three segments"
	}
	dots[1] += dots[0] + 1
	if strings.IndexByte(token[dots[1]+1:], '.') >= 0 {
		return compactJWS{}, nil, "more than three segments"
	}
	raw := unsafe.Slice(unsafe.StringData(token), len(token))
	h, p, s := raw[:dots[0]], raw[dots[0]+1:dots[1]], raw[dots[1]+1:]
	if len(h) == 0 || len(p) == 0 || len(s) == 0 {
		return compactJWS{}, nil, "empty segment"
	}
	// One allocation holds the decoded header and payload (and the
	// signature, if too long for sigBuf, which no accepted key signs).
	size := b64.DecodedLen(len(h)) + b64.DecodedLen(len(p))
	sigDst := sigBuf[:]
	if n := b64.DecodedLen(len(s)); n > len(sigDst) {
		size += n
		sigDst = nil
	}
	rest := make([]byte, size)
	jws.signingInput = raw[:dots[1]:dots[1]]
	var hb, pb []byte
	var ok bool
	if hb, rest, ok = decodeSegment(rest, h); !ok {
		return compactJWS{}, nil, "header is not strict base64url"
	}
	if pb, rest, ok = decodeSegment(rest, p); !ok {
		return compactJWS{}, nil, "payload is not strict base64url"
	}
	if sigDst == nil {
		sigDst = rest
	}
	if sig, _, ok = decodeSegment(sigDst, s); !ok {
		return compactJWS{}, nil, "signature is not strict base64url"
	}
	if len(hb) == 0 || len(pb) == 0 {
		return compactJWS{}, nil, "empty segment"
	}
	jws.header = unsafe.String(&hb[0], len(hb))
	jws.payload = unsafe.String(&pb[0], len(pb))
	return jws, sig, ""
}

// decodeSegment decodes src into the front of dst and returns the decoded
// bytes and the unused rest of dst.
func decodeSegment(dst, src []byte) (out, rest []byte, ok bool) {
	n, err := b64.Decode(dst, src)
	if err != nil {
		return nil, nil, false
	}
	return dst[:n:n], dst[n:], true
}

// maxSignatureSize is the longest signature an accepted key makes: RSA
// of maxRSABits (ECDSA P-521 and Ed25519 make shorter ones).
const maxSignatureSize = maxRSABits / 8

// maxDigestSize is the size of the largest digest an algorithm uses (SHA-512).
const maxDigestSize = 64

// tokenBytes is a read-only []byte view of token, for hashing.
func tokenBytes(token string) []byte {
	return unsafe.Slice(unsafe.StringData(token), len(token))
}

// maxJSONDepth bounds nesting so a hostile payload cannot exhaust the stack;
// real headers and claims nest one or two levels.
const maxJSONDepth = 32

// jsonParser decodes one JSON object into the same Go values encoding/json
// produces for an `any` (map[string]any, []any, string, float64, bool, nil),
// and is stricter: duplicate member names, invalid UTF-8, lone surrogate
// escapes, numbers out of float64 range and trailing data are errors.
type jsonParser struct {
	data  string
	pos   int
	depth int
}

// parseJSONObject decodes data, which must hold exactly one JSON object.
// sizeHint presizes the top-level map. Errors are details for ErrMalformed.
func parseJSONObject(data string, sizeHint int) (map[string]any, string) {
	p, detail := newDocument(data)
	if detail != "" {
		return nil, detail
	}
	m, detail := p.object(make(map[string]any, sizeHint))
	if detail == "" {
		detail = p.end()
	}
	if detail != "" {
		return nil, detail
	}
	return m, ""
}

// newDocument starts reading data, which must hold exactly one JSON object:
// read it with nextMember, then call end. Verify reads tokens this way, by
// the same rules as parseJSONObject but without building what it does not
// keep, so a claim it ignores costs no allocation.
func newDocument(data string) (jsonParser, string) {
	p := jsonParser{data: data}
	p.skipSpace()
	if p.peek() != '{' {
		return p, "not a JSON object"
	}
	return p, ""
}

// end checks that nothing follows the document's object.
func (p *jsonParser) end() string {
	p.skipSpace()
	if p.pos != len(p.data) {
		return "data after the JSON object"
	}
	return ""
}

func (p *jsonParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// peekValue skips white space and returns the first byte of the next value.
func (p *jsonParser) peekValue() byte {
	p.skipSpace()
	return p.peek()
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value decodes one value as encoding/json decodes into any.
func (p *jsonParser) value() (any, string) {
	switch c := p.peekValue(); {
	case c == '{':
		return p.object(map[string]any{})
	case c == '[':
		a := make([]any, 0, 4)
		var w arrayWalk
		for {
			more, detail := p.nextElem(&w)
			if detail != "" || !more {
				return a, detail
			}
			v, detail := p.value()
			if detail != "" {
				return nil, detail
			}
			a = append(a, v)
		}
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

// object decodes the object at p.pos into m.
func (p *jsonParser) object(m map[string]any) (map[string]any, string) {
	var w objectWalk
	for {
		name, more, detail := p.nextMember(&w)
		if detail != "" || !more {
			return m, detail
		}
		v, detail := p.value()
		if detail != "" {
			return nil, detail
		}
		m[name] = v
	}
}

// skip checks one value, by the same rules as value, without building it.
func (p *jsonParser) skip() string {
	switch c := p.peekValue(); {
	case c == '{':
		var w objectWalk
		for {
			_, more, detail := p.nextMember(&w)
			if detail != "" || !more {
				return detail
			}
			if detail := p.skip(); detail != "" {
				return detail
			}
		}
	case c == '[':
		var w arrayWalk
		for {
			more, detail := p.nextElem(&w)
			if detail != "" || !more {
				return detail
			}
			if detail := p.skip(); detail != "" {
				return detail
			}
		}
	case c == '"':
		_, detail := p.str()
		return detail
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, detail := p.number()
		return detail
	default:
		return "invalid JSON value"
	}
}

func (p *jsonParser) literal(word string) string {
	if !strings.HasPrefix(p.data[p.pos:], word) {
		return "invalid JSON literal"
	}
	p.pos += len(word)
	return ""
}

// objectWalk is the state of reading one object member by member.
type objectWalk struct {
	names   memberNames
	started bool
}

// nextMember reads the object at p.pos one member at a time: the first call
// enters it, each call returns the next member's name with p at its value,
// which the caller must consume (value, skip or a typed read) before calling
// again, and more is false once the object is closed. Duplicate member names
// are refused.
func (p *jsonParser) nextMember(w *objectWalk) (name string, more bool, detail string) {
	if !w.started {
		w.started = true
		if p.depth++; p.depth > maxJSONDepth {
			return "", false, "JSON nested too deeply"
		}
		p.pos++ // '{'
		if p.skipSpace(); p.peek() == '}' {
			p.pos++
			p.depth--
			return "", false, ""
		}
	} else {
		switch p.skipSpace(); p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return "", false, ""
		default:
			return "", false, "expected ',' or '}' in JSON object"
		}
	}
	if p.skipSpace(); p.peek() != '"' {
		return "", false, "expected a JSON member name"
	}
	if name, detail = p.str(); detail != "" {
		return "", false, detail
	}
	if !w.names.add(name) {
		return "", false, "duplicate JSON member name"
	}
	if p.skipSpace(); p.peek() != ':' {
		return "", false, "expected ':' in JSON object"
	}
	p.pos++
	return name, true, ""
}

// arrayWalk is the state of reading one array element by element.
type arrayWalk struct{ started bool }

// nextElem is nextMember for the array at p.pos.
func (p *jsonParser) nextElem(w *arrayWalk) (more bool, detail string) {
	if !w.started {
		w.started = true
		if p.depth++; p.depth > maxJSONDepth {
			return false, "JSON nested too deeply"
		}
		p.pos++ // '['
		if p.skipSpace(); p.peek() == ']' {
			p.pos++
			p.depth--
			return false, ""
		}
		return true, ""
	}
	switch p.skipSpace(); p.peek() {
	case ',':
		p.pos++
		return true, ""
	case ']':
		p.pos++
		p.depth--
		return false, ""
	default:
		return false, "expected ',' or ']' in JSON array"
	}
}

// memberNames are one object's member names, for refusing duplicates
// without a map for the usual few: a name is compared with the earlier ones
// only when a cheap fingerprint of it was seen before, and a map takes over
// past len(inline) names.
type memberNames struct {
	inline [32]string
	n      int
	seen   uint64 // union of the fingerprints of inline[:n]
	spill  map[string]struct{}
}

// fingerprint is one bit chosen by a name's length and outer bytes.
func fingerprint(s string) uint64 {
	h := uint(len(s))
	if len(s) > 0 {
		h = h*31 + uint(s[0])
		h = h*31 + uint(s[len(s)-1])
	}
	return 1 << (h % 64)
}

// add reports false when name was added before.
func (m *memberNames) add(name string) bool {
	if m.spill != nil {
		if _, dup := m.spill[name]; dup {
			return false
		}
		m.spill[name] = struct{}{}
		return true
	}
	f := fingerprint(name)
	if m.seen&f != 0 {
		for _, s := range m.inline[:m.n] {
			if s == name {
				return false
			}
		}
	}
	if m.n == len(m.inline) {
		m.spill = make(map[string]struct{}, 2*len(m.inline))
		for _, s := range m.inline {
			m.spill[s] = struct{}{}
		}
		m.spill[name] = struct{}{}
		return true
	}
	m.inline[m.n] = name
	m.n++
	m.seen |= f
	return true
}

// str decodes the string starting at the opening quote.
func (p *jsonParser) str() (string, string) {
	start := p.pos + 1
	for i := start; i < len(p.data); {
		c := p.data[i]
		if plainStringByte[c] {
			i++
			continue
		}
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
		}
	}
	return "", "unterminated JSON string"
}

// plainStringByte marks the bytes str passes over without a second look:
// printable ASCII other than '"' and '\\'.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strSlow handles strings with escapes.
func (p *jsonParser) strSlow(start int) (string, string) {
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
				r, ok := hex4(p.data, i)
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
						r2, ok = hex4(p.data, i+2)
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

func hex4(b string, i int) (rune, bool) {
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
func (p *jsonParser) number() (float64, string) {
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

// Bounds for turning a NumericDate into a time.Time: years 1 to 9999. Values
// outside are clamped so that absurd dates neither overflow nor panic.
const (
	minNumericDate = -62135596800 // 0001-01-01T00:00:00Z
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// numericDateTime converts a NumericDate (seconds since the epoch, possibly
// fractional or absurd) to a time, clamped to years 1..9999.
func numericDateTime(f float64) time.Time {
	switch {
	case math.IsNaN(f):
		return time.Time{}
	case f >= maxNumericDate:
		return time.Unix(maxNumericDate, 0).UTC()
	case f <= minNumericDate:
		return time.Unix(minNumericDate, 0).UTC()
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// unixSeconds is t as fractional seconds since the epoch, computed without
// UnixNano so that no representable time overflows.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
