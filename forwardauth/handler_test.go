package forwardauth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
)

// fakeDecider answers by the Authorization header: "Bearer allow",
// "Bearer forbid", "Bearer error", "Bearer slow" (waits for ctx, then
// allows anyway), "Bearer late-allow" (ignores ctx, allows after a minute:
// for a synctest bubble, where that minute is fake time), anything else is
// unauthorized. It records the requests it saw.
type fakeDecider struct {
	mu   sync.Mutex
	seen []authorizer.Request
	id   authorizer.Identity
}

var person = authorizer.Identity{
	InternalID: "u-123", Kind: authorizer.CallerUser, Username: "alice", ClientID: "web",
	TokenUse: "access", Scopes: []string{"orders/read", "orders/write"}, Groups: []string{"admins"},
}

func (f *fakeDecider) Decide(ctx context.Context, r authorizer.Request) authorizer.Decision {
	f.mu.Lock()
	f.seen = append(f.seen, r)
	f.mu.Unlock()
	return f.decideOnly(ctx, r)
}

// decideOnly decides without recording the request.
func (f *fakeDecider) decideOnly(ctx context.Context, r authorizer.Request) authorizer.Decision {
	f.mu.Lock()
	id := f.id
	f.mu.Unlock()
	if id.InternalID == "" {
		id = person
	}
	switch r.Authorization {
	case "Bearer allow":
		return authorizer.Decision{Outcome: authorizer.OutcomeAllow, Identity: &id}
	case "Bearer forbid":
		return authorizer.Decision{Outcome: authorizer.OutcomeForbidden, Reason: "missing_scope", Identity: &id}
	case "Bearer error":
		return authorizer.Decision{Outcome: authorizer.OutcomeError, Reason: "unavailable"}
	case "Bearer slow":
		<-ctx.Done()
		return authorizer.Decision{Outcome: authorizer.OutcomeAllow, Identity: &id}
	case "Bearer late-allow":
		time.Sleep(time.Minute)
		return authorizer.Decision{Outcome: authorizer.OutcomeAllow, Identity: &id}
	}
	return authorizer.Decision{Outcome: authorizer.OutcomeUnauthorized, Reason: "malformed"}
}

func (f *fakeDecider) last() authorizer.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return authorizer.Request{Method: "<none>"}
	}
	return f.seen[len(f.seen)-1]
}

func (f *fakeDecider) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func newHandler(t *testing.T, cfg forwardauth.Config) (*forwardauth.Handler, *fakeDecider) {
	t.Helper()
	fd := &fakeDecider{}
	if cfg.Decider == nil {
		cfg.Decider = fd
	}
	if cfg.Upstream == nil && cfg.RequestHeaders == 0 {
		// The request itself (Envoy's), unless the test says otherwise:
		// with original or forwarded a request without those headers is
		// refused.
		cfg.RequestHeaders = forwardauth.HeadersNone
	}
	h, err := forwardauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, fd
}

func TestForwardAuthOutcomes(t *testing.T) {
	tests := []struct {
		name          string
		authorization []string
		wantCode      int
		wantChallenge string
	}{
		{"allow", []string{"Bearer allow"}, 200, ""},
		{"no credential", nil, 401, "Bearer"},
		{"empty credential", []string{""}, 401, "Bearer"},
		{"bad credential", []string{"Bearer nope"}, 401, `Bearer error="invalid_token"`},
		{"two credentials", []string{"Bearer allow", "Bearer allow"}, 401, `Bearer error="invalid_token"`},
		{"forbidden", []string{"Bearer forbid"}, 403, `Bearer error="insufficient_scope"`},
		{"error", []string{"Bearer error"}, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t, forwardauth.Config{RequestHeaders: forwardauth.HeadersOriginal})
			r := httptest.NewRequest("GET", "/_gatehouse", nil)
			r.Header.Set(forwardauth.HeaderOriginalURI, "/orders/1")
			r.Header.Set(forwardauth.HeaderOriginalMethod, "GET")
			for _, a := range tt.authorization {
				r.Header.Add("Authorization", a)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tt.wantCode)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantChallenge)
			}
			for _, name := range forwardauth.IdentityHeaders {
				_, present := w.Header()[name]
				if present != (tt.wantCode == 200) {
					t.Errorf("%s present=%v on a %d", name, present, w.Code)
				}
			}
			if tt.wantCode == 200 && w.Body.Len() != 0 {
				t.Errorf("allow has a body: %q", w.Body.String())
			}
			if tt.wantCode >= 500 && strings.TrimSpace(w.Body.String()) != http.StatusText(tt.wantCode) {
				t.Errorf("error body %q gives detail", w.Body.String())
			}
		})
	}
}

