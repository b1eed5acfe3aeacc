package forwardauth

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/gatehouse-auth/gatehouse/internal/version"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// Result labels of gatehouse_serve_requests_total: the four decision
// outcomes, plus requests refused before any decision.
const (
	resultAllow        = "allow"
	resultUnauthorized = "unauthorized"
	resultForbidden    = "forbidden"
	resultError        = "error"
	resultBadRequest   = "bad_request"
)

// latencyBuckets are the upper bounds, in seconds, of the decision latency
// histogram: from a cached decision (well under a millisecond) to a slow
// DynamoDB read near the decision timeout.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// maxReasons bounds the distinct (result, reason) label pairs, so a decider
// returning unbounded reasons cannot grow the exposition without end. Pairs
// past the bound are counted under reason "other".
const maxReasons = 64

// Metrics counts what the handler did, for Prometheus, through
// prometheus/client_golang on a registry of its own: the handler's series,
// the key-set health (SetKeySetStats), gatehouse_build_info, and the Go and
// process collectors. Only the gatehouse CLI imports this package; the
// Lambdas (which must not carry client_golang) report through CloudWatch
// embedded metrics instead (authorizer/observe.go). It is safe for
// concurrent use and its zero value is not usable: call NewMetrics.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler // promhttp's, over reg

	requests       *prometheus.CounterVec
	timeouts       prometheus.Counter
	upstreamErrors prometheus.Counter
	inFlight       prometheus.Gauge
	latency        prometheus.Histogram

	mu      sync.RWMutex
	reasons map[resultReason]prometheus.Counter

	keySets    atomic.Pointer[func() []jwtverify.PoolKeySetStats]
	cacheStats atomic.Pointer[func() (record.CacheStats, bool)]
}

type resultReason struct{ result, reason string }

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_serve_requests_total",
			Help: "Requests answered by the auth endpoint, by result and decision reason.",
		}, []string{"result", "reason"}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_serve_decision_timeouts_total",
			Help: "Decisions that did not finish within the decision timeout (answered 503).",
		}),
		upstreamErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_serve_upstream_errors_total",
			Help: "Allowed requests the upstream could not answer (proxy mode, answered 502).",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_serve_in_flight_requests",
			Help: "Requests being decided or proxied now.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gatehouse_serve_decision_duration_seconds",
			Help:    "Time to decide, from the request read to the decision.",
			Buckets: latencyBuckets,
		}),
		reasons: map[resultReason]prometheus.Counter{},
	}
	info := version.Get()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "gatehouse_build_info",
		Help:        "1, labelled with the running build's version, commit and Go version.",
		ConstLabels: prometheus.Labels{"version": info.Version, "revision": info.Commit, "goversion": info.GoVersion},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(m.requests, m.timeouts, m.upstreamErrors, m.inFlight, m.latency, buildInfo,
		keySetCollector{m}, cacheCollector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	// Every result appears even before its first request, so rate() and
	// alarms work from the start.
	for _, r := range []string{resultAllow, resultBadRequest, resultError, resultForbidden, resultUnauthorized} {
		m.counter(r, "")
	}
	return m
}

// SetKeySetStats makes the exposition include the key-set health that f
// reports (gatehouse_serve_jwks_*); f is called on every scrape and must
// not touch the network (jwtverify.Verifier.KeySetStats does not).
func (m *Metrics) SetKeySetStats(f func() []jwtverify.PoolKeySetStats) { m.keySets.Store(&f) }

// SetMappingCacheStats makes the exposition include the mapping lookup
// caches' hits and misses (gatehouse_serve_mapping_cache_*_total) that f
// reports (authorizer.Authorizer.MappingCacheStats); f is called on every
// scrape and must not touch the network.
func (m *Metrics) SetMappingCacheStats(f func() (record.CacheStats, bool)) { m.cacheStats.Store(&f) }

