package forwardauth_test

import (
	"bufio"
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
	"time"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
)

func TestCanonicalTarget(t *testing.T) {
	tests := []struct {
		uri        string
		wantPath   string
		wantQuery  string
		wantReason string // "" when accepted
	}{
		{"/", "/", "", ""},
		{"/orders/7?force=1", "/orders/7", "force=1", ""},
		{"/orders/", "/orders/", "", ""},
		{"/caf%C3%A9/a%20b", "/café/a b", "", ""},
		{"/%61dmin", "/admin", "", ""},
		{"/Admin", "/Admin", "", ""}, // case kept: rules are case-sensitive
		{"/a(b)!*'$&+,=:@~", "/a(b)!*'$&+,=:@~", "", ""},
		{"/a?", "/a", "", ""},
		{"/a?/../admin", "/a", "/../admin", ""}, // the query is not the path
		{"/a?x=%23", "/a", "x=%23", ""},
		{"/public#/../admin/users", "", "", forwardauth.ReasonTargetFragment},
		{"/a?b#c", "", "", forwardauth.ReasonTargetFragment},
		{"/a%23b", "", "", forwardauth.ReasonTargetFragment},
		{"/public/../admin", "", "", forwardauth.ReasonTargetDotSegment},
		{"/public/./admin", "", "", forwardauth.ReasonTargetDotSegment},
		{"/public/%2e%2e/admin", "", "", forwardauth.ReasonTargetDotSegment},
		{"/public/%2E%2e/admin", "", "", forwardauth.ReasonTargetDotSegment},
		{"/public/.%2e", "", "", forwardauth.ReasonTargetDotSegment},
		{"/.", "", "", forwardauth.ReasonTargetDotSegment},
		{"/a//b", "", "", forwardauth.ReasonTargetEmptySegment},
		{"//admin", "", "", forwardauth.ReasonTargetEmptySegment},
		{"/public%2f..%2fadmin", "", "", forwardauth.ReasonTargetEncodedDelim},
		{"/a%5cb", "", "", forwardauth.ReasonTargetEncodedDelim},
		{"/a%3fb", "", "", forwardauth.ReasonTargetEncodedDelim},
		{"/a%3Bb", "", "", forwardauth.ReasonTargetEncodedDelim},
		{"/a%252e%252e", "", "", forwardauth.ReasonTargetEncodedDelim},
		{"/a;b", "", "", forwardauth.ReasonTargetPathParameter},
		{"/admin;x=1/users", "", "", forwardauth.ReasonTargetPathParameter},
		{"/a\\..\\admin", "", "", forwardauth.ReasonTargetChar},
		{"/a%00b", "", "", forwardauth.ReasonTargetChar},
		{"/a\x00b", "", "", forwardauth.ReasonTargetChar},
		{"/a%0ab", "", "", forwardauth.ReasonTargetChar},
		{"/a\tb", "", "", forwardauth.ReasonTargetChar},
		{"/a b", "", "", forwardauth.ReasonTargetChar},
		{"/caf\xc3\xa9", "", "", forwardauth.ReasonTargetChar},
		{"/a\"b", "", "", forwardauth.ReasonTargetChar},
		{"/a?x=\x7f", "", "", forwardauth.ReasonTargetChar},
		{"/a?x y", "", "", forwardauth.ReasonTargetChar},
		{"/a%zz", "", "", forwardauth.ReasonTargetEscape},
		{"/a%2", "", "", forwardauth.ReasonTargetEscape},
		{"/a%ff", "", "", forwardauth.ReasonTargetEscape},
		{"http://evil/admin", "", "", forwardauth.ReasonTargetForm},
		{"evil:443", "", "", forwardauth.ReasonTargetForm},
		{"*", "", "", forwardauth.ReasonTargetForm},
		{"", "", "", forwardauth.ReasonTargetForm},
		{"/" + strings.Repeat("a", forwardauth.MaxTargetLen), "", "", forwardauth.ReasonTargetTooLong},
		// Under the limit as received, over it once escaped to be sent
		// ('!' arrives raw and leaves as %21).
		{"/" + strings.Repeat("!", forwardauth.MaxTargetLen/2), "", "", forwardauth.ReasonTargetTooLong},
		{"/" + strings.Repeat("!", forwardauth.MaxTargetLen/3-1), "/" + strings.Repeat("!", forwardauth.MaxTargetLen/3-1), "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.uri), func(t *testing.T) {
			got, err := forwardauth.CanonicalTarget(tt.uri)
			if tt.wantReason != "" {
				var bre *forwardauth.BadRequestError
				if !errors.As(err, &bre) || bre.Reason != tt.wantReason || !errors.Is(err, forwardauth.ErrBadRequest) {
					t.Fatalf("got %+v, %v; want refused with %s", got, err, tt.wantReason)
				}
				return
			}
			if err != nil || got.Path != tt.wantPath || got.RawQuery != tt.wantQuery {
				t.Fatalf("got %+v, %v; want %q ? %q", got, err, tt.wantPath, tt.wantQuery)
			}
		})
	}
}

