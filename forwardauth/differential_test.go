package forwardauth_test

// The differential suite (issue 10): a generated corpus of request targets
// and header spellings, sent as raw bytes through
//
//	nginx    examples/nginx/gatehouse.conf, with underscores_in_headers on
//	         (an operator's choice the example must survive)
//	caddy    examples/caddy/Caddyfile
//	ingress-nginx  nginx with ingress-nginx's external-auth location and
//	         examples/kubernetes's annotations (renderIngressNginx),
//	         underscores_in_headers on
//	proxy    gatehouse's proxy mode: the Handler that gatehouse serve
//	         --upstream runs, served by forwardauth.Serve in process
//
// each to two upstreams that report what they routed and received:
//
//	nginx-echo  real nginx, underscores_in_headers on: $uri (its routing
//	            path), the method, $http_x_gatehouse_* (which nginx matches
//	            with '_' and '-' alike, first occurrence only)
//	wsgi-echo   Python's wsgiref: PATH_INFO and every HTTP_X_GATEHOUSE_*
//	            and method-override variable, with '_' and '-' folded and
//	            repeated headers joined, as WSGI servers do
//
// The real authorizer decides (rules `* /admin*` and `GET /reports/*` for
// group admins; the caller is in group users). For every case: either the
// upstream was not reached, or the path judged equals the path the
// upstream routed, the method judged is the method it saw, no client-sent
// identity or method-override header arrived, and no admin route was
// served.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

const differentialRoutes = `[
  {"method": "*", "path": "/admin*", "groups": ["admins"]},
  {"method": "GET", "path": "/reports/*", "groups": ["admins"]}
]`

// spoofValue marks every client-sent identity or override header value.
const spoofValue = "victim"

// recordingDecider remembers the requests with the test's credential that
// the real authorizer judged. (Others are not the test's: on a shared
// machine another process's readiness probe can reach a port this test
// was given.)
type recordingDecider struct {
	az    forwardauth.Decider
	authz string
	mu    sync.Mutex
	seen  []authorizer.Request
}

func (d *recordingDecider) Decide(ctx context.Context, r authorizer.Request) authorizer.Decision {
	if r.Authorization == d.authz {
		d.mu.Lock()
		d.seen = append(d.seen, r)
		d.mu.Unlock()
	}
	return d.az.Decide(ctx, r)
}

// take returns the requests judged since the last take.
func (d *recordingDecider) take() []authorizer.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.seen
	d.seen = nil
	return s
}

// diffCase is one request of the corpus.
type diffCase struct {
	method, target string
	header         [][2]string
}

