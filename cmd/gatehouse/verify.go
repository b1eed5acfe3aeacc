package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// verifyOutput is what `gatehouse verify` prints: one JSON object.
type verifyOutput struct {
	Valid  bool         `json:"valid"`
	Error  *errorOutput `json:"error,omitempty"`
	Claims *claimsJSON  `json:"claims,omitempty"`
}

type errorOutput struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// claimsJSON is the printed form of verified claims.
type claimsJSON struct {
	Subject           string         `json:"subject"`
	Username          string         `json:"username,omitempty"`
	ClientID          string         `json:"client_id"`
	TokenUse          string         `json:"token_use"`
	ClientCredentials bool           `json:"client_credentials"`
	Issuer            string         `json:"issuer"`
	Groups            []string       `json:"groups,omitempty"`
	Scopes            []string       `json:"scopes,omitempty"`
	IssuedAt          *time.Time     `json:"issued_at,omitempty"`
	ExpiresAt         *time.Time     `json:"expires_at,omitempty"`
	AuthTime          *time.Time     `json:"auth_time,omitempty"`
	JTI               string         `json:"jti,omitempty"`
	OriginJTI         string         `json:"origin_jti,omitempty"`
	Raw               map[string]any `json:"raw"`
}

func toClaimsJSON(c *jwtverify.Claims) *claimsJSON {
	if c == nil {
		return nil
	}
	optTime := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return &claimsJSON{
		Subject: c.Subject, Username: c.Username, ClientID: c.ClientID,
		TokenUse: string(c.TokenUse), ClientCredentials: c.IsClientCredentials(),
		Issuer: c.Issuer, Groups: c.Groups, Scopes: c.Scopes,
		IssuedAt: optTime(c.IssuedAt), ExpiresAt: optTime(c.ExpiresAt), AuthTime: optTime(c.AuthTime),
		JTI: c.JTI, OriginJTI: c.OriginJTI, Raw: c.Raw(),
	}
}

