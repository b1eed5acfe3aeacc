package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// EnvRequestHeaders is the environment form of --request-headers.
var EnvRequestHeaders = flagEnv("request-headers")

// flagEnv is the environment form of a serve flag: GATEHOUSE_ and the flag's
// name in upper case with '-' as '_' (--metrics-addr: GATEHOUSE_METRICS_ADDR).
// The authorizer's own variables follow the same rule (tested).
func flagEnv(flag string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyFlagEnv sets every flag of fs not given on the command line from its
// environment form, when that is set: flags win. A bad value names the
// variable. Flags in skip read the environment themselves.
func applyFlagEnv(fs *flag.FlagSet, getenv func(string) string, skip map[string]bool) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || skip[f.Name] {
			return
		}
		name := flagEnv(f.Name)
		// An empty variable is unset, as for the authorizer's variables
		// (--metrics-addr "" is the way to turn the ops listener off).
		if v := getenv(name); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s (environment form of --%s): %w", name, f.Name, serr)
			}
		}
	})
	return err
}

// DefaultMetricsAddr is where /healthz, /readyz and /metrics listen unless
// --metrics-addr says otherwise.
const DefaultMetricsAddr = "127.0.0.1:9090"

// serveFlags are the flags of `gatehouse serve`; see the table in
// forwardauth/doc.go.
type serveFlags struct {
	addr, metricsAddr, upstream, requestHeaders string
	logLevel, logFormat                         string
	server                                      forwardauth.ServerConfig
	decisionTimeout, upstreamTimeout            time.Duration
	// env holds the flags that override GATEHOUSE_* variables, by variable
	// name, only when set on the command line.
	env map[string]*string
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return serve(ctx, args, os.Getenv, stdout, stderr)
}

// newServeFlagSet defines serve's flags on a new flag set writing to stderr;
// authFlags names those that stand for the authorizer's variables.
func newServeFlagSet(stderr io.Writer) (fs *flag.FlagSet, f *serveFlags, authFlags map[string]bool) {
	fs = flag.NewFlagSet("gatehouse serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f = &serveFlags{env: map[string]*string{}}
	fs.StringVar(&f.addr, "addr", forwardauth.DefaultAddr, "`address` of the auth endpoint (or of the proxy with --upstream)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", DefaultMetricsAddr, "`address` of /healthz, /readyz and /metrics; empty: none")
	fs.StringVar(&f.upstream, "upstream", "", "proxy mode: proxy allowed requests to this http(s) `URL`")
	fs.StringVar(&f.requestHeaders, "request-headers", "", "forward-auth mode, required: where the proxy puts the protected request's method and URI: "+forwardauth.RequestHeadersChoices)
	fs.DurationVar(&f.decisionTimeout, "decision-timeout", forwardauth.DefaultDecisionTimeout, "bound on one decision; past it the answer is 503")
	fs.DurationVar(&f.upstreamTimeout, "upstream-timeout", forwardauth.DefaultUpstreamTimeout, "proxy mode: bound on the wait for the upstream's response headers")
	addTimeoutFlags(fs, &f.server)
	fs.IntVar(&f.server.MaxHeaderBytes, "max-header-bytes", forwardauth.DefaultMaxHeaderBytes, "bound on the size of request headers")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug (a line per decision), info (a line per denial or error), warn or error")
	fs.StringVar(&f.logFormat, "log-format", "json", "json or text (to stderr)")
	// authFlags are the authorizer's variables as flags: they override the
	// environment through f.getenv, not applyFlagEnv.
	authFlags = map[string]bool{}
	for _, o := range []struct{ flag, env, usage string }{
		{"user-pool-id", awsenv.EnvUserPoolID, "Cognito user pool `id`"},
		{"client-ids", awsenv.EnvClientIDs, "comma-separated app client `ids` whose tokens are accepted"},
		{"issuer", awsenv.EnvIssuer, "token issuer `URL` (default: Cognito's for the pool)"},
		{"jwks-url", awsenv.EnvJWKSURL, "JWKS `URL` (default: the issuer's)"},
		{"table", awsenv.EnvTable, "DynamoDB mapping `table`"},
		{"routes-file", awsenv.EnvRoutesFile, "JSON route rules `file`"},
	} {
		authFlags[o.flag] = true
		fs.Func(o.flag, o.usage+" (overrides "+o.env+")", func(v string) error {
			f.env[o.env] = &v
			return nil
		})
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if !authFlags[fl.Name] {
			fl.Usage += " (env " + flagEnv(fl.Name) + ")"
		}
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse serve [flags]")
		fmt.Fprintln(stderr, "\nAnswers forward-auth requests from nginx auth_request, Caddy forward_auth,")
		fmt.Fprintln(stderr, "Traefik ForwardAuth or Envoy ext_authz with the authorizer's decisions, or with")
		fmt.Fprintln(stderr, "--upstream proxies allowed requests itself. Configuration comes from the same")
		fmt.Fprintln(stderr, "GATEHOUSE_* variables as the Lambda authorizer; every flag also has a")
		fmt.Fprintln(stderr, "GATEHOUSE_<FLAG> form (--metrics-addr: GATEHOUSE_METRICS_ADDR); flags win.")
		fmt.Fprintln(stderr, "It must be reachable by the proxy only: it trusts X-Original-*/X-Forwarded-*.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs, f, authFlags
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, f, authFlags := newServeFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "gatehouse serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := applyFlagEnv(fs, getenv, authFlags); err != nil {
		fmt.Fprintln(stderr, "gatehouse serve:", err)
		return 2
	}

	logger, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse serve:", err)
		return 2
	}
	hcfg, err := f.handlerConfig()
	if err != nil {
		logger.Error("gatehouse serve: cannot start", slog.String("error", err.Error()))
		return 2
	}
	env, err := awsenv.ConfigFromEnv(f.getenv(getenv))
	if err != nil {
		logger.Error("gatehouse serve: cannot start", slog.String("error", err.Error()))
		return 2
	}
	f.server.Addr, f.server.OpsAddr, f.server.Logger = f.addr, f.metricsAddr, logger

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	az, ready, err := buildAuthorizer(ctx, env, logger, stdout)
	if err != nil {
		logger.Error("gatehouse serve: cannot start", slog.String("error", err.Error()))
		return 2
	}
	hcfg.Decider, hcfg.Ready, hcfg.Logger = az, ready, logger
	h, err := forwardauth.New(hcfg)
	if err != nil {
		logger.Error("gatehouse serve: cannot start", slog.String("error", err.Error()))
		return 2
	}
	h.Metrics().SetKeySetStats(az.KeySetStats)
	h.Metrics().SetMappingCacheStats(az.MappingCacheStats)
	mode := "forward-auth"
	if hcfg.Upstream != nil {
		mode = "proxy to " + hcfg.Upstream.Redacted()
	}
	logger.Info("gatehouse serve", slog.String("mode", mode), slog.String("request_headers", hcfg.RequestHeaders.String()),
		slog.String("rules", env.RulesSource), slog.Int("rule_count", len(env.Rules)))
	if err := forwardauth.ListenAndServe(ctx, h, f.server); err != nil {
		logger.Error("gatehouse serve stopped", slog.String("error", err.Error()))
		return 1
	}
	logger.Info("gatehouse serve stopped")
	return 0
}

// getenv returns getenv with the command line's overrides applied.
func (f *serveFlags) getenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		if v, ok := f.env[name]; ok {
			return *v
		}
		// --routes-file replaces inline GATEHOUSE_ROUTES rather than
		// conflicting with it.
		if name == awsenv.EnvRoutes && f.env[awsenv.EnvRoutesFile] != nil {
			return ""
		}
		if name == awsenv.EnvMetrics && getenv(name) == "" {
			// CloudWatch embedded metrics on stdout are for Lambda; serve
			// has /metrics. GATEHOUSE_METRICS=true still turns them on.
			return "false"
		}
		return getenv(name)
	}
}

