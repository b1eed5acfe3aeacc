package jwtverify_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

func TestMiddleware(t *testing.T) {
	valid := access(cognitotest.WithGroups("users"), cognitotest.WithScopes("orders/read"))
	down := func(c *jwtverify.Config) {
		c.Pools[0].KeySet = &mapKeySet{err: fmt.Errorf("%w: endpoint down", jwtverify.ErrKeysUnavailable)}
	}
	for _, tc := range []struct {
		name      string
		headers   []string // Authorization values
		cfg       func(*jwtverify.Config)
		opts      []jwtverify.MiddlewareOption
		status    int
		challenge string
		code      string // Code of the refusal
	}{
		{name: "valid", headers: []string{"Bearer " + valid}, status: 200},
		{name: "scheme in lower case", headers: []string{"bearer " + valid}, status: 200},
		{name: "required scope held", headers: []string{"Bearer " + valid},
			opts: []jwtverify.MiddlewareOption{jwtverify.RequireAnyScope("orders/write", "orders/read")}, status: 200},
		{name: "required group held", headers: []string{"Bearer " + valid},
			opts: []jwtverify.MiddlewareOption{jwtverify.RequireAnyGroup("users")}, status: 200},
		{name: "no header", status: 401, challenge: "Bearer", code: "no_bearer_token"},
		{name: "basic", headers: []string{"Basic dXNlcjpwYXNz"}, status: 401, challenge: "Bearer", code: "no_bearer_token"},
		{name: "bare token", headers: []string{valid}, status: 401, challenge: "Bearer", code: "no_bearer_token"},
		{name: "two headers", headers: []string{"Bearer " + valid, "Bearer " + valid}, status: 400,
			challenge: `Bearer error="invalid_request"`, code: "bearer_malformed"},
		{name: "two spaces", headers: []string{"Bearer  " + valid}, status: 400, challenge: `Bearer error="invalid_request"`, code: "bearer_malformed"},
		{name: "expired", headers: []string{"Bearer " + access(cognitotest.WithExpiry(-2*time.Hour))}, status: 401,
			challenge: `Bearer error="invalid_token"`, code: "expired"},
		{name: "bad signature", headers: []string{"Bearer " + access(cognitotest.SignWithUnknownKey())}, status: 401,
			challenge: `Bearer error="invalid_token"`, code: "bad_signature"},
		{name: "other client", headers: []string{"Bearer " + testIss.AccessToken("alice", clientB)}, status: 401,
			challenge: `Bearer error="invalid_token"`, code: "client_id"},
		{name: "handler scope lacking", headers: []string{"Bearer " + valid},
			opts:   []jwtverify.MiddlewareOption{jwtverify.RequireAnyScope("orders/write", "orders/admin")},
			status: 403, challenge: `Bearer error="insufficient_scope", scope="orders/write orders/admin"`, code: "scope"},
		{name: "handler group lacking", headers: []string{"Bearer " + valid},
			opts:   []jwtverify.MiddlewareOption{jwtverify.RequireAnyGroup("admins")},
			status: 403, challenge: `Bearer error="insufficient_scope"`, code: "group"},
		{name: "pool scope lacking", headers: []string{"Bearer " + valid},
			cfg:    func(c *jwtverify.Config) { c.Pools[0].Scopes = []string{"orders/write"} },
			opts:   []jwtverify.MiddlewareOption{jwtverify.RequireAnyScope("orders/read")},
			status: 403, challenge: `Bearer error="insufficient_scope"`, code: "scope"},
		{name: "keys unavailable", headers: []string{"Bearer " + valid}, cfg: down, status: 503, code: "keys_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var mu sync.Mutex
			var refused []string
			opts := append(tc.opts, jwtverify.OnRefusal(func(_ *http.Request, err error) {
				mu.Lock()
				defer mu.Unlock()
				refused = append(refused, jwtverify.Code(err))
				if strings.Contains(err.Error(), "eyJ") {
					t.Errorf("refusal %q holds token material", err)
				}
			}))
			mw, err := mustNew(t, cfg).Middleware(opts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, ok := jwtverify.ClaimsFromContext(r.Context())
				if !ok {
					t.Error("no claims in the context")
					return
				}
				fmt.Fprint(w, "hello ", c.Username)
			})))
			defer srv.Close()

			// A raw request, so that two Authorization lines reach the server
			// as two lines.
			resp := rawRequest(t, srv, tc.headers)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.status == 200 {
				if string(body) != "hello alice" {
					t.Errorf("body %q", body)
				}
				return
			}
			if strings.Contains(string(body), "eyJ") || strings.Contains(fmt.Sprint(resp.Header), "eyJ") {
				t.Errorf("answer holds token material: %v %q", resp.Header, body)
			}
			if len(refused) != 1 || refused[0] != tc.code {
				t.Errorf("OnRefusal saw %q, want %q", refused, tc.code)
			}
		})
	}
}

func rawRequest(t *testing.T, srv *httptest.Server, authorization []string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
	for _, v := range authorization {
		req += "Authorization: " + v + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestMiddlewareOptionsRefused(t *testing.T) {
	v := mustNew(t, baseConfig(t))
	for name, o := range map[string]jwtverify.MiddlewareOption{
		"no scopes":      jwtverify.RequireAnyScope(),
		"two scopes":     jwtverify.RequireAnyScope("a b"),
		"quote in scope": jwtverify.RequireAnyScope(`a"`),
		"empty scope":    jwtverify.RequireAnyScope(""),
		"no groups":      jwtverify.RequireAnyGroup(),
		"empty group":    jwtverify.RequireAnyGroup("admins", ""),
	} {
		if _, err := v.Middleware(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