// verifyFlagVars names the GATEHOUSE_* variable behind each verify flag:
// unset flags take the variable the services read, so that an operator can
// check a token under a service's environment.
var verifyFlagVars = map[string]string{
	"user-pool-id":         envconfig.UserPoolID,
	"client-id":            envconfig.ClientIDs,
	"skip-client-id-check": envconfig.SkipClientIDCheck,
	"token-use":            envconfig.TokenUses,
	"grace":                envconfig.ClockSkew,
	"jwks-url":             envconfig.JWKSURL,
	"issuer":               envconfig.Issuer,
	"insecure-http":        envconfig.InsecureHTTP,
	"jwks-timeout":         envconfig.JWKSTimeout,
}

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("user-pool-id", "", "Cognito user pool id, e.g. eu-west-1_AbCdEf123 (required)")
	fs.Duration("grace", 0, "clock skew allowed for exp and nbf, e.g. 30s")
	fs.Duration("jwks-timeout", 0, "bound on one JWKS fetch, 2s when unset")
	fs.String("issuer", "", "expected iss instead of the pool's Cognito issuers (local stand-ins)")
	fs.Bool("insecure-http", false, "allow plain http issuer and JWKS URL (local development only)")
	var (
		tokenUse   = fs.String("token-use", "", "accepted token use: id, access or any (required)")
		skipClient = fs.Bool("skip-client-id-check", false, "accept tokens of any app client of the pool")
		jwksURL    = fs.String("jwks-url", "", "fetch keys here instead of the pool's default JWKS URL")
		jwksFile   = fs.String("jwks-file", "", "read keys from this JWKS file instead of fetching them")
		at         = fs.String("at", "", "verify as of this moment: RFC 3339 or unix seconds (default now)")
		clientIDs  stringList
		groups     stringList
		scopes     stringList
	)
	fs.Var(&clientIDs, "client-id", "accepted app client id (repeatable)")
	fs.Var(&groups, "group", "required group, any of (repeatable)")
	fs.Var(&scopes, "scope", "required scope, any of (repeatable)")
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := verifyFlagVars[f.Name]; ok {
			f.Usage += " [$" + v + "]"
		}
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse verify [flags] TOKEN|-")
		fmt.Fprintln(stderr, "\nVerifies TOKEN (or standard input with -) and prints one JSON object.")
		fmt.Fprintln(stderr, "A flag left out takes the GATEHOUSE_* variable shown after it [$...], read as")
		fmt.Fprintln(stderr, "the authorizer, portal and refresh service read it, so a token can be checked")
		fmt.Fprintln(stderr, "under a service's environment. A flag given wins; --client-id and")
		fmt.Fprintln(stderr, "--skip-client-id-check together replace both of their variables.")
		fmt.Fprintln(stderr, "Exit status: 0 valid, 1 invalid, 2 usage or configuration error.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "gatehouse verify: exactly one TOKEN argument (or -) is required")
		return 2
	}
	token, err := tokenArgument(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse verify:", err)
		return 2
	}

	// The flags given, in the variables' syntax (every flag.Value prints
	// so), over the environment.
	given := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if v, ok := verifyFlagVars[f.Name]; ok {
			given[v] = f.Value.String()
		}
	})
	if _, ok := given[envconfig.TokenUses]; ok || os.Getenv(envconfig.TokenUses) == "" {
		uses, err := tokenUsesVar(*tokenUse)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse verify:", err)
			return 2
		}
		given[envconfig.TokenUses] = uses
	}
	_, clientsGiven := given[envconfig.ClientIDs]
	if _, skipGiven := given[envconfig.SkipClientIDCheck]; clientsGiven || skipGiven {
		given[envconfig.ClientIDs] = clientIDs.String()
		given[envconfig.SkipClientIDCheck] = strconv.FormatBool(*skipClient)
	}
	if *jwksFile != "" {
		given[envconfig.JWKSURL] = *jwksURL // a file wins over the variable, not over the flag
	}
	r := envconfig.NewReader(func(name string) string {
		if v, ok := given[name]; ok {
			return v
		}
		return os.Getenv(name)
	})
	vc := r.Verifier(envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}}})
	if err := r.Err(); err != nil {
		fmt.Fprintf(stderr, "gatehouse verify: %v\n(each variable is the default of a flag: gatehouse verify -h)\n", err)
		return 2
	}
	// Say which settings came from the environment (names only), so that
	// a variable left set in the shell is no surprise.
	var fromEnv []string
	for _, v := range verifyFlagVars {
		if _, ok := given[v]; !ok && os.Getenv(v) != "" {
			fromEnv = append(fromEnv, v)
		}
	}
	if len(fromEnv) > 0 {
		slices.Sort(fromEnv)
		fmt.Fprintln(stderr, "gatehouse verify: from the environment:", strings.Join(fromEnv, ", "))
	}
	pc := &vc.Pools[0]
	pc.Groups, pc.Scopes = groups, scopes
	if *jwksFile != "" {
		if *jwksURL != "" {
			fmt.Fprintln(stderr, "gatehouse verify: --jwks-url and --jwks-file are exclusive")
			return 2
		}
		data, err := os.ReadFile(*jwksFile)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse verify:", err)
			return 2
		}
		ks, err := jwtverify.NewStaticKeySet(data)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse verify: --jwks-file: %v\n", err)
			return 2
		}
		pc.KeySet = ks
	}
	cfg := vc.Config(nil, nil)
	if *at != "" {
		moment, err := parseMoment(*at)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse verify: --at:", err)
			return 2
		}
		cfg.Now = func() time.Time { return moment }
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the key set's background refresh
	v, err := jwtverify.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse verify:", err)
		return 2
	}
	claims, err := v.Verify(ctx, token)
	out := verifyOutput{Valid: err == nil, Claims: toClaimsJSON(claims)}
	if err != nil {
		out.Error = &errorOutput{Code: jwtverify.Code(err), Message: err.Error()}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if werr := enc.Encode(out); werr != nil {
		fmt.Fprintln(stderr, "gatehouse verify:", werr)
		return 2
	}
	if err != nil {
		return 1
	}
	return 0
}

// tokenArgument returns the token as given: the argument byte for byte, or
// standard input for "-" with one trailing newline dropped.
func tokenArgument(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	// Far above any token size cap; larger input is not a token at all.
	const limit = 1 << 20
	data, err := io.ReadAll(io.LimitReader(stdin, limit+1))
	if err != nil {
		return "", fmt.Errorf("read standard input: %w", err)
	}
	if len(data) > limit {
		return "", fmt.Errorf("standard input is larger than %d bytes", limit)
	}
	s := string(data)
	if strings.HasSuffix(s, "\r\n") {
		s = strings.TrimSuffix(s, "\r\n")
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	return s, nil
}

// tokenUsesVar reads --token-use and returns it in GATEHOUSE_TOKEN_USES's
// syntax.
func tokenUsesVar(s string) (string, error) {
	switch s {
	case "id", "access":
		return s, nil
	case "any":
		return string(jwtverify.TokenUseID) + "," + string(jwtverify.TokenUseAccess), nil
	case "":
		return "", fmt.Errorf("--token-use is required: id, access or any (or $%s)", envconfig.TokenUses)
	default:
		return "", fmt.Errorf("--token-use %q: want id, access or any", s)
	}
}

// parseMoment reads RFC 3339 or unix seconds.
func parseMoment(s string) (time.Time, error) {
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor unix seconds", s)
	}
	return t, nil
}