func (f *serveFlags) handlerConfig() (forwardauth.Config, error) {
	cfg := forwardauth.Config{
		DecisionTimeout: f.decisionTimeout,
		UpstreamTimeout: f.upstreamTimeout,
	}
	if f.upstream == "" {
		// Forward-auth mode: the proxy's convention is configuration,
		// never guessed from headers a client can send.
		conv, err := forwardauth.ParseRequestHeaders(f.requestHeaders)
		if err != nil {
			return cfg, fmt.Errorf("--request-headers (or %s): %w", EnvRequestHeaders, err)
		}
		cfg.RequestHeaders = conv
	}
	if f.decisionTimeout <= 0 || f.upstreamTimeout <= 0 {
		return cfg, fmt.Errorf("--decision-timeout (%s) and --upstream-timeout (%s) must be positive", flagEnv("decision-timeout"), flagEnv("upstream-timeout"))
	}
	for name, d := range map[string]time.Duration{
		"read-header-timeout": f.server.ReadHeaderTimeout, "read-timeout": f.server.ReadTimeout,
		"write-timeout": f.server.WriteTimeout, "idle-timeout": f.server.IdleTimeout, "shutdown-timeout": f.server.ShutdownTimeout,
	} {
		if d <= 0 {
			return cfg, fmt.Errorf("--%s (or %s) must be positive: every server has timeouts", name, flagEnv(name))
		}
	}
	if f.server.MaxHeaderBytes <= 0 {
		return cfg, fmt.Errorf("--max-header-bytes (or %s) must be positive", flagEnv("max-header-bytes"))
	}
	if f.upstream != "" {
		u, err := forwardauth.ParseUpstream(f.upstream)
		if err != nil {
			return cfg, fmt.Errorf("--upstream (or %s): %w", flagEnv("upstream"), err)
		}
		if f.requestHeaders != "" {
			return cfg, fmt.Errorf("--request-headers (or %s) does not apply with --upstream: proxy mode decides on the request itself", EnvRequestHeaders)
		}
		cfg.Upstream = u
	}
	return cfg, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level (or %s): %q is not debug, info, warn or error", flagEnv("log-level"), level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format (or %s): %q is neither json nor text", flagEnv("log-format"), format)
}

// buildAuthorizer makes the Authorizer from env, as the Lambda does, and
// follows its signing keys for readiness: the returned ready func reports nil
// once every pool's keys were fetched once, and from then on, while the last
// good keys are held, even when later fetches fail (see /readyz in
// forwardauth/doc.go). A background loop keeps trying until the first fetch
// succeeds (requests meanwhile fail closed).
func buildAuthorizer(ctx context.Context, env awsenv.EnvConfig, logger *slog.Logger, stdout io.Writer) (*authorizer.Authorizer, func(context.Context) error, error) {
	env.Logger, env.Metrics = logger, stdout
	az, err := env.Build(ctx)
	if err != nil {
		return nil, nil, err
	}

	go func() {
		wait := time.Second
		for {
			hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := az.Hydrate(hctx)
			cancel()
			if err == nil {
				logger.Info("signing keys loaded: ready")
				return
			}
			logger.Warn("signing keys not loaded yet; requests fail closed until they are", slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
		}
	}()
	return az, func(context.Context) error {
		for _, s := range az.KeySetStats() {
			if s.LastSuccess.IsZero() {
				return fmt.Errorf("signing keys of pool %s not loaded yet", s.Pool)
			}
		}
		return nil
	}, nil
}
