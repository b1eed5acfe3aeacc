package forwardauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxTargetLen bounds a request target (path and query, in bytes, as
// received). Route rules are at most 256 bytes and API paths far shorter;
// 4096 is below every common proxy's limit (nginx's default header buffer
// is 1 KiB, growing to 8 KiB), so whatever gatehouse accepts the proxy
// accepted too.
const MaxTargetLen = 4096

// Reason codes of a refused request (400). They are the reason label of
// gatehouse_serve_requests_total{result="bad_request"} and of the log line.
const (
	ReasonTargetForm          = "target_form"          // not origin form: absolute, authority or asterisk form
	ReasonTargetTooLong       = "target_too_long"      // longer than MaxTargetLen
	ReasonTargetFragment      = "target_fragment"      // a '#' anywhere, raw or encoded
	ReasonTargetChar          = "target_char"          // a byte no stack agrees on: control, space, '\', non-ASCII, ...
	ReasonTargetEscape        = "target_escape"        // a malformed %-escape, or one decoding to invalid UTF-8
	ReasonTargetEncodedDelim  = "target_encoded_delim" // %2F, %5C, %3F, %3B or %25 in the path
	ReasonTargetDotSegment    = "target_dot_segment"   // "." or ".." as a segment, raw or encoded
	ReasonTargetEmptySegment  = "target_empty_segment" // "//" in the path
	ReasonTargetPathParameter = "target_path_param"    // ';' in the path
	ReasonMethod              = "method_invalid"       // not an RFC 9110 token of at most 32 bytes
	ReasonRequestHeaders      = "request_headers"      // X-Original-*/X-Forwarded-* missing, repeated, incomplete, malformed or disagreeing
	ReasonClientHeader        = "client_header"        // the client sent an identity or override header (OverrideHeaders)
)

// BadRequestError is a refused request: Reason is one of the Reason*
// constants. It matches ErrBadRequest with errors.Is.
type BadRequestError struct {
	Reason string
	detail string
}

func (e *BadRequestError) Error() string {
	return "forwardauth: bad request (" + e.Reason + "): " + e.detail
}

// Is makes errors.Is(err, ErrBadRequest) true.
func (e *BadRequestError) Is(target error) bool { return target == ErrBadRequest }

// ErrBadRequest matches every *BadRequestError: the request is refused with
// 400.
var ErrBadRequest = errors.New("forwardauth: bad request")

func badRequest(reason, format string, args ...any) error {
	return &BadRequestError{Reason: reason, detail: fmt.Sprintf(format, args...)}
}

// reasonOf returns the reason code of a bad-request error.
func reasonOf(err error) string {
	var bre *BadRequestError
	if errors.As(err, &bre) {
		return bre.Reason
	}
	return "bad_request"
}

// Target is a request target in its canonical form (see the package
// documentation): Path is what rules are matched against and, in proxy
// mode, the only source of the path sent upstream (EscapedPath);
// RawQuery is passed on as received, never judged.
type Target struct {
	Path     string // percent-decoded, clean, absolute
	RawQuery string // without the '?'; "" when there was none or it was empty
}

// EscapedPath is the path as sent upstream in proxy mode: Path
// percent-encoded by net/url's rules. CanonicalTarget(t.EscapedPath())
// gives t.Path back.
func (t Target) EscapedPath() string { return (&url.URL{Path: t.Path}).EscapedPath() }

// CanonicalTarget reads a request target in origin form ("/a/b?x=1") the
// one way every HTTP stack in front of or behind gatehouse reads it, and
// refuses (a *BadRequestError) anything two stacks could read differently.
// The rules are in the package documentation, "The canonical request
// target".
func CanonicalTarget(uri string) (Target, error) {
	if len(uri) > MaxTargetLen {
		return Target{}, badRequest(ReasonTargetTooLong, "target longer than %d bytes", MaxTargetLen)
	}
	if !strings.HasPrefix(uri, "/") {
		return Target{}, badRequest(ReasonTargetForm, "target is not in origin form")
	}
	rawPath, rawQuery, _ := strings.Cut(uri, "?")
	for i := 0; i < len(rawQuery); i++ {
		switch c := rawQuery[i]; {
		case c == '#':
			return Target{}, badRequest(ReasonTargetFragment, "'#' in the query")
		case c <= ' ' || c >= 0x7f:
			return Target{}, badRequest(ReasonTargetChar, "byte %#x in the query", c)
		}
	}

	// Check every byte of the raw path and what each escape decodes to.
	escaped := false
	for i := 1; i < len(rawPath); i++ {
		c := rawPath[i]
		switch {
		case c == '/':
		case c == '%':
			if i+2 >= len(rawPath) || unhex(rawPath[i+1]) < 0 || unhex(rawPath[i+2]) < 0 {
				return Target{}, badRequest(ReasonTargetEscape, "malformed escape in the path")
			}
			escaped = true
			c = byte(unhex(rawPath[i+1])<<4 | unhex(rawPath[i+2]))
			i += 2
			switch {
			case c == '#':
				return Target{}, badRequest(ReasonTargetFragment, "encoded '#' in the path")
			case c == '/' || c == '\\' || c == '?' || c == ';' || c == '%':
				return Target{}, badRequest(ReasonTargetEncodedDelim, "encoded %q in the path", c)
			case c < ' ' || c == 0x7f:
				return Target{}, badRequest(ReasonTargetChar, "encoded control character in the path")
			}
		case c == '#':
			return Target{}, badRequest(ReasonTargetFragment, "'#' in the path")
		case c == ';':
			return Target{}, badRequest(ReasonTargetPathParameter, "';' in the path")
		case !isPathChar(c):
			return Target{}, badRequest(ReasonTargetChar, "byte %#x in the path", c)
		}
	}
	p := rawPath
	if escaped {
		// Every escape is well-formed and none decodes to '/', so the
		// segments of p are those of rawPath, decoded.
		var err error
		if p, err = url.PathUnescape(rawPath); err != nil {
			return Target{}, badRequest(ReasonTargetEscape, "malformed escape in the path")
		}
		if !utf8.ValidString(p) {
			return Target{}, badRequest(ReasonTargetEscape, "path does not decode to UTF-8")
		}
	}
	for rest := p[1:]; ; {
		seg, after, more := strings.Cut(rest, "/")
		switch {
		case seg == "." || seg == "..":
			return Target{}, badRequest(ReasonTargetDotSegment, "dot-segment in the path")
		case seg == "" && more:
			return Target{}, badRequest(ReasonTargetEmptySegment, "empty segment in the path")
		}
		if !more {
			break
		}
		rest = after
	}
	t := Target{Path: p, RawQuery: rawQuery}
	// What proxy mode sends (EscapedPath: net/url escapes some bytes that
	// arrived raw, such as '!') can be longer than what arrived; it is
	// bounded by the same limit, so that it reads back as this target.
	// Escaping at most triples the path, so short targets skip the check.
	if 3*len(p)+1+len(rawQuery) > MaxTargetLen && t.sentLen() > MaxTargetLen {
		return Target{}, badRequest(ReasonTargetTooLong, "target longer than %d bytes once escaped to be sent", MaxTargetLen)
	}
	return t, nil
}

// sentLen is the length of the target proxy mode sends: EscapedPath and,
// when there is one, "?" and RawQuery.
func (t Target) sentLen() int {
	n := len(t.EscapedPath())
	if t.RawQuery != "" {
		n += 1 + len(t.RawQuery)
	}
	return n
}

// isPathChar: RFC 3986 pchar (without '%', handled by the caller) — the
// unreserved and sub-delims characters, ':' and '@'.
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,=:@", c) >= 0
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
