package forwardauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/version"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (\S+)$`)

var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"`)

// canon writes a series "name{labels}" with its labels in name order, as
// client_golang exposes them: the tests name labels in their own order.
func canon(series string) string {
	name, labels, ok := strings.Cut(series, "{")
	if !ok {
		return series
	}
	pairs := labelPair.FindAllString(labels, -1)
	sort.Strings(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// scrape checks every line of the exposition and returns the samples by
// "name{labels}", labels in name order (see canon).
func scrape(t *testing.T, h *forwardauth.Handler) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	h.OpsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	out := map[string]float64{}
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(w.Body.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			typed[strings.Fields(line)[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not an exposition line: %q", line)
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if !typed[m[1]] && !typed[base] {
			t.Errorf("sample %s before its # TYPE", m[1])
		}
		v, err := strconv.ParseFloat(m[len(m)-1], 64)
		if err != nil {
			t.Fatalf("value in %q: %v", line, err)
		}
		out[canon(m[1]+m[2])] = v
	}
	return out
}

func TestMetricsExposition(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	before := scrape(t, h)
	for _, r := range []string{"allow", "bad_request", "error", "forbidden", "unauthorized"} {
		if v, ok := before[canon(`gatehouse_serve_requests_total{result="`+r+`",reason=""}`)]; !ok || v != 0 {
			t.Errorf("result %s not exposed as 0 before any request", r)
		}
	}
	for _, authz := range []string{"Bearer allow", "Bearer allow", "Bearer forbid", "", "Bearer error"} {
		r := httptest.NewRequest("GET", "/x", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	r := httptest.NewRequest("GET", "/a/../b", nil)
	h.ServeHTTP(httptest.NewRecorder(), r)

	got := scrape(t, h)
	want := map[string]float64{
		`gatehouse_serve_requests_total{result="allow",reason=""}`:                         2,
		`gatehouse_serve_requests_total{result="forbidden",reason="missing_scope"}`:        1,
		`gatehouse_serve_requests_total{result="unauthorized",reason="malformed"}`:         1,
		`gatehouse_serve_requests_total{result="error",reason="unavailable"}`:              1,
		`gatehouse_serve_requests_total{result="bad_request",reason="target_dot_segment"}`: 1,
		`gatehouse_serve_decision_duration_seconds_count`:                                  5,
		`gatehouse_serve_decision_duration_seconds_bucket{le="+Inf"}`:                      5,
		`gatehouse_serve_decision_timeouts_total`:                                          0,
		`gatehouse_serve_in_flight_requests`:                                               0,
	}
	for k, v := range want {
		if got[canon(k)] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Buckets are cumulative.
	prev := -1.0
	for _, le := range []string{"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"} {
		v, ok := got[`gatehouse_serve_decision_duration_seconds_bucket{le="`+le+`"}`]
		if !ok || v < prev {
			t.Errorf("bucket le=%s = %v (present %v) after %v", le, v, ok, prev)
		}
		prev = v
	}
}

func TestMetricsReasonsAreBoundedAndEscaped(t *testing.T) {
	n := 0
	h, _ := newHandler(t, forwardauth.Config{Decider: deciderFunc(func(context.Context, authorizer.Request) authorizer.Decision {
		n++
		return authorizer.Decision{Outcome: authorizer.OutcomeUnauthorized, Reason: fmt.Sprintf("r%d \"q\" \\ \n", n)}
	})})
	for range 200 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	got := scrape(t, h) // fails on any badly escaped line
	series := 0
	for k := range got {
		if strings.HasPrefix(k, "gatehouse_serve_requests_total{") {
			series++
		}
	}
	if series > 70 {
		t.Errorf("%d series: reasons are not bounded", series)
	}
	if got[canon(`gatehouse_serve_requests_total{result="unauthorized",reason="other"}`)] == 0 {
		t.Error("overflow reasons not counted as other")
	}
}

func TestMetricsKeySets(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	if s := scrape(t, h); len(s) == 0 {
		t.Fatal("no samples")
	} else {
		for k := range s {
			if strings.Contains(k, "jwks") {
				t.Errorf("key-set sample %s without SetKeySetStats", k)
			}
		}
	}
	success := time.Unix(1764600000, 500_000_000)
	h.Metrics().SetKeySetStats(func() []jwtverify.PoolKeySetStats {
		return []jwtverify.PoolKeySetStats{
			{Pool: "eu-west-1_A", Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A", KeySetStats: jwtverify.KeySetStats{
				Keys: 2, LastSuccess: success, LastFailure: success.Add(time.Minute), Failing: true,
				FetchFailures: map[string]uint64{"timeout": 3, "http_status": 1, "network": 0},
			}},
			{Pool: "local_\"q\"", Issuer: "http://127.0.0.1:1/x", KeySetStats: jwtverify.KeySetStats{
				FetchFailures: map[string]uint64{"network": 7},
			}},
		}
	})
	s := scrape(t, h)
	const a = `{pool="eu-west-1_A",issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A"`
	const b = `{pool="local_\"q\"",issuer="http://127.0.0.1:1/x"`
	for name, want := range map[string]float64{
		"gatehouse_serve_jwks_last_success_timestamp_seconds" + a + "}":           1764600000.5,
		"gatehouse_serve_jwks_last_failure_timestamp_seconds" + a + "}":           1764600060.5,
		"gatehouse_serve_jwks_failing" + a + "}":                                  1,
		"gatehouse_serve_jwks_keys" + a + "}":                                     2,
		"gatehouse_serve_jwks_fetch_failures_total" + a + `,cause="timeout"}`:     3,
		"gatehouse_serve_jwks_fetch_failures_total" + a + `,cause="http_status"}`: 1,
		"gatehouse_serve_jwks_fetch_failures_total" + a + `,cause="network"}`:     0,
		"gatehouse_serve_jwks_last_success_timestamp_seconds" + b + "}":           0,
		"gatehouse_serve_jwks_failing" + b + "}":                                  0,
		"gatehouse_serve_jwks_fetch_failures_total" + b + `,cause="network"}`:     7,
	} {
		if got, ok := s[canon(name)]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
}

// TestMetricsStandardSeries: what scrapers and dashboards look for beside
// Gatehouse's own series, and the OpenMetrics format on request.
func TestMetricsStandardSeries(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	got := scrape(t, h)
	info := version.Get()
	build := canon(`gatehouse_build_info{version="` + info.Version + `",revision="` + info.Commit + `",goversion="` + info.GoVersion + `"}`)
	if got[build] != 1 {
		t.Errorf("%s missing or not 1", build)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}

	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	h.OpsHandler().ServeHTTP(w, r)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(w.Body.String(), "# EOF\n") {
		t.Errorf("OpenMetrics asked for, got %q", ct)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("metrics may be cached")
	}
}

func TestMetricsMappingCache(t *testing.T) {
	h, _ := newHandler(t, forwardauth.Config{})
	for k := range scrape(t, h) {
		if strings.Contains(k, "mapping_cache") {
			t.Errorf("cache sample %s without SetMappingCacheStats", k)
		}
	}
	h.Metrics().SetMappingCacheStats(func() (mapping.CacheStats, bool) { return mapping.CacheStats{}, false })
	for k := range scrape(t, h) {
		if strings.Contains(k, "mapping_cache") {
			t.Errorf("cache sample %s when the directory keeps no cache", k)
		}
	}
	h.Metrics().SetMappingCacheStats(func() (mapping.CacheStats, bool) {
		return mapping.CacheStats{UserHits: 7, UserMisses: 3, ClientHits: 2, ClientMisses: 1}, true
	})
	s := scrape(t, h)
	for name, want := range map[string]float64{
		`gatehouse_serve_mapping_cache_hits_total{cache="user"}`:     7,
		`gatehouse_serve_mapping_cache_misses_total{cache="user"}`:   3,
		`gatehouse_serve_mapping_cache_hits_total{cache="client"}`:   2,
		`gatehouse_serve_mapping_cache_misses_total{cache="client"}`: 1,
	} {
		if got, ok := s[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
}
