package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// decodeOutput is what `gatehouse decode` prints. Nothing in it is verified.
type decodeOutput struct {
	Unverified bool            `json:"unverified"`
	Warning    string          `json:"warning"`
	Header     json.RawMessage `json:"header"`
	Claims     json.RawMessage `json:"claims"`
}

func runDecode(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatehouse decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse decode TOKEN|-")
		fmt.Fprintln(stderr, "\nPrints the header and claims of TOKEN WITHOUT verifying anything.")
		fmt.Fprintln(stderr, "Use 'gatehouse verify' to decide whether a token is valid.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "gatehouse decode: exactly one TOKEN argument (or -) is required")
		return 2
	}
	token, err := tokenArgument(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse decode:", err)
		return 2
	}
	out, err := decodeUnverified(token)
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse decode:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(stderr, "gatehouse decode:", err)
		return 2
	}
	return 0
}

func decodeUnverified(token string) (*decodeOutput, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a JWS has 3 dot-separated parts, this has %d", len(parts))
	}
	header, err := decodeJSONSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	claims, err := decodeJSONSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return &decodeOutput{
		Unverified: true,
		Warning:    "NOT VERIFIED: anyone can write these values; use 'gatehouse verify'",
		Header:     header,
		Claims:     claims,
	}, nil
}

func decodeJSONSegment(seg string) (json.RawMessage, error) {
	// Lenient on purpose (padding allowed): this is a debugging aid, and the
	// verifier is the one that is strict.
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	if !json.Valid(data) || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil, errors.New("not a JSON object")
	}
	return json.RawMessage(data), nil
}
