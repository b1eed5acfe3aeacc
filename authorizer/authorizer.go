package authorizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// TokenVerifier verifies a bare compact JWT. A *jwtverify.Verifier
// satisfies it; its errors must wrap the jwtverify sentinels.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*jwtverify.Claims, error)
}

// Directory resolves verified callers to internal users. A *mapping.Store
// satisfies it (mapping's User, Client and sentinels are those of package
// record, which needs no AWS SDK, so the decision core links none); its
// errors must wrap the record sentinels.
type Directory interface {
	// UserByUsername gets the pool from the verified token
	// (jwtverify.Claims.UserPoolID): a user name means a user only within
	// the pool that issued it.
	UserByUsername(ctx context.Context, pool, username string) (record.User, error)
	ClientByID(ctx context.Context, clientID string) (record.Client, error)
}

// leasingDirectory is a Directory whose answers carry the lease of the
// cache entry they came from (*mapping.Store; none with its cache off).
// LeaseSource is the Directory whose lookups the lease methods make: the
// memo is on only when that is Config.Directory itself (see New).
type leasingDirectory interface {
	UserByUsernameLease(ctx context.Context, pool, username string) (record.User, record.Lease, error)
	ClientByIDLease(ctx context.Context, clientID string) (record.Client, record.Lease, error)
	LeaseSource() any
}

// Reason codes of decisions, beside jwtverify's codes ("expired",
// "bad_signature", ...) for refused tokens.
const (
	ReasonOK                 = "ok"
	ReasonMissing            = "missing"             // no credential
	ReasonBadScheme          = "bad_scheme"          // an Authorization scheme other than Bearer
	ReasonAmbiguous          = "ambiguous"           // several different Authorization headers
	ReasonNoUsername         = "no_username"         // a user token without a user name
	ReasonUnmapped           = "unmapped"            // user or client not (or no longer) mapped
	ReasonIdentityRebound    = "identity_rebound"    // the token's sub is not the one the user name was bound to
	ReasonIdentityUnbound    = "identity_unbound"    // the user name is bound to no sub yet (gatehouse users bind-subs)
	ReasonSignedOut          = "signed_out"          // the token was issued before the user's last sign-out everywhere
	ReasonMissingScope       = "missing_scope"       // the route needs a scope the caller lacks
	ReasonMissingGroup       = "missing_group"       // the route needs a group the caller lacks
	ReasonKeysUnavailable    = "keys_unavailable"    // no usable signing keys (500)
	ReasonMappingUnavailable = "mapping_unavailable" // the mapping store could not answer (500)
	ReasonMappingError       = "mapping_error"       // the mapping store answered something unusable (500)
	ReasonBadEvent           = "bad_event"           // the API Gateway event is unusable (500)
)

// AmbiguousAuthorization is the Request.Authorization a front end passes
// for an Authorization header given more than once with different values:
// it is refused (ReasonAmbiguous). The NUL byte keeps it from being a value
// a caller could send.
const AmbiguousAuthorization = "\x00ambiguous"

// Config configures an Authorizer. Verifier and Directory are required:
// without them nothing could be authenticated, and New refuses rather than
// deny everything silently.
type Config struct {
	// Verifier checks tokens. Required.
	Verifier TokenVerifier
	// Directory maps user names and client ids to internal users; it is
	// also the revocation check. Required. A *mapping.Store with its
	// cache on, with a *jwtverify.Verifier with its token cache on, lets
	// warm decisions skip the lookup (see the package documentation); a
	// type embedding either (to add a check) does not, so its own Verify
	// and lookups are always the ones called.
	Directory Directory
	// Rules say which routes need which scopes or groups (see Rule and the
	// package documentation). Empty: every authenticated caller may use
	// every route.
	Rules []Rule
	// ResponseBudget is the largest authorizer response, in bytes, the
	// rules may lead to in the worst case; New refuses rules over it.
	// Default DefaultResponseBudget (8 KiB).
	ResponseBudget int
	// Logger receives one line per decision. Default: discard.
	Logger *slog.Logger
	// Metrics receives one CloudWatch embedded-metric-format line per
	// decision (in Lambda: os.Stdout). Default nil: no metrics.
	Metrics io.Writer
	// Now is the clock for latency and metric timestamps. Default time.Now.
	Now func() time.Time
}

