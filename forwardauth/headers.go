package forwardauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// The identity headers set on every allowed request, always all of them,
// empty when the value is empty: some proxies keep a client-supplied header
// when the auth response omits it. Lists are space-separated.
const (
	HeaderUserID     = "X-Gatehouse-User-Id"
	HeaderCallerKind = "X-Gatehouse-Caller-Kind"
	HeaderUsername   = "X-Gatehouse-Username"
	HeaderClientID   = "X-Gatehouse-Client-Id"
	HeaderTokenUse   = "X-Gatehouse-Token-Use"
	HeaderScopes     = "X-Gatehouse-Scopes"
	HeaderGroups     = "X-Gatehouse-Groups"

	// IdentityHeaderPrefix starts every identity header. In proxy mode every
	// client-sent header with this prefix is removed, not only the known ones.
	IdentityHeaderPrefix = "X-Gatehouse-"
)

// IdentityHeaders lists the identity headers in a stable order.
var IdentityHeaders = []string{
	HeaderUserID, HeaderCallerKind, HeaderUsername, HeaderClientID,
	HeaderTokenUse, HeaderScopes, HeaderGroups,
}

// The headers proxies use to tell a forward-auth service about the request
// they are deciding on.
const (
	HeaderOriginalMethod  = "X-Original-Method"  // nginx auth_request (set in the config)
	HeaderOriginalURI     = "X-Original-URI"     // nginx auth_request (set in the config)
	HeaderForwardedMethod = "X-Forwarded-Method" // Caddy forward_auth, Traefik ForwardAuth
	HeaderForwardedURI    = "X-Forwarded-Uri"    // Caddy forward_auth, Traefik ForwardAuth
)

// RequestHeaders says where the protected request's method and URI are read
// from. These headers are trusted: gatehouse serve must only be reachable by
// the proxy, never by clients directly (except in proxy mode, which reads
// none of them).
type RequestHeaders int

const (
	// HeadersAuto reads X-Original-Method/X-Original-URI and
	// X-Forwarded-Method/X-Forwarded-Uri. When both conventions are present
	// and disagree the request is refused (400): one of them came from the
	// client, passed through by a proxy that sets only the other. With
	// neither, the request's own method and URI are used (Envoy ext_authz).
	HeadersAuto RequestHeaders = iota
	// HeadersOriginal reads only X-Original-Method and X-Original-URI (nginx).
	HeadersOriginal
	// HeadersForwarded reads only X-Forwarded-Method and X-Forwarded-Uri
	// (Caddy, Traefik).
	HeadersForwarded
	// HeadersNone uses the request's own method and URI (Envoy ext_authz
	// HTTP, and proxy mode, where these headers are always ignored).
	HeadersNone
)

func (h RequestHeaders) String() string {
	switch h {
	case HeadersOriginal:
		return "original"
	case HeadersForwarded:
		return "forwarded"
	case HeadersNone:
		return "none"
	default:
		return "auto"
	}
}

// ParseRequestHeaders parses "auto", "original", "forwarded" or "none".
func ParseRequestHeaders(s string) (RequestHeaders, error) {
	switch s {
	case "auto", "":
		return HeadersAuto, nil
	case "original":
		return HeadersOriginal, nil
	case "forwarded":
		return HeadersForwarded, nil
	case "none":
		return HeadersNone, nil
	}
	return 0, fmt.Errorf("forwardauth: unknown request-headers convention %q (want auto, original, forwarded or none)", s)
}

// ErrBadRequest is wrapped by every error about the protected request's
// method or URI. The request is refused with 400.
var ErrBadRequest = errors.New("forwardauth: bad original request")

func badRequestf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
}

// maxMethodLen bounds a method name; real ones are at most a dozen bytes.
const maxMethodLen = 32

// OriginalRequest returns the method and canonical path of the request being
// decided on, read from r according to conv. The path is percent-decoded,
// without query or fragment; a path with dot-segments or empty segments is
// refused because the upstream may resolve it to another route than the one
// decided on.
func OriginalRequest(r *http.Request, conv RequestHeaders) (method, p string, err error) {
	method, uri := r.Method, r.RequestURI
	if uri == "" { // a request built in-process rather than read from the wire
		uri = r.URL.RequestURI()
	}
	var m, u string
	var found bool
	switch conv {
	case HeadersOriginal:
		m, u, found, err = headerPair(r.Header, HeaderOriginalMethod, HeaderOriginalURI)
	case HeadersForwarded:
		m, u, found, err = headerPair(r.Header, HeaderForwardedMethod, HeaderForwardedURI)
	case HeadersAuto:
		m, u, found, err = autoPair(r.Header)
	}
	if err != nil {
		return "", "", err
	}
	if found {
		if m != "" {
			method = m
		}
		uri = u
	}
	if !validMethod(method) {
		return "", "", badRequestf("invalid method")
	}
	p, err = CanonicalPath(uri)
	if err != nil {
		return "", "", err
	}
	return method, p, nil
}

