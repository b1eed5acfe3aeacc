package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// DefaultPortalAddr is where `gatehouse portal` listens unless --addr says
// otherwise.
const DefaultPortalAddr = "127.0.0.1:8081"

func runPortal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return servePortal(ctx, args, os.Getenv, nil, stdout, stderr)
}

// servePortal serves the portal until ctx ends. ready, when not nil,
// receives the listening address (for tests).
func servePortal(ctx context.Context, args []string, getenv func(string) string, ready chan<- string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse portal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr, logLevel, logFormat string
		srv                       = forwardauth.ServerConfig{}
	)
	fs.StringVar(&addr, "addr", DefaultPortalAddr, "`address` to listen on")
	addTimeoutFlags(fs, &srv)
	fs.StringVar(&logLevel, "log-level", "info", "debug, info (one line per request), warn or error")
	fs.StringVar(&logFormat, "log-format", "json", "json or text (to stderr)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse portal [flags]")
		fmt.Fprintln(stderr, "\nServes the developer-credentials and sign-in API (package portal) over HTTP,")
		fmt.Fprintln(stderr, "configured by the same GATEHOUSE_* variables as the Lambda (cmd/portal).")
		fmt.Fprintln(stderr, "Put TLS in front of it: sign-in takes passwords and /clients returns secrets.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatehouse portal: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	for name, d := range map[string]time.Duration{
		"read-header-timeout": srv.ReadHeaderTimeout, "read-timeout": srv.ReadTimeout,
		"write-timeout": srv.WriteTimeout, "idle-timeout": srv.IdleTimeout, "shutdown-timeout": srv.ShutdownTimeout,
	} {
		if d <= 0 {
			fmt.Fprintf(stderr, "gatehouse portal: --%s must be positive\n", name)
			return 2
		}
	}
	logger, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse portal:", err)
		return 2
	}
	cfg, err := portal.ConfigFromEnv(getenv)
	if err != nil {
		logger.Error("gatehouse portal: cannot serve", slog.String("error", err.Error()))
		return 2
	}
	cfg.Logger = logger
	h, err := cfg.Build(ctx)
	if err != nil {
		logger.Error("gatehouse portal: cannot serve", slog.String("error", err.Error()))
		return 2
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		logger.Error("gatehouse portal: cannot listen", slog.String("addr", addr), slog.String("error", err.Error()))
		return 1
	}
	logger.Info("listening", slog.String("addr", ln.Addr().String()))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if err := serveUntilDone(ctx, ln, h, srv, logger); err != nil {
		logger.Error("gatehouse portal: cannot serve", slog.String("error", err.Error()))
		return 1
	}
	logger.Info("gatehouse portal stopped")
	return 0
}
