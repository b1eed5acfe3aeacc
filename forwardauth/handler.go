package forwardauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

// Decider makes authorization decisions. *authorizer.Authorizer satisfies
// it. Decide must honour ctx: the handler answers 503 when the decision
// timeout passes, whatever Decide returns afterwards.
type Decider interface {
	Decide(ctx context.Context, r authorizer.Request) authorizer.Decision
}

// Defaults for the zero values of Config.
const (
	DefaultDecisionTimeout = 5 * time.Second
	DefaultUpstreamTimeout = 30 * time.Second
	DefaultReadyTimeout    = 2 * time.Second
)

// The WWW-Authenticate challenges (RFC 6750 section 3): no error attribute
// when the request carried no credential at all.
const (
	challengeMissing      = `Bearer`
	challengeInvalid      = `Bearer error="invalid_token"`
	challengeInsufficient = `Bearer error="insufficient_scope"`
)

// Config configures a Handler. Decider is required; everything else has a
// documented default for its zero value.
type Config struct {
	// Decider makes the decisions. Required.
	Decider Decider

	// Upstream switches the handler to proxy mode: allowed requests are
	// proxied to this absolute http or https URL with the identity headers
	// set, after every client-sent X-Gatehouse-* header is removed. nil
	// means forward-auth mode: allowed requests get an empty 200 whose
	// identity headers the proxy copies.
	Upstream *url.URL
	// Transport carries proxied requests (proxy mode). nil means an
	// http.Transport with bounded dial, TLS handshake and response-header
	// times (UpstreamTimeout), and no proxy from the environment.
	Transport http.RoundTripper
	// UpstreamTimeout bounds the wait for the upstream's response headers
	// when Transport is nil. 0 means DefaultUpstreamTimeout (30 s).
	UpstreamTimeout time.Duration

	// RequestHeaders says where the protected request's method and URI are
	// read from in forward-auth mode, where it is required (New returns
	// ErrNoRequestHeaders without it). Proxy mode always uses the request
	// itself and ignores it.
	RequestHeaders RequestHeaders

	// DecisionTimeout bounds each decision. Past it the answer is 503, never
	// an allow. 0 means DefaultDecisionTimeout (5 s).
	DecisionTimeout time.Duration

	// Ready reports whether the decider can decide (for example: the
	// signing keys are loaded). /readyz answers 503 while it returns an
	// error. nil means always ready.
	Ready func(ctx context.Context) error
	// ReadyTimeout bounds one call of Ready. 0 means DefaultReadyTimeout (2 s).
	ReadyTimeout time.Duration

	// Metrics receives the counters and latencies. nil means NewMetrics().
	Metrics *Metrics
	// Logger receives a record for each request the Decider did not decide
	// (a bad request or an ambiguous Authorization at Info, an unsafe
	// identity at Error) and proxy errors. The Decider logs its own
	// decisions, so each decision has at most one line (the authorizer's;
	// a decision past DecisionTimeout is marked there). Tokens are never
	// logged. nil means no logging.
	Logger *slog.Logger
	// Now is the clock for latency measurement. nil means time.Now.
	Now func() time.Time
}

// Handler is the auth endpoint (forward-auth mode) or the authorizing
// reverse proxy (proxy mode). It answers on every path: health, readiness
// and metrics are served by OpsHandler, on their own listener, so no path
// of the protected site can reach them through the proxy.
type Handler struct {
	decider  Decider
	conv     RequestHeaders
	timeout  time.Duration
	proxy    *httputil.ReverseProxy
	ready    func(context.Context) error
	readyTO  time.Duration
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time
	draining atomic.Bool
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Decider == nil {
		return nil, errors.New("forwardauth: Config.Decider is required")
	}
	switch {
	case cfg.RequestHeaders == 0 && cfg.Upstream == nil:
		return nil, ErrNoRequestHeaders
	case cfg.RequestHeaders < 0 || cfg.RequestHeaders > HeadersIngressNginx:
		return nil, fmt.Errorf("forwardauth: unknown RequestHeaders %d", cfg.RequestHeaders)
	}
	for name, d := range map[string]time.Duration{
		"DecisionTimeout": cfg.DecisionTimeout, "UpstreamTimeout": cfg.UpstreamTimeout, "ReadyTimeout": cfg.ReadyTimeout,
	} {
		if d < 0 {
			return nil, fmt.Errorf("forwardauth: Config.%s is negative", name)
		}
	}
	h := &Handler{
		decider: cfg.Decider,
		conv:    cfg.RequestHeaders,
		timeout: cmp.Or(cfg.DecisionTimeout, DefaultDecisionTimeout),
		ready:   cfg.Ready,
		readyTO: cmp.Or(cfg.ReadyTimeout, DefaultReadyTimeout),
		metrics: cfg.Metrics,
		log:     cfg.Logger,
		now:     cfg.Now,
	}
	if h.metrics == nil {
		h.metrics = NewMetrics()
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if cfg.Upstream != nil {
		if err := checkUpstream(cfg.Upstream); err != nil {
			return nil, err
		}
		h.conv = HeadersNone
		h.proxy = h.newProxy(cfg.Upstream, cfg.Transport, cmp.Or(cfg.UpstreamTimeout, DefaultUpstreamTimeout))
	}
	return h, nil
}

// ParseUpstream parses a proxy-mode upstream: an absolute http or https URL
// without user info, query or fragment.
func ParseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error quotes the whole URL, password included: keep only
		// what is wrong with it.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("forwardauth: upstream: %w", err)
	}
	if err := checkUpstream(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkUpstream(u *url.URL) error {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Shown without user info, query, fragment or opaque part: any of
		// them may carry a credential (Redacted keeps the user name, the
		// query and "http:user:pass@host" whole).
		shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
		return fmt.Errorf("forwardauth: upstream %q must be an absolute http(s) URL without user info, query or fragment", shown.String())
	}
	return nil
}

