package infrafacts

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

var update = flag.Bool("update", false, "rewrite infra/lib/gatehouse-facts.json from the Go code")

// factsFile is the JSON the CDK app imports (infra/lib/facts.ts).
var factsFile = filepath.Join("..", "..", "..", "infra", "lib", "gatehouse-facts.json")

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
		"authorizer": {awsenv.EnvUserPoolID, awsenv.EnvTable, awsenv.EnvRoutes, awsenv.EnvMappingCacheTTL, envconfig.JWKSTimeout},
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
	if len(f.LeadingKeyPrefixes[mapping.ServiceAuthorizer]) < 2 || !slices.Equal(f.Authorizer.DynamoDBActions, []string{"dynamodb:GetItem"}) {
		t.Errorf("authorizer lookups %+v on %v: want GetItem on at least the user name and client prefixes", f.Authorizer, f.LeadingKeyPrefixes)
	}
	// Every function whose role touches the table has its list.
	if got := slices.Sorted(maps.Keys(f.LeadingKeyPrefixes)); !slices.Equal(got, []string{"authorizer", "portal", "refresh"}) {
		t.Errorf("leadingKeyPrefixes for %v", got)
	}
	// The writing functions have their actions; the portal's reset
	// transaction holds a ConditionCheck (authorised separately on AWS).
	if got := slices.Sorted(maps.Keys(f.DynamoDBActions)); !slices.Equal(got, []string{"portal", "refresh"}) {
		t.Errorf("dynamoDBActions for %v", got)
	}
	if !slices.Contains(f.DynamoDBActions["portal"], "dynamodb:ConditionCheckItem") {
		t.Errorf("portal actions %v lack dynamodb:ConditionCheckItem", f.DynamoDBActions["portal"])
	}
}

// TestEnvironmentOnlyThroughConfigFromEnv guards what deriveEnvironment
// assumes: each Lambda function (cmd/<name> but the CLI) reaches the
// environment only by passing os.Getenv to the ConfigFromEnv that
// configFromEnv calls for it, so the names that call reads are all the
// names the function reads. It inspects
// the module's own packages in the function's build (linux/arm64,
// lambda.norpc, as make build makes it).
func TestEnvironmentOnlyThroughConfigFromEnv(t *testing.T) {
	const module = "github.com/gatehouse-auth/gatehouse"
	entries, err := os.ReadDir(filepath.Join("..", "..", "..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var lambdas []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "gatehouse" {
			lambdas = append(lambdas, e.Name())
		}
	}
	if want := slices.Sorted(maps.Keys(configFromEnv)); !slices.Equal(lambdas, want) {
		t.Fatalf("Lambda functions under cmd/: %v; infrafacts reads the environment of %v: add the new one to configFromEnv", lambdas, want)
	}
	for _, fn := range lambdas {
		cfg, _ := configFromEnv[fn](func(string) string { return "" })
		configPkg := reflect.TypeOf(cfg).PkgPath()
		list := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
			"-f", "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \"\\t\"}}{{end}}", "./cmd/"+fn)
		list.Dir = filepath.Join("..", "..", "..")
		list.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		out, err := list.Output()
		if err != nil {
			t.Fatalf("go list ./cmd/%s: %v", fn, err)
		}
		entry := 0
		for line := range strings.Lines(string(out)) {
			fields := strings.Split(strings.TrimSpace(line), "\t")
			if len(fields) < 3 || (fields[0] != module && !strings.HasPrefix(fields[0], module+"/")) {
				continue
			}
			for _, name := range fields[2:] {
				entry += envReads(t, filepath.Join(fields[1], name), fields[0] == module+"/cmd/"+fn, configPkg)
			}
		}
		if entry != 1 {
			t.Errorf("cmd/%s: %d calls of %s.ConfigFromEnv(os.Getenv), want exactly 1", fn, entry, configPkg)
		}
	}
}

// envReads fails t for every use of os or syscall Getenv, LookupEnv or
// Environ in file, except os.Getenv passed to configPkg's ConfigFromEnv in
// the function's main package; it returns how many of those it saw.
func envReads(t *testing.T, file string, isMain bool, configPkg string) int {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	pathOf := func(e ast.Expr) (string, string) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", ""
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return "", ""
		}
		return imports[id.Name], sel.Sel.Name
	}
	allowed := map[ast.Expr]bool{}
	entry := 0
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || !isMain || len(call.Args) != 1 {
			return true
		}
		if pkg, name := pathOf(call.Fun); pkg == configPkg && name == "ConfigFromEnv" {
			if pkg, name := pathOf(call.Args[0]); pkg == "os" && name == "Getenv" {
				allowed[call.Args[0]] = true
				entry++
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if !ok || allowed[e] {
			return true
		}
		pkg, name := pathOf(e)
		if (pkg == "os" || pkg == "syscall") && (name == "Getenv" || name == "LookupEnv" || name == "Environ") {
			t.Errorf("%s: %s.%s: a Lambda function reads its environment only through ConfigFromEnv, or infrafacts cannot see the names",
				fset.Position(e.Pos()), pkg, name)
		}
		return true
	})
	return entry
}

func TestCheckCovers(t *testing.T) {
	tests := []struct {
		name             string
		listed, observed []string
		wantErr          string
	}{
		{"exact", []string{"CLIENT#", "USERNAME#"}, []string{"CLIENT#", "USERNAME#"}, ""},
		{"qualified key", []string{"CLIENT#", "USERNAME#"}, []string{"CLIENT#", "USERNAME#eu-west-1_Pool#"}, ""},
		{"read outside", []string{"USERNAME#"}, []string{"CLIENT#", "USERNAME#"}, "outside"},
		{"listed, never read", []string{"CLIENT#", "PARTNER#", "USERNAME#"}, []string{"CLIENT#", "USERNAME#"}, "never"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkCovers(tt.listed, tt.observed)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkCovers = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
