package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

const partnersUsage = `Usage:
  gatehouse partners serve [--addr 127.0.0.1:8082]
  gatehouse partners register --partner-id ID [--username U] [--internal-id ID]
                              [--admin-username A --admin-email E [--admin-temporary-password P]]
  gatehouse partners rotate --partner-id ID
  gatehouse partners revoke --partner-id ID
  gatehouse partners show --partner-id ID
  gatehouse partners reissue --all (--out FILE | --dry-run)

B2B partner credentials (package refresh). Configuration comes from the
environment, as for the Lambda: GATEHOUSE_PARTNER_USER_POOL_ID (the
partners' pool, where partner users are created), GATEHOUSE_TABLE,
GATEHOUSE_KMS_KEY_ID, GATEHOUSE_PARTNER_CLIENT_ID (the partners' app client,
one id; the authorizer's GATEHOUSE_PARTNER_CLIENT_IDS lists it) and
GATEHOUSE_PARTNER_CLIENT_SECRET (or _ARN); 'serve' also needs the
administrator settings of the people's pool, GATEHOUSE_USER_POOL_ID,
GATEHOUSE_CLIENT_IDS and GATEHOUSE_ADMIN_GROUP (and GATEHOUSE_ISSUER,
GATEHOUSE_INSECURE_HTTP for local stand-ins).
AWS endpoints and credentials are the SDK's standard settings.

'serve' answers the partners HTTP API (POST /partners, POST /partners/token,
GET|DELETE /partners/{id}, POST /partners/{id}/rotate) until interrupted.
The other commands act directly with your AWS credentials. 'register' and
'rotate' print the partner's refresh token once, on standard output, as
JSON: hand it to the partner over a secure channel; Gatehouse cannot show
it again. With --admin-username and --admin-email, 'register' also creates
the partner's administrator in the partners' pool, whom Cognito invites by
e-mail with a temporary password; the administrator signs in at
POST /partners/auth/sign-in (with GATEHOUSE_PARTNER_ADMIN_CLIENT_ID) and
then sees, rotates and revokes that partner's credential only.
--admin-temporary-password sets that temporary password instead and sends
no e-mail (local stand-ins; it shows in process lists, and must be changed
at the first sign-in). 'reissue' moves every active partner whose user is not in the
partners' pool there (a deployment from before partners had a pool of their
own): each gets a new user and refresh token there, and its old credential
stops working at once. The new tokens go to FILE only, created with mode
0600 (it must not exist), one JSON object a line, written as each is made;
standard output lists each partner's outcome and the old user to delete
from the people's pool. Already re-issued partners are skipped, so after an
interruption run it again with a new FILE. Exit status: 0 done, 1 not found, conflict or partially done
(revoked here but not at Cognito), 2 usage, configuration or service error.`

// partnersDefaultAddr is where `partners serve` listens by default.
const partnersDefaultAddr = "127.0.0.1:8082"

// runPartners is `gatehouse partners serve|register|rotate|revoke|show`.
func runPartners(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, partnersUsage)
		return 2
	}
	switch args[0] {
	case "serve":
		return partnersServe(ctx, args[1:], stderr)
	case "register", "rotate", "revoke", "show":
		return partnersAct(ctx, args[0], args[1:], stdout, stderr)
	case "reissue":
		return partnersReissue(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, partnersUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gatehouse partners: unknown subcommand %q\n\n%s\n", args[0], partnersUsage)
	return 2
}

func partnersFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gatehouse partners "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, partnersUsage)
		fmt.Fprintln(stderr, "\nFlags of", name+":")
		fs.PrintDefaults()
	}
	return fs
}

