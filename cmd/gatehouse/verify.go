package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

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

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		pool       = fs.String("user-pool-id", "", "Cognito user pool id, e.g. eu-west-1_AbCdEf123 (required)")
		tokenUse   = fs.String("token-use", "", "accepted token use: id, access or any (required)")
		skipClient = fs.Bool("skip-client-id-check", false, "accept tokens of any app client of the pool")
		grace      = fs.Duration("grace", 0, "clock skew allowed for exp and nbf, e.g. 30s")
		jwksURL    = fs.String("jwks-url", "", "fetch keys here instead of the pool's default JWKS URL")
		jwksFile   = fs.String("jwks-file", "", "read keys from this JWKS file instead of fetching them")
		issuer     = fs.String("issuer", "", "expected iss instead of the pool's Cognito issuers (local stand-ins)")
		insecure   = fs.Bool("insecure-http", false, "allow plain http issuer and JWKS URL (local development only)")
		at         = fs.String("at", "", "verify as of this moment: RFC 3339 or unix seconds (default now)")
		clientIDs  stringList
		groups     stringList
		scopes     stringList
	)
	fs.Var(&clientIDs, "client-id", "accepted app client id (repeatable)")
	fs.Var(&groups, "group", "required group, any of (repeatable)")
	fs.Var(&scopes, "scope", "required scope, any of (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse verify [flags] TOKEN|-")
		fmt.Fprintln(stderr, "\nVerifies TOKEN (or standard input with -) and prints one JSON object.")
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

	uses, err := parseTokenUse(*tokenUse)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse verify:", err)
		return 2
	}
	pc := jwtverify.PoolConfig{
		UserPoolID:        *pool,
		TokenUses:         uses,
		ClientIDs:         clientIDs,
		SkipClientIDCheck: *skipClient,
		Groups:            groups,
		Scopes:            scopes,
		Grace:             *grace,
		Issuer:            *issuer,
		JWKSURL:           *jwksURL,
		InsecureHTTP:      *insecure,
	}
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
	cfg := jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}}
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

func parseTokenUse(s string) ([]jwtverify.TokenUse, error) {
	switch s {
	case "id":
		return []jwtverify.TokenUse{jwtverify.TokenUseID}, nil
	case "access":
		return []jwtverify.TokenUse{jwtverify.TokenUseAccess}, nil
	case "any":
		return []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess}, nil
	case "":
		return nil, errors.New("--token-use is required: id, access or any")
	default:
		return nil, fmt.Errorf("--token-use %q: want id, access or any", s)
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
