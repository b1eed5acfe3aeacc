package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

func runCLI(t *testing.T, f func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := f(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func tableCmd(ctx context.Context, args []string, out, errOut *bytes.Buffer) int {
	return runTable(ctx, args, out, errOut)
}

func usersCmd(ctx context.Context, args []string, out, errOut *bytes.Buffer) int {
	return runUsers(ctx, args, out, errOut)
}

func TestTableAndUsersCommands(t *testing.T) {
	table := "gatehouse-cli-" + strings.ToLower(rand.Text()[:10])
	t.Setenv(envMappingTable, table)
	t.Setenv(envMappingKMSKeyID, "")
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	// users add reads the sub from Cognito: the users exist there.
	people, err := userpool.Create(ctx, cip.NewFromConfig(cfg), "cli-people")
	if err != nil {
		t.Fatal(err)
	}
	partners, err := userpool.Create(ctx, people.API, "cli-partners")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		pool userpool.Pool
		name string
	}{{people, "alice"}, {people, "acme"}, {partners, "alice"}} {
		if err := u.pool.User(ctx, u.name, "Passw0rd!"+rand.Text()); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(envconfig.UserPoolID, people.ID)
	t.Cleanup(func() { ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })

	if code, _, stderr := runCLI(t, tableCmd, "create", "--wait"); code != 0 {
		t.Fatalf("table create: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, tableCmd, "create"); code != 1 {
		t.Fatalf("table create again: exit %d, want 1 (conflict)", code)
	}

	code, stdout, stderr := runCLI(t, usersCmd, "add", "--username", "alice")
	if code != 0 {
		t.Fatalf("users add: exit %d: %s", code, stderr)
	}
	var alice mapping.User
	if err := json.Unmarshal([]byte(stdout), &alice); err != nil || alice.InternalID == "" || alice.Kind != mapping.KindUser || alice.Sub != people.MustSub(t, "alice") {
		t.Fatalf("users add printed %q (%v)", stdout, err)
	}
	if code, _, stderr := runCLI(t, usersCmd, "add", "--username", "acme", "--internal-id", "partner-1", "--kind", "partner"); code != 0 {
		t.Fatalf("users add partner: exit %d: %s", code, stderr)
	}
	// The same name in another pool is another user.
	code, stdout, stderr = runCLI(t, usersCmd, "add", "--username", "alice", "--pool", partners.ID)
	var other mapping.User
	if code != 0 || json.Unmarshal([]byte(stdout), &other) != nil || other.InternalID == alice.InternalID || other.Pool != partners.ID {
		t.Fatalf("users add in another pool: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, usersCmd, "show", "--username", "alice", "--pool", partners.ID)
	var otherView userView
	if code != 0 || json.Unmarshal([]byte(stdout), &otherView) != nil || otherView.User.InternalID != other.InternalID {
		t.Fatalf("users show in another pool: exit %d: %s", code, stdout)
	}

	st, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddClient(context.Background(), alice.InternalID, mapping.Client{ClientID: "client-1", Label: "cron"}); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"show", "--username", "alice"},
		{"show", "--internal-id", alice.InternalID},
		{"show", "--client-id", "client-1"},
	} {
		code, stdout, stderr := runCLI(t, usersCmd, args...)
		if code != 0 {
			t.Fatalf("users %v: exit %d: %s", args, code, stderr)
		}
		var v userView
		if err := json.Unmarshal([]byte(stdout), &v); err != nil || v.User.InternalID != alice.InternalID ||
			len(v.Clients) != 1 || v.Clients[0].ClientID != "client-1" {
			t.Fatalf("users %v printed %q (%v)", args, stdout, err)
		}
	}

	exits := []struct {
		args []string
		want int
	}{
		{[]string{"add", "--username", "alice"}, 1},                                // taken
		{[]string{"show", "--username", "nobody"}, 1},                              // not found
		{[]string{"show", "--client-id", "nobody"}, 1},                             // not found
		{[]string{"add"}, 2},                                                       // --username missing
		{[]string{"add", "--username", "x", "--kind", "robot"}, 2},                 // bad kind
		{[]string{"show"}, 2},                                                      // no selector
		{[]string{"show", "--username", "a", "--client-id", "b"}, 2},               // two selectors
		{[]string{"remove"}, 2},                                                    // --internal-id missing
		{[]string{"frobnicate"}, 2},                                                // unknown subcommand
		{[]string{"show", "--username", "alice", "extra"}, 2},                      // stray argument
		{[]string{"show", "--bogus"}, 2},                                           // unknown flag
		{[]string{"show", "--table", "", "--username", "alice"}, 2},                // no table
		{[]string{"add", "--username", "bad\x01name"}, 2},                          // invalid input
		{[]string{"add", "--username", "x", "--pool", ""}, 2},                      // no pool
		{[]string{"add", "--username", "x", "--pool", "a#b"}, 2},                   // invalid pool
		{[]string{"show", "--username", "alice", "--pool", "eu-west-1_Nobody"}, 1}, // another pool
		{[]string{"migrate"}, 2},                                                   // --pool missing
		{[]string{"add", "--username", "ghost"}, 1},                                // not in Cognito
		{[]string{"bind-subs"}, 2},                                                 // --pool missing
		{[]string{"sign-out"}, 2},                                                  // no user name
		{[]string{"sign-out", "nobody"}, 1},                                        // not mapped
		{[]string{"sign-out", "a", "b"}, 2},                                        // two names
	}
	for _, tt := range exits {
		if code, _, _ := runCLI(t, usersCmd, tt.args...); code != tt.want {
			t.Errorf("users %q: exit %d, want %d", tt.args, code, tt.want)
		}
	}

	if code, _, stderr := runCLI(t, usersCmd, "remove", "--internal-id", alice.InternalID); code != 0 {
		t.Fatalf("users remove: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, usersCmd, "remove", "--internal-id", alice.InternalID); code != 1 {
		t.Fatalf("users remove again: exit %d, want 1", code)
	}
	if code, _, _ := runCLI(t, usersCmd, "show", "--client-id", "client-1"); code != 1 {
		t.Fatalf("removed user's client still shows: exit %d", code)
	}
	// Nothing written before pools were recorded: migrate finds nothing.
	code, stdout, stderr = runCLI(t, usersCmd, "migrate", "--pool", people.ID, "--dry-run")
	if code != 0 || !strings.Contains(stdout, `"found": 0`) || !strings.Contains(stdout, `"dryRun": true`) {
		t.Fatalf("users migrate: exit %d: %s %s", code, stdout, stderr)
	}
	if code, _, _ := runCLI(t, tableCmd); code != 2 {
		t.Fatalf("table without subcommand: exit %d, want 2", code)
	}
}