func TestIdentityHeadersAlwaysAllSet(t *testing.T) {
	tests := []struct {
		name string
		id   authorizer.Identity
		want map[string]string
	}{
		{"person", person, map[string]string{
			forwardauth.HeaderUserID: "u-123", forwardauth.HeaderCallerKind: "user", forwardauth.HeaderUsername: "alice",
			forwardauth.HeaderClientID: "web", forwardauth.HeaderTokenUse: "access",
			forwardauth.HeaderScopes: "orders/read orders/write", forwardauth.HeaderGroups: "admins",
		}},
		{"client credentials: empty ones still sent", authorizer.Identity{
			InternalID: "u-123", Kind: authorizer.CallerClient, ClientID: "cli", TokenUse: "access", Scopes: []string{"orders/read"},
		}, map[string]string{
			forwardauth.HeaderUserID: "u-123", forwardauth.HeaderCallerKind: "client", forwardauth.HeaderUsername: "",
			forwardauth.HeaderClientID: "cli", forwardauth.HeaderTokenUse: "access",
			forwardauth.HeaderScopes: "orders/read", forwardauth.HeaderGroups: "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fd := newHandler(t, forwardauth.Config{})
			fd.id = tt.id
			r := httptest.NewRequest("GET", "/orders", nil)
			r.Header.Set("Authorization", "Bearer allow")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			for name, want := range tt.want {
				vs, ok := w.Header()[name]
				if !ok || len(vs) != 1 || vs[0] != want {
					t.Errorf("%s = %q (present %v), want exactly %q", name, vs, ok, want)
				}
			}
			if len(tt.want) != len(forwardauth.IdentityHeaders) {
				t.Fatal("test table does not cover every identity header")
			}
		})
	}
}

func TestUnsafeIdentityIsAnError(t *testing.T) {
	for _, id := range []authorizer.Identity{
		{InternalID: ""},
		{InternalID: "u\r\nX-Evil: 1"},
		{InternalID: "u", Groups: []string{"a b"}},
		{InternalID: "u", Scopes: []string{""}},
		{InternalID: "u", Username: " alice"},
	} {
		h, fd := newHandler(t, forwardauth.Config{})
		fd.id = id
		if id.InternalID == "" {
			// The fake substitutes a person for the zero identity: use a
			// decider that really returns no identity.
			h, _ = newHandler(t, forwardauth.Config{Decider: deciderFunc(func(context.Context, authorizer.Request) authorizer.Decision {
				return authorizer.Decision{Outcome: authorizer.OutcomeAllow}
			})})
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer allow")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 500 {
			t.Errorf("identity %+v: status %d, want 500", id, w.Code)
		}
		if _, ok := w.Header()[forwardauth.HeaderUserID]; ok {
			t.Errorf("identity %+v: identity header sent on an error", id)
		}
	}
}

type deciderFunc func(context.Context, authorizer.Request) authorizer.Decision

func (f deciderFunc) Decide(ctx context.Context, r authorizer.Request) authorizer.Decision {
	return f(ctx, r)
}

