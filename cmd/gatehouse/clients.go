package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/portal"
)

const clientsUsage = `Usage:
  gatehouse clients cleanup --internal-id ID [--user-pool-id POOL] [--table NAME]

Finishes API-client work the portal left half done for one person: deletes
the Cognito app clients recorded as unbound (failed deletions, failed
creates) and gives their slots back; takes over slots of creates that
have been under way longer than 15 minutes (a crashed request). The pool
comes from --user-pool-id or $` + portal.EnvUserPoolID + `, the table from
--table or $` + envMappingTable + `. Output is JSON; "left" counts what
still could not be finished. Exit status: 0 done (even with something
left), 2 usage, configuration or service error.`

// runClients is `gatehouse clients cleanup`.
func runClients(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, clientsUsage)
		return 2
	}
	switch args[0] {
	case "cleanup":
		return clientsCleanup(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, clientsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gatehouse clients: unknown subcommand %q\n\n%s\n", args[0], clientsUsage)
	return 2
}

func clientsCleanup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse clients cleanup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, clientsUsage)
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	table := fs.String("table", os.Getenv(envMappingTable), "DynamoDB table `name` (default $"+envMappingTable+")")
	pool := fs.String("user-pool-id", os.Getenv(portal.EnvUserPoolID), "Cognito user pool `id` the clients live in (default $"+portal.EnvUserPoolID+")")
	internalID := fs.String("internal-id", "", "internal `id` of the person (required)")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *internalID == "" || *pool == "" {
		fmt.Fprintf(stderr, "%s: --internal-id and a user pool (--user-pool-id or $%s) are required\n", fs.Name(), portal.EnvUserPoolID)
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: AWS configuration: %v\n", fs.Name(), err)
		return 2
	}
	c, err := portal.NewCleaner(portal.CleanerConfig{
		Cognito: cip.NewFromConfig(awsCfg), UserPoolID: *pool, Directory: st,
		Logger: slog.New(slog.NewJSONHandler(stderr, nil)),
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	res, err := c.Clean(ctx, *internalID)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	return printMappingJSON(stdout, stderr, res)
}
