package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

func TestServeUsageErrors(t *testing.T) {
	okEnv := map[string]string{
		awsenv.EnvUserPoolID: "us-east-1_Abc", awsenv.EnvClientIDs: "web", awsenv.EnvTable: "gatehouse-table",
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"help", []string{"-h"}, okEnv, 0, "Usage: gatehouse serve"},
		{"unknown flag", []string{"--nope"}, okEnv, 2, "flag provided but not defined"},
		{"argument", []string{"extra"}, okEnv, 2, `unexpected argument "extra"`},
		{"no configuration", []string{"--request-headers", "original"}, nil, 2, awsenv.EnvUserPoolID},
		{"bad convention", []string{"--request-headers", "nginx"}, okEnv, 2, "unknown request-headers convention"},
		// Issue 10 case 4: no guessing about the proxy.
		{"auto is gone", []string{"--request-headers", "auto"}, okEnv, 2, "auto is gone"},
		{"forward-auth without a convention", nil, okEnv, 2, "--request-headers (or GATEHOUSE_REQUEST_HEADERS): forwardauth: say where the proxy puts the original method and URI: " + forwardauth.RequestHeadersChoices},
		{"bad convention in the environment", nil, with(okEnv, EnvRequestHeaders, "auto"), 2, "auto is gone"},
		{"convention with upstream", []string{"--upstream", "http://127.0.0.1:1", "--request-headers", "original"}, okEnv, 2, "does not apply with --upstream"},
		{"convention from the environment with upstream", []string{"--upstream", "http://127.0.0.1:1"}, with(okEnv, EnvRequestHeaders, "none"), 2, "does not apply with --upstream"},
		{"relative upstream", []string{"--upstream", "/x"}, okEnv, 2, "absolute http(s) URL"},
		{"zero timeout", []string{"--read-timeout", "0s", "--request-headers", "original"}, okEnv, 2, "--read-timeout (or GATEHOUSE_READ_TIMEOUT) must be positive"},
		{"bad log level", []string{"--log-level", "loud"}, okEnv, 2, "--log-level"},
		{"bad duration in the environment", []string{"--request-headers", "original"}, with(okEnv, "GATEHOUSE_DECISION_TIMEOUT", "soon"), 2, "GATEHOUSE_DECISION_TIMEOUT (environment form of --decision-timeout)"},
		{"bad number in the environment", []string{"--request-headers", "original"}, with(okEnv, "GATEHOUSE_MAX_HEADER_BYTES", "lots"), 2, "GATEHOUSE_MAX_HEADER_BYTES"},
		{"zero timeout in the environment", []string{"--request-headers", "original"}, with(okEnv, "GATEHOUSE_READ_TIMEOUT", "0s"), 2, "--read-timeout (or GATEHOUSE_READ_TIMEOUT) must be positive"},
		{"bad log level in the environment", []string{"--request-headers", "original"}, with(okEnv, "GATEHOUSE_LOG_LEVEL", "loud"), 2, "GATEHOUSE_LOG_LEVEL"},
		{"bad upstream in the environment", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "/x"), 2, "--upstream (or GATEHOUSE_UPSTREAM)"},
		// The flag wins: the bad variable is never read, so the error is
		// the next one (no convention).
		{"flag wins over the environment", []string{"--log-level", "info"}, with(okEnv, "GATEHOUSE_LOG_LEVEL", "loud"), 2, "--request-headers (or GATEHOUSE_REQUEST_HEADERS): forwardauth: say where"},
		{"bad routes file", []string{"--routes-file", "/nonexistent/routes.json", "--request-headers", "original"}, okEnv, 2, awsenv.EnvRoutesFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := serve(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
}

// TestServeFlagEnv: every serve flag has its GATEHOUSE_* form by one rule,
// the authorizer's variables included, and the README lists each.
func TestServeFlagEnv(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs, f, authFlags := newServeFlagSet(io.Discard)
	fs.VisitAll(func(fl *flag.Flag) {
		env := flagEnv(fl.Name)
		if !bytes.Contains(readme, []byte("`--"+fl.Name+"`")) || !bytes.Contains(readme, []byte("`"+env+"`")) {
			t.Errorf("README.md does not list --%s and %s", fl.Name, env)
		}
		if authFlags[fl.Name] {
			if err := fs.Set(fl.Name, "x"); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.env[env]; !ok {
				t.Errorf("--%s overrides some variable other than %s", fl.Name, env)
			}
		}
	})
}

func TestApplyFlagEnv(t *testing.T) {
	fs, f, authFlags := newServeFlagSet(io.Discard)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GATEHOUSE_ADDR": "0.0.0.0:8080", "GATEHOUSE_METRICS_ADDR": "0.0.0.0:9090",
		"GATEHOUSE_DECISION_TIMEOUT": "2s", "GATEHOUSE_LOG_FORMAT": "text",
		awsenv.EnvTable: "from-env", // read by the authorizer's configuration, not here
	}
	if err := applyFlagEnv(fs, func(k string) string { return env[k] }, authFlags); err != nil {
		t.Fatal(err)
	}
	if f.addr != "127.0.0.1:1" || f.metricsAddr != "0.0.0.0:9090" || f.decisionTimeout != 2*time.Second || f.logFormat != "text" {
		t.Errorf("flags after the environment: %+v", f)
	}
	if _, ok := f.env[awsenv.EnvTable]; ok {
		t.Error("GATEHOUSE_TABLE was turned into a flag override")
	}
}