func TestRequestConventions(t *testing.T) {
	tests := []struct {
		name       string
		conv       forwardauth.RequestHeaders
		method     string
		target     string
		headers    map[string][]string
		wantCode   int
		wantMethod string
		wantPath   string
	}{
		{"nginx", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"DELETE"}, "X-Original-Uri": {"/orders/7?force=1"}}, 200, "DELETE", "/orders/7"},
		{"caddy/traefik", forwardauth.HeadersForwarded, "GET", "/_gatehouse",
			map[string][]string{"X-Forwarded-Method": {"POST"}, "X-Forwarded-Uri": {"/orders?x=y"}}, 200, "POST", "/orders"},
		{"envoy: the request itself", forwardauth.HeadersNone, "PUT", "/orders/9?q=1", nil, 200, "PUT", "/orders/9"},
		// Issue 10 case 4: "auto" read a client's X-Original-URI when the
		// proxy (Envoy) set neither convention's headers.
		{"envoy: a client's X-Original-URI is not read", forwardauth.HeadersNone, "GET", "/admin/users",
			map[string][]string{"X-Original-Uri": {"/public"}, "X-Original-Method": {"GET"}}, 200, "GET", "/admin/users"},
		{"caddy: a client's X-Original-URI is not read", forwardauth.HeadersForwarded, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Uri": {"/public"}, "X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/admin"}}, 200, "GET", "/admin"},
		{"repeated URI header", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/a", "/b"}}, 400, "", ""},
		{"repeated method header", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET", "POST"}, "X-Original-Uri": {"/a"}}, 400, "", ""},
		// A proxy that did not say which request it asks about: not judged
		// as the auth request itself (GET /_gatehouse).
		{"no headers", forwardauth.HeadersOriginal, "GET", "/_gatehouse", nil, 400, "", ""},
		{"no headers (forwarded)", forwardauth.HeadersForwarded, "GET", "/_gatehouse", nil, 400, "", ""},
		{"URI without method", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Uri": {"/orders"}}, 400, "", ""},
		{"other convention only", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/orders"}}, 400, "", ""},
		{"method without URI", forwardauth.HeadersForwarded, "GET", "/_gatehouse",
			map[string][]string{"X-Forwarded-Method": {"DELETE"}}, 400, "", ""},
		{"original only ignores forwarded", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/a"}, "X-Forwarded-Uri": {"/admin"}}, 200, "GET", "/a"},
		{"forwarded only ignores original", forwardauth.HeadersForwarded, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Uri": {"/public"}, "X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/admin"}}, 200, "GET", "/admin"},
		{"none ignores both", forwardauth.HeadersNone, "PATCH", "/x",
			map[string][]string{"X-Original-Uri": {"/public"}, "X-Forwarded-Uri": {"/admin"}}, 200, "PATCH", "/x"},
		{"percent-decoded", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/caf%C3%A9/a%20b"}}, 200, "GET", "/café/a b"},
		{"trailing slash kept", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/orders/"}}, 200, "GET", "/orders/"},
		{"dot segments refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/public/../admin"}}, 400, "", ""},
		{"encoded dot segments refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/public/%2e%2e%2fadmin"}}, 400, "", ""},
		{"empty segment refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/a//b"}}, 400, "", ""},
		{"absolute form refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"http://evil/a"}}, 400, "", ""},
		{"bad escape refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/a%zz"}}, 400, "", ""},
		{"NUL refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/a%00b"}}, 400, "", ""},
		{"bad method refused", forwardauth.HeadersOriginal, "GET", "/_gatehouse",
			map[string][]string{"X-Original-Method": {"GE T"}, "X-Original-Uri": {"/a"}}, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fd := newHandler(t, forwardauth.Config{RequestHeaders: tt.conv})
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, vs := range tt.headers {
				r.Header[k] = vs
			}
			r.Header.Set("Authorization", "Bearer allow")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tt.wantCode)
			}
			if tt.wantCode == 400 {
				if fd.calls() != 0 {
					t.Error("a refused request reached the decider")
				}
				return
			}
			got := fd.last()
			if got.Method != tt.wantMethod || got.Path != tt.wantPath {
				t.Errorf("decided on %s %s, want %s %s", got.Method, got.Path, tt.wantMethod, tt.wantPath)
			}
			if got.Authorization != "Bearer allow" {
				t.Errorf("Authorization %q not passed through", got.Authorization)
			}
		})
	}
}

