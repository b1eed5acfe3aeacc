package jwtv5

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// Options are what a Pool needs beyond the PoolConfig; the zero value is
// Cognito's defaults.
type Options struct {
	// Algorithms are the accepted JWS "alg" values, as jwtverify.Config's
	// (only jwtverify.SupportedAlgorithms). Default: RS256 only.
	Algorithms []string
	// Now is the clock of the time checks. Default: time.Now.
	Now func() time.Time
	// HTTPClient fetches the keys of a PoolConfig without KeySet. Default:
	// jwtverify.RemoteKeySet's.
	HTTPClient *http.Client
}

// Pool is one jwtverify.PoolConfig in golang-jwt's terms: a Keyfunc, parser
// options and a claims type that checks the pool's rules. It is safe for
// concurrent use.
type Pool struct {
	policy  *jwtverify.PoolPolicy
	issuers []string
	algs    []string
	keys    jwtverify.KeySet
	opts    []jwt.ParserOption
}

// NewPool validates pc as jwtverify.New does. A pc without KeySet gets a
// jwtverify.RemoteKeySet for its JWKS URL, whose background refresh ctx
// bounds. pc.Check is refused: jwt.ClaimsValidator has no context to run it
// with, and ignoring it would accept what the caller meant to refuse; run the
// check after parsing instead.
func NewPool(ctx context.Context, pc jwtverify.PoolConfig, o Options) (*Pool, error) {
	if pc.Check != nil {
		return nil, errors.New("jwtv5: PoolConfig.Check is not supported (run it after parsing)")
	}
	policy, err := jwtverify.NewPoolPolicy(pc)
	if err != nil {
		return nil, err
	}
	algs := o.Algorithms
	if len(algs) == 0 {
		algs = []string{jwtverify.DefaultAlgorithm}
	}
	for _, a := range algs {
		if !slices.Contains(jwtverify.SupportedAlgorithms(), a) {
			return nil, fmt.Errorf("jwtv5: algorithm %q is not allowed (only asymmetric algorithms)", a)
		}
	}
	p := &Pool{policy: policy, issuers: policy.Issuers(), algs: slices.Clone(algs), keys: policy.KeySet()}
	if p.keys == nil {
		rks, err := jwtverify.NewRemoteKeySet(ctx, policy.JWKSURL(), jwtverify.RemoteKeySetOptions{HTTPClient: o.HTTPClient})
		if err != nil {
			return nil, fmt.Errorf("jwtv5: %w", err)
		}
		p.keys = rks
	}
	p.opts = []jwt.ParserOption{
		jwt.WithValidMethods(p.algs),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(policy.Grace()),
		jwt.WithStrictDecoding(),
	}
	if o.Now != nil {
		p.opts = append(p.opts, jwt.WithTimeFunc(o.Now))
	}
	return p, nil
}

// KeySet returns the pool's keys (PoolConfig.KeySet, or the RemoteKeySet
// NewPool made), for example to hydrate a RemoteKeySet.
func (p *Pool) KeySet() jwtverify.KeySet { return p.keys }

// ParserOptions returns the options that make golang-jwt's parser apply the
// pool's configuration: only the configured algorithms
// (jwt.WithValidMethods), "exp" required (jwt.WithExpirationRequired), the
// pool's Grace as leeway, strict base64 (jwt.WithStrictDecoding) and
// Options.Now. Not jwt.WithIssuer: it takes one issuer, and a Cognito pool
// has two forms; Claims.Validate checks the issuer.
func (p *Pool) ParserOptions() []jwt.ParserOption { return slices.Clone(p.opts) }

// Keyfunc returns the Keyfunc for the pool's keys and algorithms; ctx bounds
// any key fetch.
func (p *Pool) Keyfunc(ctx context.Context) jwt.Keyfunc { return Keyfunc(ctx, p.keys, p.algs...) }

// NewClaims returns empty claims to parse into; their Validate applies the
// pool's rules.
func (p *Pool) NewClaims() *Claims { return &Claims{pool: p} }

// Parse is jwt.ParseWithClaims with the pool's Keyfunc, claims and parser
// options, after refusing a token longer than jwtverify.DefaultMaxTokenSize
// (golang-jwt has no limit). Its errors come from MapError.
func (p *Pool) Parse(ctx context.Context, token string) (*Claims, error) {
	if len(token) > jwtverify.DefaultMaxTokenSize {
		return nil, newError(jwtverify.ErrMalformed, jwt.ErrTokenMalformed, "token is longer than the size limit")
	}
	c := p.NewClaims()
	if _, err := jwt.ParseWithClaims(token, c, p.Keyfunc(ctx), p.opts...); err != nil {
		return nil, MapError(err)
	}
	return c, nil
}

// Keyfunc returns a jwt.Keyfunc that finds the key of a token in ks by the
// rules of jwtverify.Verify: the header "alg" must be one of algs (default:
// RS256 only), whatever parser options the caller uses; the header must
// carry a non-empty string "kid" and no "crit"; only that kid is looked up
// (no other key is ever tried, and a token without kid is refused rather
// than checked against every key); the "alg" must equal the JWK's "alg" when
// it has one and fit the key (jwtverify.Key.CheckAlgorithm). ctx bounds the
// lookup (a RemoteKeySet may fetch). Its errors are *Error.
func Keyfunc(ctx context.Context, ks jwtverify.KeySet, algs ...string) jwt.Keyfunc {
	if len(algs) == 0 {
		algs = []string{jwtverify.DefaultAlgorithm}
	}
	algs = slices.Clone(algs)
	return func(t *jwt.Token) (any, error) {
		alg, _ := t.Header["alg"].(string)
		if !slices.Contains(algs, alg) {
			return nil, newError(jwtverify.ErrAlgorithmNotAllowed, jwt.ErrTokenSignatureInvalid, "header alg is not in the accepted list")
		}
		if _, ok := t.Header["crit"]; ok {
			return nil, newError(jwtverify.ErrMalformed, jwt.ErrTokenMalformed, "header has crit")
		}
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, newError(jwtverify.ErrMalformed, jwt.ErrTokenMalformed, "header kid is missing, empty or not a string")
		}
		k, err := ks.Key(ctx, kid)
		switch {
		case errors.Is(err, jwtverify.ErrKeyNotFound):
			return nil, newError(jwtverify.ErrKeyNotFound, jwt.ErrTokenUnverifiable, "no key with the token's kid")
		case err != nil:
			// Never err's text: key sets may quote the kid.
			return nil, newError(jwtverify.ErrKeysUnavailable, jwt.ErrTokenUnverifiable, "signing keys are unavailable")
		}
		if err := k.CheckAlgorithm(alg); err != nil {
			if errors.Is(err, jwtverify.ErrInvalidKey) {
				return nil, newError(jwtverify.ErrInvalidKey, jwt.ErrInvalidKeyType, "key does not fit the header alg")
			}
			return nil, newError(jwtverify.ErrAlgorithmNotAllowed, jwt.ErrTokenSignatureInvalid, "header alg does not fit the key")
		}
		return k.Public, nil
	}
}
