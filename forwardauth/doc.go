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
// Config.RequestHeaders (--request-headers or GATEHOUSE_REQUEST_HEADERS,
// required in this mode), from
//
//	original       X-Original-Method, X-Original-URI     nginx (set them in the auth location)
//	forwarded      X-Forwarded-Method, X-Forwarded-Uri   Caddy forward_auth, Traefik ForwardAuth
//	ingress-nginx  X-Original-Method, X-Original-URL     Kubernetes ingress-nginx (auth-url annotation)
//	none           the request's own method and URI      Envoy ext_authz (HTTP)
//
// With original, forwarded or ingress-nginx, both headers must be present
// once each (400 request_headers otherwise): a proxy that did not say which
// request it asks about is misconfigured, and the auth request's own method
// and path (GET /_gatehouse) are not the client's. The other conventions'
// headers are ignored.
//
// ingress-nginx's external-auth location (controller template nginx.tmpl)
// always sets X-Original-URL to $scheme://$http_host$request_uri and
// X-Original-URI to $request_uri only when the auth-method annotation is
// set. With ingress-nginx the target is X-Original-URL's request target:
// everything from the first '/' after "http://" or "https://", exactly as
// sent (nginx refuses a Host header with '/'), judged by CanonicalTarget
// like any other. The host part must consist of RFC 3986 host and port
// characters (it may be empty): a Host header with '?', '#', '@' or '\',
// which nginx accepts, would make URL parsers split the URL elsewhere, and
// is refused. An X-Original-URI that is present must be sent once and be
// byte for byte that target. X-Original-URL is then the proxy's header,
// not a client's override (below); the client's own X-Original-URL never
// reaches gatehouse (ingress-nginx sets its own over it) but does reach the
// upstream on the main request, so the example clears it there
// (examples/README.md).
//
// Nothing is guessed: a header
// the proxy does not set is one the client can (there used to be an "auto"
// that read whichever was present; a client's X-Original-URI then decided
// the route behind Envoy). These headers are trusted: the service must be
// reachable by the proxy only.
//
// The proxy passes the client's headers to gatehouse (nginx auth_request,
// Caddy forward_auth and Traefik ForwardAuth do by default) and then on to
// the upstream. A request carrying a header that some server could read as
// an identity header or a method or path override — any name that,
// lower-cased and with '_' read as '-', starts with x-gatehouse- or is one
// of OverrideHeaders (X-HTTP-Method-Override, X-Method-Override,
// X-HTTP-Method, X-Original-URL, X-Rewrite-URL; with ingress-nginx, not
// X-Original-URL itself, in any case, but still X_Original_URL) — is
// refused (400, client_header): a proxy can only
// replace headers by exact name, and WSGI/CGI upstreams fold
// X_Gatehouse_User_Id into X-Gatehouse-User-Id. (A service that propagates
// the identity headers it received to the services it calls must drop them
// when it calls through the proxy.)
//
// Method overrides outside headers are the upstream's to turn off:
// gatehouse never reads the body and passes the query on unjudged, so a
// framework that takes the method from a `_method` query or form parameter
// (Laravel by default, Symfony with httpMethodParameterOverride, Rails'
// Rack::MethodOverride, Express's method-override configured so) acts on
// DELETE where POST was judged. Disable it, or give POST on those routes
// the requirements of every method it can become.
//
// Answers:
//
//	allow         200, empty body, every identity header set (empty when empty)
//	unauthorized  401, WWW-Authenticate: Bearer error="invalid_token"
//	              (just "Bearer" when the request had no credential, RFC 6750)
//	forbidden     403, WWW-Authenticate: Bearer error="insufficient_scope"
//	error         500, no detail (a dependency failed; never an allow)
//	timeout       503 when the decision outlives Config.DecisionTimeout
//	bad request   400, the body names the reason code (ReasonTarget*,
//	              ReasonMethod, ReasonRequestHeaders, ReasonClientHeader);
//	              one log line at info with the reason only (a target's
//	              query may carry a token). nginx turns it into a 500.
//
// # The canonical request target
//
// Rules are matched against one reading of the request target, the one
// every HTTP stack in front of and behind gatehouse agrees on; whatever two
// stacks could read differently is refused with 400 rather than passed on
// (CanonicalTarget, reason codes ReasonTarget*):
//
//   - Origin form only ("/path?query"): absolute form ("http://h/p"),
//     authority form ("h:443") and "*" are refused. At most MaxTargetLen
//     (4096) bytes, as received and as proxy mode would send it (net/url
//     escapes some bytes that may arrive raw, such as '!').
//   - The path ends at the first '?'. The query is not judged and is passed
//     on as received; it may not contain '#', control characters, space or
//     non-ASCII bytes.
//   - '#' anywhere, raw or as %23, is refused: a request target has no
//     fragment (RFC 9112 §3.2), Go's server keeps it in the path and
//     forwards it as %23, which nginx decodes.
//   - The path may contain RFC 3986 pchars and '/' only; anything else raw
//     (control characters, space, '\', '"', '<', non-ASCII bytes, ...) is
//     refused. Percent-escapes are decoded (%41 is "A"; hex digits in
//     either case) and must decode to UTF-8. An escape may not produce a
//     delimiter or an escape: %2F ('/'), %5C ('\'), %3F ('?'), %3B (';')
//     and %25 ('%', so "%252e" cannot become "%2e" and then ".") are
//     refused, as are escaped control characters.
//   - No dot-segments ("." or ".."), raw or encoded ("%2e", "%2E%2e"), and
//     no empty segments ("//"): upstreams resolve and merge them, each its
//     own way. A trailing slash is kept and is significant: "/a/" and "/a"
//     are different paths to the rules, as to most routers (write
//     "/reports*" to cover both).
//   - ';' (path parameters, "/admin;x=1/users") is refused: Tomcat and
//     Spring drop them before routing, nginx and Go do not, and rules
//     cannot express them.
//   - Case is kept; rules are case-sensitive, as nginx, Caddy and Go's
//     ServeMux route. An upstream that routes case-insensitively (IIS,
//     ASP.NET by default) must be given rules in every case it serves, or
//     a catch-all rule.
//
// The result (Target.Path) is what the decision is made on. In forward-auth
// mode it is read from the URI header, which the examples fill from the
// raw target ($request_uri, Caddy's {uri}); nginx and Caddy then route the
// same request by their own decoding, which for an accepted target gives
// the same path (the differential tests check this with the real nginx and
// Caddy). In proxy mode the path sent upstream is built from Target.Path
// alone (Target.EscapedPath), never from a second parse of the request, and
// the query is Target.RawQuery.
//
// The identity headers are listed and described by authorizer.IdentityFields
// (X-Gatehouse-User-Id carries the internal user id; lists are
// space-separated): they carry what the Lambda authorizer puts in its
// context. All of them are sent on every 2xx, even empty: some proxies keep
// a client-supplied header when the auth response omits it (Caddy advisory
// GHSA-7r4p-vjf4-gxv4). A value a header cannot carry faithfully (a control
// character, surrounding white space, a list item that is empty or holds a
// space) is not altered: the request gets a 500. The proxy copies the
// headers to the upstream request, replacing whatever the client sent:
// examples/nginx and examples/caddy do that, and their tests check it with
// real nginx and Caddy. An upstream must trust these names only.
//
// # Proxy mode
//
// With Config.Upstream set, allowed requests are proxied there, to the
// upstream's path followed by Target.Path (above), with the received query.
// Every client-sent header that could be read as an identity header or a
// method or path override (OverrideHeaders) is removed (the same
// spellings forward-auth mode refuses: any case, '_' for '-'; names with
// white space are refused by Go's server already), so the method and path
// judged are those the upstream acts on; then the identity headers are set.
// An Upgrade to anything but WebSocket (h2c, say) is removed and the
// request goes on as a plain one: an upstream that switched protocols
// would get every later request on the tunnelled connection undecided
// (h2c smuggling). X-Forwarded-For/-Host/
// -Proto are set; the Authorization header is passed on, as API Gateway
// passes it on. Denied requests never reach the upstream. Decisions are
// made on the request itself: X-Original-* and X-Forwarded-* are ignored,
// and --request-headers does not apply.
//
// # Operations
//
// OpsHandler serves GET /healthz (liveness), GET /readyz (200 while
// Config.Ready reports ready; 503 before and while shutting down) and GET
// /metrics (Prometheus, through prometheus/client_golang: text format, or
// OpenMetrics when the scraper asks for it; the Go and process collectors'
// go_* and process_* series, gatehouse_build_info{version,revision,goversion},
// gatehouse_serve_requests_total{result,reason},
// gatehouse_serve_decision_duration_seconds, gatehouse_serve_decision_timeouts_total,
// gatehouse_serve_upstream_errors_total, gatehouse_serve_in_flight_requests,
// and with Metrics.SetKeySetStats the key-set health per pool{pool,issuer}:
// gatehouse_serve_jwks_last_success_timestamp_seconds,
// gatehouse_serve_jwks_last_failure_timestamp_seconds, gatehouse_serve_jwks_failing,
// gatehouse_serve_jwks_keys and gatehouse_serve_jwks_fetch_failures_total{cause}
// with cause timeout, network, http_status, too_large or bad_document; and
// with Metrics.SetMappingCacheStats the mapping lookup caches'
// gatehouse_serve_mapping_cache_hits_total{cache} and
// gatehouse_serve_mapping_cache_misses_total{cache}, cache user or client).
//
// In gatehouse serve, ready means every pool's signing keys were fetched at
// least once. It stays ready while only last-good keys are held (the key
// endpoint failing after that): those keys keep verifying every token in
// circulation, and taking every instance out of the load balancer at once
// would turn an outage of the key endpoint into an outage of the API. What
// fails meanwhile is a token signed with a key not held, refused at once
// with keys_unavailable (jwtverify's FailurePenalty); alert on
// gatehouse_serve_jwks_failing and on the age of
// gatehouse_serve_jwks_last_success_timestamp_seconds instead.
//
// The operational endpoints are on their own listener (--metrics-addr) so that no path of the
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
// authorizer (see package authorizer/awsenv), the partners' pool's
// GATEHOUSE_PARTNER_* included (they have no flags); the flags below
// override them.
// GATEHOUSE_METRICS defaults to false here (CloudWatch embedded metrics are
// for Lambda; /metrics replaces them). Every flag also has an environment
// form, GATEHOUSE_ and its name in capitals with '_' for '-'
// (GATEHOUSE_METRICS_ADDR); the flag wins.
//
//	flag                   default          meaning
//	--addr                 127.0.0.1:8080   auth endpoint (proxy mode: the proxy) address
//	--metrics-addr         127.0.0.1:9090   /healthz, /readyz, /metrics address; "" for none
//	--upstream             (none)           proxy mode: proxy allowed requests to this http(s) URL
//	--request-headers      (required)       forward-auth mode: original (nginx), forwarded (Caddy, Traefik),
//	                                        ingress-nginx, none (Envoy); or $GATEHOUSE_REQUEST_HEADERS.
//	                                        Not with --upstream.
//	--decision-timeout     5s               bound on one decision; past it 503
//	--upstream-timeout     30s              proxy mode: bound on the upstream's response headers
//	--read-header-timeout  5s               bound on reading request headers
//	--read-timeout         10s              bound on reading a whole request
//	--write-timeout        30s              bound from request headers read to response written
//	--idle-timeout         2m               bound on an idle keep-alive connection
//	--shutdown-timeout     15s              on SIGINT/SIGTERM, time for requests under way
//	--max-header-bytes     32768            bound on request header size
//	--log-level            info             debug (adds a line per allow), info (a line per denial and error), warn, error
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
// A revoked client or user, or a person signed out everywhere, stops being
// allowed once this process's mapping cache entry expires
// (GATEHOUSE_MAPPING_CACHE_TTL, default 60 s).
package forwardauth
