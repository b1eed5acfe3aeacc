package authorizer

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer/internal/authtest"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}

// The fixtures shared with the front ends' tests live in authtest.
const (
	webClient     = authtest.WebClient
	m2mClient     = authtest.M2MClient
	narrowClient  = authtest.NarrowClient
	unknownClient = authtest.UnknownClient
	partnerClient = authtest.PartnerClient
)

var (
	dynamo        = authtest.Dynamo
	newTableName  = authtest.NewTableName
	newStore      = authtest.NewStore
	populate      = authtest.Populate
	newIssuer     = authtest.NewIssuer
	newVerifier   = authtest.NewVerifier
	jsonLines     = authtest.JSONLines
	newTestLogger = authtest.NewTestLogger
)

type logBuffer = authtest.LogBuffer

// testRules are authtest.RulesJSON.
var testRules = func() []Rule {
	rules, err := ParseRules([]byte(authtest.RulesJSON))
	if err != nil {
		panic(err)
	}
	return rules
}()

// failingDirectory answers every lookup with err: for the error kinds a
// real store cannot be made to produce on demand.
type failingDirectory struct{ err error }

func (f failingDirectory) UserByUsername(context.Context, string, string) (record.User, error) {
	return record.User{}, f.err
}

func (f failingDirectory) ClientByID(context.Context, string) (record.Client, error) {
	return record.Client{}, f.err
}

var errStrange = errors.New("a failure of no known kind")

// The types awsenv.EnvConfig.Build wires together satisfy the interfaces.
var (
	_ TokenVerifier = (*jwtverify.Verifier)(nil)
	_ Directory     = (*mapping.Store)(nil)
)
