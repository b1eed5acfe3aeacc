package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLambdasCarryNoPrometheus: client_golang is for the CLI's /metrics
// only; the Lambdas report through CloudWatch embedded metrics and must not
// grow by it (nor start its collectors).
func TestLambdasCarryNoPrometheus(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../authorizer", "../portal", "../refresh").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/prometheus/") || strings.HasSuffix(pkg, "/forwardauth") {
			t.Errorf("a Lambda depends on %s", pkg)
		}
	}
}
