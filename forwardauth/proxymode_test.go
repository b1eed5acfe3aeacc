package forwardauth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// echoUpstream records the headers of the last request it received.
type echoUpstream struct {
	mu     sync.Mutex
	header http.Header
	uri    string
	host   string
}

func (e *echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.header = r.Header.Clone()
	e.uri = r.RequestURI
	e.host = r.Host
	e.mu.Unlock()
	w.Header().Set("X-Upstream", "yes")
	_, _ = io.WriteString(w, "upstream:"+r.Header.Get(forwardauth.HeaderUserID))
}

func (e *echoUpstream) seen() (http.Header, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.header, e.uri
}

func TestProxyMode(t *testing.T) {
	up := &echoUpstream{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	u, _ := url.Parse(upSrv.URL)
	h, fd := newHandler(t, forwardauth.Config{Upstream: u})
	fd.id = authorizer.Identity{InternalID: "u-9", Kind: authorizer.CallerClient, ClientID: "cli", TokenUse: "access"}
	srv := httptest.NewServer(h)
	defer srv.Close()

	do := func(authz string, hdr map[string]string, target string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+target, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}

	t.Run("allowed, client identity headers replaced or removed", func(t *testing.T) {
		res := do("Bearer allow", map[string]string{
			"X-Gatehouse-User-Id":  "someone-else",
			"X-Gatehouse-Username": "mallory",
			"x-gatehouse-groups":   "admins",
			"X-Gatehouse-Extra":    "smuggled",
			// A proxy in forward-auth setups would trust these; here they
			// must not change the route decided on.
			"X-Original-URI": "/public",
		}, "/orders/1?x=1")
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(body) != "upstream:u-9" || res.Header.Get("X-Upstream") != "yes" {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
		hdr, uri := up.seen()
		if uri != "/orders/1?x=1" {
			t.Errorf("upstream saw %q", uri)
		}
		want := map[string]string{
			"X-Gatehouse-User-Id": "u-9", "X-Gatehouse-Caller-Kind": "client", "X-Gatehouse-Username": "",
			"X-Gatehouse-Client-Id": "cli", "X-Gatehouse-Token-Use": "access", "X-Gatehouse-Scopes": "", "X-Gatehouse-Groups": "",
		}
		for name, vs := range hdr {
			if !strings.HasPrefix(strings.ToLower(name), "x-gatehouse-") {
				continue
			}
			w, ok := want[name]
			if !ok {
				t.Errorf("upstream saw client-sent %s: %q", name, vs)
				continue
			}
			if len(vs) != 1 || vs[0] != w {
				t.Errorf("upstream saw %s = %q, want %q", name, vs, w)
			}
		}
		for name := range want {
			if _, ok := hdr[name]; !ok {
				// Go's client drops nothing, but an empty header may
				// arrive absent through other proxies; here it must be
				// present.
				t.Errorf("upstream did not get %s", name)
			}
		}
		if got := fd.last(); got.Path != "/orders/1" || got.Method != "GET" {
			t.Errorf("decided on %s %s", got.Method, got.Path)
		}
	})

	t.Run("denied requests never reach the upstream", func(t *testing.T) {
		up.mu.Lock()
		up.header = nil
		up.mu.Unlock()
		for authz, want := range map[string]int{"": 401, "Bearer nope": 401, "Bearer forbid": 403, "Bearer error": 500} {
			res := do(authz, nil, "/orders")
			if res.StatusCode != want {
				t.Errorf("%q: status %d, want %d", authz, res.StatusCode, want)
			}
		}
		if hdr, _ := up.seen(); hdr != nil {
			t.Error("a denied request reached the upstream")
		}
	})

	t.Run("non-canonical path refused", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		req.URL.RawPath, req.URL.Path = "/public/%2e%2e/admin", "/public/../admin"
		req.Header.Set("Authorization", "Bearer allow")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
	})
}

func TestProxyUpstreamDown(t *testing.T) {
	upSrv := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(upSrv.URL)
	upSrv.Close() // nothing listens there now
	h, _ := newHandler(t, forwardauth.Config{Upstream: u})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer allow")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", w.Code)
	}
	var sb strings.Builder
	_, _ = h.Metrics().WriteTo(&sb)
	if !strings.Contains(sb.String(), "gatehouse_serve_upstream_errors_total 1\n") {
		t.Error("upstream error not counted")
	}
}
