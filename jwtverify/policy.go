package jwtverify

import (
	"fmt"
	"slices"
	"time"
)

// PoolPolicy is a validated PoolConfig's rules about claims, for adapters
// that parse and verify tokens with another library (jwtverify/jwtv5), so
// that the rules live in one place. Verifier applies the same rules.
type PoolPolicy struct {
	p       *pool
	grace   time.Duration
	jwksURL string
}

// NewPoolPolicy validates pc as New does. pc.Check is not part of the policy
// (it needs a context): an adapter must run it itself or refuse it.
func NewPoolPolicy(pc PoolConfig) (*PoolPolicy, error) {
	p, jwksURL, err := newPool(pc)
	if err != nil {
		return nil, fmt.Errorf("jwtverify: pool: %w", err)
	}
	return &PoolPolicy{p: p, grace: pc.Grace, jwksURL: jwksURL}, nil
}

// Issuers returns the accepted "iss" values: PoolConfig.Issuer, or both
// Cognito forms.
func (pp *PoolPolicy) Issuers() []string { return slices.Clone(pp.p.issuers) }

// Grace is the clock skew allowed on "exp" and "nbf".
func (pp *PoolPolicy) Grace() time.Duration { return pp.grace }

// JWKSURL is where the pool's keys are fetched from when PoolConfig.KeySet is
// nil.
func (pp *PoolPolicy) JWKSURL() string { return pp.jwksURL }

// KeySet is PoolConfig.KeySet (nil when the keys come from JWKSURL).
func (pp *PoolPolicy) KeySet() KeySet { return pp.p.keys }

// CheckClaims applies the checks that depend only on the claims and the
// configuration, in Verify's order: token use (ErrTokenUse), client id
// (ErrClientID), groups (ErrGroup) and scopes (ErrScope). The issuer, the
// times and PoolConfig.Check are not its business.
func (pp *PoolPolicy) CheckClaims(c *Claims) error { return pp.p.checkStatic(c) }