// headerPair reads one convention's method and URI headers. found is true
// when the URI header is present; a method header alone is ignored (the
// request's own method then applies, as with the URI).
func headerPair(h http.Header, methodName, uriName string) (method, uri string, found bool, err error) {
	ms, us := h.Values(methodName), h.Values(uriName)
	if len(ms) > 1 || len(us) > 1 {
		return "", "", false, badRequestf("repeated %s or %s", methodName, uriName)
	}
	if len(us) == 0 {
		if len(ms) == 1 {
			// A method without a URI is a proxy misconfiguration or a
			// client's own header: refuse rather than mix sources.
			return "", "", false, badRequestf("%s without %s", methodName, uriName)
		}
		return "", "", false, nil
	}
	if len(ms) == 1 {
		method = ms[0]
	}
	return method, us[0], true, nil
}

func autoPair(h http.Header) (method, uri string, found bool, err error) {
	om, ou, ofound, err := headerPair(h, HeaderOriginalMethod, HeaderOriginalURI)
	if err != nil {
		return "", "", false, err
	}
	fm, fu, ffound, err := headerPair(h, HeaderForwardedMethod, HeaderForwardedURI)
	if err != nil {
		return "", "", false, err
	}
	switch {
	case ofound && ffound:
		if ou != fu || (om != "" && fm != "" && om != fm) {
			return "", "", false, badRequestf("X-Original-* and X-Forwarded-* disagree")
		}
		if om == "" {
			om = fm
		}
		return om, ou, true, nil
	case ofound:
		return om, ou, true, nil
	case ffound:
		return fm, fu, true, nil
	}
	return "", "", false, nil
}

// validMethod: an RFC 9110 token of reasonable length.
func validMethod(m string) bool {
	if m == "" || len(m) > maxMethodLen {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !isTokenChar(m[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// CanonicalPath turns a request URI in origin form ("/a/b?x=1") into the
// path decisions are made on: query and fragment dropped, percent-decoded.
// It refuses (ErrBadRequest) anything else: another form, bad escapes,
// control characters, and paths that are not already clean ("/a/../b",
// "/a/./b", "/a//b"), since an upstream resolving them could serve another
// route than the one decided on. A trailing slash is kept.
func CanonicalPath(uri string) (string, error) {
	if !strings.HasPrefix(uri, "/") {
		return "", badRequestf("URI is not in origin form")
	}
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	dec, err := url.PathUnescape(uri)
	if err != nil {
		return "", badRequestf("bad percent-encoding in path")
	}
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; c < 0x20 || c == 0x7f {
			return "", badRequestf("control character in path")
		}
	}
	clean := path.Clean(dec)
	if dec != clean && (clean == "/" || dec != clean+"/") {
		return "", badRequestf("path is not canonical")
	}
	return dec, nil
}

// identityValues returns the identity header values in IdentityHeaders
// order. It refuses an identity without an internal id (an allow must say
// whom it is for) and values a header cannot carry faithfully (control
// characters, surrounding white space, a space inside a list item) rather
// than altering them.
func identityValues(id *authorizer.Identity) (*[7]string, error) {
	if id == nil || id.InternalID == "" {
		return nil, errUnsafeIdentity
	}
	scopes, err := joinList(id.Scopes)
	if err != nil {
		return nil, err
	}
	groups, err := joinList(id.Groups)
	if err != nil {
		return nil, err
	}
	v := [7]string{id.InternalID, string(id.Kind), id.Username, id.ClientID, id.TokenUse, scopes, groups}
	for _, s := range v[:5] {
		if !safeValue(s) {
			return nil, errUnsafeIdentity
		}
	}
	return &v, nil
}

var errUnsafeIdentity = errors.New("forwardauth: identity value cannot be sent in a header")

func joinList(items []string) (string, error) {
	for _, s := range items {
		if s == "" || strings.Contains(s, " ") || !safeValue(s) {
			return "", errUnsafeIdentity
		}
	}
	return strings.Join(items, " "), nil
}

// safeValue: no control characters, and no surrounding white space (which
// header parsers trim).
func safeValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return s == strings.TrimSpace(s)
}

// stripIdentityHeaders removes every header whose name starts with
// IdentityHeaderPrefix, whatever its case.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if len(name) >= len(IdentityHeaderPrefix) && strings.EqualFold(name[:len(IdentityHeaderPrefix)], IdentityHeaderPrefix) {
			delete(h, name)
		}
	}
}
