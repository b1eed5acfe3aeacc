package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// reissueLine is one line of the --out file: the only place a re-issued
// refresh token is written.
type reissueLine struct {
	PartnerID       string `json:"partner_id"`
	InternalID      string `json:"internal_id"`
	CognitoUsername string `json:"cognito_username"`
	RefreshToken    string `json:"refresh_token"`
}

// reissueResult is what `partners reissue` prints per partner (no secret).
type reissueResult struct {
	PartnerID string `json:"partner_id"`
	Outcome   string `json:"outcome"` // reissued, would-reissue, skipped, failed
	// PreviousPool and PreviousUsername: delete that user there once every
	// partner has its new credential ("" pool: recorded before pools were,
	// in the people's pool).
	PreviousPool     string `json:"previous_pool,omitempty"`
	PreviousUsername string `json:"previous_username,omitempty"`
	Error            string `json:"error,omitempty"`
}

// partnersReissue is `gatehouse partners reissue --all --out FILE [--dry-run]`.
func partnersReissue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := partnersFlags("reissue", stderr)
	all := fs.Bool("all", false, "every active partner whose user is not in the partners' pool (required)")
	out := fs.String("out", "", "new `file` (mode 0600) for the new refresh tokens, one JSON object a line; required unless --dry-run")
	dryRun := fs.Bool("dry-run", false, "list what would be re-issued, change nothing")
	rename := fs.String("rename", "", "`ID=NAME[,ID=NAME...]`: give these partners a new user name in the partners' pool (for an old name taken there)")
	if code, ok := parseMappingFlags(fs, args); !ok {
		return code
	}
	names, err := parseRenames(*rename)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --rename: %v\n", fs.Name(), err)
		return 2
	}
	if !*all || (*out == "" && !*dryRun) {
		fmt.Fprintf(stderr, "%s: --all and --out FILE (or --dry-run) are required\n", fs.Name())
		return 2
	}
	cfg, err := refresh.ServiceConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: AWS configuration: %v\n", fs.Name(), err)
		return 2
	}
	st, err := mappingStoreFromEnv(ctx, cfg.Table)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2
	}
	partners, err := st.Partners(ctx, dynamodb.NewFromConfig(awsCfg))
	if err != nil {
		fmt.Fprintf(stderr, "%s: listing partners: %v\n", fs.Name(), err)
		return 2
	}
	var todo []mapping.Partner
	var results []reissueResult
	for _, p := range partners {
		if p.Status != mapping.PartnerActive {
			continue
		}
		u, err := st.User(ctx, p.InternalID)
		switch {
		case err != nil:
			results = append(results, reissueResult{PartnerID: p.PartnerID, Outcome: "failed", Error: err.Error()})
		case u.Pool == cfg.PartnerUserPoolID:
			results = append(results, reissueResult{PartnerID: p.PartnerID, Outcome: "skipped"})
		case *dryRun:
			results = append(results, reissueResult{PartnerID: p.PartnerID, Outcome: "would-reissue", PreviousPool: u.Pool, PreviousUsername: u.Username})
		default:
			todo = append(todo, p)
		}
	}
	for id := range names {
		if !slices.ContainsFunc(results, func(r reissueResult) bool { return r.PartnerID == id && r.Outcome == "would-reissue" }) &&
			!slices.ContainsFunc(todo, func(p mapping.Partner) bool { return p.PartnerID == id }) {
			fmt.Fprintf(stderr, "%s: --rename %s: not a partner this run re-issues; ignored\n", fs.Name(), id)
		}
	}
	if len(todo) > 0 {
		results = append(results, reissueAll(ctx, cfg, todo, names, *out, stderr)...)
	}
	code := printMappingJSON(stdout, stderr, results)
	for _, r := range results {
		if r.Outcome == "failed" {
			return max(code, 1)
		}
	}
	return code
}

// reissueAll re-issues todo, writing each new token to a new file path
// (created 0600, refused when it exists) as soon as it is made.
func reissueAll(ctx context.Context, cfg refresh.EnvConfig, todo []mapping.Partner, names map[string]string, path string, stderr io.Writer) []reissueResult {
	failAll := func(err error) []reissueResult {
		out := make([]reissueResult, len(todo))
		for i, p := range todo {
			out[i] = reissueResult{PartnerID: p.PartnerID, Outcome: "failed", Error: err.Error()}
		}
		return out
	}
	svc, err := cfg.BuildService(ctx)
	if err != nil {
		return failAll(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return failAll(fmt.Errorf("--out: %w (a new file each run: tokens are written once)", err))
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	var out []reissueResult
	for _, p := range todo {
		r, err := svc.Reissue(ctx, p.PartnerID, names[p.PartnerID])
		switch {
		case errors.Is(err, refresh.ErrAlreadyReissued):
			out = append(out, reissueResult{PartnerID: p.PartnerID, Outcome: "skipped"})
			continue
		case err != nil:
			out = append(out, reissueResult{PartnerID: p.PartnerID, Outcome: "failed", Error: err.Error()})
			continue
		}
		res := reissueResult{PartnerID: p.PartnerID, Outcome: "reissued", PreviousPool: r.PreviousPool, PreviousUsername: r.PreviousUsername}
		werr := enc.Encode(reissueLine{PartnerID: p.PartnerID, InternalID: r.Partner.InternalID, CognitoUsername: r.Partner.CognitoUsername, RefreshToken: r.RefreshToken})
		if werr == nil {
			werr = f.Sync()
		}
		if werr != nil {
			// The token is lost; the partner is re-issued all the same.
			res.Outcome, res.Error = "failed", fmt.Sprintf("re-issued, but its token could not be written (%v): run 'gatehouse partners rotate --partner-id %s'", werr, p.PartnerID)
			fmt.Fprintln(stderr, "gatehouse partners reissue:", res.Error)
		}
		out = append(out, res)
	}
	return out
}

// parseRenames reads --rename's ID=NAME pairs; a partner named twice is an
// error, the values themselves are checked by refresh.Service.Reissue.
func parseRenames(v string) (map[string]string, error) {
	out := map[string]string{}
	if v == "" {
		return out, nil
	}
	for _, pair := range strings.Split(v, ",") {
		id, name, ok := strings.Cut(pair, "=")
		if !ok || id == "" || name == "" {
			return nil, fmt.Errorf("%q is not ID=NAME", pair)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("partner %q is named twice", id)
		}
		out[id] = name
	}
	return out, nil
}
