package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

const usersUsage = `Usage:
  gatehouse users add --username U [--internal-id ID] [--kind user|partner] [--table NAME]
  gatehouse users show (--username U | --internal-id ID | --client-id C) [--table NAME]
  gatehouse users remove --internal-id ID [--table NAME]

Edits the identity mapping in DynamoDB (table from --table or $GATEHOUSE_TABLE).
'remove' deletes the user with all their clients and partner credentials.
Output is JSON. Exit status: 0 done, 1 not found or conflict, 2 usage,
configuration or service error.`

// userView is what `users show` prints.
type userView struct {
	User    mapping.User     `json:"user"`
	Client  *mapping.Client  `json:"client,omitempty"` // the client looked up by --client-id
	Clients []mapping.Client `json:"clients"`
}

// runUsers is `gatehouse users add|show|remove`.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usersUsage)
		return 2
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, args[1:], stdout, stderr)
	case "show":
		return usersShow(ctx, args[1:], stdout, stderr)
	case "remove":
		return usersRemove(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usersUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gatehouse users: unknown subcommand %q\n\n%s\n", args[0], usersUsage)
	return 2
}

func usersFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("gatehouse users "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usersUsage)
		fmt.Fprintln(stderr, "\nFlags of", name+":")
		fs.PrintDefaults()
	}
	table := fs.String("table", os.Getenv(envMappingTable), "DynamoDB table `name` (default $"+envMappingTable+")")
	return fs, table
}

// openUsersStore checks the table setting and builds the Store; ok is false when
// the command must end with code.
func openUsersStore(ctx context.Context, fs *flag.FlagSet, table string) (*mapping.Store, int, bool) {
	if table == "" {
		fmt.Fprintf(fs.Output(), "%s: no table: use --table or set %s\n", fs.Name(), envMappingTable)
		return nil, 2, false
	}
	st, err := mappingStoreFromEnv(ctx, table)
	if err != nil {
		fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
		return nil, 2, false
	}
	return st, 0, true
}

func usersAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("add", stderr)
	username := fs.String("username", "", "Cognito user `name` (required)")
	internalID := fs.String("internal-id", "", "internal user `id` (default: a new random id)")
	kind := fs.String("kind", string(mapping.KindUser), "`kind` of principal: user or partner")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *username == "" {
		fmt.Fprintln(stderr, "gatehouse users add: --username is required")
		return 2
	}
	if k := mapping.Kind(*kind); k != mapping.KindUser && k != mapping.KindPartner {
		fmt.Fprintf(stderr, "gatehouse users add: --kind must be user or partner, not %q\n", *kind)
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	u, err := st.CreateUser(ctx, *internalID, *username, mapping.Kind(*kind))
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users add:", err)
		return mappingExitCode(err)
	}
	return printMappingJSON(stdout, stderr, u)
}

func usersShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("show", stderr)
	username := fs.String("username", "", "find the user by Cognito user `name`")
	internalID := fs.String("internal-id", "", "find the user by internal `id`")
	clientID := fs.String("client-id", "", "find the user by one of their app client `id`s")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	set := 0
	for _, v := range []string{*username, *internalID, *clientID} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		fmt.Fprintln(stderr, "gatehouse users show: give exactly one of --username, --internal-id, --client-id")
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	var view userView
	id := *internalID
	switch {
	case *username != "":
		u, err := st.UserByUsername(ctx, *username)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse users show:", err)
			return mappingExitCode(err)
		}
		id = u.InternalID
	case *clientID != "":
		c, err := st.ClientByID(ctx, *clientID)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse users show:", err)
			return mappingExitCode(err)
		}
		view.Client = &c
		id = c.InternalID
	}
	u, err := st.User(ctx, id)
	if err == nil {
		view.User = u
		view.Clients, err = st.Clients(ctx, id)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users show:", err)
		return mappingExitCode(err)
	}
	return printMappingJSON(stdout, stderr, view)
}

func usersRemove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("remove", stderr)
	internalID := fs.String("internal-id", "", "internal `id` of the user to remove (required)")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *internalID == "" {
		fmt.Fprintln(stderr, "gatehouse users remove: --internal-id is required")
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	if err := st.DeleteUser(ctx, *internalID); err != nil {
		fmt.Fprintln(stderr, "gatehouse users remove:", err)
		return mappingExitCode(err)
	}
	return printMappingJSON(stdout, stderr, map[string]any{"removed": *internalID})
}
