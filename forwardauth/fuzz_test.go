package forwardauth_test

import (
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b?x", "/a/../b", "/%2e%2e/", "/a//b", "/caf%C3%A9", "*", "http://h/a", "/a%zz", "/a/", "/./", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		p, err := forwardauth.CanonicalPath(uri)
		if err != nil {
			return
		}
		// What is decided on is absolute, clean (up to a trailing slash)
		// and free of control characters.
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("%q -> %q: not absolute", uri, p)
		}
		if c := path.Clean(p); c != p && c+"/" != p {
			t.Fatalf("%q -> %q: not clean", uri, p)
		}
		if strings.Contains(p, "//") {
			t.Fatalf("%q -> %q: empty segment", uri, p)
		}
		for _, r := range p {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q -> %q: control character", uri, p)
			}
		}
		// An escaped form of the result means the same path.
		again, err := forwardauth.CanonicalPath((&url.URL{Path: p}).EscapedPath())
		if err != nil || again != p {
			t.Fatalf("%q -> %q -> %q, %v", uri, p, again, err)
		}
	})
}

func FuzzOriginalRequest(f *testing.F) {
	f.Add("GET", "/a?b", "", "", int(forwardauth.HeadersAuto))
	f.Add("", "", "POST", "/x", int(forwardauth.HeadersAuto))
	f.Add("GET", "/a", "GET", "/b", int(forwardauth.HeadersAuto))
	f.Fuzz(func(t *testing.T, om, ou, fm, fu string, conv int) {
		c := forwardauth.RequestHeaders(uint(conv) % 4)
		r := httptest.NewRequest("GET", "/_gatehouse", nil)
		for name, v := range map[string]string{
			forwardauth.HeaderOriginalMethod: om, forwardauth.HeaderOriginalURI: ou,
			forwardauth.HeaderForwardedMethod: fm, forwardauth.HeaderForwardedURI: fu,
		} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		m, p, err := forwardauth.OriginalRequest(r, c)
		if err != nil {
			return
		}
		if m == "" || !strings.HasPrefix(p, "/") {
			t.Fatalf("accepted method %q path %q", m, p)
		}
		if c == forwardauth.HeadersAuto && ou != "" && fu != "" && ou != fu {
			t.Fatalf("disagreeing URIs %q and %q accepted", ou, fu)
		}
	})
}
