// Command benchfloor is the Go floor of scripts/bench-serve.sh: a net/http
// server with gatehouse serve's server settings (forwardauth's
// ServerConfig defaults: timeouts and header bound) whose handler answers
// 204 and does nothing else. Put in nginx's auth_request where gatehouse
// serve goes, it says what any net/http auth service costs on this machine,
// so gatehouse's figures can be read against it as well as against nginx's
// own `return 204`.
//
// It listens on -addr until SIGINT or SIGTERM. Not a product: loopback
// benchmarks only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err == nil {
		err = run(ctx, ln)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfloor:", err)
		os.Exit(1)
	}
}

// run serves on ln until ctx ends, then shuts down; it closes ln.
func run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: forwardauth.DefaultReadHeaderTimeout,
		ReadTimeout:       forwardauth.DefaultReadTimeout,
		WriteTimeout:      forwardauth.DefaultWriteTimeout,
		IdleTimeout:       forwardauth.DefaultIdleTimeout,
		MaxHeaderBytes:    forwardauth.DefaultMaxHeaderBytes,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), forwardauth.DefaultShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
