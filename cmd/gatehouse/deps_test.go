package main

import (
	"go/parser"
	"go/token"
	"os/exec"
	"strconv"
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

// TestReadersCarryNoKMS: the authorizer Lambda reads the mapping and never
// a sealed secret, so it must not link the KMS client (mapping/kmskeys
// holds it): its package initialisation costs every cold start (issue 17).
// The packages serve's own code imports (serve.go and httpserver.go, read
// from the files so that a new import is checked too) are held to the
// same, so serve could become a binary of its own without KMS; the
// gatehouse binary as a whole still links KMS through its partner and
// mapping commands.
func TestReadersCarryNoKMS(t *testing.T) {
	args := []string{"list", "-deps", "-tags", "lambda.norpc", "../authorizer"}
	for _, file := range []string{"serve.go", "httpserver.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			args = append(args, path)
		}
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 100 {
		t.Fatalf("go list -deps listed %d packages: %v", len(pkgs), pkgs)
	}
	for _, pkg := range pkgs {
		if strings.Contains(pkg, "/service/kms") || strings.HasSuffix(pkg, "/mapping/kmskeys") {
			t.Errorf("the authorizer or gatehouse serve depends on %s", pkg)
		}
	}
}
