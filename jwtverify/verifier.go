package jwtverify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// DefaultMaxTokenSize is the MaxTokenSize used when Config leaves it 0.
const DefaultMaxTokenSize = 16 << 10

// DefaultAlgorithm is the only algorithm accepted when Config.Algorithms is
// empty: what Cognito signs with.
const DefaultAlgorithm = "RS256"

// Verifier verifies Cognito tokens. It is safe for concurrent use.
type Verifier struct {
	pools    []*pool
	byIssuer map[string]*pool
	algs     map[string]*algorithm
	maxSize  int
	now      func() time.Time
	cache    *tokenCache // nil when Config.TokenCacheSize is 0
}

// pool is a validated PoolConfig.
type pool struct {
	id        string
	issuers   []string
	keys      KeySet
	tokenUses []TokenUse
	clientIDs []string // nil with SkipClientIDCheck
	// anyM2M exempts client-credentials tokens from clientIDs.
	anyM2M bool
	groups []string
	scopes []string
	grace  float64 // seconds
	check  func(context.Context, *Claims) error
}

// userPoolIDPattern is "<region>_<id>". Being strict here also keeps the
// default issuer and JWKS URLs, built from the id, well formed.
var userPoolIDPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+_[0-9A-Za-z]+$`)

// localUserPoolIDPattern is the pool id accepted with an Issuer override.
var localUserPoolIDPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*_[0-9A-Za-z]+$`)

// maxUserPoolIDLen is Cognito's limit on a user pool id.
const maxUserPoolIDLen = 55

// New validates cfg and returns a Verifier. Every pool without a KeySet gets
// a RemoteKeySet for its JWKS URL; ctx bounds the lifetime of those sets'
// background refresh, so pass a context that lives as long as the Verifier.
// New does not fetch keys: call Hydrate to load them eagerly.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	v := &Verifier{
		byIssuer: map[string]*pool{},
		algs:     map[string]*algorithm{},
		maxSize:  cfg.MaxTokenSize,
		now:      cfg.Now,
	}
	if len(cfg.Pools) == 0 {
		return nil, errors.New("jwtverify: config has no pools")
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{DefaultAlgorithm}
	}
	for _, name := range algs {
		a, ok := algorithms[name]
		if !ok {
			return nil, fmt.Errorf("jwtverify: algorithm %q is not allowed (only asymmetric algorithms: %s)",
				name, strings.Join(SupportedAlgorithms(), ", "))
		}
		v.algs[name] = a
	}
	switch {
	case cfg.MaxTokenSize < 0:
		return nil, errors.New("jwtverify: MaxTokenSize is negative")
	case cfg.MaxTokenSize == 0:
		v.maxSize = DefaultMaxTokenSize
	}
	if cfg.TokenCacheSize < 0 {
		return nil, errors.New("jwtverify: TokenCacheSize is negative")
	}
	if cfg.JWKSFetchTimeout < 0 {
		return nil, errors.New("jwtverify: JWKSFetchTimeout is negative")
	}
	if v.now == nil {
		v.now = time.Now
	}
	for i, pc := range cfg.Pools {
		p, jwksURL, err := newPool(pc)
		if err != nil {
			return nil, fmt.Errorf("jwtverify: pool %d: %w", i, err)
		}
		// Claims.UserPoolID is who issued a user name (the mapping keys
		// names by it): one id must mean one issuer.
		for _, q := range v.pools {
			if q.id == p.id {
				return nil, fmt.Errorf("jwtverify: pool %d: another pool has the id %s", i, p.id)
			}
		}
		for _, iss := range p.issuers {
			if _, dup := v.byIssuer[iss]; dup {
				return nil, fmt.Errorf("jwtverify: pool %d: another pool already accepts issuer %s", i, iss)
			}
			v.byIssuer[iss] = p
		}
		if p.keys == nil {
			// Wall clock for refresh and penalties, even when Now is frozen.
			rks, err := NewRemoteKeySet(ctx, jwksURL, RemoteKeySetOptions{
				HTTPClient: cfg.HTTPClient, FetchTimeout: cfg.JWKSFetchTimeout, Logger: cfg.Logger,
			})
			if err != nil {
				return nil, fmt.Errorf("jwtverify: pool %d: %w", i, err)
			}
			p.keys = rks
		}
		v.pools = append(v.pools, p)
	}
	if cfg.TokenCacheSize > 0 {
		v.cache = newTokenCache(cfg.TokenCacheSize)
	}
	return v, nil
}