// counter returns the (result, reason) counter, creating it under the
// bound: the lookup of a known pair takes only a read lock.
func (m *Metrics) counter(result, reason string) prometheus.Counter {
	k := resultReason{result, reason}
	m.mu.RLock()
	c, ok := m.reasons[k]
	m.mu.RUnlock()
	if ok {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok = m.reasons[k]; ok {
		return c
	}
	if len(m.reasons) >= maxReasons {
		k.reason = "other"
		if c, ok = m.reasons[k]; ok {
			return c
		}
	}
	c = m.requests.WithLabelValues(k.result, k.reason)
	m.reasons[k] = c
	return c
}

func (m *Metrics) countResult(result, reason string) { m.counter(result, reason).Inc() }

func (m *Metrics) observe(d time.Duration) { m.latency.Observe(max(d, 0).Seconds()) }

// WriteTo writes the metrics in the Prometheus text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	enc := expfmt.NewEncoder(cw, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return cw.n, err
		}
	}
	return cw.n, nil
}

// ServeHTTP serves the exposition, in the format the scraper asks for.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	m.handler.ServeHTTP(w, r)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// keySetCollector reports the key-set health on each scrape: per pool, when
// its keys were last fetched, how many it holds, whether the last fetch
// failed, and failures by cause. The labels are the pool id and issuer from
// the configuration, a bounded set.
type keySetCollector struct{ m *Metrics }

var (
	poolLabels  = []string{"pool", "issuer"}
	jwksSuccess = prometheus.NewDesc("gatehouse_serve_jwks_last_success_timestamp_seconds",
		"When the pool's signing keys were last fetched successfully (Unix time; 0: never, not ready).", poolLabels, nil)
	jwksFailure = prometheus.NewDesc("gatehouse_serve_jwks_last_failure_timestamp_seconds",
		"When a fetch of the pool's signing keys last failed (Unix time; 0: never).", poolLabels, nil)
	jwksFailing = prometheus.NewDesc("gatehouse_serve_jwks_failing",
		"1 while the last fetch of the pool's signing keys failed (the last good keys stay in use).", poolLabels, nil)
	jwksKeys = prometheus.NewDesc("gatehouse_serve_jwks_keys",
		"Signing keys held for the pool.", poolLabels, nil)
	jwksFetchFailures = prometheus.NewDesc("gatehouse_serve_jwks_fetch_failures_total",
		"Failed fetches of the pool's signing keys, by cause (timeout, network, http_status, too_large, bad_document).",
		append(poolLabels[:len(poolLabels):len(poolLabels)], "cause"), nil)
)

func (keySetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jwksSuccess, jwksFailure, jwksFailing, jwksKeys, jwksFetchFailures} {
		ch <- d
	}
}

func (c keySetCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.m.keySets.Load()
	if f == nil {
		return
	}
	for _, s := range (*f)() {
		ch <- prometheus.MustNewConstMetric(jwksSuccess, prometheus.GaugeValue, unixSeconds(s.LastSuccess), s.Pool, s.Issuer)
		ch <- prometheus.MustNewConstMetric(jwksFailure, prometheus.GaugeValue, unixSeconds(s.LastFailure), s.Pool, s.Issuer)
		ch <- prometheus.MustNewConstMetric(jwksFailing, prometheus.GaugeValue, float64(boolInt(s.Failing)), s.Pool, s.Issuer)
		ch <- prometheus.MustNewConstMetric(jwksKeys, prometheus.GaugeValue, float64(s.Keys), s.Pool, s.Issuer)
		// In map order: Gather sorts each family's series by label.
		for cause, n := range s.FetchFailures {
			ch <- prometheus.MustNewConstMetric(jwksFetchFailures, prometheus.CounterValue, float64(n), s.Pool, s.Issuer, cause)
		}
	}
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// cacheCollector reports the mapping lookup caches' counts on each scrape,
// by cache: user (people, by user name) and client (app clients, by id).
type cacheCollector struct{ m *Metrics }

var (
	cacheHits = prometheus.NewDesc("gatehouse_serve_mapping_cache_hits_total",
		"Mapping lookups answered from the cache, by cache (user, client).", []string{"cache"}, nil)
	cacheMisses = prometheus.NewDesc("gatehouse_serve_mapping_cache_misses_total",
		"Mapping lookups that read DynamoDB or waited for a read under way, by cache (user, client).", []string{"cache"}, nil)
)

func (cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cacheHits; ch <- cacheMisses }

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.m.cacheStats.Load()
	if f == nil {
		return
	}
	st, ok := (*f)()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(st.UserHits), "user")
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(st.UserMisses), "user")
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(st.ClientHits), "client")
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(st.ClientMisses), "client")
}
