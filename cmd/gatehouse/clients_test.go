package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

func clientsCmd(ctx context.Context, args []string, out, errOut *bytes.Buffer) int {
	return runClients(ctx, args, out, errOut)
}

// `gatehouse clients cleanup` deletes a recorded orphan's Cognito client
// and releases its slot (cognito-local, moto_server).
func TestClientsCleanupCommand(t *testing.T) {
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idp, ddb := cip.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)
	pool, err := userpool.Create(ctx, idp, "cli-clients")
	if err != nil {
		t.Fatal(err)
	}
	table := "gatehouse-cli-" + strings.ToLower(rand.Text()[:10])
	if err := mapping.CreateTable(ctx, ddb, table, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })
	t.Setenv(envMappingTable, table)
	t.Setenv(envMappingKMSKeyID, "")
	t.Setenv(portal.EnvUserPoolID, pool.ID)

	st, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, "", pool.ID, "gina", "sub-gina", mapping.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := pool.Client(ctx, "unbound", true)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := st.ReserveClient(ctx, u.InternalID, 5)
	if err == nil {
		slot, err = st.RecordPendingClient(ctx, slot, id)
	}
	if err == nil {
		_, err = st.ClaimPending(ctx, slot) // as a failed compensation leaves it
	}
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{{}, {"cleanup"}, {"nonsense"}, {"cleanup", "--internal-id", u.InternalID, "extra"}} {
		if code, _, _ := runCLI(t, clientsCmd, args...); code != 2 {
			t.Errorf("clients %q: exit %d, want 2", args, code)
		}
	}
	code, stdout, stderr := runCLI(t, clientsCmd, "cleanup", "--internal-id", u.InternalID)
	if code != 0 {
		t.Fatalf("clients cleanup: exit %d: %s", code, stderr)
	}
	var res portal.CleanupResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || !slices.Equal(res.Deleted, []string{id}) || res.Released != 1 || res.Left != 0 {
		t.Fatalf("clients cleanup printed %q (%v)", stdout, err)
	}
	if _, err := idp.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool.ID), ClientId: aws.String(id)}); err == nil {
		t.Error("the orphan's Cognito client still exists")
	}
	if slots, err := st.ClientSlots(ctx, u.InternalID); err != nil || len(slots.Pending) != 0 {
		t.Fatalf("slots after the clean-up: %+v, %v", slots, err)
	}
}
