package forwardauth_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestServeGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h, err := forwardauth.New(forwardauth.Config{RequestHeaders: forwardauth.HeadersNone, Decider: deciderFunc(func(ctx context.Context, r authorizer.Request) authorizer.Decision {
		if r.Path == "/slow" {
			close(entered)
			<-release
		}
		return authorizer.Decision{Outcome: authorizer.OutcomeAllow, Identity: &person}
	})})
	if err != nil {
		t.Fatal(err)
	}
	ln, opsLn := listen(t), listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- forwardauth.Serve(ctx, h, forwardauth.ServerConfig{ShutdownTimeout: 10 * time.Second}, ln, opsLn)
	}()

	base, ops := "http://"+ln.Addr().String(), "http://"+opsLn.Addr().String()
	if res, err := http.Get(ops + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", res, err)
	}

	slow := make(chan int, 1)
	go func() {
		res, err := http.Get(base + "/slow")
		if err != nil {
			slow <- -1
			return
		}
		res.Body.Close()
		slow <- res.StatusCode
	}()
	<-entered
	cancel() // as SIGTERM would

	// The request under way finishes; new connections are refused.
	close(release)
	if code := <-slow; code != 200 {
		t.Errorf("in-flight request during shutdown: %d", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(base + "/x"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestServeShutdownDeadline(t *testing.T) {
	entered := make(chan struct{})
	h, err := forwardauth.New(forwardauth.Config{RequestHeaders: forwardauth.HeadersNone, Decider: deciderFunc(func(ctx context.Context, r authorizer.Request) authorizer.Decision {
		close(entered)
		<-ctx.Done() // hangs until the connection is cut or the decision times out
		return authorizer.Decision{}
	}), DecisionTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- forwardauth.Serve(ctx, h, forwardauth.ServerConfig{ShutdownTimeout: 50 * time.Millisecond}, ln, nil)
	}()
	go func() {
		if res, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	cancel()
	if err := <-done; err == nil {
		t.Error("Serve reported a clean shutdown although a request outlived the deadline")
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	ln := listen(t)
	if err := forwardauth.Serve(context.Background(), h, forwardauth.ServerConfig{ReadTimeout: -1}, ln, nil); err == nil {
		t.Error("negative timeout accepted")
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("listener left open")
	}
}

func TestListenAndServeBadAddr(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	if err := forwardauth.ListenAndServe(context.Background(), h, forwardauth.ServerConfig{Addr: "256.0.0.1:1"}); err == nil {
		t.Error("bad address accepted")
	}
}