func partnersAct(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	fs := partnersFlags(cmd, stderr)
	partnerID := fs.String("partner-id", "", "partner `id` (required)")
	var in refresh.RegisterInput
	if cmd == "register" {
		fs.StringVar(&in.Username, "username", "", "Cognito user `name` to create (default partner-<partner-id>)")
		fs.StringVar(&in.InternalID, "internal-id", "", "internal user `id` (default: a new random id)")
		fs.StringVar(&in.AdminUsername, "admin-username", "", "the partner administrator's Cognito user `name` (with --admin-email)")
		fs.StringVar(&in.AdminEmail, "admin-email", "", "the partner administrator's e-mail `address`, where Cognito sends the invitation")
		fs.StringVar(&in.AdminTemporaryPassword, "admin-temporary-password", "", "the administrator's temporary `password` instead of Cognito's; no invitation is sent")
	}
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	if *partnerID == "" {
		fmt.Fprintf(stderr, "%s: --partner-id is required\n", fs.Name())
		return 2
	}
	cfg, err := refresh.ServiceConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	svc, err := cfg.BuildService(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	var out any
	switch cmd {
	case "register":
		in.PartnerID = *partnerID
		cred, err := svc.Register(ctx, in)
		if err != nil {
			return partnersFailed(fs, stderr, err)
		}
		out = refresh.CredentialView{PartnerView: refresh.ViewOf(cred.Partner), RefreshToken: cred.RefreshToken}
	case "rotate":
		r, err := svc.Rotate(ctx, *partnerID)
		if err != nil {
			return partnersFailed(fs, stderr, err)
		}
		out = refresh.RotatedView(r)
		if !r.PreviousRevoked {
			fmt.Fprintln(stderr, "warning: Cognito did not confirm the revocation of the previous refresh token; the exchange refuses it all the same")
		}
		if !r.PreviousSignedOut {
			fmt.Fprintln(stderr, "warning: the sign-out of the tokens issued before the rotation was not recorded: they pass the authorizer until they expire; rotate again")
		}
	case "revoke":
		p, err := svc.Revoke(ctx, *partnerID)
		if errors.Is(err, refresh.ErrCognitoNotRevoked) {
			fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
			printMappingJSON(stdout, stderr, refresh.ViewOf(p))
			return 1
		}
		if err != nil {
			return partnersFailed(fs, stderr, err)
		}
		out = refresh.ViewOf(p)
	case "show":
		p, err := svc.Partner(ctx, *partnerID)
		if err != nil {
			return partnersFailed(fs, stderr, err)
		}
		out = refresh.ViewOf(p)
	}
	return printMappingJSON(stdout, stderr, out)
}

// partnersFailed prints err (the Service's errors never hold a secret) and
// picks the exit status.
func partnersFailed(fs *flag.FlagSet, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
	if errors.Is(err, refresh.ErrNotFound) || errors.Is(err, refresh.ErrConflict) {
		return 1
	}
	return 2
}

// partnersServe serves the HTTP API until ctx ends, then shuts down
// gracefully.
func partnersServe(ctx context.Context, args []string, stderr io.Writer) int {
	fs := partnersFlags("serve", stderr)
	addr := fs.String("addr", partnersDefaultAddr, "listen `address`")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := refresh.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error(fs.Name()+": cannot serve", slog.String("error", err.Error()))
		return 2
	}
	cfg.Logger = logger
	svc, err := cfg.BuildService(ctx)
	if err != nil {
		logger.Error(fs.Name()+": cannot serve", slog.String("error", err.Error()))
		return 2
	}
	h, err := cfg.BuildHandler(ctx, svc)
	if err != nil {
		logger.Error(fs.Name()+": cannot serve", slog.String("error", err.Error()))
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error(fs.Name()+": cannot serve", slog.String("error", err.Error()))
		return 2
	}
	logger.Info("partners serve listening", "addr", ln.Addr().String())
	// The timeouts are gatehouse serve's defaults; none is infinite.
	if err := serveUntilDone(ctx, ln, h, forwardauth.ServerConfig{}, logger); err != nil {
		logger.Error(fs.Name()+": cannot serve", slog.String("error", err.Error()))
		return 2
	}
	logger.Info("partners serve stopped")
	return 0
}
