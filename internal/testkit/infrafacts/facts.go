// Package infrafacts derives what the CDK app (infra/) must agree on with
// the Go code: the environment variables each Lambda function reads, the
// mapping table's key attributes, the DynamoDB actions of the authorizer's
// lookups, the partition-key prefixes each function's role may touch (its
// IAM dynamodb:LeadingKeys condition: mapping.LeadingKeyPrefixes, the
// authorizer's checked against its observed lookups), the KMS encryption
// context of sealed partner tokens, and the API Gateway resources and
// methods the portal and partner functions serve.
//
// Nothing here is a second copy of a fact: every value is observed by
// running the real Go code (each service's ConfigFromEnv, mapping.Store,
// mapping.CreateTable, mapping.Sealer) against recording stand-ins that
// answer nothing. The result is checked in as infra/lib/gatehouse-facts.json,
// which the CDK app imports; the package test fails when that file differs
// from what Derive returns now, and when a Lambda function reads its
// environment other than through its ConfigFromEnv. Regenerate it with
//
//	go test ./internal/testkit/infrafacts -run TestFactsFile -update
package infrafacts

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
	"github.com/gatehouse-auth/gatehouse/portal"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// Facts is the content of infra/lib/gatehouse-facts.json.
type Facts struct {
	GeneratedBy string `json:"generatedBy"`
	Table       Table  `json:"table"`
	// Environment: the GATEHOUSE_* variables each function's ConfigFromEnv
	// reads, sorted, by function (authorizer, portal, refresh).
	Environment map[string][]string `json:"environment"`
	Authorizer  Lookups             `json:"authorizer"`
	// LeadingKeyPrefixes: for each function whose role touches the table,
	// the partition-key prefixes its store operations use
	// (mapping.LeadingKeyPrefixes); the IAM condition is
	// dynamodb:LeadingKeys StringLike "<prefix>*" for each. The
	// authorizer's list is also observed here (deriveLookups) and must agree.
	LeadingKeyPrefixes map[string][]string `json:"leadingKeyPrefixes"`
	// DynamoDBActions: for each function whose store writes (portal,
	// refresh), the IAM actions its DynamoDB requests are authorised as
	// (mapping.DynamoDBActions, proved by mapping's TestLeadingKeyPrefixes);
	// the authorizer's are Authorizer.DynamoDBActions.
	DynamoDBActions map[string][]string `json:"dynamoDBActions"`
	Seal            Seal                `json:"seal"`
	// Routes are the API Gateway resources and methods each proxy
	// function serves (portal.Routes, refresh.Routes), sorted: each must
	// be a resource of its own, since the handlers route by
	// requestContext.resourcePath and refuse {proxy+}.
	Routes map[string][]apigwproxy.Route `json:"routes"`
}

// Table is the mapping table's key schema (mapping.CreateTable).
type Table struct {
	PartitionKey string `json:"partitionKey"`
	SortKey      string `json:"sortKey"`
}

// Lookups is what the authorizer's mapping lookups (every method of
// authorizer.Directory, on a *mapping.Store) ask of DynamoDB.
type Lookups struct {
	// DynamoDBActions are IAM actions, such as "dynamodb:GetItem".
	DynamoDBActions []string `json:"dynamoDBActions"`
}

// Seal is the KMS side of sealing a partner refresh token
// (Store.PartnerTokenBinding with a mapping.Sealer on kmskeys).
type Seal struct {
	// KMSActions are IAM actions, such as "kms:GenerateDataKey".
	KMSActions []string `json:"kmsActions"`
	// EncryptionContextKeys are every key of the encryption context.
	EncryptionContextKeys []string `json:"encryptionContextKeys"`
	// TableContextKey holds the table name, PurposeContextKey the purpose.
	TableContextKey   string `json:"tableContextKey"`
	PurposeContextKey string `json:"purposeContextKey"`
	// PartnerRefreshTokenPurpose is mapping.PurposePartnerRefreshToken.
	PartnerRefreshTokenPurpose string `json:"partnerRefreshTokenPurpose"`
}

// Regenerate is the command that rewrites the JSON file.
const Regenerate = "go test ./internal/testkit/infrafacts -run TestFactsFile -update"

// errStop ends a recorded call once its request has been seen.
var errStop = errors.New("infrafacts: recorded, not answered")

