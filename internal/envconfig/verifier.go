package envconfig

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// DefaultTokenCacheSize is the verified-token cache size when a service
// keeps one (VerifierSpec.TokenCache) and GATEHOUSE_TOKEN_CACHE_SIZE is
// unset.
const DefaultTokenCacheSize = 10000

// VerifierSpec says what one service reads to verify tokens: its user pools
// and whether it keeps a token cache. It holds only what really differs
// between services; everything else is read alike for all of them.
type VerifierSpec struct {
	// Pools are the user pools whose tokens the service accepts, in order;
	// at least one. A second pool is one more entry.
	Pools []PoolSpec
	// TokenCache reads GATEHOUSE_TOKEN_CACHE_SIZE (default
	// DefaultTokenCacheSize); without it the verifier keeps no cache.
	TokenCache bool
}

// PoolSpec says how one user pool is read.
type PoolSpec struct {
	// Prefix goes after "GATEHOUSE_" in each of the pool's variables: ""
	// reads GATEHOUSE_USER_POOL_ID, GATEHOUSE_CLIENT_IDS and the rest;
	// "PARTNER_" reads GATEHOUSE_PARTNER_USER_POOL_ID and so on.
	Prefix string
	// SkipClientIDCheckRefused, when not "", makes
	// GATEHOUSE_SKIP_CLIENT_ID_CHECK=true an error that says this (for a
	// service whose tokens must come from named app clients).
	SkipClientIDCheckRefused string
	// AnyClientForClientCredentials is jwtverify.PoolConfig's, set on the
	// pool: for a service that checks programs' app clients itself.
	AnyClientForClientCredentials bool
	// DefaultTokenUses apply when the pool's TOKEN_USES variable is unset;
	// nil means id,access.
	DefaultTokenUses []jwtverify.TokenUse
	// Optional pools are read only when their USER_POOL_ID variable is
	// set; otherwise Verifier leaves them out (and none of their other
	// variables may be set, so a typo in the id's name is not a silent
	// one-pool deployment).
	Optional bool
}

// PartnerPrefix is the Prefix of the partners' pool: its variables are
// GATEHOUSE_PARTNER_USER_POOL_ID, GATEHOUSE_PARTNER_CLIENT_IDS and so on.
const PartnerPrefix = "PARTNER_"

// PartnerUserPoolID is the partners' pool id variable,
// GATEHOUSE_PARTNER_USER_POOL_ID.
// (TestVerifier checks it is PartnerPool.Var(UserPoolID)).
const PartnerUserPoolID = "GATEHOUSE_" + PartnerPrefix + "USER_POOL_ID"

// PartnerPool is how the authorizer and gatehouse serve read the partners'
// pool: optional, and ID tokens only by default (partners call with the ID
// tokens the exchange returns). The people's pool is PoolSpec{} (default
// id,access).
var PartnerPool = PoolSpec{
	Prefix:           PartnerPrefix,
	DefaultTokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID},
	Optional:         true,
}

// Var is the name of the pool's variable v (one of the pool constants,
// such as UserPoolID).
func (s PoolSpec) Var(v string) string {
	return "GATEHOUSE_" + s.Prefix + strings.TrimPrefix(v, "GATEHOUSE_")
}

// Verifier is what the environment says about token verification: the
// settings of jwtverify.Config that are configuration, not wiring.
type Verifier struct {
	// Pools hold one entry per VerifierSpec.Pools entry, in order, less the
	// optional pools that are not configured.
	Pools []jwtverify.PoolConfig
	// Algorithms are the accepted "alg" values; nil is jwtverify's default
	// (RS256, what Cognito signs with).
	Algorithms []string
	// JWKSFetchTimeout bounds one JWKS fetch; 0 is jwtverify's default.
	JWKSFetchTimeout time.Duration
	// TokenCacheSize is the verified-token cache size; 0 keeps none.
	TokenCacheSize int
}

