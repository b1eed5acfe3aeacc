package forwardauth

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
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

// Metrics counts what the handler did, for Prometheus. It is written by hand
// in the text exposition format (version 0.0.4); it is safe for concurrent
// use and its zero value is not usable: call NewMetrics.
type Metrics struct {
	mu      sync.RWMutex
	reasons map[resultReason]*atomic.Uint64

	timeouts       atomic.Uint64
	upstreamErrors atomic.Uint64
	inFlight       atomic.Int64

	buckets  []atomic.Uint64 // non-cumulative; the last is +Inf
	sumNanos atomic.Uint64

	keySets atomic.Pointer[func() []jwtverify.PoolKeySetStats]
}

// SetKeySetStats makes the exposition include the key-set health that f
// reports (gatehouse_serve_jwks_*); f is called on every scrape and must
// not touch the network (jwtverify.Verifier.KeySetStats does not).
func (m *Metrics) SetKeySetStats(f func() []jwtverify.PoolKeySetStats) { m.keySets.Store(&f) }

type resultReason struct{ result, reason string }

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		reasons: map[resultReason]*atomic.Uint64{},
		buckets: make([]atomic.Uint64, len(latencyBuckets)+1),
	}
}

func (m *Metrics) countResult(result, reason string) {
	k := resultReason{result, reason}
	m.mu.RLock()
	c, ok := m.reasons[k]
	m.mu.RUnlock()
	if !ok {
		m.mu.Lock()
		if c, ok = m.reasons[k]; !ok {
			if len(m.reasons) >= maxReasons {
				k.reason = "other"
			}
			if c, ok = m.reasons[k]; !ok {
				c = new(atomic.Uint64)
				m.reasons[k] = c
			}
		}
		m.mu.Unlock()
	}
	c.Add(1)
}

func (m *Metrics) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s) // first bound >= s
	m.buckets[i].Add(1)
	m.sumNanos.Add(uint64(d))
}

