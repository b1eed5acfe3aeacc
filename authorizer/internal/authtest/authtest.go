// Package authtest is what the tests of package authorizer and of its
// front ends (apigateway, awsenv) share: the test pool's clients and
// issuer, a populated mapping table on moto_server, the test rules, log
// capture, and an IAM policy evaluator written apart from the rule matcher.
// It imports nothing of package authorizer, so the core's own tests can
// use it.
package authtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The app clients of the test pool.
const (
	WebClient     = "web-client"
	M2MClient     = "m2m-client"
	NarrowClient  = "narrow-client"
	UnknownClient = "unknown-client" // accepted by the verifier, never mapped
	PartnerClient = "partner-client"
)

var (
	ddbOnce   sync.Once
	ddbClient *dynamodb.Client
	ddbErr    error
)

// Dynamo returns a DynamoDB client on the local stand-in (the test skips,
// or fails where services are required, without it).
func Dynamo(t testing.TB) *dynamodb.Client {
	t.Helper()
	localservices.Require(t, localservices.DynamoDB)
	ddbOnce.Do(func() {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			ddbErr = err
			return
		}
		ddbClient = dynamodb.NewFromConfig(cfg)
	})
	if ddbErr != nil {
		t.Fatal(ddbErr)
	}
	return ddbClient
}

// NewTableName returns a fresh table name, so each test has its own table.
func NewTableName() string {
	return "authz-" + strings.ToLower(rand.Text()[:12])
}

// NewStore creates a fresh mapping table on moto and a Store on it.
// cacheTTL < 0 disables the mapping cache (so revocation shows at once).
func NewStore(t testing.TB, cacheTTL time.Duration) *mapping.Store {
	t.Helper()
	ctx := context.Background()
	table := NewTableName()
	if err := mapping.CreateTable(ctx, Dynamo(t), table, true); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	s, err := mapping.New(mapping.Config{Table: table, DynamoDB: Dynamo(t), CacheTTL: cacheTTL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Populate writes the mapping every decision test starts from.
func Populate(t testing.TB, s *mapping.Store) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []struct {
		id, name string
		kind     mapping.Kind
	}{
		{"u-alice", "alice", mapping.KindUser},
		{"u-carol", "carol", mapping.KindUser},
		{"p-bob", "partner-bob", mapping.KindPartner},
	} {
		if _, err := s.CreateUser(ctx, u.id, cognitotest.DefaultUserPoolID, u.name, cognitotest.Sub(cognitotest.DefaultUserPoolID, u.name), u.kind); err != nil {
			t.Fatalf("CreateUser %s: %v", u.name, err)
		}
	}
	if _, err := s.AddClient(ctx, "u-alice", mapping.Client{ClientID: M2MClient, Label: "alice's script"}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	if _, err := s.AddClient(ctx, "u-carol", mapping.Client{ClientID: NarrowClient, Scopes: []string{"orders/read"}}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
}

// NewIssuer starts a fake Cognito issuer, closed with the test.
func NewIssuer(t testing.TB) *cognitotest.Issuer {
	t.Helper()
	is, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	return is
}

// NewVerifier verifies the issuer's tokens for the test pool's clients.
func NewVerifier(t testing.TB, is *cognitotest.Issuer, cacheSize int) *jwtverify.Verifier {
	t.Helper()
	pc := is.PoolConfig()
	pc.ClientIDs = []string{WebClient, M2MClient, NarrowClient, UnknownClient, PartnerClient}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, TokenCacheSize: cacheSize})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// LogBuffer collects log lines from concurrent writers.
type LogBuffer = logscan.Buffer

// JSONLines returns the JSON objects written to l, one per line.
func JSONLines(t testing.TB, l *LogBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// JSONEqual reports whether a and b hold the same JSON value.
func JSONEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("jsonEqual: first value: %v", err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("jsonEqual: second value: %v", err)
	}
	return reflect.DeepEqual(va, vb)
}

// NewTestLogger returns a JSON logger writing to a fresh buffer.
func NewTestLogger() (*slog.Logger, *LogBuffer) {
	buf := &LogBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// RulesJSON protects three areas; everything else is open to any
// authenticated caller.
const RulesJSON = `[
	{"method": "*", "path": "/admin/*", "groups": ["admins"]},
	{"method": "POST", "path": "/orders", "scopes": ["orders/write"]},
	{"method": "GET", "path": "/orders*", "scopes": ["orders/read", "orders/write"]},
	{"method": "GET", "path": "/reports/*", "scopes": ["reports/read"], "groups": ["analysts"]},
	{"method": "GET", "path": "/health"}
]`

// IAMAllows evaluates a policy for an execute-api:Invoke on arn the way
// IAM does: an explicit Deny wins, otherwise an Allow is needed. Resource
// patterns use "*" (any run) and "?" (one character). It is written
// independently of package authorizer's matcher on purpose.
func IAMAllows(doc events.APIGatewayCustomAuthorizerPolicy, arn string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !slicesContainsAction(st.Action) {
			continue
		}
		for _, r := range st.Resource {
			if !IAMMatch(r, arn) {
				continue
			}
			if st.Effect == "Deny" {
				return false
			}
			if st.Effect == "Allow" {
				allowed = true
			}
		}
	}
	return allowed
}

func slicesContainsAction(actions []string) bool {
	for _, a := range actions {
		if a == "execute-api:Invoke" || a == "execute-api:*" || a == "*" {
			return true
		}
	}
	return false
}

// IAMMatch matches s against an IAM resource pattern: "*" any run, "?" one
// character.
func IAMMatch(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
}
