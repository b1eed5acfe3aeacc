package authorizer

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// benchSetup makes a verifier (with a warm token cache of tokenCache
// entries, or none) and an authorizer with a warm mapping cache, both for
// the same token.
func benchSetup(b *testing.B, tokenCache int, logger *slog.Logger, metrics io.Writer) (*Authorizer, TokenVerifier, string) {
	b.Helper()
	is := newIssuer(b)
	store := newStore(b, 0)
	populate(b, store)
	v := newVerifier(b, is, tokenCache)
	a, err := New(Config{Verifier: v, Directory: store, Rules: testRules, Logger: logger, Metrics: metrics})
	if err != nil {
		b.Fatal(err)
	}
	token := is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read"), cognitotest.WithGroups("staff"))
	if d := a.Decide(context.Background(), Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders/42"}); d.Outcome != OutcomeAllow {
		b.Fatalf("warm-up decision: %v/%s", d.Outcome, d.Reason)
	}
	return a, v, token
}

// BenchmarkBareVerify is the baseline: jwtverify alone on the same token
// with the same token cache (warm), or with none (every call checks the
// RS256 signature).
func BenchmarkBareVerify(b *testing.B) {
	for _, bc := range tokenCacheCases {
		b.Run(bc.name, func(b *testing.B) {
			_, v, token := benchSetup(b, bc.size, nil, nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecide is the whole in-process decision with a warm mapping
// cache: token extraction, verification (token cache as in
// BenchmarkBareVerify), mapping lookup, rules and grants (logs and metrics
// off).
func BenchmarkDecide(b *testing.B) {
	for _, bc := range tokenCacheCases {
		b.Run(bc.name, func(b *testing.B) {
			a, _, token := benchSetup(b, bc.size, nil, nil)
			ctx := context.Background()
			r := Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders/42"}
			b.ReportAllocs()
			for b.Loop() {
				if d := a.Decide(ctx, r); d.Outcome != OutcomeAllow {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}

var tokenCacheCases = []struct {
	name string
	size int
}{{"token-cache", 1000}, {"no-token-cache", 0}}

// BenchmarkDecideObserved adds what production adds: a JSON log line and an
// EMF metric line per decision (written to io.Discard).
func BenchmarkDecideObserved(b *testing.B) {
	a, _, token := benchSetup(b, 1000, slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard)
	ctx := context.Background()
	r := Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders/42"}
	b.ReportAllocs()
	for b.Loop() {
		if d := a.Decide(ctx, r); d.Outcome != OutcomeAllow {
			b.Fatal(d.Reason)
		}
	}
}

// BenchmarkDecidePaired measures the goals' ratios on a shared machine:
// each iteration runs a batch of warm decisions (both caches hit) and a
// batch of bare token-cache hits on the same token, so load hits both
// alike, and reports each one's time and decision/verify. "warm" has logs
// and metrics off; "observed" has what production has at the default
// level: a JSON logger at Info (allows are logged at Debug, so no line)
// and an EMF metric line per decision (to io.Discard).
func BenchmarkDecidePaired(b *testing.B) {
	for _, bc := range []struct {
		name    string
		logger  *slog.Logger
		metrics io.Writer
	}{
		{"warm", nil, nil},
		{"observed", slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a, v, token := benchSetup(b, 1000, bc.logger, bc.metrics)
			ctx := context.Background()
			r := Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders/42"}
			// A batch amortises the clock reads (tens of ns) over calls of
			// about a microsecond.
			const batch = 64
			var decide, verify time.Duration
			for b.Loop() {
				t0 := time.Now()
				for range batch {
					if d := a.Decide(ctx, r); d.Outcome != OutcomeAllow {
						b.Fatal(d.Reason)
					}
				}
				t1 := time.Now()
				for range batch {
					if _, err := v.Verify(ctx, token); err != nil {
						b.Fatal(err)
					}
				}
				decide += t1.Sub(t0)
				verify += time.Since(t1)
			}
			n := float64(b.N * batch)
			b.ReportMetric(float64(decide.Nanoseconds())/n, "decide-ns/op")
			b.ReportMetric(float64(verify.Nanoseconds())/n, "verify-ns/op")
			b.ReportMetric(float64(decide)/float64(verify), "decide/verify")
		})
	}
}
