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
	f.Add("GET", "/a?b", "", "", 1)
	f.Add("", "", "POST", "/x", 2)
	f.Add("GET", "/a", "GET", "/b", 3)
	f.Fuzz(func(t *testing.T, om, ou, fm, fu string, conv int) {
		c := forwardauth.RequestHeaders(1 + uint(conv)%3)
		r := httptest.NewRequest("GET", "/_gatehouse", nil)
		for name, v := range map[string]string{
			forwardauth.HeaderOriginalMethod: om, forwardauth.HeaderOriginalURI: ou,
			forwardauth.HeaderForwardedMethod: fm, forwardauth.HeaderForwardedURI: fu,
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
