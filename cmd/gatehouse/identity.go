package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// errNoCognitoUser: Cognito has no user of that name in that pool.
var errNoCognitoUser = errors.New("no such Cognito user")

// cognitoAdmin is the part of the user-pool admin API the users commands
// call. A *cognitoidentityprovider.Client satisfies it.
type cognitoAdmin interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminUserGlobalSignOut(ctx context.Context, in *cip.AdminUserGlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
}

func cognitoFromEnv(ctx context.Context) (cognitoAdmin, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return cip.NewFromConfig(cfg), nil
}

// cognitoError keeps only the AWS error code: Cognito's messages can echo
// request values (moto's echo tokens).
func cognitoError(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		if api.ErrorCode() == "UserNotFoundException" {
			return fmt.Errorf("cognito %s: %w", op, errNoCognitoUser)
		}
		return fmt.Errorf("cognito %s: %s", op, api.ErrorCode())
	}
	return fmt.Errorf("cognito %s: request failed", op)
}

// cognitoSub reads the sub of username in pool from Cognito: what a
// binding records.
func cognitoSub(ctx context.Context, idp cognitoAdmin, pool, username string) (string, error) {
	sub, _, err := cognitoUser(ctx, idp, pool, username)
	return sub, err
}

// cognitoUser reads the sub of username in pool from Cognito and when
// that Cognito user was created (zero if Cognito does not say).
func cognitoUser(ctx context.Context, idp cognitoAdmin, pool, username string) (string, time.Time, error) {
	out, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(username)})
	if err != nil {
		return "", time.Time{}, cognitoError("AdminGetUser", err)
	}
	sub := cognitoauth.SubAttribute(out.UserAttributes)
	if sub == "" {
		return "", time.Time{}, fmt.Errorf("cognito user %q has no sub attribute", username)
	}
	return sub, aws.ToTime(out.UserCreateDate), nil
}

// cognitoExitCode: 1 when the user is not in Cognito, else 2.
func cognitoExitCode(err error) int {
	if errors.Is(err, errNoCognitoUser) {
		return 1
	}
	return 2
}

// usersSignOut is `gatehouse users sign-out`: Cognito's
// AdminUserGlobalSignOut (refresh tokens revoked), then the sign-out time
// on the mapping, so the ID and access tokens already issued stop working
// at the API too. The person's API clients are not touched.
func usersSignOut(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("sign-out", stderr)
	username := fs.String("username", "", "Cognito user `name` (required; may be given as the argument instead)")
	pool := poolFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() == 1 && *username == "":
		*username = fs.Arg(0)
	case fs.NArg() > 0:
		fmt.Fprintln(stderr, "gatehouse users sign-out: give the user name once (--username U or U)")
		return 2
	}
	if *username == "" || *pool == "" {
		fmt.Fprintf(stderr, "gatehouse users sign-out: a user name and a pool (--pool or $%s) are required\n", envconfig.UserPoolID)
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	// Refuse an unknown name before touching Cognito.
	if _, err := st.UserByUsername(ctx, *pool, *username); err != nil {
		fmt.Fprintln(stderr, "gatehouse users sign-out:", err)
		return mappingExitCode(err)
	}
	idp, err := cognitoFromEnv(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users sign-out:", err)
		return 2
	}
	out, err := idp.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
		UserPoolId: aws.String(*pool), Username: aws.String(*username),
	})
	if err != nil {
		err = cognitoError("AdminUserGlobalSignOut", err)
		fmt.Fprintln(stderr, "gatehouse users sign-out: nothing changed:", err)
		return cognitoExitCode(err)
	}
	// This machine's clock may run behind Cognito's, which sets "iat":
	// the sign-out comes after the Date of Cognito's confirmation too.
	at := mapping.SignOutAfter(time.Now(), answerDate(out.ResultMetadata))
	if err := st.SignOut(ctx, *pool, *username, at); err != nil {
		fmt.Fprintln(stderr, "gatehouse users sign-out: signed out at Cognito, but the sign-out was NOT recorded on the mapping (tokens already issued still work at the API); run the command again:", err)
		return 2
	}
	return printMappingJSON(stdout, stderr, map[string]any{
		"username": *username, "pool": *pool, "signedOut": mapping.SignOutSecond(at),
	})
}