// Verifier reads the verification settings spec names. Each pool's
// variables (for Prefix "", shown here):
//
//	GATEHOUSE_USER_POOL_ID          (required) the pool id, <region>_<id>
//	GATEHOUSE_CLIENT_IDS            accepted app client ids, comma-separated; required
//	                                unless GATEHOUSE_SKIP_CLIENT_ID_CHECK=true
//	GATEHOUSE_SKIP_CLIENT_ID_CHECK  accept every app client of the pool (default false)
//	GATEHOUSE_TOKEN_USES            id, access or both (default id,access, or the
//	                                spec's DefaultTokenUses: id for the partners' pool)
//	GATEHOUSE_ISSUER                expected iss instead of Cognito's (local stand-ins)
//	GATEHOUSE_JWKS_URL              keys URL (default <issuer>/.well-known/jwks.json)
//	GATEHOUSE_INSECURE_HTTP         allow http issuer and JWKS URLs (default false)
//	GATEHOUSE_CLOCK_SKEW            tolerance on exp and nbf (default 0s)
//
// The partners' pool (PartnerPool) reads the same variables with PARTNER_
// after GATEHOUSE_ (GATEHOUSE_PARTNER_USER_POOL_ID, ...), only when
// GATEHOUSE_PARTNER_USER_POOL_ID is set.
//
// and, once for the verifier:
//
//	GATEHOUSE_JWKS_TIMEOUT          bound on one JWKS fetch (default jwtverify's, 2s); it
//	                                must stay well under the decision timeout, so that a
//	                                hanging key endpoint is answered keys_unavailable
//	GATEHOUSE_TOKEN_CACHE_SIZE      verified tokens remembered, 0 for none (only with
//	                                spec.TokenCache; default DefaultTokenCacheSize)
//
// jwtverify.New validates the result further (pool id form, URLs).
func (r *Reader) Verifier(spec VerifierSpec) Verifier {
	var v Verifier
	for _, ps := range spec.Pools {
		if ps.Optional && r.String(ps.Var(UserPoolID)) == "" {
			for _, name := range poolVars {
				if n := ps.Var(name); r.String(n) != "" {
					r.Bad(n, "set without %s", ps.Var(UserPoolID))
				}
			}
			continue
		}
		v.Pools = append(v.Pools, r.pool(ps))
	}
	v.JWKSFetchTimeout = r.Duration(JWKSTimeout, 0)
	if spec.TokenCache {
		v.TokenCacheSize = r.Int(TokenCacheSize, DefaultTokenCacheSize)
	}
	return v
}

func (r *Reader) pool(s PoolSpec) jwtverify.PoolConfig {
	var p jwtverify.PoolConfig
	skipVar, clientsVar, usesVar := s.Var(SkipClientIDCheck), s.Var(ClientIDs), s.Var(TokenUses)
	p.UserPoolID = r.Required(s.Var(UserPoolID), "the Cognito user pool id, such as eu-west-1_AbCdEf123")
	p.SkipClientIDCheck = r.Bool(skipVar, false)
	p.ClientIDs = r.List(clientsVar)
	switch {
	case p.SkipClientIDCheck && s.SkipClientIDCheckRefused != "":
		r.Bad(skipVar, "%s", s.SkipClientIDCheckRefused)
	case p.SkipClientIDCheck && len(p.ClientIDs) > 0:
		r.Bad(clientsVar, "set together with %s=true: choose one", skipVar)
	case !p.SkipClientIDCheck && len(p.ClientIDs) == 0:
		r.Bad(clientsVar, "required: the comma-separated app client ids whose tokens are accepted (or %s=true)", skipVar)
	}
	uses := r.List(usesVar)
	if r.String(usesVar) == "" {
		uses = []string{string(jwtverify.TokenUseID), string(jwtverify.TokenUseAccess)}
		if s.DefaultTokenUses != nil {
			uses = uses[:0]
			for _, u := range s.DefaultTokenUses {
				uses = append(uses, string(u))
			}
		}
	}
	for _, u := range uses {
		if u != string(jwtverify.TokenUseID) && u != string(jwtverify.TokenUseAccess) {
			r.Bad(usesVar, "%q is neither id nor access", u)
			continue
		}
		p.TokenUses = append(p.TokenUses, jwtverify.TokenUse(u))
	}
	if len(p.TokenUses) == 0 {
		r.Bad(usesVar, "lists no token use")
	}
	p.Issuer = r.String(s.Var(Issuer))
	p.JWKSURL = r.String(s.Var(JWKSURL))
	p.InsecureHTTP = r.Bool(s.Var(InsecureHTTP), false)
	p.Grace = r.Duration(s.Var(ClockSkew), 0)
	p.AnyClientForClientCredentials = s.AnyClientForClientCredentials
	return p
}

// First is the first pool, the service's own (the zero PoolConfig when there
// is none).
func (v Verifier) First() jwtverify.PoolConfig {
	if len(v.Pools) == 0 {
		return jwtverify.PoolConfig{}
	}
	return v.Pools[0]
}

// Config is the jwtverify.Config of v with the wiring: httpClient fetches
// the JWKS (nil: jwtverify's client) and logger receives the key sets'
// warnings (nil: jwtverify's default, slog.Default()). Every service and
// gatehouse verify build their verifier through it.
func (v Verifier) Config(httpClient *http.Client, logger *slog.Logger) jwtverify.Config {
	return jwtverify.Config{
		Pools:            v.Pools,
		Algorithms:       v.Algorithms,
		JWKSFetchTimeout: v.JWKSFetchTimeout,
		TokenCacheSize:   v.TokenCacheSize,
		HTTPClient:       httpClient,
		Logger:           logger,
	}
}
