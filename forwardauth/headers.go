package forwardauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// The identity headers set on every allowed request, always all of them,
// empty when the value is empty: some proxies keep a client-supplied header
// when the auth response omits it. Lists are space-separated. The names
// come from authorizer's table of identity fields (authorizer.IdentityFields),
// which also gives the context keys the Lambda authorizer sends.
const (
	HeaderUserID     = authorizer.HeaderUserID
	HeaderCallerKind = authorizer.HeaderCallerKind
	HeaderUsername   = authorizer.HeaderUsername
	HeaderClientID   = authorizer.HeaderClientID
	HeaderTokenUse   = authorizer.HeaderTokenUse
	HeaderScopes     = authorizer.HeaderScopes
	HeaderGroups     = authorizer.HeaderGroups

	// IdentityHeaderPrefix starts every identity header. In proxy mode every
	// client-sent header with this prefix is removed, not only the known ones.
	IdentityHeaderPrefix = "X-Gatehouse-"
)

// identityFields is authorizer's table, read once: the handler sets exactly
// these headers. Each starts with IdentityHeaderPrefix, so the strip and the
// refusal of client-sent ones cover them (TestIdentityHeadersGuarded).
var identityFields = authorizer.IdentityFields()

// IdentityHeaders lists the identity headers in a stable order (that of
// authorizer.IdentityFields).
var IdentityHeaders = func() []string {
	names := make([]string, len(identityFields))
	for i, f := range identityFields {
		names[i] = f.Header
	}
	return names
}()

// The headers proxies use to tell a forward-auth service about the request
// they are deciding on.
const (
	HeaderOriginalMethod  = "X-Original-Method"  // nginx auth_request (set in the config)
	HeaderOriginalURI     = "X-Original-URI"     // nginx auth_request (set in the config); ingress-nginx with auth-method
	HeaderOriginalURL     = "X-Original-URL"     // ingress-nginx external auth: $scheme://$http_host$request_uri
	HeaderForwardedMethod = "X-Forwarded-Method" // Caddy forward_auth, Traefik ForwardAuth
	HeaderForwardedURI    = "X-Forwarded-Uri"    // Caddy forward_auth, Traefik ForwardAuth
)

// RequestHeaders says where, in forward-auth mode, the protected request's
// method and URI are read from. It is configuration, never inferred from
// the request: a header the proxy does not set is one the client can. These
// headers are trusted: gatehouse serve must only be reachable by the proxy,
// never by clients directly (except in proxy mode, which reads none of
// them). The zero value is no choice, refused by New in forward-auth mode.
type RequestHeaders int

const (
	// HeadersOriginal reads only X-Original-Method and X-Original-URI (nginx).
	HeadersOriginal RequestHeaders = iota + 1
	// HeadersForwarded reads only X-Forwarded-Method and X-Forwarded-Uri
	// (Caddy, Traefik).
	HeadersForwarded
	// HeadersNone uses the request's own method and URI (Envoy ext_authz
	// HTTP, and proxy mode, where these headers are always ignored).
	HeadersNone
	// HeadersIngressNginx reads X-Original-Method and the request target of
	// X-Original-URL, which ingress-nginx's external-auth location always
	// sets; X-Original-URI, which it sets only with auth-method, must agree
	// when present. X-Original-URL is then this convention's header, not a
	// refused client header.
	HeadersIngressNginx
)

// RequestHeadersChoices names the valid --request-headers values.
const RequestHeadersChoices = "original (nginx), forwarded (Caddy, Traefik), ingress-nginx (Kubernetes ingress-nginx auth-url) or none (Envoy)"

func (h RequestHeaders) String() string {
	switch h {
	case HeadersOriginal:
		return "original"
	case HeadersForwarded:
		return "forwarded"
	case HeadersNone:
		return "none"
	case HeadersIngressNginx:
		return "ingress-nginx"
	}
	return "unset"
}

// ErrNoRequestHeaders: forward-auth mode without a RequestHeaders choice.
var ErrNoRequestHeaders = errors.New("forwardauth: say where the proxy puts the original method and URI: " + RequestHeadersChoices)

// ParseRequestHeaders parses "original", "forwarded", "ingress-nginx" or
// "none".
func ParseRequestHeaders(s string) (RequestHeaders, error) {
	switch s {
	case "original":
		return HeadersOriginal, nil
	case "forwarded":
		return HeadersForwarded, nil
	case "ingress-nginx":
		return HeadersIngressNginx, nil
	case "none":
		return HeadersNone, nil
	case "":
		return 0, ErrNoRequestHeaders
	}
	return 0, fmt.Errorf("forwardauth: unknown request-headers convention %q (want %s; auto is gone: it guessed from headers a client can send)", s, RequestHeadersChoices)
}