// answerDate is the Date header of an AWS answer (whole seconds, the
// service's clock); zero when absent or unreadable.
func answerDate(md middleware.Metadata) time.Time {
	r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	if !ok {
		return time.Time{}
	}
	d, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return d
}

// subBinding counts what usersBindSubs did (or, in a dry run, would do).
type subBinding struct {
	Found   int      `json:"found"`
	Bound   int      `json:"bound"`
	DryRun  bool     `json:"dryRun"`
	Missing []string `json:"missing,omitempty"` // user names Cognito does not know: left unbound (refused)
	// Newer: user names whose Cognito user was created after the name was
	// recorded (or Cognito gives no creation time), so probably deleted and
	// created again for someone else: left unbound (refused) until an
	// operator checks and names them in --accept-newer.
	Newer     []string `json:"newer,omitempty"`
	Conflicts []string `json:"conflicts,omitempty"`
}

// usersBindSubs is `gatehouse users bind-subs`: every user name of --pool
// recorded without a sub is bound to the sub Cognito has for it now
// (AdminGetUser per user name). Resumable: bound names are not found again.
func usersBindSubs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, table := usersFlags("bind-subs", stderr)
	pool := fs.String("pool", "", "the Cognito user pool `id` whose user names to bind (required; run it for the people's and the partners' pool)")
	dryRun := fs.Bool("dry-run", false, "read Cognito and report, change nothing")
	acceptNewer := fs.String("accept-newer", "", "comma-separated user `names` to bind even though their Cognito user is newer than their mapping (checked to be the same person)")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	accepted := map[string]bool{}
	for n := range strings.SplitSeq(*acceptNewer, ",") {
		if n = strings.TrimSpace(n); n != "" {
			accepted[n] = true
		}
	}
	if *pool == "" {
		fmt.Fprintln(stderr, "gatehouse users bind-subs: --pool is required")
		return 2
	}
	st, code, ok := openUsersStore(ctx, fs, *table)
	if !ok {
		return code
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users bind-subs: AWS configuration:", err)
		return 2
	}
	users, err := st.Unbound(ctx, dynamodb.NewFromConfig(cfg), *pool)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse users bind-subs:", err)
		return mappingExitCode(err)
	}
	idp := cip.NewFromConfig(cfg)
	b := subBinding{Found: len(users), DryRun: *dryRun}
	for _, u := range users {
		sub, created, err := cognitoUser(ctx, idp, *pool, u.Username)
		switch {
		case errors.Is(err, errNoCognitoUser):
			b.Missing = append(b.Missing, u.Username)
			continue
		case err != nil:
			fmt.Fprintln(stderr, "gatehouse users bind-subs:", err)
			printMappingJSON(stdout, stderr, b)
			return 2
		case (created.IsZero() || created.After(u.Created)) && !accepted[u.Username]:
			// Whoever holds the name in Cognito now was created after the
			// name was recorded: binding them would hand the old person's
			// internal id to a new one, the inheritance subs exist to stop.
			b.Newer = append(b.Newer, u.Username)
			continue
		case *dryRun:
			b.Bound++
			continue
		}
		switch _, err := st.BindSub(ctx, *pool, u.Username, sub); {
		case err == nil:
			b.Bound++
		case errors.Is(err, mapping.ErrConflict), errors.Is(err, mapping.ErrNotFound):
			b.Conflicts = append(b.Conflicts, err.Error())
		default:
			fmt.Fprintln(stderr, "gatehouse users bind-subs:", err)
			printMappingJSON(stdout, stderr, b)
			return 2
		}
	}
	if code := printMappingJSON(stdout, stderr, b); code != 0 {
		return code
	}
	if len(b.Missing)+len(b.Newer)+len(b.Conflicts) > 0 {
		return 1
	}
	return 0
}
