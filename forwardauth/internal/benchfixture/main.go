// Command benchfixture prepares what scripts/bench-serve.sh needs to load
// gatehouse serve: a fake Cognito pool serving its JWKS, a mapping table with
// one person and their client (on the DynamoDB the SDK's standard variables
// point at, normally a local moto_server), and tokens. It writes
//
//	<dir>/env     export lines with the GATEHOUSE_* settings for gatehouse serve
//	<dir>/token   one person's access token (scope orders/read)
//	<dir>/tokens  -tokens distinct access tokens of the same person, one a line
//
// then keeps serving the JWKS until SIGINT or SIGTERM. Tokens are written
// to files readable by the owner only; they are test tokens of a throwaway
// key and never leave the machine.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// Routes the load runs against: reading orders needs orders/read.
const routes = `[{"method":"GET","path":"/orders*","scopes":["orders/read"]}]`

func main() {
	dir := flag.String("dir", "", "directory to write env, token and tokens into (required)")
	n := flag.Int("tokens", 1000, "number of distinct tokens to mint")
	flag.Parse()
	if *dir == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "benchfixture:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, n int) error {
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		return err
	}
	defer iss.Close()

	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	ddb := dynamodb.NewFromConfig(awsCfg)
	table := "bench-" + strings.ToLower(rand.Text()[:12])
	if err := mapping.CreateTable(ctx, ddb, table, true); err != nil {
		return err
	}
	store, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb})
	if err != nil {
		return err
	}
	const web, cli = "bench-web", "bench-cli"
	alice, err := store.CreateUser(ctx, "", iss.UserPoolID(), "alice", iss.Sub("alice"), mapping.KindUser)
	if err != nil {
		return err
	}
	if _, err := store.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: cli}); err != nil {
		return err
	}

	mint := func() string {
		return iss.AccessToken("alice", web, cognitotest.WithScopes("aws.cognito.signin.user.admin", "orders/read"))
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(mint()+"\n"), 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "tokens"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for range n {
		fmt.Fprintln(bw, mint())
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	env := map[string]string{
		awsenv.EnvUserPoolID:   iss.UserPoolID(),
		awsenv.EnvClientIDs:    web + "," + cli,
		awsenv.EnvIssuer:       iss.IssuerURL(),
		awsenv.EnvJWKSURL:      iss.JWKSURL(),
		awsenv.EnvInsecureHTTP: "true",
		awsenv.EnvTable:        table,
		awsenv.EnvRoutes:       routes,
	}
	var sb strings.Builder
	for k, v := range env {
		fmt.Fprintf(&sb, "export %s='%s'\n", k, v)
	}
	// Written last and renamed into place: its presence means ready.
	tmp := filepath.Join(dir, "env.tmp")
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "env")); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