// Authorizer decides whether a request may pass. It is safe for concurrent
// use.
type Authorizer struct {
	verifier  TokenVerifier
	directory Directory
	// With both set, warm decisions reuse a per-token memo (tokenMemo).
	memoVerifier *jwtverify.Verifier
	leasing      leasingDirectory
	rules        *ruleSet
	log          *slog.Logger
	now          func() time.Time

	metricsMu sync.Mutex
	metrics   io.Writer
	// metricsBuf is the EMF line being written, reused under metricsMu
	// (a Writer must not retain what it is given).
	metricsBuf []byte

	// haveRules: Config.Rules held at least one rule.
	haveRules bool
}

// HasRules reports whether route rules were configured (front ends whose
// answers cover one route only are unsafe to cache with rules).
func (a *Authorizer) HasRules() bool { return a.haveRules }

// Logger is the decision logger, for a front end's own failures.
func (a *Authorizer) Logger() *slog.Logger { return a.log }

// Fail records an error decision a front end reached without deciding (an
// unusable event: reason ReasonBadEvent), logged and measured like any
// decision, and returns it. It is never an allow.
func (a *Authorizer) Fail(ctx context.Context, reason string, err error) Decision {
	d := Decision{Outcome: OutcomeError, Reason: reason}
	a.observe(ctx, Request{}, d, err, a.now())
	return d
}

// Hydrate loads the verifier's signing keys now, when its key sets can be
// loaded ahead of the first request (jwtverify's can). A server reports
// ready once it returns nil; until then decisions that need the keys fail
// closed.
func (a *Authorizer) Hydrate(ctx context.Context) error {
	h, ok := a.verifier.(interface{ Hydrate(context.Context) error })
	if !ok {
		return nil
	}
	return h.Hydrate(ctx)
}

// KeySetStats reports the health of the verifier's key sets (see
// jwtverify.Verifier.KeySetStats); nil when the verifier has none to report.
func (a *Authorizer) KeySetStats() []jwtverify.PoolKeySetStats {
	s, ok := a.verifier.(interface {
		KeySetStats() []jwtverify.PoolKeySetStats
	})
	if !ok {
		return nil
	}
	return s.KeySetStats()
}

// everything is the Allowed list: every route not denied is open to an
// authenticated caller.
var everything = []Route{{Method: "*", Path: "/*"}}