// with returns a copy of env with k set to v.
func with(env map[string]string, k, v string) map[string]string {
	out := maps.Clone(env)
	out[k] = v
	return out
}

// syncBuffer collects log lines from concurrent writers.
type syncBuffer = logscan.Buffer

// listening returns the addresses serve logged, by listener name.
func listening(log string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var rec struct{ Msg, Listener, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
			out[rec.Listener] = rec.Addr
		}
	}
	return out
}

// TestServeRuns starts the command with flags overriding the environment,
// against a DynamoDB endpoint where nothing listens: it must become ready
// (keys load), deny without a token, fail closed with a valid token (the
// mapping cannot be read), stay ready on last-good keys while the key
// endpoint hangs, answer an unknown kid within the JWKS timeout and then at
// once, expose metrics (key-set health included), write only JSON lines,
// and stop cleanly on cancel.
func TestServeRuns(t *testing.T) {
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	// The key endpoint, through a stand-in that can be made to hang.
	var jwksHang atomic.Bool
	var jwksRequests atomic.Int64
	unblock := make(chan struct{})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwksRequests.Add(1)
		if jwksHang.Load() {
			select {
			case <-unblock:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = w.Write(iss.JWKS())
	}))
	defer jwks.Close()
	defer close(unblock)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://"+closed)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

	env := map[string]string{
		awsenv.EnvUserPoolID:      "overridden-by-the-flag",
		awsenv.EnvClientIDs:       "web",
		awsenv.EnvInsecureHTTP:    "true",
		awsenv.EnvMappingTimeout:  "500ms",
		awsenv.EnvRoutes:          "[]",
		awsenv.EnvTokenCacheSize:  "10",
		awsenv.EnvMappingCacheTTL: "1s",
		awsenv.EnvJWKSTimeout:     "300ms",
	}
	args := []string{
		"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--request-headers", "forwarded",
		"--user-pool-id", iss.UserPoolID(), "--issuer", iss.IssuerURL(), "--jwks-url", jwks.URL, "--table", "serve-test",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- serve(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr) }()

	var addrs map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for addrs = listening(stderr.String()); addrs["auth"] == "" || addrs["ops"] == ""; addrs = listening(stderr.String()) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve does not listen:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	auth, ops := "http://"+addrs["auth"], "http://"+addrs["ops"]

	get := func(url, authz string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Uri", "/orders")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(body)
	}

	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _, _ := get(ops+"/readyz", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _, _ := get(ops+"/healthz", ""); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, h, _ := get(auth+"/_gatehouse", ""); code != 401 || h.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no token: %d %q", code, h.Get("WWW-Authenticate"))
	}
	token := iss.AccessToken("alice", "web")
	if code, h, body := get(auth+"/_gatehouse", "Bearer "+token); code != 500 || h.Get("X-Gatehouse-User-Id") != "" || strings.Contains(body, "dynamo") {
		t.Errorf("mapping unreachable: %d, user id %q, body %q; want a bare 500", code, h.Get("X-Gatehouse-User-Id"), body)
	}
	_, _, metrics := get(ops+"/metrics", "")
	for _, want := range []string{`reason="missing",result="unauthorized"} 1`, `reason="mapping_unavailable",result="error"} 1`,
		`gatehouse_serve_mapping_cache_misses_total{cache="user"} 1`, `gatehouse_serve_mapping_cache_hits_total{cache="user"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}

	// The key endpoint hangs: the last good keys keep verifying, /readyz
	// stays 200, and a token with an unknown kid fails (500
	// keys_unavailable) after the JWKS timeout the first time, then without
	// another fetch.
	jwksHang.Store(true)
	before := jwksRequests.Load()
	unknown := iss.AccessToken("alice", "web", cognitotest.WithKID("not-published"))
	for i := range 2 {
		if code, _, _ := get(auth+"/_gatehouse", "Bearer "+unknown); code != 500 {
			t.Errorf("unknown kid #%d during the outage: %d, want 500", i, code)
		}
	}
	if n := jwksRequests.Load() - before; n != 1 {
		t.Errorf("%d JWKS requests for two unknown kids, want 1", n)
	}
	if code, _, _ := get(auth+"/_gatehouse", "Bearer "+token); code != 500 {
		t.Errorf("known kid during the outage: %d, want 500 from the mapping, not from the keys", code)
	}
	if code, _, _ := get(ops+"/readyz", ""); code != 200 {
		t.Errorf("readyz during the key outage: %d, want 200 (last good keys held)", code)
	}
	_, _, metrics = get(ops+"/metrics", "")
	pool := `{issuer="` + iss.IssuerURL() + `",pool="` + iss.UserPoolID() + `"` // client_golang orders labels by name
	for _, want := range []string{
		`reason="keys_unavailable",result="error"} 2`,
		`reason="mapping_unavailable",result="error"} 2`,
		"gatehouse_serve_jwks_failing" + pool + "} 1",
		"gatehouse_serve_jwks_keys" + pool + "} 1",
		`gatehouse_serve_jwks_fetch_failures_total{cause="timeout",` + pool[1:] + "} 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
	if strings.Contains(metrics, "gatehouse_serve_jwks_last_success_timestamp_seconds"+pool+"} 0\n") {
		t.Error("no last successful fetch time")
	}
	// The failed fetch's warning is written just after the callers are
	// answered: wait for it rather than race it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "JWKS problem"); {
		if time.Now().After(deadline) {
			t.Fatalf("no JWKS warning:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(stderr.String(), token) || strings.Contains(stdout.String(), token) {
		t.Error("the token was logged")
	}
	if stdout.String() != "" {
		t.Errorf("stdout is not empty (embedded metrics should be off): %q", stdout.String())
	}
	// Every line is one JSON object, the JWKS warning included; a decision
	// has at most one line.
	var jwksWarnings, decisions int
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON object: %q", line)
			continue
		}
		switch rec["msg"] {
		case "jwtverify: JWKS problem":
			jwksWarnings++
		case "authorizer decision", "decision":
			decisions++
		}
	}
	// One missing token, two unmapped, two unknown kids: each a denial or
	// an error, so each logged at info, once.
	if jwksWarnings != 1 || decisions != 5 {
		t.Errorf("%d JWKS warnings and %d decision lines, want 1 and 5:\n%s", jwksWarnings, decisions, stderr.String())
	}
}

// TestServeURLErrorsKeepSecrets: a bad URL in a GATEHOUSE_* variable (or its
// flag) is named in the error without its password, user name (a token in
// some URL forms) or query. url.Parse's own error quotes the whole URL.
func TestServeURLErrorsKeepSecrets(t *testing.T) {
	const secret = "S3CRETpw"
	okEnv := map[string]string{
		awsenv.EnvUserPoolID: "us-east-1_Abc", awsenv.EnvClientIDs: "web", awsenv.EnvTable: "gatehouse-table",
	}
	fwd := []string{"--request-headers", "original"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"upstream, bad port", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "http://u:"+secret+"@host:x/")},
		{"upstream, bad escape", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "http://u:"+secret+"@host/%zz")},
		{"upstream flag, bad host", []string{"--upstream", "http://u:" + secret + "@[::1/"}, okEnv},
		{"upstream, token as user", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "https://"+secret+"@host/")},
		{"upstream, key in query", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "https://host/?api_key="+secret)},
		{"upstream, opaque", nil, with(okEnv, "GATEHOUSE_UPSTREAM", "http:u:"+secret+"@host/")},
		{"issuer, opaque", fwd, with(okEnv, awsenv.EnvIssuer, "https:u:"+secret+"@host/")},
		{"jwks, opaque", fwd, with(okEnv, awsenv.EnvJWKSURL, "https:u:"+secret+"@host/jwks.json")},
		{"issuer, bad port", fwd, with(okEnv, awsenv.EnvIssuer, "https://u:"+secret+"@host:x/")},
		{"issuer, token as user", fwd, with(okEnv, awsenv.EnvIssuer, "https://"+secret+"@host/")},
		{"jwks, bad escape", fwd, with(okEnv, awsenv.EnvJWKSURL, "https://u:"+secret+"@host/%zz")},
		{"jwks, token as user", fwd, with(okEnv, awsenv.EnvJWKSURL, "https://"+secret+"@host/jwks.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := serve(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if out := stdout.String() + stderr.String(); strings.Contains(out, secret) {
				t.Errorf("output shows the secret:\n%s", out)
			}
		})
	}
}
