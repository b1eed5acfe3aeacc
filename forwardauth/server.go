package forwardauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults for the zero values of ServerConfig.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 15 * time.Second
	// DefaultMaxHeaderBytes leaves room for an ID token with many groups
	// (Cognito tokens are 1–4 KiB) while refusing oversized requests early.
	DefaultMaxHeaderBytes = 32 << 10
)

// ServerConfig configures the listeners of Serve. The zero value gives the
// documented defaults; every timeout is bounded, none is infinite.
type ServerConfig struct {
	// Addr is the auth (or proxy) listener's address. "" means DefaultAddr
	// (127.0.0.1:8080). Used by ListenAndServe only.
	Addr string
	// OpsAddr is the address of /healthz, /readyz and /metrics. "" means no
	// operational listener. Used by ListenAndServe only.
	OpsAddr string

	// ReadHeaderTimeout bounds reading a request's headers. 0 means
	// DefaultReadHeaderTimeout (5 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. 0 means
	// DefaultReadTimeout (10 s).
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the response; in proxy mode it bounds the whole upstream
	// exchange. 0 means DefaultWriteTimeout (30 s).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request. 0 means DefaultIdleTimeout (120 s).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown: requests under way get
	// this long to finish before connections are closed. 0 means
	// DefaultShutdownTimeout (15 s).
	ShutdownTimeout time.Duration
	// MaxHeaderBytes bounds the request headers. 0 means
	// DefaultMaxHeaderBytes (32 KiB).
	MaxHeaderBytes int

	// Logger receives the listening addresses and server errors. nil means
	// no logging.
	Logger *slog.Logger
}

func (sc ServerConfig) withDefaults() (ServerConfig, error) {
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": sc.ReadHeaderTimeout, "ReadTimeout": sc.ReadTimeout, "WriteTimeout": sc.WriteTimeout,
		"IdleTimeout": sc.IdleTimeout, "ShutdownTimeout": sc.ShutdownTimeout,
	} {
		if d < 0 {
			return sc, fmt.Errorf("forwardauth: ServerConfig.%s is negative", name)
		}
	}
	if sc.MaxHeaderBytes < 0 {
		return sc, errors.New("forwardauth: ServerConfig.MaxHeaderBytes is negative")
	}
	sc.Addr = cmp.Or(sc.Addr, DefaultAddr)
	sc.ReadHeaderTimeout = cmp.Or(sc.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	sc.ReadTimeout = cmp.Or(sc.ReadTimeout, DefaultReadTimeout)
	sc.WriteTimeout = cmp.Or(sc.WriteTimeout, DefaultWriteTimeout)
	sc.IdleTimeout = cmp.Or(sc.IdleTimeout, DefaultIdleTimeout)
	sc.ShutdownTimeout = cmp.Or(sc.ShutdownTimeout, DefaultShutdownTimeout)
	sc.MaxHeaderBytes = cmp.Or(sc.MaxHeaderBytes, DefaultMaxHeaderBytes)
	if sc.Logger == nil {
		sc.Logger = slog.New(slog.DiscardHandler)
	}
	return sc, nil
}

func (sc ServerConfig) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: sc.ReadHeaderTimeout,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      sc.WriteTimeout,
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    sc.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(sc.Logger.Handler(), slog.LevelWarn),
	}
}

// ListenAndServe binds sc.Addr (and sc.OpsAddr when set) and calls Serve.
func ListenAndServe(ctx context.Context, h *Handler, sc ServerConfig) error {
	sc, err := sc.withDefaults()
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", sc.Addr)
	if err != nil {
		return fmt.Errorf("forwardauth: listen on %s: %w", sc.Addr, err)
	}
	var opsLn net.Listener
	if sc.OpsAddr != "" {
		opsLn, err = lc.Listen(ctx, "tcp", sc.OpsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("forwardauth: listen on %s: %w", sc.OpsAddr, err)
		}
	}
	return Serve(ctx, h, sc, ln, opsLn)
}

// Serve serves h on ln and h.OpsHandler on opsLn (nil: none) until ctx ends
// or a listener fails. When ctx ends it marks h draining (/readyz 503),
// stops accepting, and waits up to sc.ShutdownTimeout for requests under
// way before closing what remains. It returns nil after a clean shutdown.
// Serve closes the listeners.
func Serve(ctx context.Context, h *Handler, sc ServerConfig, ln, opsLn net.Listener) error {
	sc, err := sc.withDefaults()
	if err != nil {
		ln.Close()
		if opsLn != nil {
			opsLn.Close()
		}
		return err
	}
	servers := []*http.Server{sc.httpServer(h)}
	listeners := []net.Listener{ln}
	names := []string{"auth"}
	if opsLn != nil {
		servers = append(servers, sc.httpServer(h.OpsHandler()))
		listeners = append(listeners, opsLn)
		names = append(names, "ops")
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		sc.Logger.Info("listening", slog.String("listener", names[i]), slog.String("addr", listeners[i].Addr().String()))
		go func() {
			err := srv.Serve(listeners[i])
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("forwardauth: %s listener: %w", names[i], err)
			}
			errc <- err
		}()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		// One listener failed: take the other down too (Shutdown of the
		// failed one is harmless).
	}

	h.SetDraining()
	sc.Logger.Info("shutting down", slog.Duration("deadline", sc.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.ShutdownTimeout)
	defer cancel()
	var shutdownErr error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			// Deadline passed with requests still running: cut them.
			srv.Close()
			shutdownErr = errors.Join(shutdownErr, fmt.Errorf("forwardauth: graceful shutdown: %w", err))
		}
	}
	// Collect the Serve goroutines' results.
	for range len(servers) - boolInt(serveErr != nil) {
		if err := <-errc; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	return errors.Join(serveErr, shutdownErr)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
