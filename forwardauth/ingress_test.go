package forwardauth_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// TestIngressNginxConvention: --request-headers ingress-nginx reads the
// method from X-Original-Method and the target from X-Original-URL's
// $request_uri part, cross-checked against X-Original-URI when ingress-nginx
// sends it (auth-method set); X-Original-URL is then no client header.
func TestIngressNginxConvention(t *testing.T) {
	const (
		om  = "X-Original-Method"
		ol  = "X-Original-URL"
		oi  = "X-Original-URI"
		ok  = ""
		bad = forwardauth.ReasonRequestHeaders
	)
	h := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	tests := []struct {
		name       string
		headers    map[string][]string
		wantReason string // "" for a decision
		wantMethod string
		wantPath   string
	}{
		{"URL only (no auth-method)", h(om, "DELETE", ol, "https://api.example.com/orders/7?force=1"), ok, "DELETE", "/orders/7"},
		{"URL and URI agree", h(om, "GET", ol, "http://api.example.com:8080/orders?x=y", oi, "/orders?x=y"), ok, "GET", "/orders"},
		{"IPv6 host", h(om, "GET", ol, "http://[::1]:8080/a"), ok, "GET", "/a"},
		{"no Host header", h(om, "GET", ol, "http:///a"), ok, "GET", "/a"},
		{"query kept, not judged", h(om, "GET", ol, "http://h/a?next=http://x/admin"), ok, "GET", "/a"},
		{"percent-decoded", h(om, "GET", ol, "http://h/caf%C3%A9"), ok, "GET", "/café"},
		{"lower-case header name", map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Url": {"http://h/a"}}, ok, "GET", "/a"},
		// Missing, repeated or malformed.
		{"no headers", nil, bad, "", ""},
		{"URI only (the original convention)", h(om, "GET", oi, "/a"), bad, "", ""},
		{"no method", h(ol, "http://h/a"), bad, "", ""},
		{"repeated URL", h(om, "GET", ol, "http://h/a", ol, "http://h/admin"), bad, "", ""},
		{"repeated method", h(om, "GET", om, "DELETE", ol, "http://h/a"), bad, "", ""},
		{"repeated URI", h(om, "GET", ol, "http://h/a", oi, "/a", oi, "/a"), bad, "", ""},
		{"relative URL", h(om, "GET", ol, "/a"), bad, "", ""},
		{"other scheme", h(om, "GET", ol, "ftp://h/a"), bad, "", ""},
		{"scheme in capitals", h(om, "GET", ol, "HTTP://h/a"), bad, "", ""},
		{"no path", h(om, "GET", ol, "http://h"), bad, "", ""},
		{"no path, query", h(om, "GET", ol, "http://h?x=/admin"), bad, "", ""},
		{"empty", h(om, "GET", ol, ""), bad, "", ""},
		// A Host header nginx lets through that would move the split for
		// a URL parser: refused, not read either way.
		{"host with '?'", h(om, "GET", ol, "http://h?/public/admin/users"), bad, "", ""},
		{"host with '#'", h(om, "GET", ol, "http://h#x/admin"), bad, "", ""},
		{"host with userinfo", h(om, "GET", ol, "http://u@h/admin"), bad, "", ""},
		{"host with '\\'", h(om, "GET", ol, "http://h\\x/admin"), bad, "", ""},
		{"host with space", h(om, "GET", ol, "http://h x/admin"), bad, "", ""},
		// X-Original-URI, when sent, must be the same target byte for byte.
		{"URI disagrees", h(om, "GET", ol, "http://h/public", oi, "/admin/users"), bad, "", ""},
		{"URI differs in escaping", h(om, "GET", ol, "http://h/%61dmin", oi, "/admin"), bad, "", ""},
		{"URI differs in query", h(om, "GET", ol, "http://h/a?x=1", oi, "/a"), bad, "", ""},
		{"URI empty", h(om, "GET", ol, "http://h/a", oi, ""), bad, "", ""},
		// The target then goes through CanonicalTarget like any other.
		{"dot-segment", h(om, "GET", ol, "http://h/public/../admin"), forwardauth.ReasonTargetDotSegment, "", ""},
		{"fragment", h(om, "GET", ol, "http://h/public#/../admin"), forwardauth.ReasonTargetFragment, "", ""},
		{"absolute request target", h(om, "GET", ol, "http://h/http://evil/admin"), forwardauth.ReasonTargetEmptySegment, "", ""},
		{"empty segment", h(om, "GET", ol, "http://h//admin"), forwardauth.ReasonTargetEmptySegment, "", ""},
		{"encoded slash", h(om, "GET", ol, "http://h/a%2fb"), forwardauth.ReasonTargetEncodedDelim, "", ""},
		{"bad method", h(om, "GE T", ol, "http://h/a"), forwardauth.ReasonMethod, "", ""},
		// Other path overrides stay refused: ingress-nginx does not set
		// them, so they are the client's.
		{"client's X-Rewrite-URL", h(om, "GET", ol, "http://h/a", "X-Rewrite-Url", "/admin"), forwardauth.ReasonClientHeader, "", ""},
		{"client's X_Original_URL", h(om, "GET", ol, "http://h/a", "X_Original_URL", "/admin"), forwardauth.ReasonClientHeader, "", ""},
		{"client's x_original_url", h(om, "GET", ol, "http://h/a", "x_original_url", "/admin"), forwardauth.ReasonClientHeader, "", ""},
		{"client's X-Gatehouse-User-Id", h(om, "GET", ol, "http://h/a", "X-Gatehouse-User-Id", "victim"), forwardauth.ReasonClientHeader, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hd, fd := newHandler(t, forwardauth.Config{RequestHeaders: forwardauth.HeadersIngressNginx})
			r := httptest.NewRequest("GET", "/_gatehouse", nil)
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			r.Header.Set("Authorization", "Bearer allow")
			w := httptest.NewRecorder()
			hd.ServeHTTP(w, r)
			if tt.wantReason != "" {
				if w.Code != 400 || !strings.Contains(w.Body.String(), tt.wantReason) || fd.calls() != 0 {
					t.Fatalf("status %d %q (%d decisions), want 400 %s", w.Code, w.Body.String(), fd.calls(), tt.wantReason)
				}
				return
			}
			if w.Code != 200 {
				t.Fatalf("status %d %q, want 200", w.Code, w.Body.String())
			}
			if got := fd.last(); got.Method != tt.wantMethod || got.Path != tt.wantPath {
				t.Errorf("decided on %s %s, want %s %s", got.Method, got.Path, tt.wantMethod, tt.wantPath)
			}
		})
	}
}

// TestOriginalURLRefusedOutsideIngressNginx: only the ingress-nginx
// convention owns X-Original-URL; with the others it is a client's path
// override, refused as before.
func TestOriginalURLRefusedOutsideIngressNginx(t *testing.T) {
	for _, conv := range []forwardauth.RequestHeaders{forwardauth.HeadersOriginal, forwardauth.HeadersForwarded, forwardauth.HeadersNone} {
		hd, fd := newHandler(t, forwardauth.Config{RequestHeaders: conv})
		r := httptest.NewRequest("GET", "/a", nil)
		for k, v := range map[string]string{
			"X-Original-Method": "GET", "X-Original-Uri": "/a", "X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/a",
			"X-Original-Url": "http://h/a", "Authorization": "Bearer allow",
		} {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		if w.Code != 400 || !strings.Contains(w.Body.String(), forwardauth.ReasonClientHeader) || fd.calls() != 0 {
			t.Errorf("%v: status %d %q, want 400 %s", conv, w.Code, w.Body.String(), forwardauth.ReasonClientHeader)
		}
	}
}