func TestDecisionTimeoutFailsClosed(t *testing.T) {
	for _, token := range []string{"Bearer slow", "Bearer late-allow"} {
		synctest.Test(t, func(t *testing.T) {
			h, _ := newHandler(t, forwardauth.Config{DecisionTimeout: 10 * time.Millisecond})
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusServiceUnavailable {
				t.Errorf("%s: status %d, want 503", token, w.Code)
			}
			if _, ok := w.Header()[forwardauth.HeaderUserID]; ok {
				t.Errorf("%s: identity header on a timeout", token)
			}
			var sb strings.Builder
			if _, err := h.Metrics().WriteTo(&sb); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sb.String(), "gatehouse_serve_decision_timeouts_total 1\n") ||
				!strings.Contains(sb.String(), `gatehouse_serve_requests_total{reason="timeout",result="error"} 1`) {
				t.Errorf("%s: timeout not counted:\n%s", token, sb.String())
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	fd := &fakeDecider{}
	for name, cfg := range map[string]forwardauth.Config{
		"no decider":        {},
		"relative upstream": {Decider: fd, Upstream: &url.URL{Path: "/x"}},
		"ftp upstream":      {Decider: fd, Upstream: &url.URL{Scheme: "ftp", Host: "h"}},
		"upstream userinfo": {Decider: fd, Upstream: &url.URL{Scheme: "http", Host: "h", User: url.UserPassword("a", "b")}},
		"negative timeout":  {Decider: fd, DecisionTimeout: -1},
		"bad convention":    {Decider: fd, RequestHeaders: 42},
	} {
		if _, err := forwardauth.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestParseRequestHeaders(t *testing.T) {
	for _, s := range []string{"original", "forwarded", "ingress-nginx", "none"} {
		c, err := forwardauth.ParseRequestHeaders(s)
		if err != nil || c.String() != s || !strings.Contains(forwardauth.RequestHeadersChoices, s+" (") {
			t.Errorf("%q: %v, %v (or not among the choices named)", s, c, err)
		}
	}
	// Issue 10 case 4: no guessing. "auto" is refused, and so is no choice.
	for _, s := range []string{"auto", "", "nginx", "Original"} {
		_, err := forwardauth.ParseRequestHeaders(s)
		if err == nil || !strings.Contains(err.Error(), forwardauth.RequestHeadersChoices) {
			t.Errorf("%q: %v, want an error naming the choices", s, err)
		}
	}
	if _, err := forwardauth.New(forwardauth.Config{Decider: &fakeDecider{}}); !errors.Is(err, forwardauth.ErrNoRequestHeaders) {
		t.Errorf("forward-auth mode without RequestHeaders: %v, want ErrNoRequestHeaders", err)
	}
	if _, err := forwardauth.New(forwardauth.Config{Decider: &fakeDecider{}, Upstream: &url.URL{Scheme: "http", Host: "h"}}); err != nil {
		t.Errorf("proxy mode needs no RequestHeaders: %v", err)
	}
}

func TestOpsEndpoints(t *testing.T) {
	var notReady error = errors.New("keys not loaded")
	var mu sync.Mutex
	h, _ := newHandler(t, forwardauth.Config{RequestHeaders: forwardauth.HeadersForwarded, Ready: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return notReady
	}})
	ops := h.OpsHandler()
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		ops.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code, w.Body.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("readyz before ready: %d", code)
	}
	mu.Lock()
	notReady = nil
	mu.Unlock()
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz when ready: %d", code)
	}
	h.SetDraining()
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("readyz while draining: %d", code)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz while draining: %d", code)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Errorf("unknown ops path: %d", code)
	}

	// The auth handler has no reserved paths: /healthz through the proxy
	// is a protected route like any other.
	r := httptest.NewRequest("GET", "/_gatehouse", nil)
	r.Header.Set(forwardauth.HeaderForwardedURI, "/healthz")
	r.Header.Set(forwardauth.HeaderForwardedMethod, "GET")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("/healthz via the auth endpoint without a token: %d, want 401", w.Code)
	}
}

