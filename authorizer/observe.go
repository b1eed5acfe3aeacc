package authorizer

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// MetricNamespace is the CloudWatch namespace of the decision metrics.
const MetricNamespace = "Gatehouse"

// MappingCacheStats reports the mapping lookup caches' hits and misses
// (mapping.Store.CacheStats); ok is false when the directory keeps none.
func (a *Authorizer) MappingCacheStats() (st record.CacheStats, ok bool) {
	s, ok := a.directory.(interface{ CacheStats() record.CacheStats })
	if !ok {
		return record.CacheStats{}, false
	}
	return s.CacheStats(), true
}

// observed reports whether a decision would be logged or measured, so the
// clock is read only when it is.
func (a *Authorizer) observed(ctx context.Context) bool {
	return a.metrics != nil || a.log.Enabled(ctx, slog.LevelError)
}

// decisionLevel is the level of a decision's line: allows, the bulk of the
// traffic, at Debug; denials at Info; errors at Error. A decision whose
// context ended (the caller's deadline passed; gatehouse serve then answers
// 503 whatever it was) is at least at Warn.
func decisionLevel(ctx context.Context, o Outcome) slog.Level {
	level := slog.LevelInfo
	switch o {
	case OutcomeAllow:
		level = slog.LevelDebug
	case OutcomeError:
		level = slog.LevelError
	}
	if ctx.Err() != nil {
		level = max(level, slog.LevelWarn)
	}
	return level
}

// observe writes the decision's log line and metric line. Neither ever
// holds the credential: only codes, the caller kind, ids and the route.
func (a *Authorizer) observe(ctx context.Context, r Request, d Decision, err error, start time.Time) {
	end := a.now()
	latency := end.Sub(start)
	level := decisionLevel(ctx, d.Outcome)
	if a.log.Enabled(ctx, level) {
		attrs := make([]slog.Attr, 0, 10) // every attribute below
		attrs = append(attrs,
			slog.String("outcome", d.Outcome.String()),
			slog.String("reason", d.Reason),
		)
		if d.Identity != nil {
			attrs = append(attrs,
				slog.String("kind", string(d.Identity.Kind)),
				slog.String("internal_id", d.Identity.InternalID),
				slog.String("client_id", d.Identity.ClientID),
				slog.String("token_use", d.Identity.TokenUse),
			)
		} else {
			attrs = append(attrs, slog.String("kind", ""))
		}
		attrs = append(attrs,
			slog.String("route", r.Method+" "+r.Path),
			slog.Float64("latency_ms", float64(latency.Microseconds())/1000),
		)
		if err != nil {
			// Dependency errors describe the dependency (jwtverify and
			// mapping never put token material in them).
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if cerr := ctx.Err(); cerr != nil {
			attrs = append(attrs, slog.String("context", cerr.Error()))
		}
		a.log.LogAttrs(ctx, level, "authorizer decision", attrs...)
	}
	if a.metrics != nil {
		a.metricsMu.Lock()
		a.metricsBuf = appendEMF(a.metricsBuf[:0], end, d, latency)
		_, _ = a.metrics.Write(a.metricsBuf)
		a.metricsMu.Unlock()
	}
}

// appendEMF appends one CloudWatch embedded-metric-format line: a count for
// each outcome (1 for this one, 0 for the others, so every series has data
// points) and the latency. Two directives: the counts and the latency by
// [Service] (what the alarms watch), and the latency again by
// [Service, Outcome] (a fast 401 and a slow allow are different latencies).
// A directive of its own, rather than a second dimension set on the first,
// so the counts are not published twice.
func appendEMF(b []byte, now time.Time, d Decision, latency time.Duration) []byte {
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[`+
		`{"Namespace":"`+MetricNamespace+`","Dimensions":[["Service"]],"Metrics":[`+
		`{"Name":"Allow","Unit":"Count"},{"Name":"Unauthorized","Unit":"Count"},`+
		`{"Name":"Forbidden","Unit":"Count"},{"Name":"Error","Unit":"Count"},`+
		`{"Name":"Latency","Unit":"Milliseconds"}]},`+
		`{"Namespace":"`+MetricNamespace+`","Dimensions":[["Service","Outcome"]],"Metrics":[`+
		`{"Name":"Latency","Unit":"Milliseconds"}]}`+
		`]},"Service":"authorizer","Outcome":"`...)
	b = append(b, d.Outcome.String()...)
	b = append(b, `","Reason":"`...)
	b = appendJSONSafe(b, d.Reason)
	b = append(b, '"')
	for _, o := range []Outcome{OutcomeAllow, OutcomeUnauthorized, OutcomeForbidden, OutcomeError} {
		b = append(b, `,"`...)
		b = append(b, metricName(o)...)
		b = append(b, `":`...)
		if d.Outcome == o {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	b = append(b, `,"Latency":`...)
	b = strconv.AppendFloat(b, float64(latency.Microseconds())/1000, 'f', 3, 64)
	b = append(b, "}\n"...)
	return b
}

func metricName(o Outcome) string {
	switch o {
	case OutcomeAllow:
		return "Allow"
	case OutcomeUnauthorized:
		return "Unauthorized"
	case OutcomeForbidden:
		return "Forbidden"
	default:
		return "Error"
	}
}

// appendJSONSafe appends s keeping only bytes that need no JSON escaping
// (reason codes are plain ASCII; anything else is replaced).
func appendJSONSafe(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}
