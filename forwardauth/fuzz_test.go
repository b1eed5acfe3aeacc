package forwardauth_test

import (
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// FuzzCanonicalTarget: whatever CanonicalTarget accepts is clean, a fixed
// point once re-encoded as proxy mode sends it, and read the same way by
// net/url (both the target received and the target sent).
func FuzzCanonicalTarget(f *testing.F) {
	for _, s := range []string{
		"/", "/a/b?x", "/a/../b", "/%2e%2e/", "/a//b", "/caf%C3%A9", "*", "http://h/a", "/a%zz", "/a/", "/./",
		"//", "/public#/../admin/users", "/a%23b", "/a%2fb", "/a%5cb", "/a\\b", "/a%252e", "/a;b", "/a%3bb",
		"/a%3fb", "/a?b#c", "/%2E%2e/admin", "/a b", "/a\x00", "/\xff", "/a%ffb", "/(x)!*'", "/a?/../admin",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		tg, err := forwardauth.CanonicalTarget(uri)
		if err != nil {
			return
		}
		p := tg.Path
		if !strings.HasPrefix(p, "/") || len(uri) > forwardauth.MaxTargetLen {
			t.Fatalf("%q -> %q: not absolute, or too long", uri, p)
		}
		if c := path.Clean(p); c != p && c+"/" != p {
			t.Fatalf("%q -> %q: not clean", uri, p)
		}
		if strings.Contains(p, "//") || strings.ContainsAny(p, "#?;%\\") || strings.ContainsAny(tg.RawQuery, "# ") {
			t.Fatalf("%q -> %+v: empty segment or delimiter", uri, tg)
		}
		if !utf8.ValidString(p) {
			t.Fatalf("%q -> %q: not UTF-8", uri, p)
		}
		for _, r := range p {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q -> %q: control character", uri, p)
			}
		}
		// net/url (Go's server) reads the received target the same way.
		u, err := url.ParseRequestURI(uri)
		if err != nil || u.Path != p || u.RawQuery != tg.RawQuery {
			t.Fatalf("%q -> %+v, but net/url reads %+v, %v", uri, tg, u, err)
		}
		// What proxy mode sends is read back as the same target.
		sent := tg.EscapedPath()
		if tg.RawQuery != "" {
			sent += "?" + tg.RawQuery
		}
		again, err := forwardauth.CanonicalTarget(sent)
		if err != nil || again != tg {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", uri, tg, sent, again, err)
		}
		if u, err := url.ParseRequestURI(sent); err != nil || u.Path != p {
			t.Fatalf("sent %q, net/url reads %+v, %v", sent, u, err)
		}
	})
}

func FuzzOriginalRequest(f *testing.F) {
	f.Add("GET", "/a?b", "", "", "", 1)
	f.Add("", "", "POST", "/x", "", 2)
	f.Add("GET", "/a", "GET", "/b", "", 3)
	f.Add("GET", "", "", "", "http://h/a?b", 4)
	f.Add("GET", "/a?b", "", "", "https://h:8443/a?b", 4)
	f.Add("GET", "/admin", "", "", "http://h?/public/admin", 4)
	f.Add("GET", "", "", "", "http:///a", 4)
	f.Fuzz(func(t *testing.T, om, ou, fm, fu, ol string, conv int) {
		c := forwardauth.RequestHeaders(1 + uint(conv)%4)
		r := httptest.NewRequest("GET", "/_gatehouse", nil)
		for name, v := range map[string]string{
			forwardauth.HeaderOriginalMethod: om, forwardauth.HeaderOriginalURI: ou,
			forwardauth.HeaderForwardedMethod: fm, forwardauth.HeaderForwardedURI: fu,
			forwardauth.HeaderOriginalURL: ol,
		} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		m, tg, err := forwardauth.OriginalRequest(r, c)
		if err != nil {
			return
		}
		if m == "" || !strings.HasPrefix(tg.Path, "/") {
			t.Fatalf("accepted method %q path %q", m, tg.Path)
		}
		if c == forwardauth.HeadersIngressNginx {
			checkIngressNginx(t, om, ou, ol, m, tg)
			return
		}
		// Only the configured convention's headers are read, and with
		// original or forwarded both must be there.
		want := map[forwardauth.RequestHeaders][2]string{
			forwardauth.HeadersOriginal: {om, ou}, forwardauth.HeadersForwarded: {fm, fu}, forwardauth.HeadersNone: {"GET", "/_gatehouse"},
		}[c]
		if want[0] == "" || want[1] == "" || m != want[0] {
			t.Fatalf("convention %v: decided on method %q, want %q of %q", c, m, want[0], want)
		}
		if exp, err := forwardauth.CanonicalTarget(want[1]); err != nil || exp != tg {
			t.Fatalf("convention %v: decided on %+v, want the reading of %q", c, tg, want)
		}
	})
}

// checkIngressNginx: an accepted ingress-nginx request was decided on
// X-Original-Method and on X-Original-URL's target, which X-Original-URI
// (when sent) equals byte for byte, and which net/url reads the same way
// from the whole URL.
func checkIngressNginx(t *testing.T, om, ou, ol, m string, tg forwardauth.Target) {
	t.Helper()
	if m != om || !strings.HasPrefix(ol, "http://") && !strings.HasPrefix(ol, "https://") {
		t.Fatalf("ingress-nginx: decided on method %q of %q, URL %q", m, om, ol)
	}
	_, after, _ := strings.Cut(ol, "://")
	target := after[strings.IndexByte(after, '/'):]
	if ou != "" && ou != target {
		t.Fatalf("ingress-nginx: X-Original-URI %q accepted beside X-Original-URL %q", ou, ol)
	}
	if exp, err := forwardauth.CanonicalTarget(target); err != nil || exp != tg {
		t.Fatalf("ingress-nginx: decided on %+v, want the reading of %q", tg, target)
	}
	if u, err := url.Parse(ol); err == nil && (u.Path != tg.Path || u.RawQuery != tg.RawQuery || u.Fragment != "" || u.User != nil) {
		t.Fatalf("ingress-nginx: decided on %+v, net/url reads %q as path %q query %q", tg, ol, u.Path, u.RawQuery)
	}
}
