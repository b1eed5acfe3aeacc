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

// TestDecisionCoreCarriesNoAWS: the decision core (authorizer) and the
// forward-auth handler decide without aws-lambda-go or the AWS SDK; API
// Gateway adaptation (authorizer/apigateway) and the AWS wiring
// (authorizer/awsenv) sit beside them (issue 11).
func TestDecisionCoreCarriesNoAWS(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../authorizer", "../../forwardauth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/") {
			t.Errorf("the decision core or forwardauth depends on %s", pkg)
		}
	}
}
