package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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
	// each line, for the volume figures in BENCHMARKS.md (go test -v -run
	// TestLogsAndMetrics ./authorizer/).
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
