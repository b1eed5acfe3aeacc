package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
)

// Environment variables the mapping commands read for their defaults.
const (
	envMappingTable    = "GATEHOUSE_TABLE"
	envMappingKMSKeyID = "GATEHOUSE_KMS_KEY_ID"
)

// runTable is `gatehouse table create [--table NAME] [--wait]`.
func runTable(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "Usage: gatehouse table create [--table NAME] [--wait]")
			return 0
		}
		fmt.Fprintln(stderr, "Usage: gatehouse table create [--table NAME] [--wait]")
		return 2
	}
	fs := flag.NewFlagSet("gatehouse table create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	table := fs.String("table", os.Getenv(envMappingTable), "DynamoDB table `name` (default $"+envMappingTable+")")
	wait := fs.Bool("wait", false, "wait until the table is active")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse table create [--table NAME] [--wait]")
		fmt.Fprintln(stderr, "\nCreates the mapping table (PK/SK strings, on-demand) for local development;")
		fmt.Fprintln(stderr, "in AWS the infrastructure code creates it. Endpoint and credentials come from")
		fmt.Fprintln(stderr, "the AWS SDK's standard settings (AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, ...).")
		fs.PrintDefaults()
	}
	if code, ok := parseMappingFlags(fs, args[1:]); !ok {
		return code
	}
	if *table == "" {
		fmt.Fprintf(stderr, "gatehouse table create: no table: use --table or set %s\n", envMappingTable)
		return 2
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse table create: AWS configuration:", err)
		return 2
	}
	if err := mapping.CreateTable(ctx, dynamodb.NewFromConfig(cfg), *table, *wait); err != nil {
		fmt.Fprintln(stderr, "gatehouse table create:", err)
		return mappingExitCode(err)
	}
	return printMappingJSON(stdout, stderr, map[string]any{"table": *table, "created": true, "active": *wait})
}

// parseMappingFlags parses args with no positional arguments allowed. ok is false
// when the command must end with code.
func parseMappingFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// mappingStoreFromEnv builds a Store from the standard AWS settings, without a cache
// (each command does one thing), with KMS when $GATEHOUSE_KMS_KEY_ID is set.
func mappingStoreFromEnv(ctx context.Context, table string) (*mapping.Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	mc := mapping.Config{Table: table, DynamoDB: dynamodb.NewFromConfig(cfg), CacheSize: -1}
	if key := os.Getenv(envMappingKMSKeyID); key != "" {
		if mc.Keys, err = kmskeys.New(kms.NewFromConfig(cfg), key); err != nil {
			return nil, err
		}
	}
	return mapping.New(mc)
}

// mappingExitCode: 1 for a negative answer (not found, conflict), 2 for everything
// else (bad arguments, configuration, the service unreachable).
func mappingExitCode(err error) int {
	if errors.Is(err, mapping.ErrNotFound) || errors.Is(err, mapping.ErrConflict) {
		return 1
	}
	return 2
}

func printMappingJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "gatehouse:", err)
		return 2
	}
	return 0
}
