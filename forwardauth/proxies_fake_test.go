package forwardauth_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// The proxies' conventions, checked with a fake decider: what the decider
// is asked, what the client gets on each outcome, and what the upstream
// sees. The real decisions are in e2e_test.go.
func TestProxyConventions(t *testing.T) {
	proxies := []struct {
		name  string
		conv  forwardauth.RequestHeaders
		start func(t *testing.T, gatehouse, upstream string) string
		// wantChallenge403: what a client sees on a 403.
		wantChallenge403 []string
		// spoofRefused: the proxy passes the client's X-Gatehouse-*
		// headers to gatehouse, which refuses the request (nginx answers
		// 500 for gatehouse's 400); Caddy removes them first.
		spoofRefused bool
	}{
		{"nginx", forwardauth.HeadersOriginal, startNginx, []string{`Bearer error="insufficient_scope"`}, true},
		{"caddy", forwardauth.HeadersForwarded, startCaddy, []string{`Bearer error="insufficient_scope"`}, false},
	}
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			fd := &fakeDecider{}
			h, err := forwardauth.New(forwardauth.Config{Decider: fd, RequestHeaders: px.conv})
			if err != nil {
				t.Fatal(err)
			}
			upstream, upstreamCalls := startEchoUpstream(t)
			base := px.start(t, serveHandler(t, h), upstream)

			// sent: the spoofed headers sent along where they do not get
			// the request refused.
			sent := func(h map[string]string) map[string]string {
				if px.spoofRefused {
					return nil
				}
				return h
			}
			spoof := map[string]string{
				forwardauth.HeaderUserID:   "victim",
				forwardauth.HeaderUsername: "victim-name",
				forwardauth.HeaderGroups:   "admins",
				"X-Gatehouse-Extra":        "smuggled",
			}

			t.Run("allow: identity set, method and URI passed, spoofed headers gone", func(t *testing.T) {
				fd.id = authorizer.Identity{InternalID: "u-42", Kind: authorizer.CallerClient, ClientID: "cli", TokenUse: "access", Scopes: []string{"orders/read"}}
				if px.spoofRefused {
					before := upstreamCalls()
					if res := callProxy(t, "DELETE", base+"/orders/7?force=1", "Bearer allow", spoof); res.code != 500 || upstreamCalls() != before {
						t.Errorf("spoofed identity headers: status %d, upstream reached: %v; want 500, not reached", res.code, upstreamCalls() != before)
					}
				}
				res := callProxy(t, "DELETE", base+"/orders/7?force=1", "Bearer allow", sent(spoof))
				if res.code != 200 || res.seen == nil {
					t.Fatalf("status %d", res.code)
				}
				if got := fd.last(); got.Method != "DELETE" || got.Path != "/orders/7" || got.Authorization != "Bearer allow" {
					t.Errorf("decider asked about %+v", got)
				}
				if res.seen.Method != "DELETE" || res.seen.URI != "/orders/7?force=1" {
					t.Errorf("upstream got %s %s", res.seen.Method, res.seen.URI)
				}
				got := identitySeen(t, res.seen, px.name == "nginx")
				want := map[string]string{
					forwardauth.HeaderUserID: "u-42", forwardauth.HeaderCallerKind: "client",
					forwardauth.HeaderClientID: "cli", forwardauth.HeaderTokenUse: "access", forwardauth.HeaderScopes: "orders/read",
				}
				for name, v := range got {
					w, ok := want[name]
					switch {
					case ok && v != w:
						t.Errorf("upstream got %s = %q, want %q", name, v, w)
					case !ok && v != "" && v != "<absent>":
						// Empty identity values: absent (nginx) or empty,
						// never the client's.
						t.Errorf("upstream got %s = %q, want it empty or absent", name, v)
					}
				}
			})

			// Issue 10 case 2 with the shipped configurations: nginx drops
			// headers with '_' by default, the Caddyfile removes them.
			t.Run("underscore spellings never reach the upstream", func(t *testing.T) {
				fd.id = person
				res := callProxy(t, "GET", base+"/orders", "Bearer allow", map[string]string{
					"X_Gatehouse_User_Id": "victim", "X_Gatehouse_Groups": "victim", "X-Gatehouse_Username": "victim", "x_gatehouse-client_id": "victim",
				})
				if res.code != 200 || res.seen == nil {
					t.Fatalf("status %d", res.code)
				}
				for name, vs := range res.seen.Header {
					if f := strings.ReplaceAll(strings.ToLower(name), "_", "-"); strings.HasPrefix(f, "x-gatehouse-") && slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, "victim") }) {
						t.Errorf("upstream got %s: %q", name, vs)
					}
				}
			})

			t.Run("denials never reach the upstream", func(t *testing.T) {
				before := upstreamCalls()
				for _, c := range []struct {
					authz     string
					code      int
					challenge []string
				}{
					{"", 401, []string{"Bearer"}},
					{"Bearer nope", 401, []string{`Bearer error="invalid_token"`}},
					{"Bearer forbid", 403, px.wantChallenge403},
					{"Bearer error", 500, nil},
				} {
					res := callProxy(t, "GET", base+"/orders", c.authz, sent(spoof))
					if res.code != c.code {
						t.Errorf("%q: status %d, want %d", c.authz, res.code, c.code)
					}
					if !slices.Equal(res.challenge, c.challenge) {
						t.Errorf("%q: WWW-Authenticate %q, want %q", c.authz, res.challenge, c.challenge)
					}
				}
				if n := upstreamCalls() - before; n != 0 {
					t.Errorf("the upstream got %d denied requests", n)
				}
			})

			t.Run("a client cannot choose the route decided on", func(t *testing.T) {
				fd.id = person
				res := callProxy(t, "GET", base+"/admin", "Bearer allow", map[string]string{
					forwardauth.HeaderOriginalURI: "/public", forwardauth.HeaderOriginalMethod: "GET",
					forwardauth.HeaderForwardedURI: "/public", forwardauth.HeaderForwardedMethod: "GET",
				})
				if got := fd.last(); res.code == 200 && got.Path != "/admin" {
					t.Errorf("decided on %s while the upstream served /admin", got.Path)
				}
			})
		})
	}
}
