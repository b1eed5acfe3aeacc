package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// TestLogsAndMetrics: one log line and one metric line per decision, with
// outcome, reason, kind and latency, and never any token material.
func TestLogsAndMetrics(t *testing.T) {
	is := newIssuer(t)
	store := newStore(t, 0)
	populate(t, store)
	logger, logs := newTestLogger()
	metrics := &logBuffer{}
	a, err := New(Config{Verifier: newVerifier(t, is, 100), Directory: store, Rules: testRules, Logger: logger, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokens := []string{
		is.IDToken("alice", webClient),
		is.AccessToken("alice", webClient, cognitotest.WithGroups("admins")),
		is.ClientCredentialsToken(m2mClient, []string{"orders/write"}),
		is.IDToken("partner-bob", partnerClient),
		is.IDToken("mallory", webClient),
		is.IDToken("alice", webClient, cognitotest.WithExpiry(-time.Hour)),
		is.IDToken("alice", webClient, cognitotest.SignWithUnknownKey()),
	}
	reqs := []Request{
		{Authorization: "Bearer " + tokens[0], Method: "GET", Path: "/profile"},
		{Authorization: "Bearer " + tokens[1], Method: "GET", Path: "/admin/x"},
		{Authorization: "Bearer " + tokens[2], Method: "POST", Path: "/orders"},
		{Authorization: "Bearer " + tokens[3], Method: "GET", Path: "/admin/x"},
		{Authorization: tokens[4], Method: "GET", Path: "/"},
		{Authorization: "Bearer " + tokens[5], Method: "GET", Path: "/"},
		{Authorization: "Bearer " + tokens[6], Method: "GET", Path: "/"},
		{Authorization: "Basic c2VjcmV0LXBhc3N3b3Jk", Method: "GET", Path: "/"},
	}
	var outcomes []string
	for _, r := range reqs {
		outcomes = append(outcomes, a.Decide(ctx, r).Outcome.String())
	}
	// And a front end's own failure (an unusable event), logged too.
	_ = a.Fail(ctx, ReasonBadEvent, errors.New("not an execute-api ARN"))
	outcomes = append(outcomes, "error")

	lines := jsonLines(t, logs)
	if len(lines) != len(outcomes) {
		t.Fatalf("%d log lines for %d decisions:\n%s", len(lines), len(outcomes), logs.String())
	}
	for i, l := range lines {
		if l["outcome"] != outcomes[i] {
			t.Errorf("line %d outcome %v, want %s", i, l["outcome"], outcomes[i])
		}
		for _, k := range []string{"reason", "kind", "latency_ms"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d lacks %q: %v", i, k, l)
			}
		}
	}
	// Allows at Debug, denials at Info, errors at Error; and the size of
	// each line (and of each EMF line below), for the volume figures in
	// BENCHMARKS.md (go test -v -run TestLogsAndMetrics ./authorizer/).
	wantLevel := map[string]string{"allow": "DEBUG", "unauthorized": "INFO", "forbidden": "INFO", "error": "ERROR"}
	for i, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if lines[i]["level"] != wantLevel[outcomes[i]] {
			t.Errorf("line %d (%s) at %v, want %s", i, outcomes[i], lines[i]["level"], wantLevel[outcomes[i]])
		}
		t.Logf("%-12s %-24v %3d bytes", outcomes[i], lines[i]["reason"], len(raw)+1)
	}
	if lines[2]["kind"] != "client" || lines[3]["kind"] != "partner" || lines[3]["outcome"] != "forbidden" {
		t.Errorf("kinds/outcomes: %v / %v", lines[2], lines[3])
	}

	mlines := jsonLines(t, metrics)
	if len(mlines) != len(outcomes) {
		t.Fatalf("%d metric lines for %d decisions", len(mlines), len(outcomes))
	}
	for i, raw := range strings.Split(strings.TrimSpace(metrics.String()), "\n") {
		t.Logf("%-12s EMF line %3d bytes", outcomes[i], len(raw)+1)
	}
	for i, m := range mlines {
		aws, ok := m["_aws"].(map[string]any)
		if !ok || aws["CloudWatchMetrics"] == nil || aws["Timestamp"] == nil {
			t.Fatalf("metric line %d is not EMF: %v", i, m)
		}
		sum := 0.0
		for _, k := range []string{"Allow", "Unauthorized", "Forbidden", "Error"} {
			sum += m[k].(float64)
		}
		if sum != 1 || m[metricName(outcomeNamed(outcomes[i]))] != 1.0 {
			t.Errorf("metric line %d counts wrong for %s: %v", i, outcomes[i], m)
		}
		if _, ok := m["Latency"].(float64); !ok {
			t.Errorf("metric line %d has no latency", i)
		}
	}

	// No token, nor any part of one, nor the Basic credential, anywhere.
	all := logs.String() + metrics.String()
	secrets := []string{"c2VjcmV0LXBhc3N3b3Jk"}
	for _, tok := range tokens {
		secrets = append(secrets, tok)
		secrets = append(secrets, strings.Split(tok, ".")...)
	}
	for _, s := range secrets {
		if len(s) >= 16 && strings.Contains(all, s) {
			t.Fatalf("the logs hold token material %.20q…", s)
		}
	}
}

