package refresh_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}

const adminGroup = "gatehouse-admins"

// awsEnv is shared by the tests: clients built the ordinary way (standard
// endpoint variables) and one KMS key.
type awsEnv struct {
	cfg   aws.Config
	ddb   *dynamodb.Client
	kms   *kms.Client
	idp   *cip.Client
	keyID string
}

var (
	envOnce sync.Once
	envVal  awsEnv
	envErr  error
)

func testEnv(tb testing.TB) awsEnv {
	tb.Helper()
	localservices.Require(tb, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	envOnce.Do(func() {
		ctx := context.Background()
		if envVal.cfg, envErr = config.LoadDefaultConfig(ctx); envErr != nil {
			return
		}
		// moto 5.2.1 does not isolate concurrent TransactWriteItems (two
		// winners of one conditional rotation were seen): when the endpoint
		// is moto, DynamoDB requests queue at it, as mapping's and portal's
		// concurrency tests do; the exchanges themselves stay concurrent.
		envVal.ddb = dynamodb.NewFromConfig(envVal.cfg, func(o *dynamodb.Options) {
			if localservices.IsMoto(localservices.DynamoDB) {
				o.HTTPClient = &localservices.SerialHTTP{Next: awshttp.NewBuildableClient()}
			}
		})
		envVal.kms = kms.NewFromConfig(envVal.cfg)
		envVal.idp = cip.NewFromConfig(envVal.cfg)
		key, err := envVal.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gatehouse refresh tests")})
		if err != nil {
			envErr = err
			return
		}
		envVal.keyID = *key.KeyMetadata.KeyId
	})
	if envErr != nil {
		tb.Fatalf("test environment: %v", envErr)
	}
	return envVal
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

// newStore creates a fresh table on moto and a Store with KMS on it.
func newStore(tb testing.TB) *mapping.Store {
	tb.Helper()
	e := testEnv(tb)
	table := "refresh-" + strings.ToLower(rand.Text()[:12])
	if err := mapping.CreateTable(context.Background(), e.ddb, table, true); err != nil {
		tb.Fatalf("CreateTable: %v", err)
	}
	tb.Cleanup(func() { e.ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })
	s, err := mapping.New(mapping.Config{Table: table, DynamoDB: e.ddb, Keys: keysOf(tb, e.kms, e.keyID), CacheTTL: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// localPool is the two user pools on cognito-local (one instance holds
// both): the partners' pool (id, issuer) with a partner app client (secret,
// ADMIN_USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH), and the people's pool
// (people) with an admin web client and the administrators.
type localPool struct {
	id, issuer, jwksURL  string
	partnerClient        string
	partnerSecret        string
	partners             userpool.Pool
	people               userpool.Pool
	adminClient          string
	adminToken, plainTok string // ID tokens of an administrator and of a person outside the group
}

func newLocalPool(t *testing.T) localPool {
	t.Helper()
	ctx := context.Background()
	idp := testEnv(t).idp
	suffix := rand.Text()[:6]
	partners, err := userpool.Create(ctx, idp, "refresh-partners-"+suffix)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := userpool.Create(ctx, idp, "refresh-people-"+suffix)
	if err != nil {
		t.Fatal(err)
	}
	lp := localPool{id: partners.ID, issuer: partners.LocalIssuer(), partners: partners, people: pool}
	lp.jwksURL = lp.issuer + "/.well-known/jwks.json"
	if lp.partnerClient, lp.partnerSecret, err = partners.Client(ctx, "partners", true); err != nil {
		t.Fatal(err)
	}
	if lp.adminClient, _, err = pool.Client(ctx, "admin-web", false); err != nil {
		t.Fatal(err)
	}
	if err := pool.Group(ctx, adminGroup); err != nil {
		t.Fatal(err)
	}
	person := func(name string, admin bool) string {
		pw := refresh.RandomPassword()
		var groups []string
		if admin {
			groups = []string{adminGroup}
		}
		if err := pool.User(ctx, name, pw, groups...); err != nil {
			t.Fatal(err)
		}
		tokens, err := pool.SignIn(ctx, lp.adminClient, name, pw)
		if err != nil {
			t.Fatal(err)
		}
		return *tokens.IdToken
	}
	lp.adminToken = person("olga-admin", true)
	lp.plainTok = person("peter-person", false)
	return lp
}

// peopleConfig is a jwtverify pool for lp's people's pool accepting
// clientIDs.
func (lp localPool) peopleConfig(clientIDs ...string) jwtverify.PoolConfig {
	issuer := lp.people.LocalIssuer()
	return jwtverify.PoolConfig{
		UserPoolID: lp.people.ID, ClientIDs: clientIDs,
		TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
		Issuer:    issuer, JWKSURL: issuer + "/.well-known/jwks.json", InsecureHTTP: true,
	}
}

// partnersConfig is a jwtverify pool for lp's partners' pool accepting ID
// tokens (the authorizer's default there) of clientIDs.
func (lp localPool) partnersConfig(clientIDs ...string) jwtverify.PoolConfig {
	return jwtverify.PoolConfig{
		UserPoolID: lp.id, ClientIDs: clientIDs, TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID},
		Issuer: lp.issuer, JWKSURL: lp.jwksURL, InsecureHTTP: true,
	}
}

func newVerifier(t testing.TB, pcs ...jwtverify.PoolConfig) *jwtverify.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixture is one service under test with its handler and captured logs.
type fixture struct {
	store     *mapping.Store
	svc       *refresh.Service
	handler   *refresh.Handler
	logs      *logBuffer
	passwords *recorder // every partner password made
	secret    string
	idp       *cip.Client
	poolID    string
	// adminIssuer mints administrators' tokens (rotation fixtures only).
	adminIssuer *cognitotest.Issuer
}

type fixtureOptions struct {
	idp           *cip.Client // default: the standard one (cognito-local)
	poolID        string
	partnerClient string
	secret        string
	rotation      bool
	admins        refresh.AdminVerifier
	store         *mapping.Store
	partnerAdmins *refresh.PartnerAdmins
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	if o.idp == nil {
		o.idp = testEnv(t).idp
	}
	if o.store == nil {
		o.store = newStore(t)
	}
	f := &fixture{store: o.store, logs: &logBuffer{}, passwords: &recorder{}, secret: o.secret, idp: o.idp, poolID: o.poolID}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tokens, err := cognitoauth.New(cognitoauth.Config{API: o.idp, UserPoolID: o.poolID, ClientID: o.partnerClient, ClientSecret: o.secret})
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = refresh.New(refresh.Config{
		Store: o.store, Tokens: tokens, UserPool: o.idp, UserPoolID: o.poolID,
		PartnerClientID: o.partnerClient, Rotation: o.rotation, Logger: logger,
		Password: func() string { p := refresh.RandomPassword(); f.passwords.add(p); return p },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.handler, err = refresh.NewHandler(refresh.HandlerConfig{Service: f.svc, Admins: o.admins, AdminGroup: adminGroup, Logger: logger, PartnerAdmins: o.partnerAdmins})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// call runs one request through the handler.
func (f *fixture) call(t testing.TB, method, path, bearer, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) register(t testing.TB, admin, partnerID string) refresh.CredentialView {
	t.Helper()
	rec := f.call(t, "POST", "/partners", admin, `{"partner_id":"`+partnerID+`"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register %s: %d %s", partnerID, rec.Code, rec.Body)
	}
	var v refresh.CredentialView
	decodeBody(t, rec, &v)
	if v.RefreshToken == "" || v.Status != "active" {
		t.Fatalf("register: %+v", v.PartnerView)
	}
	return v
}

func (f *fixture) exchange(t testing.TB, refreshToken string) *httptest.ResponseRecorder {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": refreshToken})
	return f.call(t, "POST", "/partners/token", "", string(body))
}

func decodeBody(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
}

func errorCode(t testing.TB, rec *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	var b struct {
		Error struct{ Code, Message string }
	}
	decodeBody(t, rec, &b)
	return b.Error.Code, b.Error.Message
}

// assertNoSecrets fails when the logs hold any of secrets.
func assertNoSecrets(t testing.TB, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("the logs hold a secret (%d bytes, starting %.6q)", len(s), s)
		}
	}
}

// logBuffer collects log lines from concurrent writers.
type logBuffer = logscan.Buffer

type recorder struct {
	mu     sync.Mutex
	values []string
}

func (r *recorder) add(v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values = append(r.values, v)
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.values...)
}

// newIssuerVerifier is a fake pool (cognitotest) for administrators'
// tokens in tests that do not need cognito-local's.
func newIssuerVerifier(t testing.TB, clientIDs ...string) (*cognitotest.Issuer, *jwtverify.Verifier) {
	t.Helper()
	is, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	pc := is.PoolConfig()
	pc.ClientIDs = clientIDs
	return is, newVerifier(t, pc)
}

// refreshInput is a REFRESH_TOKEN_AUTH call with the partner client's
// secret, to ask Cognito directly.
func refreshInput(lp localPool, username, token string) *cip.AdminInitiateAuthInput {
	return &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(lp.id), ClientId: aws.String(lp.partnerClient), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": token, "SECRET_HASH": cognitoauth.SecretHash(lp.partnerSecret, username, lp.partnerClient)},
	}
}

var withGroups = cognitotest.WithGroups