// Derive runs the Go code against recording stand-ins and returns the
// facts. An error means the derivation no longer understands what the code
// does (a new kind of call, a key not built from a prefix): it is then
// extended here, never guessed.
func Derive() (Facts, error) {
	f := Facts{GeneratedBy: Regenerate}
	var err error
	if f.Table, err = deriveTable(); err != nil {
		return Facts{}, err
	}
	if f.Environment, err = deriveEnvironment(); err != nil {
		return Facts{}, err
	}
	var observed []string
	if f.Authorizer, observed, err = deriveLookups(f.Table.PartitionKey); err != nil {
		return Facts{}, err
	}
	f.LeadingKeyPrefixes = mapping.LeadingKeyPrefixes()
	if err := checkCovers(f.LeadingKeyPrefixes[mapping.ServiceAuthorizer], observed); err != nil {
		return Facts{}, err
	}
	for _, fn := range slices.Sorted(maps.Keys(f.LeadingKeyPrefixes)) {
		if _, ok := configFromEnv[fn]; !ok {
			return Facts{}, fmt.Errorf("infrafacts: mapping.LeadingKeyPrefixes names %q, not a function", fn)
		}
	}
	f.DynamoDBActions = mapping.DynamoDBActions()
	for _, fn := range slices.Sorted(maps.Keys(f.DynamoDBActions)) {
		if _, ok := f.LeadingKeyPrefixes[fn]; !ok || fn == mapping.ServiceAuthorizer {
			return Facts{}, fmt.Errorf("infrafacts: mapping.DynamoDBActions names %q, not a writing function with LeadingKeys", fn)
		}
	}
	if f.Seal, err = deriveSeal(); err != nil {
		return Facts{}, err
	}
	f.Routes = map[string][]apigwproxy.Route{}
	for name, routes := range map[string][]apigwproxy.Route{"portal": portal.Routes, "refresh": refresh.Routes} {
		t, err := apigwproxy.NewTable(routes, "")
		if err != nil {
			return Facts{}, err
		}
		f.Routes[name] = t.Routes()
	}
	return f, nil
}

// JSON is the file's exact content: indented, keys in a fixed order, a
// final newline.
func (f Facts) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// sampleEnvironment is a minimal valid configuration per function, so that
// ConfigFromEnv also runs to the end of its success path; the names read
// are the union of that run and one with nothing set. The values are
// examples, not facts about the deployment.
var sampleEnvironment = map[string]map[string]string{
	"authorizer": {
		awsenv.EnvUserPoolID: "eu-west-1_AbCdEf123",
		awsenv.EnvClientIDs:  "client1",
		awsenv.EnvTable:      "gatehouse",
		// The partners' pool is optional: set, so that its success path
		// reads its variables too.
		envconfig.PartnerUserPoolID:                    "eu-west-1_Partners1",
		envconfig.PartnerPool.Var(envconfig.ClientIDs): "partner1",
	},
	"portal": {
		portal.EnvUserPoolID:      "eu-west-1_AbCdEf123",
		portal.EnvClientIDs:       "client1",
		portal.EnvTable:           "gatehouse",
		portal.EnvAPIClientsGroup: "api-users",
		portal.EnvAPIClientScopes: "gatehouse/read",
		portal.EnvTokenEndpoint:   "https://example.auth.eu-west-1.amazoncognito.com/oauth2/token",
	},
	"refresh": {
		refresh.EnvUserPoolID:            "eu-west-1_AbCdEf123",
		refresh.EnvPartnerUserPoolID:     "eu-west-1_Partners1",
		refresh.EnvClientIDs:             "client1",
		refresh.EnvTable:                 "gatehouse",
		refresh.EnvKMSKeyID:              "alias/gatehouse",
		refresh.EnvPartnerClientID:       "partner1",
		refresh.EnvPartnerClientSecretID: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner",
		refresh.EnvAdminGroup:            "administrators",
	},
}

// configFromEnv is what each function's main calls (cmd/<function>); the
// configuration's type tells which package's ConfigFromEnv that is.
var configFromEnv = map[string]func(func(string) string) (any, error){
	"authorizer": func(g func(string) string) (any, error) { return awsenv.ConfigFromEnv(g) },
	"portal":     func(g func(string) string) (any, error) { return portal.ConfigFromEnv(g) },
	"refresh":    func(g func(string) string) (any, error) { return refresh.ConfigFromEnv(g) },
}

func deriveEnvironment() (map[string][]string, error) {
	out := make(map[string][]string, len(configFromEnv))
	for fn, read := range configFromEnv {
		seen := map[string]bool{}
		record := func(env map[string]string) func(string) string {
			return func(name string) string { seen[name] = true; return env[name] }
		}
		_, _ = read(record(nil)) // fails (required variables): still records every name asked
		if _, err := read(record(sampleEnvironment[fn])); err != nil {
			return nil, fmt.Errorf("infrafacts: %s: the sample environment no longer configures it: %w", fn, err)
		}
		names := make([]string, 0, len(seen))
		for name := range seen {
			if !strings.HasPrefix(name, "GATEHOUSE_") {
				return nil, fmt.Errorf("infrafacts: %s reads %q, outside GATEHOUSE_*", fn, name)
			}
			names = append(names, name)
		}
		slices.Sort(names)
		out[fn] = names
	}
	return out, nil
}