// rawResult is what came back for a request written byte by byte; err is
// set when no response could be read (a proxy may just close the
// connection on a malformed request).
type rawResult struct {
	code   int
	header http.Header
	body   string
	err    error
}

// rawRequestTolerant writes one request as raw bytes on a new connection
// (net/http's client would normalise the target: cut at '#', escape bytes)
// and reads the response.
func rawRequestTolerant(t *testing.T, addr, method, target string, header [][2]string) rawResult {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return rawResult{err: err}
	}
	res, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return rawResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return rawResult{res.StatusCode, res.Header, string(body), err}
}

// rawRequest is rawRequestTolerant for a response that must come.
func rawRequest(t *testing.T, addr, method, target string, header [][2]string) rawResult {
	t.Helper()
	res := rawRequestTolerant(t, addr, method, target, header)
	if res.err != nil {
		t.Fatalf("%s %q: %v", method, target, res.err)
	}
	return res
}

// recordingUpstream remembers the last request it got.
type recordingUpstream struct {
	mu   sync.Mutex
	last *http.Request
}

func (u *recordingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.last = r
	u.mu.Unlock()
	_, _ = io.WriteString(w, "upstream")
}

func (u *recordingUpstream) take() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := u.last
	u.last = nil
	return r
}

func startProxyMode(t *testing.T) (addr string, up *recordingUpstream, fd *fakeDecider) {
	t.Helper()
	up = &recordingUpstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	h, fd := newHandler(t, forwardauth.Config{Upstream: u})
	return serveHandler(t, h), up, fd
}

// Issue 10 case 1: "GET /public#/../admin/users" was judged as /public
// while the proxy forwarded /public%23/../admin/users. And in general: in
// proxy mode the upstream gets the path that was judged.
func TestProxyModeOneReading(t *testing.T) {
	addr, up, fd := startProxyMode(t)
	auth := [][2]string{{"Authorization", "Bearer allow"}}
	for _, c := range []struct {
		target, wantPath, wantReason string
	}{
		{"/public#/../admin/users", "", forwardauth.ReasonTargetFragment},
		{"/public%23/../admin/users", "", forwardauth.ReasonTargetFragment},
		{"/public/%2e%2e/admin/users", "", forwardauth.ReasonTargetDotSegment},
		{"/public%2f..%2fadmin", "", forwardauth.ReasonTargetEncodedDelim},
		{"/public%252e%252e/admin", "", forwardauth.ReasonTargetEncodedDelim},
		{"/admin;x/users", "", forwardauth.ReasonTargetPathParameter},
		{"http://upstream/admin", "", forwardauth.ReasonTargetForm},
		{"/%61dmin/users", "/admin/users", ""},
		{"/caf%C3%A9/(a)%20b?q=%23x", "/café/(a) b", ""},
		{"/reports/?a=/../admin", "/reports/", ""},
	} {
		res := rawRequest(t, addr, "GET", c.target, auth)
		sent := up.take()
		if c.wantReason != "" {
			if res.code != 400 || !strings.Contains(res.body, c.wantReason) || sent != nil {
				t.Errorf("%q: status %d %q, upstream reached: %v; want 400 %s", c.target, res.code, res.body, sent != nil, c.wantReason)
			}
			continue
		}
		if res.code != 200 || sent == nil {
			t.Errorf("%q: status %d %q", c.target, res.code, res.body)
			continue
		}
		if judged := fd.last().Path; judged != c.wantPath || sent.URL.Path != judged {
			t.Errorf("%q: judged %q, upstream routed %q; want both %q", c.target, judged, sent.URL.Path, c.wantPath)
		}
	}
}