// Metrics returns the handler's metrics.
func (h *Handler) Metrics() *Metrics { return h.metrics }

// allowedKey carries an allowed request's canonical target and identity
// header values from ServeHTTP to the proxy's Rewrite.
type allowedKey struct{}

type allowed struct {
	target   Target
	identity []string // in identityFields order
}

func (h *Handler) newProxy(upstream *url.URL, rt http.RoundTripper, upstreamTimeout time.Duration) *httputil.ReverseProxy {
	if rt == nil {
		rt = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: upstreamTimeout,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   128,
			ForceAttemptHTTP2:     true,
		}
	}
	base := strings.TrimSuffix(upstream.Path, "/")
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			a, _ := pr.In.Context().Value(allowedKey{}).(*allowed)
			if a == nil {
				// Unreachable: only allowed requests get here. Were it
				// reached, nothing decided on this request: abort it (the
				// server drops the connection quietly) rather than send it on.
				panic(http.ErrAbortHandler)
			}
			pr.SetURL(upstream)
			// The path sent is the path judged: built from the canonical
			// target alone, not from a second parse of the request.
			pr.Out.URL.Path = base + a.target.Path
			pr.Out.URL.RawPath = ""
			pr.Out.URL.RawQuery = a.target.RawQuery
			pr.SetXForwarded()
			// Hop-by-hop headers are already gone (a client cannot name an
			// identity header in Connection to have ours removed).
			stripGuardedHeaders(pr.Out.Header)
			stripGuardedHeaders(pr.Out.Trailer) // a chunked body's trailer fields
			dropTunnelUpgrade(pr.Out.Header)
			for i, f := range identityFields {
				pr.Out.Header[f.Header] = a.identity[i : i+1 : i+1]
			}
		},
		Transport: rt,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			h.metrics.upstreamErrors.Add(1)
			if !errors.Is(err, context.Canceled) {
				h.log.LogAttrs(r.Context(), slog.LevelWarn, "upstream failed", slog.String("error", err.Error()))
			}
			writeStatus(w, http.StatusBadGateway)
		},
		ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
	}
}

// dropTunnelUpgrade removes an upgrade to anything but WebSocket (the
// proxy put the client's Upgrade back after removing hop-by-hop headers):
// an upstream that switched to h2c, say, would get every later request on
// the tunnelled connection without a decision (h2c smuggling). A WebSocket
// upgrade is one judged request followed by frames. The request goes on
// as a plain one, as a server may ignore Upgrade (RFC 9110 §7.8).
func dropTunnelUpgrade(h http.Header) {
	if up := h.Get("Upgrade"); up != "" && !strings.EqualFold(strings.TrimSpace(up), "websocket") {
		h.Del("Upgrade")
		h.Del("Connection")
	}
}