func outcomeNamed(s string) Outcome {
	for _, o := range []Outcome{OutcomeAllow, OutcomeUnauthorized, OutcomeForbidden, OutcomeError} {
		if o.String() == s {
			return o
		}
	}
	return OutcomeError
}

func TestEMFLineIsJSON(t *testing.T) {
	line := appendEMF(nil, time.Unix(1700000000, 0), Decision{Outcome: OutcomeForbidden, Reason: "we\"ird\n"}, 1234*time.Microsecond)
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if m["Forbidden"] != 1.0 || m["Latency"] != 1.234 || m["Outcome"] != "forbidden" {
		t.Fatalf("%s", line)
	}
}

func TestDecisionLevel(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		outcome Outcome
		want    slog.Level
	}{
		{"allow", context.Background(), OutcomeAllow, slog.LevelDebug},
		{"unauthorized", context.Background(), OutcomeUnauthorized, slog.LevelInfo},
		{"forbidden", context.Background(), OutcomeForbidden, slog.LevelInfo},
		{"error", context.Background(), OutcomeError, slog.LevelError},
		{"allow past the deadline", done, OutcomeAllow, slog.LevelWarn},
		{"denial past the deadline", done, OutcomeUnauthorized, slog.LevelWarn},
		{"error past the deadline", done, OutcomeError, slog.LevelError},
	}
	for _, tt := range tests {
		if got := decisionLevel(tt.ctx, tt.outcome); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// emfUnits are the units the embedded metric format allows
// (CloudWatch's StandardUnit).
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true, "Megabytes": true,
	"Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
	"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true,
	"Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// checkEMF checks line against the embedded metric format specification's
// required structure: a root object with _aws {Timestamp: epoch
// milliseconds, CloudWatchMetrics: [directive]}; each directive with a
// Namespace, Dimensions (a list of sets, each of 1 to 30 names of
// top-level string members) and Metrics (at most 100 definitions, each
// with a Name that is a top-level number member, and an allowed Unit). It
// returns the dimension sets published for each metric name.
func checkEMF(t *testing.T, line []byte) map[string][][]string {
	t.Helper()
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	var meta struct {
		Timestamp         *int64
		CloudWatchMetrics []struct {
			Namespace  *string
			Dimensions [][]string
			Metrics    []struct {
				Name              *string
				Unit              *string
				StorageResolution *int
			}
		}
	}
	if err := json.Unmarshal(root["_aws"], &meta); err != nil || meta.Timestamp == nil || meta.CloudWatchMetrics == nil {
		t.Fatalf("_aws is not {Timestamp, CloudWatchMetrics} (%v): %s", err, line)
	}
	if *meta.Timestamp < 1e12 || *meta.Timestamp > 1e14 {
		t.Errorf("Timestamp %d is not in epoch milliseconds", *meta.Timestamp)
	}
	published := map[string][][]string{}
	for i, d := range meta.CloudWatchMetrics {
		if d.Namespace == nil || len(*d.Namespace) == 0 || len(*d.Namespace) > 1024 {
			t.Errorf("directive %d: Namespace missing or out of bounds", i)
		}
		if d.Dimensions == nil || len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			t.Errorf("directive %d: Dimensions missing or Metrics not 1 to 100", i)
		}
		for _, set := range d.Dimensions {
			if len(set) == 0 || len(set) > 30 {
				t.Errorf("directive %d: dimension set %v not 1 to 30 names", i, set)
			}
			for _, name := range set {
				var v string
				if err := json.Unmarshal(root[name], &v); err != nil {
					t.Errorf("directive %d: dimension %s is not a top-level string member", i, name)
				}
			}
		}
		for _, m := range d.Metrics {
			if m.Name == nil || len(*m.Name) == 0 || len(*m.Name) > 1024 {
				t.Fatalf("directive %d: metric without a valid Name", i)
			}
			var v float64
			if err := json.Unmarshal(root[*m.Name], &v); err != nil {
				t.Errorf("metric %s is not a top-level number member", *m.Name)
			}
			if m.Unit != nil && !emfUnits[*m.Unit] {
				t.Errorf("metric %s: unit %q is not allowed", *m.Name, *m.Unit)
			}
			if m.StorageResolution != nil && *m.StorageResolution != 1 && *m.StorageResolution != 60 {
				t.Errorf("metric %s: StorageResolution %d", *m.Name, *m.StorageResolution)
			}
			published[*m.Name] = append(published[*m.Name], d.Dimensions...)
		}
	}
	return published
}