// Issue 10 case 2: identity headers in any spelling, and method overrides,
// never reach the upstream in proxy mode.
func TestProxyModeStripsEverySpelling(t *testing.T) {
	addr, up, _ := startProxyMode(t)
	res := rawRequest(t, addr, "GET", "/orders", [][2]string{
		{"Authorization", "Bearer allow"},
		{"X_Gatehouse_User_Id", "victim"},
		{"X_Gatehouse_Groups", "admins"},
		{"x-gatehouse_user-id", "victim"},
		{"X-GATEHOUSE-USER-ID", "victim"},
		{"X-Gatehouse-User-Id", "victim"},
		{"X-Gatehouse-User-Id", "victim2"},
		{"X_GATEHOUSE_ADMIN", "true"},
		{"X-HTTP-Method-Override", "DELETE"},
		{"x_http_method_override", "DELETE"},
		{"X-Method-Override", "DELETE"},
		{"X_HTTP_Method", "DELETE"},
		{"X-Original-URL", "/admin/users"},
		{"x_rewrite_url", "/admin/users"},
	})
	sent := up.take()
	if res.code != 200 || sent == nil {
		t.Fatalf("status %d %q", res.code, res.body)
	}
	named := map[string]bool{}
	for _, n := range forwardauth.IdentityHeaders {
		named[n] = true
	}
	for name, vs := range sent.Header {
		f := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if strings.Contains(f, "gatehouse") && !named[name] || strings.Contains(f, "method") || strings.HasSuffix(f, "-url") {
			t.Errorf("upstream got %s: %q", name, vs)
		}
		if named[name] && (len(vs) != 1 || vs[0] == "victim" || vs[0] == "victim2") {
			t.Errorf("upstream got %s: %q", name, vs)
		}
	}
	if got := sent.Header.Get(forwardauth.HeaderUserID); got != person.InternalID {
		t.Errorf("upstream got user id %q, want %q", got, person.InternalID)
	}
	// White space around a name: Go's server refuses the request itself.
	res = rawRequest(t, addr, "GET", "/orders", [][2]string{{"Authorization", "Bearer allow"}, {"X-Gatehouse-User-Id ", "victim"}})
	if res.code != 400 || up.take() != nil {
		t.Errorf("name with trailing space: status %d", res.code)
	}
}

// In forward-auth mode the proxy passes the client's headers to gatehouse
// and then to the upstream: a request carrying an identity or
// method-override header in any spelling is refused.
func TestForwardAuthRefusesClientIdentityHeaders(t *testing.T) {
	for _, name := range []string{"X-Gatehouse-User-Id", "X_Gatehouse_User_Id", "x-gatehouse_groups", "X-Gatehouse-Anything", "X-HTTP-Method-Override", "X_Method_Override", "x-http-method", "X-Original-URL", "X_Rewrite_URL"} {
		h, fd := newHandler(t, forwardauth.Config{RequestHeaders: forwardauth.HeadersOriginal})
		r := httptest.NewRequest("GET", "/_gatehouse", nil)
		r.Header.Set(forwardauth.HeaderOriginalMethod, "GET")
		r.Header.Set(forwardauth.HeaderOriginalURI, "/orders")
		r.Header.Set("Authorization", "Bearer allow")
		r.Header[name] = []string{"x"}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 400 || !strings.Contains(w.Body.String(), forwardauth.ReasonClientHeader) || fd.calls() != 0 {
			t.Errorf("%s: status %d %q, decider calls %d", name, w.Code, w.Body.String(), fd.calls())
		}
	}
}

// A refused request gets 400 with its reason code, never reaches the
// decider, and makes one log line with the reason and nothing of the
// request (its query may carry a token).
func TestBadRequestLogsOneLineWithoutTokens(t *testing.T) {
	var logs logscan.Buffer
	h, fd := newHandler(t, forwardauth.Config{RequestHeaders: forwardauth.HeadersOriginal, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	const secret = "eyJhbGciOiJSUzI1NiJ9.secret-token-material"
	r := httptest.NewRequest("GET", "/_gatehouse", nil)
	r.Header.Set(forwardauth.HeaderOriginalMethod, "GET")
	r.Header.Set(forwardauth.HeaderOriginalURI, "/public#/../admin?access_token="+secret)
	r.Header.Set("Authorization", "Bearer "+secret)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || w.Body.String() != "Bad Request: "+forwardauth.ReasonTargetFragment+"\n" || fd.calls() != 0 {
		t.Fatalf("status %d %q, decider calls %d", w.Code, w.Body.String(), fd.calls())
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"reason":"`+forwardauth.ReasonTargetFragment+`"`) {
		t.Errorf("log lines: %q", lines)
	}
	logscan.NoSecrets(t, logs.String(), secret, "admin")
}
