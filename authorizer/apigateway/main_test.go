package apigateway

import (
	"os"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/internal/authtest"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB))
}

// The fixtures shared with the decision core's tests.
const (
	webClient     = authtest.WebClient
	m2mClient     = authtest.M2MClient
	narrowClient  = authtest.NarrowClient
	partnerClient = authtest.PartnerClient
)

var (
	newStore    = authtest.NewStore
	populate    = authtest.Populate
	newIssuer   = authtest.NewIssuer
	newVerifier = authtest.NewVerifier
	jsonEqual   = authtest.JSONEqual
)

// testRules are authtest.RulesJSON.
var testRules = func() []authorizer.Rule {
	rules, err := authorizer.ParseRules([]byte(authtest.RulesJSON))
	if err != nil {
		panic(err)
	}
	return rules
}()
