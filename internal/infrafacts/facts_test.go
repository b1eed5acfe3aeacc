package infrafacts

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
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
		t.Errorf("%s is out of date with the Go code; run %s and commit it, then make infra-test.\nchecked in:\n%s\nGo says:\n%s",
			factsFile, Regenerate, got, want)
	}
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
