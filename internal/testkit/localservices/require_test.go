package localservices

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Until a test requires a declared service, its endpoint refuses every call
// with an error naming Require: a test that forgets it never reaches AWS.
func TestUnrequiredServiceRefuses(t *testing.T) {
	if Endpoint(DynamoDB) != placeholderURL() {
		t.Skip("DynamoDB was required earlier in this process or is configured outside the tests")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	if err == nil || !strings.Contains(err.Error(), "localservices.Require") {
		t.Fatalf("ListTables on an unrequired service: %v, want a refusal naming Require", err)
	}
}

// recordingTB notes what Skipf and Fatalf would have done.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recordingTB) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }

// A missing program skips with one line naming it, or fails when services
// are required.
func TestMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	for _, tc := range []struct {
		require            string
		wantSkip, wantFail bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv(requireVariable, tc.require)
		rec := &recordingTB{TB: t}
		Tool(rec, "nginx")
		if (rec.skipped != "") != tc.wantSkip || (rec.failed != "") != tc.wantFail {
			t.Errorf("%s=%q: skipped %q, failed %q", requireVariable, tc.require, rec.skipped, rec.failed)
		}
		for _, msg := range []string{rec.skipped, rec.failed} {
			if msg != "" && (!strings.Contains(msg, "nginx is not installed") || strings.Contains(msg, "\n")) {
				t.Errorf("message %q: want one line naming nginx", msg)
			}
		}
	}
}
