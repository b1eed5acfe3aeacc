// Package apigwevent loads API Gateway REST API (v1) Lambda proxy events
// kept as JSON under a test package's testdata/apigw, in the shape API
// Gateway sends them (resource, path, pathParameters, requestContext with
// resourcePath).
package apigwevent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Load reads testdata/apigw/<name>.json.
func Load(tb testing.TB, name string) events.APIGatewayProxyRequest {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "apigw", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if ev.RequestContext.ResourcePath != ev.Resource {
		tb.Fatalf("%s: resource %q and requestContext.resourcePath %q differ; API Gateway sends both the same", name, ev.Resource, ev.RequestContext.ResourcePath)
	}
	return ev
}