// differentialCorpus generates the targets: the classes, their
// encodings and combinations, and seeded random ones; then the header
// spellings, each on an otherwise harmless request.
func differentialCorpus() []diffCase {
	var cs []diffCase
	add := func(method, target string, header ...[2]string) {
		cs = append(cs, diffCase{method, target, header})
	}
	// Between a harmless prefix and the admin route.
	seps := []string{
		"/", "#/../", "%23/../", "/../", "/./", "/%2e%2e/", "/%2E%2E/", "/%2e%2E/", "/.%2e/", "/%2e./", "/%2e/",
		"%2f..%2f", "%2F..%2F", "/..%2f", "%2f../", "%5c..%5c", "\\..\\", "/%252e%252e/", "%252f..%252f", "/%25/",
		";/../", "/;/../", ";x=1/../", "/..;/", "%3b/../", "?/../", "%3f/../", "%3F/", "//", "/%00/../", "/%0a/../",
		"/%09/../", "/%20/../", "/%7f/", "/%c0%ae%c0%ae/", "/\xc0\xae\xc0\xae/", "/\xc3\xa9/", "/%C3%A9/../", "/./../",
		"/%2e%2e%2f", "/.../", "/~/", "/%7e/", "/+/../", "/%2B/",
	}
	for _, prefix := range []string{"/public", "/reports/q1", ""} {
		for _, sep := range seps {
			add("GET", prefix+sep+"admin/users")
		}
	}
	for _, tg := range []string{
		"/", "/public", "/public/", "/admin", "/admin/", "/admin/users", "/%61dmin/users", "/adm%69n", "/ADMIN/users",
		"/Admin", "/reports", "/reports/", "/reports/q1", "/reports/%71%31", "/REPORTS/q1", "/reports/q1?x=/../../admin",
		"/reports/q1?#", "/public?a=%23&b=/admin", "/public?\\", "/public?%00", "/caf%C3%A9", "/caf%c3%a9/%28x%29",
		"/a%zz", "/a%2", "/a%", "/a(b)!$&'*+,=:@~", "*", "http://127.0.0.1/admin/users", "HTTP://127.0.0.1/public",
		"127.0.0.1:80", "//admin/users", "/" + strings.Repeat("a", forwardauth.MaxTargetLen), "/" + strings.Repeat("b", 900),
	} {
		add("GET", tg)
	}
	for _, m := range []string{"HEAD", "POST", "DELETE", "OPTIONS", "PATCH"} {
		for _, tg := range []string{"/public", "/admin/users", "/public#/../admin/users", "/public/%2e%2e/admin/users", "/reports/q1"} {
			add(m, tg)
		}
	}
	// Random targets from pieces that matter to some parser, seeded so a
	// failure reproduces.
	pieces := []string{
		"/", "/", "/", "admin", "reports", "public", ".", "..", "%2e", "%2E", "%2f", "%25", "#", "?", ";", "%3b",
		"%41", "%61", "a", "%", "%zz", "\\", "%5c", "%00", "~", "(", "@", ":", "%C3%A9", "+", "&", "=", "%23", "%3f",
	}
	rng := rand.New(rand.NewPCG(10, 10))
	for range 150 {
		var b strings.Builder
		b.WriteString("/")
		for range 1 + rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		add("GET", b.String())
	}
	// Header spellings.
	for _, name := range []string{
		"X-Gatehouse-User-Id", "x-gatehouse-user-id", "X-GATEHOUSE-USER-ID", "X_Gatehouse_User_Id", "x_gatehouse_user_id",
		"X-Gatehouse_User-Id", "X_Gatehouse-User_Id", "X-Gatehouse-Groups", "X_Gatehouse_Groups", "X-Gatehouse-Caller-Kind",
		"X_Gatehouse_Username", "X_Gatehouse_Client_Id", "X_Gatehouse_Token_Use", "X_Gatehouse_Scopes", "X-Gatehouse-Extra",
		"X_Gatehouse_Extra", "X-Gatehouse-User-Id ", " X-Gatehouse-User-Id", "X-Gatehouse-User-Id\t",
		"X-HTTP-Method-Override", "X_HTTP_Method_Override", "x-method-override", "X_Method_Override", "X-HTTP-Method", "X_HTTP_Method",
		"X-Original-URL", "x_original_url", "X-Rewrite-URL", "X_Rewrite_Url",
	} {
		add("GET", "/public", [2]string{name, spoofValue})
	}
	add("GET", "/public", [2]string{"X-Gatehouse-User-Id", spoofValue}, [2]string{"X-Gatehouse-User-Id", spoofValue})
	add("GET", "/public", [2]string{"X_Gatehouse_User_Id", spoofValue}, [2]string{"X_Gatehouse_Groups", "admins," + spoofValue})
	add("GET", "/public", [2]string{"X-Gatehouse-User-Id", "\t" + spoofValue + " "})
	add("POST", "/public", [2]string{"X-HTTP-Method-Override", "DELETE"}, [2]string{"X_HTTP_Method_Override", spoofValue})
	// A client naming the identity headers as hop-by-hop, so that a proxy
	// honouring Connection removes the ones gatehouse set.
	for _, v := range []string{"X-Gatehouse-User-Id", "x-gatehouse-user-id, X-Gatehouse-Groups", "keep-alive, X-Gatehouse-Groups", "X_Gatehouse_Groups"} {
		add("GET", "/public", [2]string{"Connection", v})
	}
	// ... or the headers that tell gatehouse which request it judges.
	for _, v := range []string{"X-Forwarded-Uri", "X-Forwarded-Method", "X-Original-URI", "X-Original-Method", "X-Forwarded-Uri, X-Forwarded-Method, X-Original-URI, X-Original-Method"} {
		add("GET", "/admin/users", [2]string{"Connection", v})
		add("DELETE", "/reports/q1", [2]string{"Connection", v})
	}
	// A client's own copy of the headers that tell gatehouse which request
	// it judges (nginx, ingress-nginx and Caddy set theirs over it).
	for _, h := range [][2]string{
		{"X-Original-URI", "/public"}, {"X-Original-URL", "http://127.0.0.1/public"}, {"X-Forwarded-Uri", "/public"},
		{"X_Original_URI", "/public"}, {"X_Original_URL", "http://127.0.0.1/public"},
	} {
		add("GET", "/admin/users", h)
	}
	add("DELETE", "/reports/q1", [2]string{"X-Original-Method", "GET"}, [2]string{"X-Forwarded-Method", "GET"})
	// Methods in lower case: some upstreams (Werkzeug) upper-case them.
	for _, tg := range []string{"/public", "/admin/users", "/reports/q1"} {
		add("get", tg)
		add("head", tg)
	}
	return cs
}

