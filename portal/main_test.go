package portal_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/demo/clientcredentials"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/openapicheck"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}

const (
	group    = "developers"
	password = "Correct-Horse-Battery-9"
	scope    = "orders/read" // cognito-local accepts custom scopes without a resource server
)

var (
	awsOnce sync.Once
	awsCfg  aws.Config
	awsErr  error
	docOnce sync.Once
	doc     *openapicheck.Doc
	docErr  error
)

func openAPI(tb testing.TB) *openapicheck.Doc {
	tb.Helper()
	docOnce.Do(func() { doc, docErr = openapicheck.LoadFile("openapi.json") })
	if docErr != nil {
		tb.Fatal(docErr)
	}
	return doc
}

// syncBuffer collects log lines from concurrent writers.
type syncBuffer = logscan.Buffer

// fixture is one user pool (cognito-local), one mapping table
// (moto_server), the token endpoint stand-in and an authorizer, all
// fresh for one test.
type fixture struct {
	t         *testing.T
	ctx       context.Context
	idp       *cip.Client
	ddb       *dynamodb.Client
	store     *mapping.Store
	poolID    string
	pool      userpool.Pool
	webClient string
	webSecret string
	verifier  *jwtverify.Verifier
	auth      *cognitoauth.Client
	tokenURL  string
	authz     *authorizer.Authorizer
	logs      *syncBuffer
	logger    *slog.Logger
	// exercised records the documented operations requests went to.
	exercised map[openapicheck.Operation]bool
}

func randomSuffix() string { return strings.ToLower(rand.Text()[:10]) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	awsOnce.Do(func() { awsCfg, awsErr = config.LoadDefaultConfig(context.Background()) })
	if awsErr != nil {
		t.Fatal(awsErr)
	}
	f := &fixture{t: t, ctx: ctx, idp: cip.NewFromConfig(awsCfg), ddb: dynamodb.NewFromConfig(awsCfg),
		logs: &syncBuffer{}, exercised: map[openapicheck.Operation]bool{}}
	f.logger = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	table := "portal-" + randomSuffix()
	must(t, mapping.CreateTable(ctx, f.ddb, table, true))
	var err error
	f.store, err = mapping.New(mapping.Config{Table: table, DynamoDB: f.ddb, CacheSize: -1})
	must(t, err)

	pool, err := userpool.Create(ctx, f.idp, "portal-"+randomSuffix())
	must(t, err)
	f.pool, f.poolID = pool, pool.ID
	f.webClient, f.webSecret, err = pool.Client(ctx, "web", true)
	must(t, err)
	must(t, pool.Group(ctx, group))

	issuer := pool.LocalIssuer()
	vctx, vcancel := context.WithCancel(context.Background())
	t.Cleanup(vcancel)
	// The portal accepts the web client's ID and access tokens, and lets
	// client-credentials tokens through to refuse them itself, as
	// ConfigFromEnv configures it.
	f.verifier, err = jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
		UserPoolID: f.poolID, ClientIDs: []string{f.webClient}, Issuer: issuer, InsecureHTTP: true,
		AnyClientForClientCredentials: true,
		TokenUses:                     []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
	}}})
	must(t, err)
	f.auth, err = cognitoauth.New(cognitoauth.Config{API: f.idp, UserPoolID: f.poolID, ClientID: f.webClient, ClientSecret: f.webSecret})
	must(t, err)

	// cognito-local has no /oauth2/token: clientcredentials stands in for
	// it, minting under cognito-local's issuer and key after checking the
	// client id and secret against the pool (DescribeUserPoolClient).
	module, err := localservices.CognitoLocalModule()
	must(t, err)
	key, kid, err := clientcredentials.CognitoLocalKey(module)
	must(t, err)
	ep, err := clientcredentials.New(clientcredentials.Config{Cognito: f.idp, UserPoolID: f.poolID, Issuer: issuer, Key: key, KID: kid})
	must(t, err)
	t.Cleanup(ep.Close)
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	f.tokenURL = srv.URL + "/oauth2/token"

	// The authorizer under test is configured as its ConfigFromEnv does:
	// people's tokens from the web client, client-credentials tokens of any
	// app client (the portal creates them at run time): the mapping
	// decides. Its store does not cache, so a reset is seen at once
	// (deployed, the cache TTL adds its delay).
	azVerifier, err := jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{{
		UserPoolID: f.poolID, ClientIDs: []string{f.webClient}, AnyClientForClientCredentials: true, Issuer: issuer, InsecureHTTP: true,
		TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
	}}})
	must(t, err)
	azStore, err := mapping.New(mapping.Config{Table: table, DynamoDB: f.ddb, CacheSize: -1})
	must(t, err)
	f.authz, err = authorizer.New(authorizer.Config{Verifier: azVerifier, Directory: azStore, Logger: f.logger})
	must(t, err)
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// config is the portal's configuration for this fixture.
func (f *fixture) config() portal.Config {
	return portal.Config{
		Verifier: f.verifier, Cognito: f.idp, UserPoolID: f.poolID, Directory: f.store, Auth: f.auth,
		ClientsGroup: group, ClientScopes: []string{scope}, TokenEndpoint: f.tokenURL, InsecureTokenEndpoint: true,
		CreateUsers: true, MaxClientsPerUser: 3, Logger: f.logger,
		CompensationTimeout: 5 * time.Second,
	}
}

