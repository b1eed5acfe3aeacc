// Package forwardauth serves the authorizer's decisions over HTTP, for
// teams not on API Gateway: `gatehouse serve`. It speaks the forward-auth
// conventions of nginx auth_request, Caddy forward_auth, Traefik
// ForwardAuth and Envoy ext_authz (HTTP), and has a reverse-proxy mode in
// which it is itself the proxy (the way oauth2-proxy is used).
//
// # Forward-auth mode
//
// The proxy asks Handler about every request; Handler answers on every path
// (the auth endpoint has no reserved paths — use any, the examples use
// /_gatehouse). The protected request's method and URI are read, per
// Config.RequestHeaders, from
//
//	X-Original-Method, X-Original-URI      nginx (set them in the auth location)
//	X-Forwarded-Method, X-Forwarded-Uri    Caddy forward_auth, Traefik ForwardAuth
//	the request's own method and URI       Envoy ext_authz (HTTP)
//
// HeadersAuto (the default) reads both conventions and refuses (400) a
// request where both are present and disagree, since one of them then came
// from the client. Naming the proxy's convention (--request-headers original
// or forwarded) is better still: the other is then ignored. These headers
// are trusted: the service must be reachable by the proxy only.
//
// Decisions are made on the path only (no query), percent-decoded. A path
// that is not clean — dot-segments, empty segments ("/a//b") — is refused
// with 400: an upstream resolving it could serve another route than the
// one decided on.
//
// Answers:
//
//	allow         200, empty body, every identity header set (empty when empty)
//	unauthorized  401, WWW-Authenticate: Bearer error="invalid_token"
//	              (just "Bearer" when the request had no credential, RFC 6750)
//	forbidden     403, WWW-Authenticate: Bearer error="insufficient_scope"
//	error         500, no detail (a dependency failed; never an allow)
//	timeout       503 when the decision outlives Config.DecisionTimeout
//	bad request   400 (see above)
//
// The identity headers are HeaderUserID, HeaderCallerKind, HeaderUsername,
// HeaderClientID, HeaderTokenUse, HeaderScopes and HeaderGroups (lists
// space-separated). All seven are sent on every 2xx, even empty: some
// proxies keep a client-supplied header when the auth response omits it
// (Caddy advisory GHSA-7r4p-vjf4-gxv4). The proxy copies them to the
// upstream request, replacing whatever the client sent: examples/nginx and
// examples/caddy do that, and their tests check it with real nginx and
// Caddy. An upstream must trust these seven names only.
//
// # Proxy mode
//
// With Config.Upstream set, allowed requests are proxied there: every
// client-sent header starting with X-Gatehouse- is removed and the seven
// identity headers are set; X-Forwarded-For/-Host/-Proto are set; the
// Authorization header is passed on, as API Gateway passes it on. Denied
// requests never reach the upstream. Decisions are made on the request
// itself: X-Original-* and X-Forwarded-* are ignored.
//
// # Operations
//
// OpsHandler serves GET /healthz (liveness), GET /readyz (200 once
// Config.Ready reports ready, i.e. the signing keys are loaded; 503 before
// and while shutting down) and GET /metrics (Prometheus text format, written
// by hand: gatehouse_serve_requests_total{result,reason},
// gatehouse_serve_decision_duration_seconds, gatehouse_serve_decision_timeouts_total,
// gatehouse_serve_upstream_errors_total, gatehouse_serve_in_flight_requests).
// They are on their own listener (--metrics-addr) so that no path of the
// protected site can reach them through the proxy: with a shared listener, a
// proxy that forwards the original path (Caddy without `uri`) would turn a
// request for /healthz into an allow.
//
// Serve runs both listeners with every timeout bounded (ServerConfig) and
// shuts down gracefully when its context ends (SIGINT or SIGTERM in
// gatehouse serve): /readyz turns 503, listeners close, requests under way
// get ShutdownTimeout to finish.
//
// # gatehouse serve
//
// Configuration comes from the same GATEHOUSE_* variables as the Lambda
// authorizer (see package authorizer); the flags below override them.
// GATEHOUSE_METRICS defaults to false here (CloudWatch embedded metrics are
// for Lambda; /metrics replaces them).
//
//	flag                   default          meaning
//	--addr                 127.0.0.1:8080   auth endpoint (proxy mode: the proxy) address
//	--metrics-addr         127.0.0.1:9090   /healthz, /readyz, /metrics address; "" for none
//	--upstream             (none)           proxy mode: proxy allowed requests to this http(s) URL
//	--request-headers      auto             auto, original (nginx), forwarded (Caddy, Traefik), none (Envoy)
//	--decision-timeout     5s               bound on one decision; past it 503
//	--upstream-timeout     30s              proxy mode: bound on the upstream's response headers
//	--read-header-timeout  5s               bound on reading request headers
//	--read-timeout         10s              bound on reading a whole request
//	--write-timeout        30s              bound from request headers read to response written
//	--idle-timeout         2m               bound on an idle keep-alive connection
//	--shutdown-timeout     15s              on SIGINT/SIGTERM, time for requests under way
//	--max-header-bytes     32768            bound on request header size
//	--log-level            info             debug, info (a line per decision), warn, error
//	--log-format           json             json or text, to stderr
//	--user-pool-id         $GATEHOUSE_USER_POOL_ID
//	--client-ids           $GATEHOUSE_CLIENT_IDS
//	--issuer               $GATEHOUSE_ISSUER
//	--jwks-url             $GATEHOUSE_JWKS_URL
//	--table                $GATEHOUSE_TABLE
//	--routes-file          $GATEHOUSE_ROUTES_FILE (replaces GATEHOUSE_ROUTES)
//
// Headers over --max-header-bytes (plus the 4 KiB of read slack Go adds)
// get 431 Request Header Fields Too Large, and requests net/http cannot
// parse get 400: both as plain text with Connection: close, written by Go's
// server before any handler runs. net/http writes them straight to the
// connection and offers no hook to answer otherwise (Go 1.26, checked in
// internal/httpjson's tests), so these are the only answers that are not
// this package's; a proxy in front treats them as any other refusal.
//
// Exit status: 0 after a clean shutdown, 1 when serving failed (a port in
// use, a shutdown deadline passed), 2 for a usage or configuration error.
//
// A revoked client or user stops being allowed once this process's mapping
// cache entry expires (GATEHOUSE_MAPPING_CACHE_TTL, default 60 s).
package forwardauth