// tableRecorder records CreateTable's request.
type tableRecorder struct{ in *dynamodb.CreateTableInput }

func (r *tableRecorder) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	r.in = in
	return nil, errStop
}

func (r *tableRecorder) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return nil, errStop
}

func deriveTable() (Table, error) {
	var r tableRecorder
	if err := mapping.CreateTable(context.Background(), &r, "gatehouse", false); !errors.Is(err, errStop) || r.in == nil {
		return Table{}, fmt.Errorf("infrafacts: mapping.CreateTable did not call CreateTable as expected: %v", err)
	}
	var t Table
	for _, k := range r.in.KeySchema {
		name := *k.AttributeName
		switch k.KeyType {
		case types.KeyTypeHash:
			t.PartitionKey = name
		case types.KeyTypeRange:
			t.SortKey = name
		}
	}
	if t.PartitionKey == "" || t.SortKey == "" || len(r.in.KeySchema) != 2 {
		return Table{}, fmt.Errorf("infrafacts: unexpected key schema %+v", r.in.KeySchema)
	}
	return t, nil
}

// lookupRecorder records the partition keys of GetItem calls; every other
// call is refused, because deriveLookups knows how to turn only GetItem
// into an IAM condition.
type lookupRecorder struct {
	pk      string
	keys    []string
	actions map[string]bool
	err     error
}

func (r *lookupRecorder) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.actions["dynamodb:GetItem"] = true
	v, ok := in.Key[r.pk].(*types.AttributeValueMemberS)
	if !ok {
		r.err = cmp.Or(r.err, fmt.Errorf("infrafacts: GetItem without a string %s", r.pk))
		return nil, errStop
	}
	r.keys = append(r.keys, v.Value)
	return &dynamodb.GetItemOutput{}, nil // no item: not found
}

func (r *lookupRecorder) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	r.err = cmp.Or(r.err, errors.New("infrafacts: an authorizer lookup issued Query: derive its LeadingKeys here"))
	return nil, errStop
}

func (r *lookupRecorder) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	r.err = cmp.Or(r.err, errors.New("infrafacts: an authorizer lookup wrote to the table"))
	return nil, errStop
}

// probeID is the name every lookup is called with; what precedes it in the
// partition key is the prefix. A lookup that takes more strings (the user
// pool before a user name) gets probePool for each of them, and the key
// must then be <prefix><probePool>#...<probeID>: the prefix is what comes
// before the first, since the authorizer serves every pool.
const (
	probeID   = "infrafacts-probe"
	probePool = "eu-west-1_InfrafactsProbe"
)

// checkCovers checks that the listed prefixes are exactly what the observed
// partition keys need: each observed key prefix starts with a listed one
// (an observed prefix may be longer, such as a user name qualified by its
// pool), and each listed one is used.
func checkCovers(listed, observed []string) error {
	used := map[string]bool{}
	for _, o := range observed {
		i := slices.IndexFunc(listed, func(p string) bool { return strings.HasPrefix(o, p) })
		if i < 0 {
			return fmt.Errorf("infrafacts: the authorizer reads partition keys starting %q, outside mapping.LeadingKeyPrefixes %v", o, listed)
		}
		used[listed[i]] = true
	}
	for _, p := range listed {
		if !used[p] {
			return fmt.Errorf("infrafacts: mapping.LeadingKeyPrefixes lets the authorizer read %q, which its lookups never do", p)
		}
	}
	return nil
}

