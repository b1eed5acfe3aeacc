package mapping_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS))
}

// env is what every integration test shares: clients built the ordinary way
// (standard endpoint variables) and one KMS key with an alias.
type env struct {
	cfg   aws.Config
	ddb   *dynamodb.Client
	kms   *kms.Client
	keyID string // an alias, as in production configuration
}

// testPool and otherPool are the user pools the tests' user names belong to.
const (
	testPool  = "eu-west-1_People"
	otherPool = "eu-west-1_Partners"
)

var (
	envOnce sync.Once
	envVal  env
	envErr  error
)

func testEnv(tb testing.TB) env {
	tb.Helper()
	localservices.Require(tb, localservices.DynamoDB, localservices.KMS)
	envOnce.Do(func() {
		ctx := context.Background()
		envVal.cfg, envErr = config.LoadDefaultConfig(ctx)
		if envErr != nil {
			return
		}
		envVal.ddb = dynamodb.NewFromConfig(envVal.cfg)
		if localservices.IsMoto(localservices.DynamoDB) {
			// One queue for every test's requests (see raceClient).
			serial := &localservices.SerialHTTP{Next: awshttp.NewBuildableClient()}
			envVal.ddb = dynamodb.NewFromConfig(envVal.cfg, func(o *dynamodb.Options) { o.HTTPClient = serial })
		}
		envVal.kms = kms.NewFromConfig(envVal.cfg)
		key, err := envVal.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gatehouse mapping tests")})
		if err != nil {
			envErr = err
			return
		}
		alias := "alias/gatehouse-test-" + strings.ToLower(rand.Text()[:10])
		if _, err := envVal.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: &alias, TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
			envErr = err
			return
		}
		envVal.keyID = alias
	})
	if envErr != nil {
		tb.Fatalf("test environment: %v", envErr)
	}
	return envVal
}

// newTable creates a table of its own for one test, so tests run in
// parallel, and drops it afterwards.
func newTable(tb testing.TB) string {
	tb.Helper()
	e := testEnv(tb)
	name := "gatehouse-test-" + strings.ToLower(rand.Text()[:12])
	if err := mapping.CreateTable(context.Background(), e.ddb, name, true); err != nil {
		tb.Fatalf("CreateTable: %v", err)
	}
	tb.Cleanup(func() {
		e.ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
	})
	return name
}