// ServeHTTP decides on the request and answers (forward-auth mode) or
// proxies it (proxy mode).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	h.metrics.inFlight.Add(1)
	defer h.metrics.inFlight.Add(-1)

	method, target, err := OriginalRequest(r, h.conv)
	if err == nil && h.proxy == nil {
		err = checkGuardedHeaders(r.Header, h.conv)
	}
	if err != nil {
		// One line, with the reason code only: the target may carry a
		// token in its query.
		reason := reasonOf(err)
		h.metrics.countResult(resultBadRequest, reason)
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "bad request", slog.String("reason", reason))
		writeStatus(w, http.StatusBadRequest, reason)
		return
	}
	p := target.Path

	auths := r.Header.Values("Authorization")
	if len(auths) > 1 {
		// Which one would the upstream read? Refuse to guess.
		h.finish(start, resultUnauthorized, authorizer.ReasonAmbiguous)
		h.logSelf(r, slog.LevelInfo, method, p, resultUnauthorized, authorizer.ReasonAmbiguous)
		writeChallenge(w, http.StatusUnauthorized, challengeInvalid)
		return
	}
	var authz string
	if len(auths) == 1 {
		authz = auths[0]
	}

	// Bounded like context.WithTimeout, without a timer unless the decision
	// waits (see decisionContext).
	ctx := newDecisionContext(r.Context(), h.timeout)
	d := h.decider.Decide(ctx, authorizer.Request{Authorization: authz, Method: method, Path: p})
	ctxErr := ctx.Err()
	ctx.release()

	if ctxErr != nil {
		// Whatever the decider said, it said it too late: fail closed.
		reason := "canceled"
		if r.Context().Err() == nil {
			reason = "timeout"
			h.metrics.timeouts.Add(1)
		}
		h.finish(start, resultError, reason)
		writeStatus(w, http.StatusServiceUnavailable)
		return
	}

	switch d.Outcome {
	case authorizer.OutcomeAllow:
		v, err := identityValues(d.Identity)
		if err != nil {
			h.finish(start, resultError, "unsafe_identity")
			h.logSelf(r, slog.LevelError, method, p, resultError, "unsafe_identity")
			writeStatus(w, http.StatusInternalServerError)
			return
		}
		h.finish(start, resultAllow, d.Reason)
		if h.proxy != nil {
			h.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), allowedKey{}, &allowed{target, v})))
			return
		}
		hd := w.Header()
		for i, f := range identityFields {
			hd[f.Header] = v[i : i+1 : i+1] // one value each, sharing v's array (capped: an append copies)
		}
		hd.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	case authorizer.OutcomeUnauthorized:
		h.finish(start, resultUnauthorized, d.Reason)
		ch := challengeInvalid
		if strings.TrimSpace(authz) == "" {
			ch = challengeMissing
		}
		writeChallenge(w, http.StatusUnauthorized, ch)
	case authorizer.OutcomeForbidden:
		h.finish(start, resultForbidden, d.Reason)
		writeChallenge(w, http.StatusForbidden, challengeInsufficient)
	default:
		h.finish(start, resultError, d.Reason)
		writeStatus(w, http.StatusInternalServerError)
	}
}

// finish counts the request. It does not log: the Decider logs the
// decisions it makes, logSelf the ones the handler makes alone.
func (h *Handler) finish(start time.Time, result, reason string) {
	elapsed := h.now().Sub(start)
	h.metrics.observe(elapsed)
	h.metrics.countResult(result, reason)
}

// logSelf logs a decision the handler made without the Decider.
func (h *Handler) logSelf(r *http.Request, level slog.Level, method, path, result, reason string) {
	h.log.LogAttrs(r.Context(), level, "decision", slog.String("method", method), slog.String("path", path),
		slog.String("result", result), slog.String("reason", reason))
}

func writeChallenge(w http.ResponseWriter, code int, challenge string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeStatus(w, code)
}

// writeStatus answers with the status text and, for a 400, its reason
// code; no other detail.
func writeStatus(w http.ResponseWriter, code int, reason ...string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	body := http.StatusText(code)
	for _, r := range reason {
		body += ": " + r
	}
	_, _ = w.Write([]byte(body + "\n"))
}

// OpsHandler serves the operational endpoints, meant for their own listener:
//
//	GET /healthz  200 while the process serves (liveness)
//	GET /readyz   200 once Config.Ready reports ready, 503 before that and
//	              while shutting down (readiness)
//	GET /metrics  Prometheus text exposition
func (h *Handler) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if h.draining.Load() {
			writeText(w, http.StatusServiceUnavailable, "shutting down\n")
			return
		}
		if h.ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), h.readyTO)
			err := h.ready(ctx)
			cancel()
			if err != nil {
				h.log.LogAttrs(r.Context(), slog.LevelDebug, "not ready", slog.String("error", err.Error()))
				writeText(w, http.StatusServiceUnavailable, "not ready\n")
				return
			}
		}
		writeText(w, http.StatusOK, "ready\n")
	})
	mux.Handle("GET /metrics", h.metrics)
	return mux
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// SetDraining makes /readyz answer 503, so load balancers stop sending new
// requests before shutdown. Serve calls it when its context ends.
func (h *Handler) SetDraining() { h.draining.Store(true) }
