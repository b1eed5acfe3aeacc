package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// partnersEnv points the refresh configuration at fresh cognito-local
// pools (the partners' and the administrators'), a fresh table and a KMS
// key on moto_server.
func partnersEnv(t *testing.T) {
	t.Helper()
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp, ddb, k := cip.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg), kms.NewFromConfig(cfg)
	pool, err := userpool.Create(ctx, idp, "cli-partners")
	if err != nil {
		t.Fatal(err)
	}
	people, err := userpool.Create(ctx, idp, "cli-people")
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.ID
	partnerClient, partnerSecret, err := pool.Client(ctx, "partners", true)
	if err != nil {
		t.Fatal(err)
	}
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	table := "cli-partners-" + strings.ToLower(rand.Text()[:10])
	if err := mapping.CreateTable(ctx, ddb, table, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })
	issuer := people.LocalIssuer()
	for k, v := range map[string]string{
		refresh.EnvPartnerUserPoolID: poolID, refresh.EnvUserPoolID: people.ID, refresh.EnvTable: table, refresh.EnvKMSKeyID: *key.KeyMetadata.KeyId,
		refresh.EnvPartnerClientID: partnerClient, refresh.EnvPartnerClientSecret: partnerSecret,
		refresh.EnvClientIDs: "admin-web", refresh.EnvAdminGroup: "admins", refresh.EnvIssuer: issuer, refresh.EnvInsecureHTTP: "true",
	} {
		t.Setenv(k, v)
	}
}

func partnersCmd(ctx context.Context, args []string, out, errOut *bytes.Buffer) int {
	return runPartners(ctx, args, out, errOut)
}

