package forwardauth_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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

// ingressAnnotations reads the nginx.ingress.kubernetes.io annotations of
// examples/kubernetes/gatehouse.yaml (plain and "|" block values; no YAML
// library here, the file's layout is simple and the test fails if a key it
// needs is missing).
func ingressAnnotations(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "kubernetes", "gatehouse.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "nginx.ingress.kubernetes.io/"
	ann := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(trimmed, prefix) {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		key, value, _ := strings.Cut(strings.TrimPrefix(trimmed, prefix), ":")
		value = strings.TrimSpace(value)
		if value == "|" {
			var block []string
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) > indent) {
				i++
				block = append(block, strings.TrimSpace(lines[i]))
			}
			value = strings.TrimSpace(strings.Join(block, "\n"))
		}
		ann[key] = strings.Trim(value, `"`)
	}
	return ann
}

// renderIngressNginx reproduces, for plain nginx, what ingress-nginx's
// controller template (rootfs/etc/nginx/template/nginx.tmpl) generates for
// the example Ingress: the external-auth location with the template's
// proxy_set_header lines (X-Original-URI and proxy_method only with
// auth-method, as there), and the protected location with
// buildAuthResponseHeaders' lines, the template's request headers and the
// Ingress's configuration-snippet. Lua, TLS and the balancer are left out:
// they do not touch the headers or the target.
func renderIngressNginx(t *testing.T, ann map[string]string, gatehouse, upstream, proxy string) []byte {
	t.Helper()
	u, err := url.Parse(ann["auth-url"])
	if err != nil || ann["auth-response-headers"] == "" || ann["configuration-snippet"] == "" {
		t.Fatalf("the example Ingress lacks auth-url, auth-response-headers or configuration-snippet: %v", ann)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server {\n    listen %s;\n", proxy)
	b.WriteString("    location = /_external-auth {\n        internal;\n")
	b.WriteString("        proxy_pass_request_body off;\n        proxy_set_header Content-Length \"\";\n")
	b.WriteString("        proxy_set_header X-Forwarded-Proto \"\";\n        proxy_set_header X-Request-ID $request_id;\n")
	if m := ann["auth-method"]; m != "" {
		fmt.Fprintf(&b, "        proxy_method %s;\n        proxy_set_header X-Original-URI $request_uri;\n        proxy_set_header X-Scheme $scheme;\n", m)
	}
	fmt.Fprintf(&b, "        proxy_set_header Host %s;\n", gatehouse)
	b.WriteString(`        proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        proxy_set_header X-Original-Method $request_method;
        proxy_set_header X-Sent-From "nginx-ingress-controller";
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Auth-Request-Redirect $request_uri;
        proxy_pass_request_headers on;
        proxy_http_version 1.1;
`)
	fmt.Fprintf(&b, "        set $target http://%s%s;\n        proxy_pass $target;\n    }\n", gatehouse, u.Path)
	b.WriteString("    location / {\n        auth_request /_external-auth;\n")
	b.WriteString("        auth_request_set $auth_cookie $upstream_http_set_cookie;\n        add_header Set-Cookie $auth_cookie;\n")
	for i, h := range strings.Split(ann["auth-response-headers"], ",") {
		fmt.Fprintf(&b, "        auth_request_set $authHeader%d $upstream_http_%s;\n", i, strings.ReplaceAll(strings.ToLower(h), "-", "_"))
		fmt.Fprintf(&b, "        proxy_set_header '%s' $authHeader%d;\n", h, i)
	}
	b.WriteString(`        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "";
        proxy_set_header X-Request-ID $request_id;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-Port $server_port;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Scheme $scheme;
        proxy_set_header X-Scheme $scheme;
        proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;
        proxy_set_header Proxy "";
        proxy_http_version 1.1;
`)
	b.WriteString("        " + strings.ReplaceAll(ann["configuration-snippet"], "\n", "\n        ") + "\n")
	fmt.Fprintf(&b, "        proxy_pass http://%s;\n    }\n}\n", upstream)
	return []byte(b.String())
}

// TestIngressNginxWithoutAuthMethod: without the auth-method annotation
// ingress-nginx sends no X-Original-URI and makes the subrequest with the
// client's method; gatehouse decides on X-Original-URL alone, and a
// client's own X-Original-URI (then passed to gatehouse) can only get the
// client's request refused. Real nginx, the example's other annotations.
func TestIngressNginxWithoutAuthMethod(t *testing.T) {
	ann := ingressAnnotations(t)
	if ann["auth-method"] == "" {
		t.Fatal("the example no longer sets auth-method: the case with X-Original-URI, which TestDifferential ran through it, needs a test of its own")
	}
	delete(ann, "auth-method")
	fd := &fakeDecider{}
	h, err := forwardauth.New(forwardauth.Config{Decider: fd, RequestHeaders: forwardauth.HeadersIngressNginx})
	if err != nil {
		t.Fatal(err)
	}
	upstream, _ := startEchoUpstream(t)
	proxy := freeAddr(t)
	runNginx(t, proxy, "", renderIngressNginx(t, ann, serveHandler(t, h), upstream, proxy))
	tests := []struct {
		name, method, target string
		header               map[string]string
		wantCode             int
		wantPath             string // decided on and routed; "" when refused
	}{
		{"allowed POST", "POST", "/orders/7?x=1", nil, 200, "/orders/7"},
		{"allowed DELETE", "DELETE", "/orders/7", nil, 200, "/orders/7"},
		{"client's X-Original-URL is neither read nor passed on", "GET", "/orders", map[string]string{"X-Original-URL": "http://h/public"}, 200, "/orders"},
		{"client's X-Original-URI disagrees: refused", "GET", "/admin", map[string]string{"X-Original-URI": "/public"}, 500, ""},
		{"dot-segment refused", "GET", "/public/../admin", nil, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fd.calls()
			res := callProxy(t, tt.method, "http://"+proxy+tt.target, "Bearer allow", tt.header)
			if res.code != tt.wantCode {
				t.Fatalf("status %d, want %d", res.code, tt.wantCode)
			}
			if tt.wantPath == "" {
				if res.seen != nil || fd.calls() != before {
					t.Fatal("a refused request was decided on or reached the upstream")
				}
				return
			}
			got := fd.last()
			if res.seen == nil || got.Method != tt.method || got.Path != tt.wantPath || res.seen.Method != tt.method || res.seen.URI != tt.target {
				t.Fatalf("decided on %s %s, upstream saw %+v", got.Method, got.Path, res.seen)
			}
			if v := res.seen.Header.Values("X-Original-Url"); len(v) != 0 {
				t.Errorf("the upstream got X-Original-URL %q", v)
			}
			if v := res.seen.Header.Get(forwardauth.HeaderUserID); v != person.InternalID {
				t.Errorf("upstream %s = %q", forwardauth.HeaderUserID, v)
			}
		})
	}
}