// startNginxEcho runs nginx as an upstream that reports, in response
// headers (a HEAD response has no body), what it routed and received.
func startNginxEcho(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "server {\n    listen %s;\n    underscores_in_headers on;\n    location / {\n", addr)
	b.WriteString("        add_header X-Echo-Routed $uri always;\n        add_header X-Echo-Method $request_method always;\n")
	b.WriteString("        add_header X-Echo-Headers \"")
	for _, name := range append(append([]string{}, forwardauth.IdentityHeaders...), append(forwardauth.OverrideHeaders, "X-Gatehouse-Extra")...) {
		v := strings.ReplaceAll(strings.ToLower(name), "-", "_")
		fmt.Fprintf(&b, "%s=$http_%s;", name, v)
	}
	b.WriteString("\" always;\n        return 200 \"echo\\n\";\n    }\n}\n")
	runNginx(t, addr, "", []byte(b.String()))
	return addr
}

// wsgiEcho is a WSGI application under wsgiref: PATH_INFO is wsgiref's
// percent-decoding of the path, and HTTP_* variables fold '-' and '_' and
// join repeated headers with ','.
const wsgiEcho = `
import sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
class Quiet(WSGIRequestHandler):
    def log_message(self, *a): pass
def app(env, start):
    seen = ";".join(k + "=" + v for k, v in sorted(env.items())
                    if k.startswith("HTTP_X_GATEHOUSE") or k.startswith("HTTP_") and ("METHOD" in k or k.endswith("_URL")))
    start("200 OK", [("X-Echo-Routed", env["PATH_INFO"]), ("X-Echo-Method", env["REQUEST_METHOD"]),
                     ("X-Echo-Headers", seen), ("Content-Type", "text/plain")])
    return [b"echo\n"]
host, port = sys.argv[1].rsplit(":", 1)
make_server(host, int(port), app, handler_class=Quiet).serve_forever()
`

func startWSGIEcho(t *testing.T) string {
	t.Helper()
	bin := localservices.Tool(t, "python3")
	addr := freeAddr(t)
	script := filepath.Join(t.TempDir(), "echo.py")
	if err := os.WriteFile(script, []byte(wsgiEcho), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, script, addr), addr)
	return addr
}