// TestEMFSpec: every outcome's line meets the specification, publishes the
// counts once by [Service], and the latency by [Service] and by
// [Service, Outcome] with this decision's outcome.
func TestEMFSpec(t *testing.T) {
	for _, o := range []Outcome{OutcomeAllow, OutcomeUnauthorized, OutcomeForbidden, OutcomeError} {
		line := appendEMF(nil, time.Unix(1700000000, 0), Decision{Outcome: o, Reason: "r"}, 2500*time.Microsecond)
		published := checkEMF(t, line)
		for _, name := range []string{"Allow", "Unauthorized", "Forbidden", "Error"} {
			if got := published[name]; !reflect.DeepEqual(got, [][]string{{"Service"}}) {
				t.Errorf("%s: %s published by %v, want [[Service]] once", o, name, got)
			}
		}
		if got := published["Latency"]; !reflect.DeepEqual(got, [][]string{{"Service"}, {"Service", "Outcome"}}) {
			t.Errorf("%s: Latency published by %v, want [[Service] [Service Outcome]]", o, got)
		}
		var m map[string]any
		_ = json.Unmarshal(line, &m)
		if m["Outcome"] != o.String() || m["Service"] != "authorizer" || m["Latency"] != 2.5 {
			t.Errorf("%s: %s", o, line)
		}
	}
}

// TestAlarmsReadTheseMetrics: the CDK alarms (infra/lib/alarms.ts) watch the
// namespace, dimension and metric names written here, and the reason the
// decision's log line carries (its "reason" member, which the JWKS metric
// filter matches) when the signing keys cannot be had.
func TestAlarmsReadTheseMetrics(t *testing.T) {
	src, err := os.ReadFile("../infra/lib/alarms.ts")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"METRIC_NAMESPACE = '" + MetricNamespace + "'",
		"KEYS_UNAVAILABLE_REASON = '" + ReasonKeysUnavailable + "'",
		"Service: 'authorizer'",
		"emf('" + metricName(OutcomeError) + "'", "emf('" + metricName(OutcomeUnauthorized) + "'",
		"emf('" + metricName(OutcomeForbidden) + "'", "emf('Latency'",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("infra/lib/alarms.ts does not say %s", want)
		}
	}
}