func TestPartnersCommands(t *testing.T) {
	partnersEnv(t)
	code, stdout, stderr := runCLI(t, partnersCmd, "register", "--partner-id", "acme", "--internal-id", "p-acme")
	if code != 0 {
		t.Fatalf("register: exit %d: %s", code, stderr)
	}
	var cred refresh.CredentialView
	if err := json.Unmarshal([]byte(stdout), &cred); err != nil || cred.RefreshToken == "" || cred.InternalID != "p-acme" {
		t.Fatalf("register printed %d bytes (%v)", len(stdout), err)
	}
	if strings.Contains(stderr, cred.RefreshToken) {
		t.Fatal("the refresh token went to stderr")
	}
	if code, _, _ := runCLI(t, partnersCmd, "register", "--partner-id", "acme"); code != 1 {
		t.Fatalf("second register: exit %d, want 1", code)
	}
	// With the partner's administrator (no invitation: a temporary password).
	code, stdout, stderr = runCLI(t, partnersCmd, "register", "--partner-id", "initech",
		"--admin-username", "initech-admin", "--admin-email", "ops@initech.example", "--admin-temporary-password", "Tmp-Cli-12345!a")
	var withAdmin refresh.CredentialView
	if code != 0 || json.Unmarshal([]byte(stdout), &withAdmin) != nil || withAdmin.AdminUsername != "initech-admin" {
		t.Fatalf("register with an administrator: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, partnersCmd, "register", "--partner-id", "hooli", "--admin-username", "hooli-admin"); code != 2 || !strings.Contains(stderr, "admin_email") {
		t.Fatalf("register with an administrator but no e-mail: exit %d: %s", code, stderr)
	}

	// serve: the exchange over real HTTP, then a graceful stop.
	ctx, cancel := context.WithCancel(context.Background())
	logs := &partnersLog{}
	exited := make(chan int, 1)
	go func() { exited <- runPartners(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, &bytes.Buffer{}, logs) }()
	addr := waitForAddr(t, logs, exited)
	resp, err := http.Post("http://"+addr+"/partners/token", "application/json",
		strings.NewReader(`{"refresh_token":"`+cred.RefreshToken+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tr refresh.TokenResponse
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tr.IDToken == "" {
		t.Fatalf("exchange through serve: %d (%v)", resp.StatusCode, err)
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("serve exit %d: %s", code, logs)
	}
	for _, s := range []string{cred.RefreshToken, tr.IDToken, tr.AccessToken} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("serve logged a token")
		}
	}

	code, stdout, stderr = runCLI(t, partnersCmd, "rotate", "--partner-id", "acme")
	var rotated refresh.CredentialView
	if code != 0 || json.Unmarshal([]byte(stdout), &rotated) != nil || rotated.RefreshToken == "" || rotated.RefreshToken == cred.RefreshToken {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, partnersCmd, "show", "--partner-id", "acme")
	if code != 0 || strings.Contains(stdout, rotated.RefreshToken) || !strings.Contains(stdout, `"active"`) {
		t.Fatalf("show: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, partnersCmd, "revoke", "--partner-id", "acme")
	if code != 0 || !strings.Contains(stdout, `"revoked"`) {
		t.Fatalf("revoke: exit %d: %s %s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"show", "--partner-id", "nobody"}, 1},
		{[]string{"rotate", "--partner-id", "acme"}, 1}, // revoked
		{[]string{"show"}, 2},
		{[]string{"show", "--partner-id", "a", "extra"}, 2},
		{[]string{"frobnicate"}, 2},
		{nil, 2},
		{[]string{"help"}, 0},
	} {
		if code, _, _ := runCLI(t, partnersCmd, tc.args...); code != tc.want {
			t.Errorf("partners %v: exit %d, want %d", tc.args, code, tc.want)
		}
	}
	t.Setenv(refresh.EnvKMSKeyID, "")
	if code, _, stderr := runCLI(t, partnersCmd, "show", "--partner-id", "acme"); code != 2 || !strings.Contains(stderr, refresh.EnvKMSKeyID) {
		t.Errorf("show without a KMS key: exit %d: %s", code, stderr)
	}
}

// partnersLog collects log lines from concurrent writers.
type partnersLog = logscan.Buffer

var listeningRE = regexp.MustCompile(`"partners serve listening","addr":"([^"]+)"`)

func waitForAddr(t *testing.T, logs *partnersLog, exited chan int) string {
	t.Helper()
	deadline := time.After(30 * time.Second) // a safety net, not an assertion
	for {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-exited:
			t.Fatalf("serve exited %d: %s", code, logs)
		case <-deadline:
			t.Fatalf("serve did not start: %s", logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestPartnersReissue: a partner whose user is still in the people's pool
// gets a new credential in the partners' pool, written to a new 0600 file
// and nowhere else; partners already there are skipped.
func TestPartnersReissue(t *testing.T) {
	partnersEnv(t)
	ctx := context.Background()
	if code, _, stderr := runCLI(t, partnersCmd, "register", "--partner-id", "fresh"); code != 0 {
		t.Fatalf("register: exit %d: %s", code, stderr)
	}
	// A partner as the previous stack recorded it: its user in the people's pool.
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kmskeys.New(kms.NewFromConfig(cfg), os.Getenv(refresh.EnvKMSKeyID))
	if err != nil {
		t.Fatal(err)
	}
	st, err := mapping.New(mapping.Config{Table: os.Getenv(refresh.EnvTable), DynamoDB: dynamodb.NewFromConfig(cfg),
		Keys: keys, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "p-old", os.Getenv(refresh.EnvUserPoolID), "partner-old", "sub-partner-old", mapping.KindPartner); err != nil {
		t.Fatal(err)
	}
	sealed, err := st.SealPartnerToken(ctx, "old", []byte("the-old-token"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutPartner(ctx, mapping.Partner{PartnerID: "old", InternalID: "p-old", CognitoUsername: "partner-old", AppClientID: "old-client",
		SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte("the-old-token"))}); err != nil {
		t.Fatal(err)
	}

	outcomes := func(stdout string) map[string]string {
		t.Helper()
		var rs []reissueResult
		if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
			t.Fatalf("reissue printed %q: %v", stdout, err)
		}
		m := map[string]string{}
		for _, r := range rs {
			m[r.PartnerID] = r.Outcome
		}
		return m
	}
	code, stdout, stderr := runCLI(t, partnersCmd, "reissue", "--all", "--dry-run")
	if got := outcomes(stdout); code != 0 || got["old"] != "would-reissue" || got["fresh"] != "skipped" {
		t.Fatalf("dry run: exit %d: %v %s", code, got, stderr)
	}
	// A --rename of a partner this run does not re-issue is said, not silent.
	code, stdout, stderr = runCLI(t, partnersCmd, "reissue", "--all", "--dry-run", "--rename", "old=partner-old-2,fresh=x")
	if got := outcomes(stdout); code != 0 || got["old"] != "would-reissue" || !strings.Contains(stderr, "--rename fresh") || strings.Contains(stderr, "--rename old") {
		t.Fatalf("dry run with --rename: exit %d: %v %s", code, got, stderr)
	}
	for _, args := range [][]string{{"reissue"}, {"reissue", "--all"}, {"reissue", "--out", "x"}, {"reissue", "--all", "--dry-run", "--rename", "old"}} {
		if code, _, _ := runCLI(t, partnersCmd, args...); code != 2 {
			t.Errorf("partners %v: exit %d, want 2", args, code)
		}
	}
	file := filepath.Join(t.TempDir(), "tokens.jsonl")
	code, stdout, stderr = runCLI(t, partnersCmd, "reissue", "--all", "--out", file)
	if got := outcomes(stdout); code != 0 || got["old"] != "reissued" || got["fresh"] != "skipped" {
		t.Fatalf("reissue: exit %d: %v %s", code, got, stderr)
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file: %v, %v", info, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var line reissueLine
	if err := json.Unmarshal(data, &line); err != nil || line.PartnerID != "old" || line.InternalID != "p-old" || line.RefreshToken == "" {
		t.Fatalf("tokens file holds %d bytes (%v)", len(data), err)
	}
	if strings.Contains(stdout+stderr, line.RefreshToken) {
		t.Fatal("the new refresh token was printed")
	}
	p, err := st.PartnerByFingerprint(ctx, mapping.Fingerprint([]byte(line.RefreshToken)))
	if err != nil || p.PartnerID != "old" || p.AppClientID != os.Getenv(refresh.EnvPartnerClientID) {
		t.Fatalf("the new credential: %+v, %v", p, err)
	}
	// Written once: the file is never reused, and a second run skips.
	code, stdout, _ = runCLI(t, partnersCmd, "reissue", "--all", "--out", file)
	if got := outcomes(stdout); code != 0 || got["old"] != "skipped" {
		t.Fatalf("second run: exit %d: %v", code, got)
	}
}
