package envconfig

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
)

// TestLoadAWSRoutesSDKLog checks that what the SDK logs comes out as one
// JSON object per line through the service's logger.
func TestLoadAWSRoutesSDKLog(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	var buf logscan.Buffer
	cfg, err := LoadAWS(context.Background(), slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	logging.WithContext(context.Background(), cfg.Logger).Logf(logging.Debug, "retrying %d", 2)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"WARN", "DEBUG"} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, lines[i])
		}
		if rec["level"] != want || rec["source"] != "aws-sdk" {
			t.Errorf("line %d = %v, want level %s from aws-sdk", i, rec, want)
		}
	}
	if _, err := LoadAWS(context.Background(), nil); err != nil {
		t.Errorf("nil logger: %v", err)
	}
}