// maxMethodLen bounds a method name; real ones are at most a dozen bytes.
const maxMethodLen = 32

// OriginalRequest returns the method and canonical target of the request
// being decided on, read from r according to conv (HeadersNone in proxy
// mode). In proxy mode the target is r.RequestURI, the request line as
// received: the same string the upstream's path is built from. With
// HeadersOriginal, HeadersForwarded or HeadersIngressNginx both of the
// convention's headers must be present once each: the auth request's own
// method and URI are the proxy's, not the client's, and a proxy that did
// not set them is misconfigured, so the request is refused rather than
// judged as "GET /_gatehouse".
func OriginalRequest(r *http.Request, conv RequestHeaders) (method string, t Target, err error) {
	var uri string
	switch conv {
	case HeadersOriginal:
		method, uri, err = headerPair(r.Header, HeaderOriginalMethod, HeaderOriginalURI)
	case HeadersForwarded:
		method, uri, err = headerPair(r.Header, HeaderForwardedMethod, HeaderForwardedURI)
	case HeadersIngressNginx:
		method, uri, err = ingressNginxHeaders(r.Header)
	default:
		method, uri = r.Method, r.RequestURI
		if uri == "" { // a request built in-process rather than read from the wire
			uri = r.URL.RequestURI()
		}
	}
	if err != nil {
		return "", Target{}, err
	}
	if !validMethod(method) {
		return "", Target{}, badRequest(ReasonMethod, "invalid method")
	}
	t, err = CanonicalTarget(uri)
	if err != nil {
		return "", Target{}, err
	}
	return method, t, nil
}

// headerPair reads one convention's method and URI headers, each exactly
// once.
func headerPair(h http.Header, methodName, uriName string) (method, uri string, err error) {
	ms, us := h[canonicalKey(methodName)], h[canonicalKey(uriName)]
	if len(ms) != 1 || len(us) != 1 {
		return "", "", badRequest(ReasonRequestHeaders, "want exactly one %s and one %s", methodName, uriName)
	}
	return ms[0], us[0], nil
}

// canonicalKeys maps the conventions' header names to their canonical
// forms once: X-Original-URI and X-Original-URL are not canonical, and
// Header.Values would build "X-Original-Uri" anew on every request.
var canonicalKeys = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{HeaderOriginalMethod, HeaderOriginalURI, HeaderOriginalURL, HeaderForwardedMethod, HeaderForwardedURI} {
		m[n] = http.CanonicalHeaderKey(n)
	}
	return m
}()

// canonicalKey is name's key in an http.Header, as Header.Values finds it.
func canonicalKey(name string) string {
	if k, ok := canonicalKeys[name]; ok {
		return k
	}
	return http.CanonicalHeaderKey(name)
}

// ingressNginxHeaders reads ingress-nginx's external-auth subrequest. Its
// controller template (rootfs/etc/nginx/template/nginx.tmpl, the auth
// location) always sets X-Original-Method to $request_method and
// X-Original-URL to $scheme://$http_host$request_uri, and X-Original-URI to
// $request_uri only when the auth-method annotation is set. The target is
// X-Original-URL's $request_uri part, exactly as sent (originalURLTarget);
// an X-Original-URI that is repeated or says otherwise is refused.
func ingressNginxHeaders(h http.Header) (method, uri string, err error) {
	method, full, err := headerPair(h, HeaderOriginalMethod, HeaderOriginalURL)
	if err != nil {
		return "", "", err
	}
	uri, ok := originalURLTarget(full)
	if !ok {
		return "", "", badRequest(ReasonRequestHeaders, "malformed %s", HeaderOriginalURL)
	}
	switch us := h[canonicalKey(HeaderOriginalURI)]; {
	case len(us) > 1:
		return "", "", badRequest(ReasonRequestHeaders, "repeated %s", HeaderOriginalURI)
	case len(us) == 1 && us[0] != uri:
		return "", "", badRequest(ReasonRequestHeaders, "%s and %s disagree", HeaderOriginalURL, HeaderOriginalURI)
	}
	return method, uri, nil
}