// deriveLookups returns the authorizer's actions and the partition-key
// prefixes its lookups were seen to read.
func deriveLookups(partitionKey string) (Lookups, []string, error) {
	rec := &lookupRecorder{pk: partitionKey, actions: map[string]bool{}}
	store, err := mapping.New(mapping.Config{Table: "gatehouse", DynamoDB: rec, CacheSize: -1, MaxAttempts: 1})
	if err != nil {
		return Lookups{}, nil, err
	}
	// Every method the authorizer may call, found by reflection so that a
	// method added to authorizer.Directory is probed too.
	dir := reflect.TypeFor[authorizer.Directory]()
	sv := reflect.ValueOf(store)
	ctx := reflect.ValueOf(context.Background())
	for i := range dir.NumMethod() {
		name := dir.Method(i).Name
		m := sv.MethodByName(name)
		if !m.IsValid() {
			return Lookups{}, nil, fmt.Errorf("infrafacts: *mapping.Store has no method %s of authorizer.Directory", name)
		}
		mt := m.Type()
		args := []reflect.Value{ctx}
		for a := 1; a < mt.NumIn(); a++ {
			if mt.In(a).Kind() != reflect.String {
				return Lookups{}, nil, fmt.Errorf("infrafacts: authorizer.Directory.%s does not take (ctx, string...): extend the probe", name)
			}
			v := probePool
			if a == mt.NumIn()-1 {
				v = probeID
			}
			args = append(args, reflect.ValueOf(v))
		}
		if len(args) < 2 {
			return Lookups{}, nil, fmt.Errorf("infrafacts: authorizer.Directory.%s takes no string: extend the probe", name)
		}
		before := len(rec.keys)
		m.Call(args)
		if len(rec.keys) == before && rec.err == nil {
			return Lookups{}, nil, fmt.Errorf("infrafacts: authorizer.Directory.%s read nothing", name)
		}
	}
	if rec.err != nil {
		return Lookups{}, nil, rec.err
	}
	var l Lookups
	var prefixes []string
	for _, k := range rec.keys {
		prefix, ok := strings.CutSuffix(k, probeID)
		for strings.HasSuffix(prefix, probePool+"#") {
			prefix = strings.TrimSuffix(prefix, probePool+"#")
		}
		ok = ok && !strings.Contains(prefix, probePool)
		// IAM StringLike treats * and ? as wildcards: a prefix holding one
		// would grant more than it says.
		if !ok || prefix == "" || strings.ContainsAny(prefix, "*?") {
			return Lookups{}, nil, fmt.Errorf("infrafacts: partition key %q is not <prefix>%s with a plain prefix", k, probeID)
		}
		prefixes = append(prefixes, prefix)
	}
	for a := range rec.actions {
		l.DynamoDBActions = append(l.DynamoDBActions, a)
	}
	slices.Sort(l.DynamoDBActions)
	slices.Sort(prefixes)
	return l, slices.Compact(prefixes), nil
}

// kmsRecorder records the encryption contexts and operations of sealing.
type kmsRecorder struct {
	contexts []map[string]string
	actions  map[string]bool
}

func (r *kmsRecorder) GenerateDataKey(_ context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	r.actions["kms:GenerateDataKey"] = true
	r.contexts = append(r.contexts, in.EncryptionContext)
	return nil, errStop
}

func (r *kmsRecorder) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	r.actions["kms:Decrypt"] = true
	r.contexts = append(r.contexts, in.EncryptionContext)
	return nil, errStop
}

func deriveSeal() (Seal, error) {
	const table = "gatehouse"
	rec := &kmsRecorder{actions: map[string]bool{}}
	keys, err := kmskeys.New(rec, "alias/gatehouse")
	if err != nil {
		return Seal{}, err
	}
	store, err := mapping.New(mapping.Config{Table: table, DynamoDB: &lookupRecorder{}, Keys: keys})
	if err != nil {
		return Seal{}, err
	}
	ctx := context.Background()
	sealer, err := store.Sealer()
	if err != nil {
		return Seal{}, err
	}
	binding := store.PartnerTokenBinding(probeID)
	if _, err := sealer.Seal(ctx, []byte("token"), binding); !errors.Is(err, errStop) {
		return Seal{}, fmt.Errorf("infrafacts: Seal did not call KMS as expected: %v", err)
	}
	// The smallest well-formed envelope (version 1, a 1-byte wrapped key, a
	// nonce and a tag), so that Open gets as far as KMS.
	envelope := append([]byte{1, 0, 1, 'k'}, make([]byte, 12+16)...)
	if _, err := sealer.Open(ctx, envelope, binding); !errors.Is(err, errStop) {
		return Seal{}, fmt.Errorf("infrafacts: Open did not call KMS as expected: %v", err)
	}
	s := Seal{PartnerRefreshTokenPurpose: binding.Purpose}
	for _, c := range rec.contexts {
		keys := slices.Sorted(maps.Keys(c))
		if s.EncryptionContextKeys != nil && !slices.Equal(keys, s.EncryptionContextKeys) {
			return Seal{}, fmt.Errorf("infrafacts: sealing and opening use different encryption contexts: %v, %v", s.EncryptionContextKeys, keys)
		}
		s.EncryptionContextKeys = keys
		for k, v := range c {
			switch v {
			case table:
				s.TableContextKey = k
			case binding.Purpose:
				s.PurposeContextKey = k
			}
		}
	}
	for a := range rec.actions {
		s.KMSActions = append(s.KMSActions, a)
	}
	slices.Sort(s.KMSActions)
	if s.TableContextKey == "" || s.PurposeContextKey == "" || len(s.KMSActions) != 2 {
		return Seal{}, fmt.Errorf("infrafacts: the encryption context %v names no table or purpose", rec.contexts)
	}
	return s, nil
}
