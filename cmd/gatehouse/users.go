package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

const usersUsage = `Usage:
  gatehouse users add --username U [--pool ID] [--internal-id ID] [--kind user|partner] [--table NAME]
  gatehouse users show (--username U [--pool ID] | --internal-id ID | --client-id C) [--table NAME]
  gatehouse users remove --internal-id ID [--table NAME]
  gatehouse users migrate --pool ID [--dry-run] [--table NAME]
  gatehouse users bind-subs --pool ID [--dry-run] [--accept-newer NAMES] [--table NAME]
  gatehouse users sign-out [--pool ID] [--table NAME] USERNAME

Edits the identity mapping in DynamoDB (table from --table or $GATEHOUSE_TABLE).
A user name names a user only within its Cognito user pool: --pool (default
$GATEHOUSE_USER_POOL_ID, the people's pool) says which. Partners' users live in
the partners' pool and are managed by 'gatehouse partners'.
'remove' deletes the user with all their clients and partner credentials.
'migrate' upgrades a table written before user names were qualified by
their pool: every such user name is moved to --pool (the people's pool),
one user per transaction; run it again after an interruption. Until then
those users are refused (see the README's upgrade steps).
'add' binds the user name to the Cognito user's sub (read with AdminGetUser):
a user deleted in Cognito and created again under the same name is refused.
'bind-subs' binds every user name of --pool recorded without a sub (before
subs were recorded) to the sub Cognito has for it now; run it again after an
interruption. Until then those users are refused (identity_unbound). A name
whose Cognito user is newer than its record (re-created, maybe for someone
else) is listed as "newer" and left unbound unless named in --accept-newer.
'sign-out' signs the person out everywhere: Cognito's AdminUserGlobalSignOut,
then the sign-out time on the mapping, so ID and access tokens issued before
it are refused at the API (within the cache TTLs). Their API clients are not
touched: reset or remove those.
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
	case "migrate":
		return usersMigrate(ctx, args[1:], stdout, stderr)
	case "bind-subs":
		return usersBindSubs(ctx, args[1:], stdout, stderr)
	case "sign-out":
		return usersSignOut(ctx, args[1:], stdout, stderr)
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

// poolFlag is --pool, the user pool a user name belongs to.
func poolFlag(fs *flag.FlagSet) *string {
	return fs.String("pool", os.Getenv(envconfig.UserPoolID), "Cognito user pool `id` the user name belongs to (default $"+envconfig.UserPoolID+", the people's pool)")
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
	pool := poolFlag(fs)
	internalID := fs.String("internal-id", "", "internal user `id` (default: a new random id)")
	kind := fs.String("kind", string(mapping.KindUser), "`kind` of principal: user or partner")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *username == "" || *pool == "" {
		fmt.Fprintf(stderr, "gatehouse users add: --username and a pool (--pool or $%s) are required\n", envconfig.UserPoolID)
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
	if err := mapping.CheckUserName(*pool, *username); err != nil {
		fmt.Fprintln(stderr, "gatehouse users add:", err)
		return 2
	}
	idp, err := cognitoFromEnv(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users add:", err)
		return 2
	}
	sub, err := cognitoSub(ctx, idp, *pool, *username)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users add:", err)
		return cognitoExitCode(err)
	}
	u, err := st.CreateUser(ctx, *internalID, *pool, *username, sub, mapping.Kind(*kind))
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users add:", err)
		return mappingExitCode(err)
	}
	return printMappingJSON(stdout, stderr, u)
}

func usersShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("show", stderr)
	username := fs.String("username", "", "find the user by Cognito user `name` (in --pool)")
	pool := poolFlag(fs)
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
	if *username != "" && *pool == "" {
		fmt.Fprintf(stderr, "gatehouse users show: --username needs a pool (--pool or $%s)\n", envconfig.UserPoolID)
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
		u, err := st.UserByUsername(ctx, *pool, *username)
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

func usersMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("migrate", stderr)
	pool := fs.String("pool", "", "the people's Cognito user pool `id` (required): where the legacy user names belong")
	dryRun := fs.Bool("dry-run", false, "count what would be migrated, change nothing")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *pool == "" {
		fmt.Fprintln(stderr, "gatehouse users migrate: --pool is required (the people's pool; partners are re-issued with 'gatehouse partners reissue')")
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users migrate: AWS configuration:", err)
		return 2
	}
	m, err := st.MigrateUsernames(ctx, dynamodb.NewFromConfig(cfg), *pool, *dryRun)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users migrate:", err)
		printMappingJSON(stdout, stderr, m)
		return 2
	}
	if code := printMappingJSON(stdout, stderr, struct {
		mapping.Migration
		DryRun bool `json:"dryRun"`
	}{m, *dryRun}); code != 0 {
		return code
	}
	if len(m.Conflicts) > 0 {
		return 1
	}
	return 0
}
