package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TestUsersSignOutAndBindSubsOnMoto: `gatehouse users sign-out` and
// `bind-subs` against moto_server's Cognito (a moto of the test's own: only
// moto has AdminUserGlobalSignOut; cognito-local 5.3.0 does not), the
// mapping on the shared moto's DynamoDB. Sign-out revokes the person's
// refresh token at Cognito and records the sign-out after every token
// issued before it; bind-subs binds a name recorded without a sub to
// Cognito's, lists a name Cognito does not know, and finds nothing the
// second time.
func TestUsersSignOutAndBindSubsOnMoto(t *testing.T) {
	localservices.Require(t, localservices.DynamoDB, localservices.KMS)
	ctx := context.Background()
	m := localservices.StartMoto(t)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", m.URL)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	table := "gatehouse-cli-" + strings.ToLower(rand.Text()[:10])
	if err := mapping.CreateTable(ctx, ddb, table, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })
	t.Setenv(envMappingTable, table)
	t.Setenv(envMappingKMSKeyID, "")
	pool, err := userpool.Create(ctx, cip.NewFromConfig(cfg), "cli-sign-out")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envconfig.UserPoolID, pool.ID)
	client, _, err := pool.Client(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	pw := "Pw-" + rand.Text() + "1!"
	for _, n := range []string{"kim", "lou"} {
		if err := pool.User(ctx, n, pw); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := runCLI(t, usersCmd, "add", "--username", "kim"); code != 0 {
		t.Fatalf("users add: exit %d: %s", code, stderr)
	}
	tokens, err := pool.SignIn(ctx, client, "kim", pw)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, usersCmd, "sign-out", "kim")
	after := time.Now()
	if code != 0 {
		t.Fatalf("users sign-out: exit %d: %s", code, stderr)
	}
	var out struct{ SignedOut int64 }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.SignedOut == 0 || out.SignedOut > mapping.SignOutSecond(after) {
		t.Fatalf("users sign-out printed %s (%v)", stdout, err)
	}
	st, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByUsername(ctx, pool.ID, "kim")
	if err != nil || u.SignedOut != out.SignedOut {
		t.Fatalf("kim after sign-out: %+v, %v", u, err)
	}
	if _, err := pool.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(pool.ID), ClientId: aws.String(client), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
	}); err == nil {
		t.Error("moto still refreshes a signed-out refresh token")
	}
	if strings.Contains(stdout+stderr, aws.ToString(tokens.AccessToken)) {
		t.Error("a token reached the output")
	}

	// bind-subs: lou recorded before subs were, "gone" unknown to Cognito.
	for _, n := range []string{"lou", "gone"} {
		if _, err := st.CreateUser(ctx, "u-"+n, pool.ID, n, "placeholder", mapping.KindUser); err != nil {
			t.Fatal(err)
		}
		unbind(t, ctx, ddb, table, pool.ID, n)
	}
	for _, tt := range []struct {
		args  []string
		code  int
		found int
		bound int
	}{
		{[]string{"bind-subs", "--pool", pool.ID, "--dry-run"}, 1, 2, 1},
		{[]string{"bind-subs", "--pool", pool.ID}, 1, 2, 1},
		{[]string{"bind-subs", "--pool", pool.ID}, 1, 1, 0}, // only "gone" is left
	} {
		code, stdout, stderr := runCLI(t, usersCmd, tt.args...)
		var b subBinding
		if err := json.Unmarshal([]byte(stdout), &b); code != tt.code || err != nil || b.Found != tt.found || b.Bound != tt.bound || len(b.Missing) != 1 || b.Missing[0] != "gone" {
			t.Fatalf("users %v: exit %d: %s %s", tt.args, code, stdout, stderr)
		}
	}
	lou, err := st.UserByUsername(ctx, pool.ID, "lou")
	if err != nil || lou.Sub == "" || lou.Sub != pool.MustSub(t, "lou") {
		t.Fatalf("lou after bind-subs: %+v, %v", lou, err)
	}

	// rex: recorded before subs were, then its Cognito user deleted and
	// the name created again (another person) before bind-subs ran. The
	// Cognito user is newer than the mapping, so it cannot be the person
	// the name was recorded for: bind-subs must not give the old internal
	// id to the new person, only list the name for an operator, who binds
	// it with --accept-newer after checking.
	rex, err := st.CreateUser(ctx, "u-rex", pool.ID, "rex", "placeholder", mapping.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	unbind(t, ctx, ddb, table, pool.ID, "rex")
	userpool.WaitForSecond(rex.Created.Unix() + 1) // Cognito's UserCreateDate may have whole seconds
	if err := pool.User(ctx, "rex", pw); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"bind-subs", "--pool", pool.ID, "--dry-run"},
		{"bind-subs", "--pool", pool.ID},
	} {
		code, stdout, stderr := runCLI(t, usersCmd, args...)
		var b subBinding
		if err := json.Unmarshal([]byte(stdout), &b); code != 1 || err != nil || b.Bound != 0 || len(b.Newer) != 1 || b.Newer[0] != "rex" {
			t.Fatalf("users %v with a re-created name: exit %d: %s %s", args, code, stdout, stderr)
		}
	}
	if u, err := st.UserByUsername(ctx, pool.ID, "rex"); err != nil || u.Sub != "" {
		t.Fatalf("bind-subs bound a name whose Cognito user is newer than its mapping: %+v, %v", u, err)
	}
	code, stdout, stderr = runCLI(t, usersCmd, "bind-subs", "--pool", pool.ID, "--accept-newer", "rex")
	var b subBinding
	if err := json.Unmarshal([]byte(stdout), &b); code != 1 || err != nil || b.Bound != 1 || len(b.Newer) != 0 {
		t.Fatalf("users bind-subs --accept-newer rex: exit %d: %s %s", code, stdout, stderr)
	}
	if u, err := st.UserByUsername(ctx, pool.ID, "rex"); err != nil || u.Sub != pool.MustSub(t, "rex") {
		t.Fatalf("rex after --accept-newer: %+v, %v", u, err)
	}

	// This machine's clock 30 s behind Cognito's (moto behind a proxy
	// that dates its answers 30 s ahead): the sign-out recorded must still
	// come after every token Cognito issued before it confirmed.
	target, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	ahead := httputil.NewSingleHostReverseProxy(target)
	var (
		mu          sync.Mutex // the proxy's goroutine writes, the test reads
		cognitoDate time.Time
	)
	ahead.ModifyResponse = func(r *http.Response) error {
		mu.Lock()
		defer mu.Unlock()
		cognitoDate = time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)
		r.Header.Set("Date", cognitoDate.Format(http.TimeFormat))
		return nil
	}
	srv := httptest.NewServer(ahead)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", srv.URL)
	if code, _, stderr := runCLI(t, usersCmd, "sign-out", "lou"); code != 0 {
		t.Fatalf("users sign-out lou: exit %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if u, err := st.UserByUsername(ctx, pool.ID, "lou"); err != nil || cognitoDate.IsZero() || u.SignedOut <= cognitoDate.Unix() {
		t.Fatalf("lou signed out with Cognito's clock at %v: %+v, %v; want a sign-out after it", cognitoDate, u, err)
	}
}

// unbind removes the sub of username's items: a user recorded before subs
// were.
func unbind(t *testing.T, ctx context.Context, ddb *dynamodb.Client, table, pool, username string) {
	t.Helper()
	u, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := u.UserByUsername(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"USER#" + rec.InternalID, "PROFILE"}, {"USERNAME#" + pool + "#" + username, "USERNAME"}} {
		if _, err := ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table,
			Key:              map[string]dtypes.AttributeValue{"PK": &dtypes.AttributeValueMemberS{Value: k[0]}, "SK": &dtypes.AttributeValueMemberS{Value: k[1]}},
			UpdateExpression: aws.String("REMOVE #s"), ExpressionAttributeNames: map[string]string{"#s": "sub"},
		}); err != nil {
			t.Fatal(err)
		}
	}
}
