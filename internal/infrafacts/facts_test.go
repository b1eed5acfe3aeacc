package infrafacts

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

var update = flag.Bool("update", false, "rewrite infra/lib/gatehouse-facts.json from the Go code")

// factsFile is the JSON the CDK app imports (infra/lib/facts.ts).
var factsFile = filepath.Join("..", "..", "infra", "lib", "gatehouse-facts.json")

// TestFactsFile fails when the checked-in JSON is not what the Go code says
// now: infra would deploy with stale key prefixes, variables or conditions.
func TestFactsFile(t *testing.T) {
	f, err := Derive()
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(factsFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(factsFile)
	if err != nil {
		t.Fatalf("%v: write it with %s", err, Regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the Go code; run %s, review and commit it, then make infra-test.\n%s",
			factsFile, Regenerate, lineDiff(string(got), string(want)))
	}
}

// lineDiff lists the lines only in the checked-in file (-) and only in what
// Go derives (+), in their order: enough to see which fact moved.
func lineDiff(got, want string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for l := range strings.Lines(s) {
			m[l]++
		}
		return m
	}
	only := func(sign, s string, other map[string]int) string {
		var b strings.Builder
		for l := range strings.Lines(s) {
			if other[l] > 0 {
				other[l]--
				continue
			}
			b.WriteString(sign + l)
		}
		return b.String()
	}
	return only("- ", got, count(want)) + only("+ ", want, count(got))
}

// TestDeriveSeesKnownFacts anchors the derivation on facts the packages
// export, so that a recorder that silently records nothing cannot pass.
func TestDeriveSeesKnownFacts(t *testing.T) {
	f, err := Derive()
	if err != nil {
		t.Fatal(err)
	}
	for fn, names := range map[string][]string{
		"authorizer": {authorizer.EnvUserPoolID, authorizer.EnvTable, authorizer.EnvRoutes, authorizer.EnvMappingCacheTTL, envconfig.JWKSTimeout},
		"portal":     {portal.EnvAPIClientsGroup, portal.EnvTokenEndpoint, portal.EnvBasePath, envconfig.ClientIDs},
		"refresh":    {refresh.EnvKMSKeyID, refresh.EnvPartnerClientSecretID, refresh.EnvAdminGroup, envconfig.ClientIDs},
	} {
		for _, name := range names {
			if !slices.Contains(f.Environment[fn], name) {
				t.Errorf("%s: %s missing from %v", fn, name, f.Environment[fn])
			}
		}
	}
	// The authorizer never reads the partner or sealing settings.
	if slices.Contains(f.Environment["authorizer"], refresh.EnvKMSKeyID) {
		t.Errorf("authorizer reads %s", refresh.EnvKMSKeyID)
	}
	if f.Seal.PartnerRefreshTokenPurpose != mapping.PurposePartnerRefreshToken {
		t.Errorf("purpose %q, want %q", f.Seal.PartnerRefreshTokenPurpose, mapping.PurposePartnerRefreshToken)
	}
	if len(f.Authorizer.LeadingKeyPrefixes) < 2 || !slices.Equal(f.Authorizer.DynamoDBActions, []string{"dynamodb:GetItem"}) {
		t.Errorf("authorizer lookups %+v: want GetItem on at least the user name and client prefixes", f.Authorizer)
	}
}
