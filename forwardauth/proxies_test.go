package forwardauth_test

// Harness for the end-to-end tests with real nginx and Caddy in front of
// gatehouse's handler. The proxy configurations are the files in
// examples/, with only their addresses replaced, so the examples stay true.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
)

// The addresses written in the example configurations.
const (
	exampleGatehouseAddr = "127.0.0.1:8080"
	exampleUpstreamAddr  = "127.0.0.1:9000"
	exampleProxyAddr     = "127.0.0.1:8000"
)

// renderExample reads an example configuration and replaces its addresses.
// Every address must be present: a test that silently stopped replacing one
// would test another configuration than the example.
func renderExample(t *testing.T, rel string, gatehouse, upstream, proxy string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", rel))
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{exampleGatehouseAddr: gatehouse, exampleUpstreamAddr: upstream, exampleProxyAddr: proxy} {
		if !bytes.Contains(data, []byte(from)) {
			t.Fatalf("%s no longer contains %s", rel, from)
		}
		data = bytes.ReplaceAll(data, []byte(from), []byte(to))
	}
	return data
}

// freeAddr returns a loopback address nothing listens on right now, for a
// proxy process to bind.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startProcess runs cmd until the test ends and waits until addr accepts
// connections.
func startProcess(t *testing.T, cmd *exec.Cmd, addr string, logs ...string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	dumpLogs := func() {
		t.Logf("%s output:\n%s", filepath.Base(cmd.Path), out.String())
		for _, l := range logs {
			if b, err := os.ReadFile(l); err == nil {
				t.Logf("%s:\n%s", l, b)
			}
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			dumpLogs()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			dumpLogs()
			t.Fatalf("%s exited: %v", cmd.Path, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			dumpLogs()
			t.Fatalf("%s does not listen on %s", cmd.Path, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startNginx runs Debian's nginx with examples/nginx/gatehouse.conf
// included from a minimal main configuration, and returns its base URL.
func startNginx(t *testing.T, gatehouse, upstream string) string {
	t.Helper()
	proxy := freeAddr(t)
	runNginx(t, proxy, "", renderExample(t, "nginx/gatehouse.conf", gatehouse, upstream, proxy))
	return "http://" + proxy
}

// runNginx runs Debian's nginx with site (an http-context file) included
// after the http-context directives extra, until the test ends, and waits
// until it listens on addr.
func runNginx(t *testing.T, addr, extra string, site []byte) {
	t.Helper()
	bin := localservices.Tool(t, "nginx")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gatehouse.conf"), site, 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`worker_processes 1;
error_log %[1]s/error.log warn;
pid %[1]s/nginx.pid;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    %[2]s
    include %[1]s/gatehouse.conf;
}
`, dir, extra)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf, "-g", "daemon off;")
	startProcess(t, cmd, addr, filepath.Join(dir, "error.log"))
}

// startCaddy runs Debian's caddy with examples/caddy/Caddyfile and returns
// its base URL.
func startCaddy(t *testing.T, gatehouse, upstream string) string {
	t.Helper()
	bin := localservices.Tool(t, "caddy")
	dir := t.TempDir()
	proxy := freeAddr(t)
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, renderExample(t, "caddy/Caddyfile", gatehouse, upstream, proxy), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	startProcess(t, cmd, proxy)
	return "http://" + proxy
}

// serveHandler serves h on a loopback listener with forwardauth.Serve until
// the test ends, and returns the listener's address.
func serveHandler(t *testing.T, h *forwardauth.Handler) string {
	t.Helper()
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- forwardauth.Serve(ctx, h, forwardauth.ServerConfig{}, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// upstreamSeen is what the echo upstream received.
type upstreamSeen struct {
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Header http.Header `json:"header"`
}

// startEchoUpstream answers every request with 200 and a JSON description
// of it, and remembers how many requests it got.
func startEchoUpstream(t *testing.T) (addr string, count func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(upstreamSeen{Method: r.Method, URI: r.RequestURI, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// proxyResult is a response through the proxy.
type proxyResult struct {
	code      int
	challenge []string
	seen      *upstreamSeen // nil when the upstream did not answer
}

func callProxy(t *testing.T, method, url, authorization string, header map[string]string) proxyResult {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := proxyResult{code: res.StatusCode, challenge: res.Header.Values("WWW-Authenticate")}
	if res.StatusCode == 200 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var s upstreamSeen
		if err := json.NewDecoder(res.Body).Decode(&s); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		out.seen = &s
	}
	return out
}

// identitySeen returns the identity headers the upstream got, "<absent>"
// for a header it did not get. Any other X-Gatehouse-* header is an error
// unless namedOnly: nginx can only replace headers by name, so with nginx
// the upstream must trust the named ones (IdentityHeaders) and nothing else.
func identitySeen(t *testing.T, s *upstreamSeen, namedOnly bool) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, name := range forwardauth.IdentityHeaders {
		got[name] = "<absent>"
	}
	for name, vs := range s.Header {
		if !strings.HasPrefix(strings.ToLower(name), "x-gatehouse-") {
			continue
		}
		if _, ok := got[name]; !ok {
			if namedOnly {
				continue
			}
			t.Errorf("upstream got an unknown identity header %s: %q", name, vs)
			continue
		}
		if len(vs) != 1 {
			t.Errorf("upstream got %s %d times: %q", name, len(vs), vs)
		}
		got[name] = strings.Join(vs, ",")
	}
	return got
}
