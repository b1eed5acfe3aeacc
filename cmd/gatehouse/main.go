// Command gatehouse is Gatehouse's command-line tool: it verifies and decodes
// Cognito tokens, and provisions the identity mapping by hand.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gatehouse-auth/gatehouse/internal/version"
)

// A command runs with its own arguments and returns the process exit status:
// 0 success, 1 a negative answer (invalid token, not found), 2 usage or
// configuration error.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"verify", "verify a Cognito token exactly as the jwtverify library does", runVerify},
		{"decode", "print a token's header and claims WITHOUT verifying them", runDecode},
		{"serve", "answer forward-auth requests (nginx, Caddy, Traefik, Envoy) or proxy to an upstream", withoutStdin(runServe)},
		{"portal", "serve the developer-credentials and sign-in API locally", withoutStdin(runPortal)},
		{"partners", "serve the B2B partner service; register, rotate, revoke and show partners", withoutStdin(runPartners)},
		{"table", "create the mapping table (local development)", withoutStdin(runTable)},
		{"users", "add, show and remove users in the mapping", withoutStdin(runUsers)},
		{"clients", "finish API-client work the portal left half done", withoutStdin(runClients)},
		{"version", "print the version, commit and Go version (also --version)", withoutStdin(runVersion)},
	}
}

func withoutStdin(f func(context.Context, []string, io.Writer, io.Writer) int) func(context.Context, []string, io.Reader, io.Writer, io.Writer) int {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return f(ctx, args, stdout, stderr)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "gatehouse: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gatehouse <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gatehouse <command> -h' for a command's flags.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintf(stderr, "gatehouse version: unexpected argument %q\n", args[0])
		return 2
	}
	fmt.Fprintln(stdout, version.Get())
	return 0
}
