package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

func TestPortalUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"help", []string{"-h"}, nil, 0, "Usage: gatehouse portal"},
		{"bad flag", []string{"--nope"}, nil, 2, "flag provided but not defined"},
		{"argument", []string{"extra"}, nil, 2, "unexpected argument"},
		{"bad timeout", []string{"--read-timeout=0s"}, nil, 2, "--read-timeout"},
		{"configuration", nil, map[string]string{}, 2, "GATEHOUSE_USER_POOL_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := servePortal(context.Background(), tc.args, func(k string) string { return tc.env[k] }, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
		})
	}
}

// TestPortalServes starts the portal on a free port against the local
// services, asks it one question and shuts it down.
func TestPortalServes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp := cip.NewFromConfig(cfg)
	pool, err := userpool.Create(ctx, idp, "cli-portal")
	if err != nil {
		t.Fatal(err)
	}
	// A table of its own: the endpoint may be shared (AWS_ENDPOINT_URL_DYNAMODB).
	table := "cli-portal-" + strings.ToLower(rand.Text()[:10])
	if err := mapping.CreateTable(ctx, dynamodb.NewFromConfig(cfg), table, true); err != nil {
		t.Fatal(err)
	}
	poolID, issuer := pool.ID, pool.LocalIssuer()
	// The key endpoint is down (nothing listens there), so that the log
	// holds jwtverify's warnings too: every line must still be JSON.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	jwksURL := "http://" + ln.Addr().String() + "/jwks.json"
	ln.Close()
	env := map[string]string{
		"GATEHOUSE_USER_POOL_ID": poolID, "GATEHOUSE_CLIENT_IDS": "web", "GATEHOUSE_ISSUER": issuer,
		"GATEHOUSE_JWKS_URL":      jwksURL,
		"GATEHOUSE_INSECURE_HTTP": "true", "GATEHOUSE_TABLE": table, "GATEHOUSE_API_CLIENTS_GROUP": "developers",
		"GATEHOUSE_API_CLIENT_SCOPES": "orders/read", "GATEHOUSE_TOKEN_ENDPOINT": "http://127.0.0.1:1/oauth2/token",
	}
	sctx, stop := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var stdout, stderr logscan.Buffer
	go func() {
		done <- servePortal(sctx, []string{"--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, ready, &stdout, &stderr)
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/clients")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("GET /clients without a token: %d", resp.StatusCode)
	}
	// A well-formed token of the pool: its key cannot be fetched.
	is, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/clients", nil)
	req.Header.Set("Authorization", "Bearer "+is.IDToken("alice", "web", cognitotest.WithClaims(map[string]any{"iss": issuer})))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /clients while the keys cannot be fetched: %d, want 503", resp.StatusCode)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	jwksWarnings := 0
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String()+stdout.String(), "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON object: %q", line)
		}
		if rec["msg"] == "jwtverify: JWKS problem" {
			jwksWarnings++
		}
	}
	if jwksWarnings == 0 {
		t.Errorf("no JWKS warning in:\n%s", stderr.String())
	}
}

func TestRunPortalHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runPortal(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
