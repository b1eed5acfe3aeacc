package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// addTimeoutFlags registers the server timeout flags, with forwardauth's
// defaults, on fs.
func addTimeoutFlags(fs *flag.FlagSet, sc *forwardauth.ServerConfig) {
	fs.DurationVar(&sc.ReadHeaderTimeout, "read-header-timeout", forwardauth.DefaultReadHeaderTimeout, "bound on reading request headers")
	fs.DurationVar(&sc.ReadTimeout, "read-timeout", forwardauth.DefaultReadTimeout, "bound on reading a whole request")
	fs.DurationVar(&sc.WriteTimeout, "write-timeout", forwardauth.DefaultWriteTimeout, "bound from the end of the request headers to the end of the response")
	fs.DurationVar(&sc.IdleTimeout, "idle-timeout", forwardauth.DefaultIdleTimeout, "bound on an idle keep-alive connection")
	fs.DurationVar(&sc.ShutdownTimeout, "shutdown-timeout", forwardauth.DefaultShutdownTimeout, "on SIGINT/SIGTERM, how long requests under way may finish")
}

// serveUntilDone serves h on ln, every timeout bounded (sc's, or
// forwardauth's defaults where zero), until ctx ends; then it shuts down
// gracefully, giving requests under way sc.ShutdownTimeout. For the
// services' local servers (portal, partners); gatehouse serve has its own
// two listeners (forwardauth.Serve).
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, sc forwardauth.ServerConfig, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: positiveOr(sc.ReadHeaderTimeout, forwardauth.DefaultReadHeaderTimeout),
		ReadTimeout:       positiveOr(sc.ReadTimeout, forwardauth.DefaultReadTimeout),
		WriteTimeout:      positiveOr(sc.WriteTimeout, forwardauth.DefaultWriteTimeout),
		IdleTimeout:       positiveOr(sc.IdleTimeout, forwardauth.DefaultIdleTimeout),
		MaxHeaderBytes:    positiveOr(sc.MaxHeaderBytes, forwardauth.DefaultMaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Requests under way outlive ctx: Shutdown, not ctx, ends them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := positiveOr(sc.ShutdownTimeout, forwardauth.DefaultShutdownTimeout)
	logger.Info("shutting down", slog.Duration("deadline", grace))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

// positiveOr is not cmp.Or: a negative flag value (no timeout at all in
// http.Server) must fall back to the default too.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