// newPool validates pc; it returns the JWKS URL to use when pc has no KeySet.
func newPool(pc PoolConfig) (*pool, string, error) {
	pattern := userPoolIDPattern
	if pc.Issuer != "" {
		// Local stand-ins name their region freely (cognito-local: "local_…");
		// the region only matters for the default issuer.
		pattern = localUserPoolIDPattern
	}
	if len(pc.UserPoolID) > maxUserPoolIDLen || !pattern.MatchString(pc.UserPoolID) {
		return nil, "", fmt.Errorf("UserPoolID %q is not of the form <region>_<id>", pc.UserPoolID)
	}
	region, _, _ := strings.Cut(pc.UserPoolID, "_")
	p := &pool{id: pc.UserPoolID, keys: pc.KeySet, check: pc.Check}

	if len(pc.TokenUses) == 0 {
		return nil, "", errors.New("TokenUses is empty")
	}
	for _, u := range pc.TokenUses {
		if u != TokenUseID && u != TokenUseAccess {
			return nil, "", fmt.Errorf("TokenUses holds %q (only %q and %q exist)", u, TokenUseID, TokenUseAccess)
		}
	}
	p.tokenUses = slices.Clone(pc.TokenUses)

	switch {
	case pc.SkipClientIDCheck && len(pc.ClientIDs) > 0:
		return nil, "", errors.New("both ClientIDs and SkipClientIDCheck are set")
	case !pc.SkipClientIDCheck && len(pc.ClientIDs) == 0:
		return nil, "", errors.New("ClientIDs is empty (set SkipClientIDCheck to accept any app client)")
	}
	for _, list := range []struct {
		name   string
		values []string
	}{{"ClientIDs", pc.ClientIDs}, {"Groups", pc.Groups}, {"Scopes", pc.Scopes}} {
		if slices.Contains(list.values, "") {
			return nil, "", fmt.Errorf("%s holds an empty string", list.name)
		}
	}
	for _, sc := range pc.Scopes {
		if !IsScopeToken(sc) {
			return nil, "", fmt.Errorf("scope %q in Scopes is not an RFC 6749 scope-token: no token could carry it", sc)
		}
	}
	p.clientIDs = slices.Clone(pc.ClientIDs)
	p.anyM2M = pc.AnyClientForClientCredentials
	p.groups = slices.Clone(pc.Groups)
	p.scopes = slices.Clone(pc.Scopes)

	if pc.Grace < 0 {
		return nil, "", errors.New("pool Grace is negative")
	}
	p.grace = pc.Grace.Seconds()

	if pc.Issuer != "" {
		if err := checkURL("Issuer", pc.Issuer, pc.InsecureHTTP); err != nil {
			return nil, "", err
		}
		p.issuers = []string{pc.Issuer}
	} else {
		p.issuers = []string{
			"https://cognito-idp." + region + ".amazonaws.com/" + pc.UserPoolID,
			"https://issuer-cognito-idp." + region + ".amazonaws.com/" + pc.UserPoolID,
		}
	}

	jwksURL := pc.JWKSURL
	if jwksURL == "" {
		// Keys live under the issuer, for Cognito and its local stand-ins alike.
		jwksURL = strings.TrimRight(p.issuers[0], "/") + "/.well-known/jwks.json"
	} else if err := checkURL("JWKSURL", jwksURL, pc.InsecureHTTP); err != nil {
		return nil, "", err
	}
	return p, jwksURL, nil
}

// checkURL requires an absolute https URL with a host, or http when insecure
// is set.
func checkURL(field, raw string, insecure bool) error {
	u, err := parseURL(raw)
	if err != nil {
		return fmt.Errorf("%s is not a URL: %w", field, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%s %q has no host", field, shown(u))
	case u.User != nil:
		return fmt.Errorf("%s %q must not carry credentials", field, shown(u))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && insecure:
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s %q is plain http (set InsecureHTTP for local development)", field, shown(u))
	default:
		return fmt.Errorf("%s %q is not an https URL", field, shown(u))
	}
}

// parseURL is url.Parse without the URL in its error: *url.Error quotes the
// whole URL, password included.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err
	}
	return u, err
}

// shown is u for messages, without its user info or opaque part: Redacted
// keeps the user name, which may be a token, and "https:user:pass@host"
// whole (an opaque URL).
func shown(u *url.URL) string {
	c := *u
	c.User, c.Opaque = nil, ""
	return c.String()
}

// hydrater is a KeySet that can load its keys eagerly (RemoteKeySet).
type hydrater interface {
	Hydrate(ctx context.Context) error
}