// New validates cfg and returns an Authorizer.
func New(cfg Config) (*Authorizer, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("authorizer: Config.Verifier is nil")
	}
	if cfg.Directory == nil {
		return nil, errors.New("authorizer: Config.Directory is nil")
	}
	if cfg.ResponseBudget < 0 {
		return nil, errors.New("authorizer: Config.ResponseBudget is negative")
	}
	if cfg.ResponseBudget == 0 {
		cfg.ResponseBudget = DefaultResponseBudget
	}
	rs, err := compileRules(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	if worst := rs.worstResponseSize(); worst > cfg.ResponseBudget {
		return nil, fmt.Errorf("authorizer: the rules (%d distinct route patterns with requirements, GET ones counted again for HEAD) may lead to a %d-byte authorizer response, over the %d-byte budget: merge routes with \"*\" patterns", len(rs.patterns), worst, cfg.ResponseBudget)
	}
	a := &Authorizer{
		verifier: cfg.Verifier, directory: cfg.Directory, rules: rs,
		log: cfg.Logger, metrics: cfg.Metrics, now: cfg.Now, haveRules: len(cfg.Rules) > 0,
	}
	// The memo calls VerifyMemo and the lease methods instead of Verify
	// and the lookups: only where they are the very ones Config names. A
	// type embedding a *jwtverify.Verifier or a *mapping.Store to add a
	// check (overriding Verify or a lookup) inherits them, and they know
	// nothing of that check.
	mv, _ := cfg.Verifier.(*jwtverify.Verifier)
	ld, _ := cfg.Directory.(leasingDirectory)
	if mv != nil && ld != nil && sameValue(ld.LeaseSource(), cfg.Directory) {
		a.memoVerifier, a.leasing = mv, ld
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// worstResponseSize bounds the size of a TOKEN authorizer response: every
// pattern denied, ARNs with a long prefix, and room for the identity.
func (rs *ruleSet) worstResponseSize() int {
	const overhead = 300 // JSON structure, two statements
	n := overhead + budgetIdentityBytes + budgetARNPrefixLen + len("*/*") + 3
	for _, p := range rs.patterns {
		n += budgetARNPrefixLen + len(p.key) + 3 // quotes and comma
	}
	return n
}

// Decide authenticates r's credential and decides whether it may use r's
// route. It logs one line and writes one metric line. It never allows on
// doubt: a failing dependency gives OutcomeError.
//
// The Identity and Grants of the Decision must not be modified: they may be
// shared with other decisions and with the verifier's token cache.
func (a *Authorizer) Decide(ctx context.Context, r Request) Decision {
	if !a.observed(ctx) {
		d, _ := a.decide(ctx, r)
		return d
	}
	start := a.now()
	d, err := a.decide(ctx, r)
	a.observe(ctx, r, d, err, start)
	return d
}

func (a *Authorizer) decide(ctx context.Context, r Request) (Decision, error) {
	token, why := bearerToken(r.Authorization)
	if why != "" {
		return Decision{Outcome: OutcomeUnauthorized, Reason: why}, nil
	}
	var claims *jwtverify.Claims
	var memo *jwtverify.Memo
	var held any
	var err error
	if a.memoVerifier != nil {
		claims, memo, held, err = a.memoVerifier.VerifyMemo(ctx, token)
		// The verifier made every check of a token-cache hit; the lease
		// says the mapping entry the identity came from still answers.
		if m, _ := held.(*tokenMemo); err == nil && m != nil && m.owner == a && m.lease.Live() {
			return a.judged(r, m.id, m.failed), nil
		}
		if err == nil && claims == nil {
			// A stale memo (once per token and mapping TTL): the claims.
			claims, err = a.verifier.Verify(ctx, token)
		}
	} else {
		claims, err = a.verifier.Verify(ctx, token)
	}
	if err != nil {
		if errors.Is(err, jwtverify.ErrKeysUnavailable) {
			return Decision{Outcome: OutcomeError, Reason: ReasonKeysUnavailable}, err
		}
		return Decision{Outcome: OutcomeUnauthorized, Reason: jwtverify.Code(err)}, nil
	}
	if claims == nil {
		return Decision{Outcome: OutcomeError, Reason: "verifier_error"}, errors.New("verifier returned no claims and no error")
	}
	id, lease, d, err := a.resolve(ctx, claims)
	if id == nil {
		return d, err
	}
	failed := a.rules.failed(id.Scopes, id.Groups)
	if memo != nil && lease != nil {
		memo.Store(&tokenMemo{owner: a, id: id, failed: failed, lease: lease})
	}
	return a.judged(r, id, failed), nil
}

// tokenMemo is what a warm decision reuses: what the token's claims and
// its mapping entry decided, kept in the token cache's entry for the token
// (jwtverify.Memo: bounded by the token cache's size). It is used only
// while lease is live, so it never outlives the mapping cache entry it was
// derived from (that entry's own fetch time plus the TTL, or any
// invalidation): the revocation delay is the mapping cache's. Only
// successful resolutions are kept; the route is judged per request.
//
// Why in jwtverify's entry rather than a cache keyed by the token here
// (measured, BENCHMARKS.md issue 17): the token cache already finds the
// entry (one SHA-256 of the signing input), and on a memo hit skips the
// claims copy; a map keyed by the token would still need that hit, copy
// included, and add a hash of the whole token under a lock (107-256 ns,
// an eighth to a quarter of a hit) and a bound of its own.
type tokenMemo struct {
	owner  *Authorizer // authorizers sharing a verifier share its memos
	id     *Identity
	failed failedPatterns
	lease  record.Lease
}

// resolve maps verified claims to an Identity and the lease of the mapping
// entry it came from (nil when the directory gives none). A nil Identity
// comes with the refusal d and its error.
func (a *Authorizer) resolve(ctx context.Context, claims *jwtverify.Claims) (*Identity, record.Lease, Decision, error) {
	// The slices are shared with the verifier's token cache: read only.
	id := &Identity{
		ClientID: claims.ClientID,
		TokenUse: string(claims.TokenUse),
		Scopes:   claims.Scopes,
		Groups:   claims.Groups,
	}
	var lease record.Lease
	if claims.IsClientCredentials() {
		var c record.Client
		var err error
		if a.leasing != nil {
			c, lease, err = a.leasing.ClientByIDLease(ctx, claims.ClientID)
		} else {
			c, err = a.directory.ClientByID(ctx, claims.ClientID)
		}
		if d, bad := mappingFailure(err); bad {
			return nil, nil, d, err
		}
		id.Kind, id.InternalID = CallerClient, c.InternalID
		if len(c.Scopes) > 0 {
			// The mapping may narrow a client's scopes, never widen them.
			narrowed := make([]string, 0, len(id.Scopes))
			for _, s := range id.Scopes {
				if slices.Contains(c.Scopes, s) {
					narrowed = append(narrowed, s)
				}
			}
			id.Scopes = narrowed
		}
	} else {
		if claims.Username == "" {
			return nil, nil, Decision{Outcome: OutcomeUnauthorized, Reason: ReasonNoUsername}, nil
		}
		var u record.User
		var err error
		if a.leasing != nil {
			u, lease, err = a.leasing.UserByUsernameLease(ctx, claims.UserPoolID, claims.Username)
		} else {
			u, err = a.directory.UserByUsername(ctx, claims.UserPoolID, claims.Username)
		}
		if d, bad := mappingFailure(err); bad {
			return nil, nil, d, err
		}
		// A user name means the Cognito user it was bound to, and only
		// tokens issued since its last sign-out (same item: no extra read).
		if err := u.Admits(claims.Subject, claims.IssuedAt); err != nil {
			return nil, nil, Decision{Outcome: OutcomeUnauthorized, Reason: admitReason(err)}, nil
		}
		id.Kind, id.InternalID, id.Username = CallerUser, u.InternalID, u.Username
		if u.Kind == record.KindPartner {
			id.Kind = CallerPartner
		}
	}
	if id.InternalID == "" {
		return nil, nil, Decision{Outcome: OutcomeError, Reason: ReasonMappingError}, errors.New("mapping returned an empty internal id")
	}
	return id, lease, Decision{}, nil
}

// sameValue reports whether a and b hold the same comparable value.
func sameValue(a, b any) bool {
	t := reflect.TypeOf(a)
	return t != nil && t == reflect.TypeOf(b) && t.Comparable() && a == b
}

// judged is the decision for an authenticated caller on r's route.
func (a *Authorizer) judged(r Request, id *Identity, failed failedPatterns) Decision {
	grants, why := a.rules.judge(r.Method, r.Path, id.Scopes, id.Groups, failed)
	d := Decision{Outcome: OutcomeAllow, Reason: ReasonOK, Identity: id, Grants: grants}
	if why != "" {
		d.Outcome, d.Reason = OutcomeForbidden, why
	}
	return d
}

// admitReason is the reason code of a record.User.Admits refusal.
func admitReason(err error) string {
	switch {
	case errors.Is(err, record.ErrRebound):
		return ReasonIdentityRebound
	case errors.Is(err, record.ErrSignedOut):
		return ReasonSignedOut
	default:
		return ReasonIdentityUnbound
	}
}

// mappingFailure turns a Directory error into a decision: not found (or a
// name that cannot be mapped at all) is not authenticated; anything else
// is an error, never an allow.
func mappingFailure(err error) (Decision, bool) {
	switch {
	case err == nil:
		return Decision{}, false
	case errors.Is(err, record.ErrNotFound), errors.Is(err, record.ErrInvalid):
		return Decision{Outcome: OutcomeUnauthorized, Reason: ReasonUnmapped}, true
	case errors.Is(err, record.ErrUnavailable):
		return Decision{Outcome: OutcomeError, Reason: ReasonMappingUnavailable}, true
	default:
		return Decision{Outcome: OutcomeError, Reason: ReasonMappingError}, true
	}
}

// failedPatterns is the set of patterns with a requirement a caller
// fails, and the Grants that follow: a bit mask when there are at most 64
// patterns (ok), otherwise unknown (judge works both out per request).
type failedPatterns struct {
	mask   uint64
	ok     bool
	grants *Grants
}

// failed returns the patterns whose requirements scopes and groups fail.
// It depends on the caller alone, so a warm decision reuses it.
func (rs *ruleSet) failed(scopes, groups []string) failedPatterns {
	if len(rs.patterns) > 64 {
		return failedPatterns{}
	}
	var mask uint64
	for i := range rs.patterns {
		for _, req := range rs.patterns[i].reqs {
			if req.failure(scopes, groups) != "" {
				mask |= 1 << i
				break
			}
		}
	}
	if mask == 0 {
		return failedPatterns{ok: true, grants: &noRulesGrants}
	}
	return failedPatterns{mask: mask, ok: true, grants: rs.grantsFor(mask)}
}

// judge returns the caller's Grants and why the route (method and path;
// either empty: only the patterns that match every route apply) is
// refused, "" when it is not. failed is rs.failed(scopes, groups): each
// pattern's requirements are evaluated once for both, and a caller who
// meets them all (the common case) costs no route matching.
func (rs *ruleSet) judge(method, path string, scopes, groups []string, failed failedPatterns) (*Grants, string) {
	if len(rs.patterns) == 0 {
		return &noRulesGrants, ""
	}
	if !failed.ok {
		return rs.buildGrants(rs.denied(scopes, groups)), rs.checkRoute(method, path, scopes, groups)
	}
	mask := failed.mask
	if mask == 0 {
		return failed.grants, ""
	}
	// check, over the failed patterns only.
	var key string
	if method != "" && path != "" {
		key = strings.ToUpper(method) + path
	}
	why := ""
	for i := range rs.patterns {
		if mask&(1<<i) == 0 {
			continue
		}
		p := &rs.patterns[i]
		matches := p.universal() // the route is unknown
		if key != "" {
			matches = globMatch(p.key, key)
		}
		if !matches {
			continue
		}
		for _, req := range p.reqs {
			if why = req.failure(scopes, groups); why != "" {
				break
			}
		}
		break
	}
	return failed.grants, why
}

// grantsFor lists the denied patterns of mask, without those another
// denied pattern covers. Callers with the same set of unmet patterns share
// one Grants.
func (rs *ruleSet) grantsFor(mask uint64) *Grants {
	if g, ok := rs.memo.Load(mask); ok {
		return g.(*Grants)
	}
	var idx []int
	for i := range rs.patterns {
		if mask&(1<<i) != 0 {
			idx = append(idx, i)
		}
	}
	g := rs.buildGrants(idx)
	// At most 2^64 masks exist but few occur; bound the memory anyway.
	if rs.memoSize.Add(1) <= maxGrantsMemo {
		rs.memo.Store(mask, g)
	}
	return g
}

// maxGrantsMemo bounds the number of remembered Grants.
const maxGrantsMemo = 4096

// buildGrants makes the Grants for the denied pattern indexes idx.
func (rs *ruleSet) buildGrants(idx []int) *Grants {
	if len(idx) == 0 {
		return &noRulesGrants
	}
	isDenied := make([]bool, len(rs.patterns))
	for _, i := range idx {
		isDenied[i] = true
	}
	g := &Grants{Allowed: everything}
	for _, i := range idx {
		covered := false
		for _, j := range rs.patterns[i].subsumedBy {
			// Of two patterns covering each other, keep the lower index.
			if isDenied[j] && (j < i || !slices.Contains(rs.patterns[j].subsumedBy, i)) {
				covered = true
				break
			}
		}
		if !covered {
			g.Denied = append(g.Denied, rs.patterns[i].route)
		}
	}
	return g
}

var noRulesGrants = Grants{Allowed: everything}

// bearerToken extracts the JWT from an Authorization value: "Bearer <jwt>"
// with any case of "Bearer", or a bare JWT.
func bearerToken(v string) (string, string) {
	if v == AmbiguousAuthorization {
		return "", ReasonAmbiguous
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ReasonMissing
	}
	if strings.EqualFold(v, "bearer") {
		return "", ReasonMissing
	}
	scheme, rest, found := strings.Cut(v, " ")
	if !found {
		return v, "" // a bare token; the verifier judges its form
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "", ReasonBadScheme
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", ReasonMissing
	}
	return rest, ""
}