func (f *fixture) handler(mod func(*portal.Config)) *portal.Handler {
	f.t.Helper()
	cfg := f.config()
	if mod != nil {
		mod(&cfg)
	}
	h, err := portal.New(cfg)
	must(f.t, err)
	return h
}

// person creates a confirmed user with the shared password.
func (f *fixture) person(name string, groups ...string) {
	f.t.Helper()
	must(f.t, f.pool.User(f.ctx, name, password, groups...))
}

// sub is name's Cognito sub, what a binding records.
func (f *fixture) sub(name string) string {
	f.t.Helper()
	s, err := f.pool.Sub(f.ctx, name)
	must(f.t, err)
	return s
}

// signIn signs name in directly (not through the portal).
func (f *fixture) signIn(name string) *cognitoauth.Tokens {
	f.t.Helper()
	tok, ch, err := f.auth.SignIn(f.ctx, name, password)
	if err != nil || ch != nil {
		f.t.Fatalf("sign in %s: %v %v", name, err, ch)
	}
	return tok
}

// response is a recorded answer, decoded.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r response) errorCode() string {
	e, _ := r.json["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (r response) str(key string) string {
	s, _ := r.json[key].(string)
	return s
}

// do sends a request through h and checks request and response against
// the OpenAPI document when the route is documented.
func (f *fixture) do(h http.Handler, method, path, token, body string) response {
	f.t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(f.ctx, method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if len(resp.body) > 0 {
		if err := json.Unmarshal(resp.body, &resp.json); err != nil {
			f.t.Fatalf("%s %s: body is not JSON: %q", method, path, resp.body)
		}
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		f.t.Errorf("%s %s: Cache-Control %q", method, path, got)
	}
	d := openAPI(f.t)
	if op, ok := d.FindOperation(method, req.URL.Path); ok {
		f.exercised[op] = true
		if err := d.CheckRequest(method, op.Path, req.Header.Get("Content-Type"), []byte(body)); err != nil && resp.status < 400 {
			f.t.Errorf("request accepted but not as documented: %v", err)
		}
		if err := d.CheckResponse(method, op.Path, resp.status, rec.Header().Get("Content-Type"), resp.body); err != nil {
			f.t.Errorf("response not as documented: %v", err)
		}
	}
	return resp
}

// clientToken asks the token endpoint stand-in for a client-credentials
// token; it returns the token, or "" and the OAuth error.
func (f *fixture) clientToken(id, secret string) (string, string) {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequestWithContext(f.ctx, http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	must(f.t, err)
	defer resp.Body.Close()
	var body map[string]any
	must(f.t, json.NewDecoder(resp.Body).Decode(&body))
	if tok, ok := body["access_token"].(string); ok && resp.StatusCode == http.StatusOK {
		return tok, ""
	}
	e, _ := body["error"].(string)
	return "", e
}

func (f *fixture) decide(token string) authorizer.Decision {
	return f.authz.Decide(f.ctx, authorizer.Request{Authorization: "Bearer " + token, Method: "GET", Path: "/orders"})
}

// cognitoClientExists reports whether the pool still has the app client.
func (f *fixture) cognitoClientExists(id string) bool {
	f.t.Helper()
	_, err := f.idp.DescribeUserPoolClient(f.ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		f.t.Fatal(err)
	}
	return err == nil
}

// cognitoClients lists the pool's app clients other than the web client.
func (f *fixture) cognitoClients() []string {
	f.t.Helper()
	out, err := f.idp.ListUserPoolClients(f.ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(f.poolID), MaxResults: aws.Int32(60)})
	must(f.t, err)
	var ids []string
	for _, c := range out.UserPoolClients {
		if id := aws.ToString(c.ClientId); id != f.webClient {
			ids = append(ids, id)
		}
	}
	return ids
}

// boundClients lists the client ids bound to the internal id.
func (f *fixture) boundClients(internalID string) []string {
	f.t.Helper()
	cs, err := f.store.Clients(f.ctx, internalID)
	must(f.t, err)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ClientID)
	}
	return ids
}

// checkCounter checks the mapping's client counter of the person (read
// from the raw profile item) against their bound clients and pending
// slots: the counter is what the limit is enforced on.
func (f *fixture) checkCounter(internalID string) {
	f.t.Helper()
	out, err := f.ddb.GetItem(f.ctx, &dynamodb.GetItemInput{TableName: aws.String(f.store.Table()), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "USER#" + internalID}, "SK": &ddbtypes.AttributeValueMemberS{Value: "PROFILE"}}})
	must(f.t, err)
	n, _ := out.Item["clients"].(*ddbtypes.AttributeValueMemberN)
	slots, err := f.store.ClientSlots(f.ctx, internalID)
	must(f.t, err)
	if n == nil || n.Value != strconv.Itoa(len(slots.Clients)+len(slots.Pending)) {
		f.t.Errorf("client counter %v, but %d bound and %d pending", n, len(slots.Clients), len(slots.Pending))
	}
}