func TestDifferential(t *testing.T) {
	w := newE2EWorldWithRoutes(t, differentialRoutes)
	token := w.iss.AccessToken("alice", w.web, cognitotest.WithGroups("users"))
	corpus := differentialCorpus()
	upstreams := []struct {
		name  string
		start func(t *testing.T) string
	}{{"nginx-echo", startNginxEcho}, {"wsgi-echo", startWSGIEcho}}
	fronts := []struct {
		name string
		// start returns the address clients connect to.
		start func(t *testing.T, d forwardauth.Decider, upstream string) string
	}{
		{"nginx", func(t *testing.T, d forwardauth.Decider, upstream string) string {
			h, err := forwardauth.New(forwardauth.Config{Decider: d, RequestHeaders: forwardauth.HeadersOriginal})
			if err != nil {
				t.Fatal(err)
			}
			proxy := freeAddr(t)
			// The operator turned underscores on: X_Gatehouse_* now
			// passes nginx, which can only replace headers by name.
			runNginx(t, proxy, "underscores_in_headers on;", renderExample(t, "nginx/gatehouse.conf", serveHandler(t, h), upstream, proxy))
			return proxy
		}},
		{"caddy", func(t *testing.T, d forwardauth.Decider, upstream string) string {
			h, err := forwardauth.New(forwardauth.Config{Decider: d, RequestHeaders: forwardauth.HeadersForwarded})
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimPrefix(startCaddy(t, serveHandler(t, h), upstream), "http://")
		}},
		{"ingress-nginx", func(t *testing.T, d forwardauth.Decider, upstream string) string {
			h, err := forwardauth.New(forwardauth.Config{Decider: d, RequestHeaders: forwardauth.HeadersIngressNginx})
			if err != nil {
				t.Fatal(err)
			}
			proxy := freeAddr(t)
			runNginx(t, proxy, "underscores_in_headers on;", renderIngressNginx(t, ingressAnnotations(t), serveHandler(t, h), upstream, proxy))
			return proxy
		}},
		{"proxy", func(t *testing.T, d forwardauth.Decider, upstream string) string {
			h, err := forwardauth.New(forwardauth.Config{Decider: d, Upstream: &url.URL{Scheme: "http", Host: upstream}})
			if err != nil {
				t.Fatal(err)
			}
			return serveHandler(t, h)
		}},
	}
	for _, up := range upstreams {
		for _, fr := range fronts {
			t.Run(fr.name+"/"+up.name, func(t *testing.T) {
				d := &recordingDecider{az: w.az, authz: "Bearer " + token}
				addr := fr.start(t, d, up.start(t))
				reached := 0
				for _, c := range corpus {
					d.take()
					res := rawRequestTolerant(t, addr, c.method, c.target, append([][2]string{{"Authorization", d.authz}}, c.header...))
					if bad := checkDifferential(c, res, d.take(), w.aliceID); bad != "" {
						t.Errorf("%s %q %q: %s (status %d)", c.method, c.target, c.header, bad, res.code)
					}
					if res.header != nil && res.header.Get("X-Echo-Method") != "" {
						reached++
					}
				}
				t.Logf("%d cases, %d reached the upstream", len(corpus), reached)
				if reached == 0 {
					t.Error("no case reached the upstream: the harness is broken")
				}
			})
		}
	}
}

// checkDifferential returns what is wrong with one case's outcome, or "".
func checkDifferential(c diffCase, res rawResult, decisions []authorizer.Request, userID string) string {
	if res.err != nil || res.header == nil || res.header.Get("X-Echo-Method") == "" {
		return "" // refused or denied somewhere: the upstream was not reached
	}
	routed, method, seen := res.header.Get("X-Echo-Routed"), res.header.Get("X-Echo-Method"), res.header.Get("X-Echo-Headers")
	if len(decisions) != 1 {
		return fmt.Sprintf("the upstream was reached after %d decisions (%+v)", len(decisions), decisions)
	}
	judged := decisions[0]
	switch {
	case judged.Path != routed:
		return fmt.Sprintf("judged %q, the upstream routed %q", judged.Path, routed)
	case judged.Method != method:
		return fmt.Sprintf("judged method %s, the upstream saw %s", judged.Method, method)
	case strings.Contains(seen, spoofValue) || strings.Contains(seen, "DELETE") || strings.Contains(seen, "admins"):
		return fmt.Sprintf("a client-sent header arrived: %s", seen)
	case !hasIdentity(seen, forwardauth.HeaderUserID, userID) || !hasIdentity(seen, forwardauth.HeaderGroups, "users"):
		return fmt.Sprintf("the upstream did not get the caller's identity: %s", seen)
	case strings.HasPrefix(routed, "/admin"):
		return "an admin route was served to a caller outside admins"
	case (strings.EqualFold(method, "GET") || strings.EqualFold(method, "HEAD")) && strings.HasPrefix(routed, "/reports/"):
		// A GET rule covers HEAD: most upstreams run the GET handler.
		return "a GET /reports/* route was served (" + method + ") to a caller outside admins"
	}
	return ""
}

// hasIdentity reports whether an echo's header report holds exactly want
// as the identity header name (nginx-echo names the header, wsgi-echo its
// WSGI variable).
func hasIdentity(seen, name, want string) bool {
	wsgi := "HTTP_" + strings.ReplaceAll(strings.ToUpper(name), "-", "_")
	for kv := range strings.SplitSeq(seen, ";") {
		if kv == name+"="+want || kv == wsgi+"="+want {
			return true
		}
	}
	return false
}