// TestHandlerLogsOnlyItsOwnDecisions checks the one-line-per-decision rule
// from the handler's side: what the Decider decided, the Decider logs (the
// authorizer does); the handler logs only the requests it refused alone.
func TestHandlerLogsOnlyItsOwnDecisions(t *testing.T) {
	tests := []struct {
		name      string
		authz     []string
		uri       string
		wantLines int
		wantLevel string
	}{
		{name: "allow", authz: []string{"Bearer allow"}, uri: "/a"},
		{name: "forbidden", authz: []string{"Bearer forbid"}, uri: "/a"},
		{name: "error", authz: []string{"Bearer error"}, uri: "/a"},
		{name: "unauthorized", authz: []string{"Bearer x"}, uri: "/a"},
		{name: "ambiguous authorization", authz: []string{"Bearer allow", "Bearer x"}, uri: "/a", wantLines: 1, wantLevel: "INFO"},
		{name: "bad request target", authz: []string{"Bearer allow"}, uri: "/a/../b", wantLines: 1, wantLevel: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf logscan.Buffer
			h, _ := newHandler(t, forwardauth.Config{
				RequestHeaders: forwardauth.HeadersOriginal,
				Logger:         slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			r := httptest.NewRequest("GET", "/_gatehouse", nil)
			r.Header.Set("X-Original-Method", "GET")
			r.Header.Set("X-Original-URI", tt.uri)
			for _, a := range tt.authz {
				r.Header.Add("Authorization", a)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if buf.String() == "" {
				lines = nil
			}
			if len(lines) != tt.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.wantLines, buf.String())
			}
			for _, l := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["level"] != tt.wantLevel {
					t.Errorf("line %q: level %v, want %s (%v)", l, rec["level"], tt.wantLevel, err)
				}
			}
			logscan.NoSecrets(t, buf.String(), "Bearer allow", "Bearer x")
		})
	}
}

// tunnelUpstream stands in for an upstream that accepts a protocol
// upgrade it should not (h2c-capable servers with a lenient upgrade check,
// the targets of h2c smuggling): it answers 101 to any Upgrade other than
// websocket, then serves the requests that follow on the connection. For
// brevity those are HTTP/1.1 rather than HTTP/2 frames; what matters is
// that gatehouse never sees them. In-process stand-in: no local server
// upgrades to h2c behind a proxy.
type tunnelUpstream struct {
	mu     sync.Mutex
	served []string
}

func (u *tunnelUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	up := r.Header.Get("Upgrade")
	u.served = append(u.served, fmt.Sprintf("%s %s upgrade=%q", r.Method, r.RequestURI, up))
	u.mu.Unlock()
	if up == "" || strings.EqualFold(up, "websocket") {
		_, _ = io.WriteString(w, "plain")
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + up + "\r\n\r\n")
	_ = brw.Flush()
	for {
		req, err := http.ReadRequest(brw.Reader)
		if err != nil {
			return
		}
		u.mu.Lock()
		u.served = append(u.served, req.Method+" "+req.RequestURI+" (tunnelled)")
		u.mu.Unlock()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nserved\n")
		_ = brw.Flush()
	}
}

// TestProxyModeNoUpgradeTunnel: h2c smuggling. A client asks for an
// upgrade on an allowed route; if the upstream switched protocols, the
// proxy would tunnel the connection and every request the client sent on
// it would reach the upstream without a decision. Only WebSocket upgrades
// (one judged request, then frames) pass; others arrive as plain requests.
func TestProxyModeNoUpgradeTunnel(t *testing.T) {
	up := &tunnelUpstream{}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()
	u, _ := url.Parse(upSrv.URL)
	h, fd := newHandler(t, forwardauth.Config{Upstream: u})
	testNoUpgradeTunnel(t, serveHandler(t, h), fd, up)
}