// originalURLTarget returns the request target of X-Original-URL as
// ingress-nginx builds it, "http://" or "https://" ($scheme), the Host
// header ($http_host), then $request_uri: everything from the first '/'
// after "://", as sent, for CanonicalTarget to judge. nginx refuses a Host
// header holding '/' (ngx_http_validate_host), so that '/' starts
// $request_uri; the host part must moreover be made of RFC 3986 host and
// port characters only, so that a Host with '?', '#', '@' or '\' (which
// nginx lets through) is refused rather than read by two URL parsers two
// ways. It may be empty: a request without a Host header.
func originalURLTarget(u string) (string, bool) {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(u, "https://"); !ok {
			return "", false
		}
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	for j := 0; j < i; j++ {
		if c := rest[j]; c == '@' || !(isPathChar(c) || c == '[' || c == ']') {
			return "", false
		}
	}
	return rest[i:], true
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

// identityValues returns the identity header values in identityFields
// order. It refuses an identity without an internal id (an allow must say
// whom it is for) and values a header cannot carry faithfully (control
// characters, surrounding white space, an empty list item or a space inside
// one) rather than altering them: every field is checked, by its kind.
func identityValues(id *authorizer.Identity) ([]string, error) {
	if id == nil || id.InternalID == "" {
		return nil, errUnsafeIdentity
	}
	v := make([]string, len(identityFields))
	for i, f := range identityFields {
		if f.List {
			s, err := joinList(f.Items(id))
			if err != nil {
				return nil, err
			}
			v[i] = s
			continue
		}
		s := f.Value(id)
		if !safeValue(s) {
			return nil, errUnsafeIdentity
		}
		v[i] = s
	}
	return v, nil
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

// OverrideHeaders are the headers some frameworks read as the request's
// real method (X-HTTP-Method-Override, X-Method-Override, X-HTTP-Method) or
// path (X-Original-URL, X-Rewrite-URL: Symfony, Laminas, IIS URL Rewrite).
// In proxy mode they are removed, in any spelling; in forward-auth mode a
// request carrying one is refused: the proxy would pass it on, and the
// upstream might act on another method or path than the one judged.
//
// With HeadersIngressNginx, X-Original-URL under exactly that name (in any
// case: net/http canonicalizes it to one key) is the convention's own
// header, set by ingress-nginx over the client's; other spellings
// (X_Original_URL) are still refused. ingress-nginx passes the client's
// own X-Original-URL on the main request to the upstream untouched, which
// gatehouse never sees: examples/README.md says how to clear it.
var OverrideHeaders = []string{"X-HTTP-Method-Override", "X-Method-Override", "X-HTTP-Method", HeaderOriginalURL, "X-Rewrite-URL"}

// isGuardedHeader reports whether a client-sent header named name could be
// read as an identity header (any name starting with IdentityHeaderPrefix)
// or a method or path override, in any spelling: as the most lenient reader sees it,
// ignoring case (every server), reading '_' as '-' (WSGI/CGI servers) and
// ignoring surrounding white space. It runs on every header of every
// request, so it compares in place rather than building folded strings.
func isGuardedHeader(name string) bool {
	name = strings.Trim(name, " \t")
	if hasFoldedPrefix(name, IdentityHeaderPrefix) {
		return true
	}
	for _, o := range OverrideHeaders {
		if len(name) == len(o) && hasFoldedPrefix(name, o) {
			return true
		}
	}
	return false
}

// hasFoldedPrefix: s starts with prefix, ignoring ASCII case and reading '_'
// as '-'.
func hasFoldedPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if foldByte(s[i]) != foldByte(prefix[i]) {
			return false
		}
	}
	return true
}

func foldByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

var canonicalOriginalURL = http.CanonicalHeaderKey(HeaderOriginalURL)

// stripGuardedHeaders removes every header isGuardedHeader matches.
func stripGuardedHeaders(h http.Header) {
	for name := range h {
		if isGuardedHeader(name) {
			delete(h, name)
		}
	}
}

// checkGuardedHeaders refuses a request carrying a header isGuardedHeader
// matches. In forward-auth mode the proxy passes the client's headers to
// gatehouse (nginx auth_request, Caddy forward_auth and Traefik ForwardAuth
// do by default) and then on to the upstream: a spelling the proxy's
// configuration does not replace (X_Gatehouse_User_Id with nginx's
// underscores_in_headers on) would reach the upstream. With
// HeadersIngressNginx, the canonical X-Original-URL is the proxy's.
func checkGuardedHeaders(h http.Header, conv RequestHeaders) error {
	for name := range h {
		if conv == HeadersIngressNginx && name == canonicalOriginalURL {
			continue
		}
		if isGuardedHeader(name) {
			return badRequest(ReasonClientHeader, "identity or override header from the client")
		}
	}
	return nil
}
