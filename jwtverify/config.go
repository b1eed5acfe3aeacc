package jwtverify

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// TokenUse is the Cognito "token_use" claim.
type TokenUse string

// The two kinds of Cognito tokens a pool issues.
const (
	TokenUseID     TokenUse = "id"
	TokenUseAccess TokenUse = "access"
)

// Config configures a Verifier. It fails closed: a field that would widen what
// is accepted must be set explicitly, and New rejects a Config that leaves a
// choice unstated.
type Config struct {
	// Pools are the user pools whose tokens are accepted; at least one. A
	// token is matched to a pool by its "iss" claim.
	Pools []PoolConfig

	// Algorithms are the accepted JWS "alg" values. Default: RS256 only (what
	// Cognito signs with). Only asymmetric algorithms can be listed (see
	// SupportedAlgorithms): "none" and HMAC algorithms are never accepted.
	Algorithms []string

	// MaxTokenSize is the largest token, in bytes, that is parsed at all.
	// Default: 16 KiB.
	MaxTokenSize int

	// Now returns the current time. Default: time.Now. Tests and
	// "verify as of" tools set it.
	Now func() time.Time

	// HTTPClient fetches key sets for pools that use a JWKS URL. Default: a
	// client with short connect and total timeouts (see RemoteKeySetOptions).
	HTTPClient *http.Client

	// JWKSFetchTimeout bounds one JWKS fetch of those key sets
	// (RemoteKeySetOptions.FetchTimeout). Default: 2s, well under the 5s
	// decision timeout of gatehouse serve, so that a hanging key endpoint
	// answers keys_unavailable before the caller gives up.
	JWKSFetchTimeout time.Duration

	// Logger receives those key sets' warnings (failed fetches, skipped
	// keys); it never receives token or key material. Default:
	// slog.Default().
	Logger *slog.Logger

	// TokenCacheSize is the number of verified tokens remembered, keyed by a
	// hash of the token, so that a token seen again skips the signature check.
	// Entries expire at the token's "exp" and are dropped when the key that
	// signed them leaves the key set. Default 0: no cache.
	TokenCacheSize int
}

// PoolConfig says which tokens of one Cognito user pool are accepted.
type PoolConfig struct {
	// UserPoolID is the pool id, such as "eu-west-1_AbCdEf123"; required. The
	// region is the part before "_".
	UserPoolID string

	// TokenUses are the accepted token kinds; required, never defaulted.
	TokenUses []TokenUse

	// ClientIDs are the accepted app client ids: "aud" of ID tokens,
	// "client_id" of access tokens. Required unless SkipClientIDCheck is set.
	ClientIDs []string

	// SkipClientIDCheck accepts tokens of any app client of the pool. It must
	// be set explicitly; an empty ClientIDs alone is a configuration error.
	SkipClientIDCheck bool

	// AnyClientForClientCredentials accepts client-credentials access tokens
	// (IsClientCredentials) of any app client of the pool, while ID and
	// user access tokens still need ClientIDs. Set it only when the caller
	// checks the client itself: Gatehouse's authorizer does, through its
	// mapping of client ids, since people create API clients at run time.
	// Default false.
	AnyClientForClientCredentials bool

	// Groups, when not empty, requires the token's "cognito:groups" to hold at
	// least one of them.
	Groups []string

	// Scopes, when not empty, requires the token's "scope" to hold at least
	// one of them; each must be an RFC 6749 scope-token (IsScopeToken). ID
	// tokens carry no scope, so they fail such a check.
	Scopes []string

	// Grace is the clock skew allowed when checking "exp" and "nbf". Default 0.
	Grace time.Duration

	// Issuer overrides the expected "iss" (for local stand-ins). Default: both
	// Cognito forms, https://cognito-idp.<region>.amazonaws.com/<pool> and
	// https://issuer-cognito-idp.<region>.amazonaws.com/<pool>.
	Issuer string

	// JWKSURL overrides where keys are fetched. Default: the issuer (Issuer
	// when set, else https://cognito-idp.<region>.amazonaws.com/<pool>)
	// followed by /.well-known/jwks.json. Must be https unless InsecureHTTP.
	JWKSURL string

	// InsecureHTTP allows a plain http Issuer and JWKSURL (local
	// development only).
	InsecureHTTP bool

	// KeySet, when set, supplies the keys instead of JWKSURL (a static set
	// from NewStaticKeySet for tests, air-gapped use or pre-loading).
	KeySet KeySet

	// Check, when set, runs last on claims that passed every other check; a
	// non-nil error refuses the token and is returned wrapped.
	Check func(ctx context.Context, c *Claims) error
}