// WriteTo writes the metrics in the Prometheus text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}

	m.mu.RLock()
	keys := make([]resultReason, 0, len(m.reasons))
	for k := range m.reasons {
		keys = append(keys, k)
	}
	m.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].result != keys[j].result {
			return keys[i].result < keys[j].result
		}
		return keys[i].reason < keys[j].reason
	})

	cw.printf("# HELP gatehouse_serve_requests_total Requests answered by the auth endpoint, by result and decision reason.\n")
	cw.printf("# TYPE gatehouse_serve_requests_total counter\n")
	// Every result appears even before its first request, so rate() and
	// alarms work from the start.
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k.result] = true
	}
	for _, r := range []string{resultAllow, resultBadRequest, resultError, resultForbidden, resultUnauthorized} {
		if !seen[r] {
			cw.printf("gatehouse_serve_requests_total{result=%q,reason=\"\"} 0\n", r)
		}
	}
	for _, k := range keys {
		m.mu.RLock()
		v := m.reasons[k].Load()
		m.mu.RUnlock()
		cw.printf("gatehouse_serve_requests_total{result=%s,reason=%s} %d\n", labelValue(k.result), labelValue(k.reason), v)
	}

	cw.printf("# HELP gatehouse_serve_decision_timeouts_total Decisions that did not finish within the decision timeout (answered 503).\n")
	cw.printf("# TYPE gatehouse_serve_decision_timeouts_total counter\n")
	cw.printf("gatehouse_serve_decision_timeouts_total %d\n", m.timeouts.Load())

	cw.printf("# HELP gatehouse_serve_upstream_errors_total Allowed requests the upstream could not answer (proxy mode, answered 502).\n")
	cw.printf("# TYPE gatehouse_serve_upstream_errors_total counter\n")
	cw.printf("gatehouse_serve_upstream_errors_total %d\n", m.upstreamErrors.Load())

	cw.printf("# HELP gatehouse_serve_in_flight_requests Requests being decided or proxied now.\n")
	cw.printf("# TYPE gatehouse_serve_in_flight_requests gauge\n")
	cw.printf("gatehouse_serve_in_flight_requests %d\n", m.inFlight.Load())

	cw.printf("# HELP gatehouse_serve_decision_duration_seconds Time to decide, from the request read to the decision.\n")
	cw.printf("# TYPE gatehouse_serve_decision_duration_seconds histogram\n")
	// _count is the +Inf bucket as read here, so the two always agree
	// within one scrape even while requests are observed.
	var cum uint64
	for i, le := range latencyBuckets {
		cum += m.buckets[i].Load()
		cw.printf("gatehouse_serve_decision_duration_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += m.buckets[len(latencyBuckets)].Load()
	cw.printf("gatehouse_serve_decision_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	cw.printf("gatehouse_serve_decision_duration_seconds_sum %s\n", strconv.FormatFloat(time.Duration(m.sumNanos.Load()).Seconds(), 'g', -1, 64))
	cw.printf("gatehouse_serve_decision_duration_seconds_count %d\n", cum)

	if f := m.keySets.Load(); f != nil {
		writeKeySets(cw, (*f)())
	}

	if cw.err == nil {
		cw.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, cw.err
}

// writeKeySets writes the key-set health: per pool, when its keys were last
// fetched, how many it holds, whether the last fetch failed, and failures by
// cause. The labels are the pool id and issuer from the configuration, a
// bounded set.
func writeKeySets(cw *countingWriter, stats []jwtverify.PoolKeySetStats) {
	if len(stats) == 0 {
		return
	}
	gauges := []struct {
		name, help string
		value      func(jwtverify.PoolKeySetStats) float64
	}{
		{"gatehouse_serve_jwks_last_success_timestamp_seconds", "When the pool's signing keys were last fetched successfully (Unix time; 0: never, not ready).",
			func(s jwtverify.PoolKeySetStats) float64 { return unixSeconds(s.LastSuccess) }},
		{"gatehouse_serve_jwks_last_failure_timestamp_seconds", "When a fetch of the pool's signing keys last failed (Unix time; 0: never).",
			func(s jwtverify.PoolKeySetStats) float64 { return unixSeconds(s.LastFailure) }},
		{"gatehouse_serve_jwks_failing", "1 while the last fetch of the pool's signing keys failed (the last good keys stay in use).",
			func(s jwtverify.PoolKeySetStats) float64 { return float64(boolInt(s.Failing)) }},
		{"gatehouse_serve_jwks_keys", "Signing keys held for the pool.",
			func(s jwtverify.PoolKeySetStats) float64 { return float64(s.Keys) }},
	}
	for _, g := range gauges {
		cw.printf("# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		for _, s := range stats {
			cw.printf("%s{pool=%s,issuer=%s} %s\n", g.name, labelValue(s.Pool), labelValue(s.Issuer), strconv.FormatFloat(g.value(s), 'f', -1, 64))
		}
	}
	cw.printf("# HELP gatehouse_serve_jwks_fetch_failures_total Failed fetches of the pool's signing keys, by cause (timeout, network, http_status, too_large, bad_document).\n")
	cw.printf("# TYPE gatehouse_serve_jwks_fetch_failures_total counter\n")
	for _, s := range stats {
		causes := make([]string, 0, len(s.FetchFailures))
		for c := range s.FetchFailures {
			causes = append(causes, c)
		}
		sort.Strings(causes)
		for _, c := range causes {
			cw.printf("gatehouse_serve_jwks_fetch_failures_total{pool=%s,issuer=%s,cause=%s} %d\n",
				labelValue(s.Pool), labelValue(s.Issuer), labelValue(c), s.FetchFailures[c])
		}
	}
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// ServeHTTP serves the exposition.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = m.WriteTo(w)
}

// labelValue quotes a label value as the exposition format wants: only
// backslash, double quote and line feed are escaped.
func labelValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) printf(format string, args ...any) {
	if c.err != nil {
		return
	}
	n, err := fmt.Fprintf(c.w, format, args...)
	c.n += int64(n)
	c.err = err
}
