package authorizer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/logscan"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}

// The app clients of the test pool.
const (
	webClient     = "web-client"
	m2mClient     = "m2m-client"
	narrowClient  = "narrow-client"
	unknownClient = "unknown-client" // accepted by the verifier, never mapped
	partnerClient = "partner-client"
)

var (
	ddbOnce   sync.Once
	ddbClient *dynamodb.Client
	ddbErr    error
)

func dynamo(t testing.TB) *dynamodb.Client {
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

// newTableName returns a fresh table name, so each test has its own table.
func newTableName() string {
	return "authz-" + strings.ToLower(rand.Text()[:12])
}

// newStore creates a fresh mapping table on moto and a Store on it.
// cacheTTL < 0 disables the mapping cache (so revocation shows at once).
func newStore(t testing.TB, cacheTTL time.Duration) *mapping.Store {
	t.Helper()
	ctx := context.Background()
	table := newTableName()
	if err := mapping.CreateTable(ctx, dynamo(t), table, true); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	s, err := mapping.New(mapping.Config{Table: table, DynamoDB: dynamo(t), CacheTTL: cacheTTL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// population is the mapping every decision test starts from.
func populate(t testing.TB, s *mapping.Store) {
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
		if _, err := s.CreateUser(ctx, u.id, u.name, u.kind); err != nil {
			t.Fatalf("CreateUser %s: %v", u.name, err)
		}
	}
	if _, err := s.AddClient(ctx, "u-alice", mapping.Client{ClientID: m2mClient, Label: "alice's script"}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	if _, err := s.AddClient(ctx, "u-carol", mapping.Client{ClientID: narrowClient, Scopes: []string{"orders/read"}}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
}

func newIssuer(t testing.TB) *cognitotest.Issuer {
	t.Helper()
	is, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	return is
}

func newVerifier(t testing.TB, is *cognitotest.Issuer, cacheSize int) *jwtverify.Verifier {
	t.Helper()
	pc := is.PoolConfig()
	pc.ClientIDs = []string{webClient, m2mClient, narrowClient, unknownClient, partnerClient}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, TokenCacheSize: cacheSize})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testRules protect three areas; everything else is open to any
// authenticated caller.
var testRules = []Rule{
	{Method: "*", Path: "/admin/*", Groups: []string{"admins"}},
	{Method: "POST", Path: "/orders", Scopes: []string{"orders/write"}},
	{Method: "GET", Path: "/orders*", Scopes: []string{"orders/read", "orders/write"}},
	{Method: "GET", Path: "/reports/*", Scopes: []string{"reports/read"}, Groups: []string{"analysts"}},
	{Method: "GET", Path: "/health"}, // no requirement: never denies
}

// logBuffer collects log lines from concurrent writers.
type logBuffer = logscan.Buffer

// jsonLines returns the JSON objects written to l, one per line.
func jsonLines(t testing.TB, l *logBuffer) []map[string]any {
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

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
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

// failingDirectory answers every lookup with err: for the error kinds a
// real store cannot be made to produce on demand.
type failingDirectory struct{ err error }

func (f failingDirectory) UserByUsername(context.Context, string) (mapping.User, error) {
	return mapping.User{}, f.err
}

func (f failingDirectory) ClientByID(context.Context, string) (mapping.Client, error) {
	return mapping.Client{}, f.err
}

var errStrange = errors.New("a failure of no known kind")

// newTestLogger returns a JSON logger writing to a fresh buffer.
func newTestLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}