// keysOf is the key service of keyID through api (kmskeys.New).
func keysOf(tb testing.TB, api kmskeys.KMSAPI, keyID string, optFns ...func(*kms.Options)) *kmskeys.Keys {
	tb.Helper()
	k, err := kmskeys.New(api, keyID, optFns...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// newStore returns a Store on a fresh table, with KMS, after applying
// adjust to the Config.
func newStore(tb testing.TB, adjust func(*mapping.Config)) (*mapping.Store, string) {
	tb.Helper()
	e := testEnv(tb)
	table := newTable(tb)
	// A generous per-call bound: with moto, requests wait in one queue
	// (localservices.SerialHTTP), and under the race detector on a busy machine the wait
	// can pass the 3 s default. Fault tests set their own.
	cfg := mapping.Config{Table: table, DynamoDB: e.ddb, Keys: keysOf(tb, e.kms, e.keyID), Timeout: 30 * time.Second}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := mapping.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s, table
}

// mustCreateUser creates a user with a new internal id, or fails the test.
func mustCreateUser(tb testing.TB, st *mapping.Store, username string, kind mapping.Kind) mapping.User {
	tb.Helper()
	u, err := st.CreateUser(ctxT(tb), "", testPool, username, "sub-"+username, kind)
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

// scan returns every item of a table, keyed "PK|SK".
func scan(tb testing.TB, table string) map[string]map[string]types.AttributeValue {
	tb.Helper()
	e := testEnv(tb)
	out := map[string]map[string]types.AttributeValue{}
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)}
	for {
		page, err := e.ddb.Scan(context.Background(), in)
		if err != nil {
			tb.Fatalf("Scan: %v", err)
		}
		for _, it := range page.Items {
			out[s(it, "PK")+"|"+s(it, "SK")] = it
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func s(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func n(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// checkTable verifies the table's invariants from a raw scan: every lookup
// item has its membership item and the other way round, counters match,
// and every pointer points back. Any half-written change shows up here.
// usernamePK is the user name item's PK for a profile or user name item:
// qualified by its pool, or the legacy key when it records none.
func usernamePK(it map[string]types.AttributeValue) string {
	if pool := s(it, "userPool"); pool != "" {
		return "USERNAME#" + pool + "#" + s(it, "username")
	}
	return "USERNAME#" + s(it, "username")
}

func checkTable(tb testing.TB, table string) {
	tb.Helper()
	items := scan(tb, table)
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	clients := map[string]int{}
	partners := map[string]int{}
	for k, it := range items {
		pk, sk := s(it, "PK"), s(it, "SK")
		switch {
		case sk == "PROFILE":
			id := strings.TrimPrefix(pk, "USER#")
			if u := items[usernamePK(it)+"|USERNAME"]; u == nil || s(u, "internalId") != id {
				bad("profile %s has no matching user name item", k)
			}
		case sk == "USERNAME":
			if p := items["USER#"+s(it, "internalId")+"|PROFILE"]; p == nil || usernamePK(p) != pk || usernamePK(it) != pk {
				bad("user name item %s has no matching profile", k)
			} else if s(p, "sub") != s(it, "sub") {
				bad("user name item %s is bound to sub %q, its profile to %q", k, s(it, "sub"), s(p, "sub"))
			}
		case sk == "CLIENT":
			if items["USER#"+s(it, "internalId")+"|CLIENT#"+s(it, "clientId")] == nil {
				bad("client %s has no membership item", k)
			}
		case strings.HasPrefix(sk, "CLIENT#"):
			clients[pk]++
			if c := items[sk+"|CLIENT"]; c == nil || "USER#"+s(c, "internalId") != pk {
				bad("membership %s has no client item", k)
			}
		case sk == "PARTNER":
			if items["USER#"+s(it, "internalId")+"|PARTNER#"+s(it, "partnerId")] == nil {
				bad("partner %s has no membership item", k)
			}
			if fp := s(it, "fingerprint"); fp != "" {
				if f := items["FINGERPRINT#"+fp+"|FINGERPRINT"]; f == nil || s(f, "partnerId") != s(it, "partnerId") {
					bad("partner %s: its fingerprint item is missing", k)
				}
			}
		case strings.HasPrefix(sk, "PENDING#"):
			clients[pk]++ // a client slot taken, not bound: counted
			if st := s(it, "status"); st != "creating" && st != "orphan" {
				bad("pending slot %s in state %q", k, st)
			}
		case strings.HasPrefix(sk, "PARTNER#"):
			partners[pk]++
			if p := items[sk+"|PARTNER"]; p == nil || "USER#"+s(p, "internalId") != pk {
				bad("membership %s has no partner item", k)
			}
		case sk == "PARTNERADMIN":
			// After DeleteUser an administrator's item may outlive its
			// partner (PartnerOfAdmin then finds nothing); a live partner
			// must name it.
			if p := items["PARTNER#"+s(it, "partnerId")+"|PARTNER"]; p != nil &&
				"PARTNERADMIN#"+s(p, "adminPool")+"#"+s(p, "adminUsername") != pk {
				bad("partner administrator %s points at a partner naming another", k)
			}
		case sk == "FINGERPRINT":
			p := items["PARTNER#"+s(it, "partnerId")+"|PARTNER"]
			if p == nil || "FINGERPRINT#"+s(p, "fingerprint") != pk {
				bad("fingerprint %s points at no partner carrying it", k)
			}
		default:
			bad("unknown item %s", k)
		}
	}
	for k, it := range items {
		if s(it, "SK") != "PROFILE" {
			continue
		}
		pk := s(it, "PK")
		if got, want := fmt.Sprint(clients[pk]), n(it, "clients"); got != want {
			bad("profile %s counts %s clients, has %s", k, want, got)
		}
		if got, want := fmt.Sprint(partners[pk]), n(it, "partners"); got != want {
			bad("profile %s counts %s partners, has %s", k, want, got)
		}
	}
	for _, p := range problems {
		tb.Error("table invariant: " + p)
	}
}

func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// raceClient is the DynamoDB client for tests of concurrent writes: the
// shared one, which queues requests when the endpoint is moto, because
// moto does not isolate concurrent transactions (see
// localservices.SerialHTTP).
func raceClient(tb testing.TB) *dynamodb.Client { return testEnv(tb).ddb }