// Hydrate loads the keys of every pool whose KeySet can be hydrated, so the
// first Verify does not wait for a fetch. It returns the failures joined, each
// naming its pool.
func (v *Verifier) Hydrate(ctx context.Context) error {
	var errs []error
	for _, p := range v.pools {
		if h, ok := p.keys.(hydrater); ok {
			if err := h.Hydrate(ctx); err != nil {
				errs = append(errs, fmt.Errorf("jwtverify: pool %s: %w", p.id, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Verify checks token and returns its claims. The token is the bare compact
// JWS: a "Bearer " prefix is not stripped and makes the token malformed.
//
// Every error wraps exactly one of the package's sentinel errors. Claims are
// returned together with an error only when the signature verified and a
// later check (time, token use, client id, group, scope, Check) failed; they
// are nil otherwise.
//
// Each call returns Claims of its own, also from the token cache.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, _, _, err := v.verify(ctx, token, false)
	return c, err
}

// verify is Verify that also returns the token's cache entry when the
// token is in the cache (found there or just added) and err is nil. With
// memo, a hit also returns the value its memo holds (none for a pool with
// a Check), and then no claims (see VerifyMemo).
func (v *Verifier) verify(ctx context.Context, token string, memo bool) (*Claims, *cacheEntry, any, error) {
	if len(token) > v.maxSize {
		return nil, nil, nil, fmt.Errorf("%w: token is longer than %d bytes", ErrMalformed, v.maxSize)
	}
	if token == "" {
		return nil, nil, nil, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	// With the cache on, the SHA-256 of the signing input (up to the second
	// dot, as splitToken splits: what is hashed here is jws.signingInput) is
	// its key, and it is handed on to the signature check: a miss costs no
	// extra hash. A token with more dots has a dot in what is compared as
	// its signature, which no cached (base64url) signature has.
	var sum *[sha256.Size]byte
	if v.cache != nil {
		if dot := secondDot(token); dot >= 0 {
			s := sha256.Sum256(tokenBytes(token[:dot]))
			if c, e, held, done, err := v.verifyCached(ctx, s, token[dot+1:], memo); done {
				return c, e, held, err
			}
			sum = &s
		}
	}

	// Stack room for the decoded signature and the digest: the signature
	// functions keep neither.
	var sigBuf [maxSignatureSize]byte
	var digest [maxDigestSize]byte
	jws, sig, detail := splitToken(token, &sigBuf)
	if detail != "" {
		return nil, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, detail)
	}
	hdr, err := parseHeader(jws.header)
	if err != nil {
		return nil, nil, nil, err
	}
	alg, ok := v.algs[hdr.alg]
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: header alg is not in the accepted list", ErrAlgorithmNotAllowed)
	}
	pc, err := parseClaims(jws.payload)
	if err != nil {
		return nil, nil, nil, err
	}
	p, ok := v.byIssuer[pc.claims.Issuer]
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no configured pool has this issuer", ErrIssuer)
	}

	key, err := p.key(ctx, hdr.kid)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := key.fits(alg); err != nil {
		return nil, nil, nil, err
	}
	if !alg.verify(key.Public, jws.signingInput, sig, digest[:], sum) {
		return nil, nil, nil, fmt.Errorf("%w: pool %s", ErrSignature, p.id)
	}

	// The signature holds: from here on the claims may accompany an error.
	c := pc.claims
	c.UserPoolID = p.id
	if err := p.checkTimes(pc.times, v.now()); err != nil {
		return c, nil, nil, err
	}
	if err := p.checkStatic(c); err != nil {
		return c, nil, nil, err
	}
	if sum != nil {
		e := &cacheEntry{
			// A copy: a substring would keep the whole token alive.
			sig:    strings.Clone(token[len(jws.signingInput)+1:]),
			pool:   p,
			kid:    hdr.kid,
			alg:    alg.name,
			public: key.Public,
			times:  pc.times,
		}
		c.copyInto(&e.claims)
		v.cache.add(*sum, e)
		if err := p.runCheck(ctx, c); err != nil {
			return c, nil, nil, err
		}
		return c, e, nil, nil
	}
	return c, nil, nil, p.runCheck(ctx, c)
}

// secondDot is the index of token's second '.', or -1. (IndexByte scans
// forward with vector instructions; LastIndexByte goes byte by byte.)
func secondDot(token string) int {
	i := strings.IndexByte(token, '.')
	if i < 0 {
		return -1
	}
	j := strings.IndexByte(token[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// verifyCached answers from the token cache; done is false when the token
// must be verified in full. e is the entry when err is nil; with memo,
// held is what its memo holds (nil for a pool with a Check: see
// VerifyMemo), and when that is not nil a hit skips the claims copy (c is
// nil).
func (v *Verifier) verifyCached(ctx context.Context, sum [sha256.Size]byte, sig string, memo bool) (c *Claims, e *cacheEntry, held any, done bool, err error) {
	e = v.cache.get(sum, sig)
	if e == nil {
		return nil, nil, nil, false, nil
	}
	key, err := e.pool.key(ctx, e.kid)
	if err != nil {
		// The key left the set, or the set cannot say: refuse as a fresh
		// verification would, and forget the token.
		v.cache.remove(sum, e)
		return nil, nil, nil, true, err
	}
	if !sameKey(key.Public, e.public) || (key.Algorithm != "" && key.Algorithm != e.alg) {
		v.cache.remove(sum, e)
		return nil, nil, nil, false, nil
	}
	if m := e.memoSlot(); memo && m != nil {
		held = m.Load()
	}
	if held == nil {
		c = new(Claims)
		e.claims.copyInto(c)
	}
	if err := e.pool.checkTimes(e.times, v.now()); err != nil {
		if errors.Is(err, ErrExpired) {
			v.cache.remove(sum, e)
		}
		if c == nil {
			c = new(Claims)
			e.claims.copyInto(c)
		}
		return c, nil, nil, true, err
	}
	if c != nil {
		if err := e.pool.runCheck(ctx, c); err != nil {
			return c, nil, nil, true, err
		}
	}
	return c, e, held, true, nil
}

// key finds kid in the pool's set and normalizes the set's errors so the
// result wraps exactly one sentinel and never repeats the kid.
func (p *pool) key(ctx context.Context, kid string) (Key, error) {
	k, err := p.keys.Key(ctx, kid)
	switch {
	case err == nil:
		if k.Public == nil {
			return Key{}, fmt.Errorf("%w: pool %s: key set returned an empty key", ErrInvalidKey, p.id)
		}
		return k, nil
	case errors.Is(err, ErrKeyNotFound):
		return Key{}, fmt.Errorf("%w: pool %s has no key with the token's kid", ErrKeyNotFound, p.id)
	case errors.Is(err, ErrKeysUnavailable):
		return Key{}, fmt.Errorf("jwtverify: pool %s: %w", p.id, err)
	default:
		return Key{}, fmt.Errorf("%w: pool %s: %v", ErrKeysUnavailable, p.id, err)
	}
}

// checkTimes applies "exp" and "nbf" with the pool's grace. Comparing as
// float seconds keeps absurd values (1e20, -1e20) from overflowing: a
// far-future exp is simply valid.
func (p *pool) checkTimes(t timeClaims, now time.Time) error {
	n := unixSeconds(now)
	if !(n < t.exp+p.grace) {
		return fmt.Errorf("%w: pool %s", ErrExpired, p.id)
	}
	if t.hasNbf && n < t.nbf-p.grace {
		return fmt.Errorf("%w: pool %s", ErrNotYetValid, p.id)
	}
	return nil
}

// checkStatic applies the checks that depend only on the claims and the
// configuration, in AWS's order: token use, client id, then groups and scopes.
func (p *pool) checkStatic(c *Claims) error {
	if !slices.Contains(p.tokenUses, c.TokenUse) {
		return fmt.Errorf("%w: pool %s", ErrTokenUse, p.id)
	}
	if p.clientIDs != nil && !slices.Contains(p.clientIDs, c.ClientID) && !(p.anyM2M && c.IsClientCredentials()) {
		return fmt.Errorf("%w: pool %s", ErrClientID, p.id)
	}
	if len(p.groups) > 0 && !slices.ContainsFunc(p.groups, c.InGroup) {
		return fmt.Errorf("%w: pool %s", ErrGroup, p.id)
	}
	if len(p.scopes) > 0 && !slices.ContainsFunc(p.scopes, c.HasScope) {
		return fmt.Errorf("%w: pool %s", ErrScope, p.id)
	}
	return nil
}

// runCheck runs the custom check, which runs on every call (cache hits too)
// because it may consult state that changes, such as a revocation list.
func (p *pool) runCheck(ctx context.Context, c *Claims) error {
	if p.check == nil {
		return nil
	}
	if err := p.check(ctx, c); err != nil {
		return fmt.Errorf("jwtverify: pool %s: check refused the token: %w", p.id, err)
	}
	return nil
}