// TestProxiesNoUpgradeTunnel: the same through the example configurations.
func TestProxiesNoUpgradeTunnel(t *testing.T) {
	for _, front := range []string{"nginx", "caddy"} {
		t.Run(front, func(t *testing.T) {
			up := &tunnelUpstream{}
			upSrv := httptest.NewServer(up)
			defer upSrv.Close()
			conv := forwardauth.HeadersOriginal
			if front == "caddy" {
				conv = forwardauth.HeadersForwarded
			}
			h, fd := newHandler(t, forwardauth.Config{RequestHeaders: conv})
			gh, upAddr := serveHandler(t, h), upSrv.Listener.Addr().String()
			var addr string
			if front == "caddy" {
				addr = strings.TrimPrefix(startCaddy(t, gh, upAddr), "http://")
			} else {
				addr = freeAddr(t)
				runNginx(t, addr, "", renderExample(t, "nginx/gatehouse.conf", gh, upAddr, addr))
			}
			testNoUpgradeTunnel(t, addr, fd, up)
		})
	}
}

func testNoUpgradeTunnel(t *testing.T, addr string, fd *fakeDecider, up *tunnelUpstream) {
	for _, tc := range []struct{ upgrade, connection string }{
		{"h2c", "Upgrade, HTTP2-Settings"}, {"h2c", "Upgrade"}, {"H2C", "upgrade"}, {"websocket, h2c", "Upgrade"},
		{"h2c, websocket", "Upgrade"}, {"HTTP/2.0", "Upgrade"}, {"TLS/1.2", "Upgrade"}, {"foo", "Upgrade"}, {"websocket", "Upgrade"},
	} {
		upgrade := tc.upgrade
		t.Run(upgrade+"/"+tc.connection, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			before := fd.calls()
			fmt.Fprintf(c, "GET /public HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer allow\r\nConnection: %s\r\nUpgrade: %s\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", tc.connection, upgrade)
			br := bufio.NewReader(c)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusSwitchingProtocols {
				// The tunnel is open: this request is never judged.
				fmt.Fprintf(c, "GET /admin/users HTTP/1.1\r\nHost: x\r\n\r\n")
				if res, err := http.ReadResponse(br, nil); err == nil {
					res.Body.Close()
					t.Errorf("a request through the %q tunnel was served (status %d) after %d decision(s)", upgrade, res.StatusCode, fd.calls()-before)
				}
				return
			}
			if res.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200 (a plain request)", res.StatusCode)
			}
		})
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	for _, s := range up.served {
		if s != "GET /public upgrade=\"\"" && s != "GET /public upgrade=\"websocket\"" {
			t.Errorf("upstream served %s", s)
		}
	}
}

// TestProxyModeStripsGuardedTrailers: a chunked body can end in trailer
// fields; a client declaring X-Gatehouse-User-Id as one must not get it to
// the upstream, where a framework that merges trailers into headers would
// read it.
func TestProxyModeStripsGuardedTrailers(t *testing.T) {
	got := make(chan http.Header, 1)
	upSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r.Trailer
	}))
	defer upSrv.Close()
	u, _ := url.Parse(upSrv.URL)
	h, _ := newHandler(t, forwardauth.Config{Upstream: u})
	addr := serveHandler(t, h)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "POST /public HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer allow\r\nTransfer-Encoding: chunked\r\n"+
		"Trailer: X-Gatehouse-User-Id, X_Gatehouse_Groups, X-HTTP-Method-Override\r\n\r\n"+
		"3\r\nabc\r\n0\r\nX-Gatehouse-User-Id: victim\r\nX_Gatehouse_Groups: admins\r\nX-HTTP-Method-Override: DELETE\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for name, vs := range <-got {
		t.Errorf("upstream got trailer %s %q", name, vs)
	}
}
