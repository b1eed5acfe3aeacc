package refresh

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The reasons a Service operation fails. Every error a Service returns wraps
// at most one of them; the HTTP handler turns them into status codes, and
// an error wrapping none of them is a 500.
var (
	// ErrInvalidCredential: the presented refresh token is unknown, revoked,
	// rotated away, malformed, or refused by Cognito. One reason for all, so
	// an answer never tells which (401).
	ErrInvalidCredential = errors.New("refresh: invalid credential")
	// ErrInvalidInput: an argument is malformed; the message names it (400).
	ErrInvalidInput = errors.New("refresh: invalid input")
	// ErrNotFound: no partner with this id (404).
	ErrNotFound = errors.New("refresh: no such partner")
	// ErrConflict: the partner id, user name or internal id is taken, the
	// partner is revoked, or a concurrent change won (409).
	ErrConflict = errors.New("refresh: conflict")
	// ErrUnavailable: Cognito, DynamoDB or KMS could not answer; the
	// outcome is unknown or nothing was done. Retry later (503).
	ErrUnavailable = errors.New("refresh: a dependency is unavailable")
	// ErrCognitoNotRevoked: Revoke marked the partner revoked in the store
	// (the exchange refuses it from then on) but Cognito's RevokeToken
	// failed; the sealed copy is kept, so retrying Revoke revokes it at
	// Cognito. It also wraps ErrUnavailable (503).
	ErrCognitoNotRevoked = fmt.Errorf("%w: revoked in Gatehouse, but the refresh token could not be revoked at Cognito", ErrUnavailable)
	// ErrMisconfigured: AWS answered that the deployment is wrong (table,
	// KMS key or user pool missing, the key disabled or pending deletion,
	// access denied); the error names the resource. No retry cures it
	// (500 configuration_error).
	ErrMisconfigured = errors.New("refresh: misconfigured")
)

// Store is the part of the mapping store the Service uses. A *mapping.Store
// built with a KMS key satisfies it.
type Store interface {
	CreateUser(ctx context.Context, internalID, pool, username, sub string, kind mapping.Kind) (mapping.User, error)
	SignOut(ctx context.Context, pool, username string, at time.Time) error
	DeleteUser(ctx context.Context, internalID string) error
	User(ctx context.Context, internalID string) (mapping.User, error)
	UserByUsername(ctx context.Context, pool, username string) (mapping.User, error)
	MovePartner(ctx context.Context, partnerID string, expectedVersion int64, to mapping.PartnerMove) (mapping.Partner, error)
	PutPartner(ctx context.Context, p mapping.Partner) (mapping.Partner, error)
	Partner(ctx context.Context, partnerID string) (mapping.Partner, error)
	PartnerByFingerprint(ctx context.Context, fingerprint string) (mapping.Partner, error)
	UpdatePartnerToken(ctx context.Context, partnerID string, expectedVersion int64, newSealed mapping.Sealed, newFingerprint string) (mapping.Partner, error)
	RevokePartner(ctx context.Context, partnerID string) error
	DropPartnerToken(ctx context.Context, partnerID string) error
	PartnerOfAdmin(ctx context.Context, pool, username, sub string) (mapping.Partner, error)
	SealPartnerToken(ctx context.Context, partnerID string, refreshToken []byte) (mapping.Sealed, error)
	OpenPartnerToken(ctx context.Context, p mapping.Partner) ([]byte, error)
}

// TokenService signs partner users in, refreshes and revokes their tokens
// with the partner app client (and its secret). A *cognitoauth.Client
// configured for that client satisfies it.
type TokenService interface {
	SignIn(ctx context.Context, username, password string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error)
	Refresh(ctx context.Context, username, refreshToken string) (*cognitoauth.Tokens, error)
	RefreshRotating(ctx context.Context, refreshToken string) (*cognitoauth.Tokens, error)
	Revoke(ctx context.Context, refreshToken string) error
}

// UserPool is the part of the Cognito user-pool admin API the Service uses
// to create partner users and set their passwords. A
// *cognitoidentityprovider.Client satisfies it.
type UserPool interface {
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, optFns ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminSetUserPassword(ctx context.Context, in *cip.AdminSetUserPasswordInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
	AdminDeleteUser(ctx context.Context, in *cip.AdminDeleteUserInput, optFns ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
}

var (
	_ Store        = (*mapping.Store)(nil)
	_ TokenService = (*cognitoauth.Client)(nil)
	_ UserPool     = (*cip.Client)(nil)
)

// Limits on what a caller may send.
const (
	// MaxRefreshTokenBytes bounds a presented refresh token. Cognito's are
	// JWE strings of about 1.8 KB.
	MaxRefreshTokenBytes = 8 << 10
	// MaxPartnerIDLen bounds a partner id (letters, digits, '.', '_', '-').
	MaxPartnerIDLen = 64
	// MaxUsernameLen is Cognito's limit on a user name.
	MaxUsernameLen = 128
	// MaxInternalIDLen is the mapping's limit on an internal id.
	MaxInternalIDLen = 256
)

// DefaultCleanupTimeout bounds the best-effort clean-up calls (revoking an
// unused token, deleting a half-registered user), which run even when the
// request's context is cancelled.
const DefaultCleanupTimeout = 5 * time.Second

// Config configures a Service. Store, Tokens, UserPool, UserPoolID and
// PartnerClientID are required.
type Config struct {
	// Store holds the partner records; it must have a KMS key (sealing).
	// Required.
	Store Store
	// Tokens talks to Cognito for the partner app client. Required.
	Tokens TokenService
	// UserPool creates partner users and sets their passwords. Required.
	UserPool UserPool
	// UserPoolID is the partners' pool, the one the partner users live in
	// and the only one the Service's Admin* calls name; partner users are
	// mapped under it. Required.
	UserPoolID string
	// PartnerClientID is the partner app client (with a secret) that Tokens
	// uses; it is recorded with each partner, and a record of another
	// client is refused. Required.
	PartnerClientID string
	// Rotation says the partner app client has refresh-token rotation on:
	// the exchange then uses GetTokensFromRefreshToken and hands the new
	// refresh token back. Default false: REFRESH_TOKEN_AUTH, the refresh
	// token stays the same.
	Rotation bool
	// Logger receives one line per notable event (never a secret). Default:
	// discard.
	Logger *slog.Logger
	// CleanupTimeout bounds each best-effort clean-up call. 0 means
	// DefaultCleanupTimeout (5 s).
	CleanupTimeout time.Duration
	// Password makes the random passwords of partner users. nil means
	// RandomPassword. Tests only.
	Password func() string
}

// Service registers partners, exchanges their refresh tokens, rotates and
// revokes them. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("refresh: Config.Store is nil")
	case cfg.Tokens == nil:
		return nil, errors.New("refresh: Config.Tokens is nil")
	case cfg.UserPool == nil:
		return nil, errors.New("refresh: Config.UserPool is nil")
	case cfg.UserPoolID == "":
		return nil, errors.New("refresh: Config.UserPoolID is empty")
	case cfg.PartnerClientID == "":
		return nil, errors.New("refresh: Config.PartnerClientID is empty")
	case cfg.CleanupTimeout < 0:
		return nil, errors.New("refresh: Config.CleanupTimeout is negative")
	}
	if cfg.CleanupTimeout == 0 {
		cfg.CleanupTimeout = DefaultCleanupTimeout
	}
	if cfg.Password == nil {
		cfg.Password = RandomPassword
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log}, nil
}

// Rotation reports whether the Service exchanges with refresh-token
// rotation.
func (s *Service) Rotation() bool { return s.cfg.Rotation }

// RandomPassword returns a password of 57 characters (about 260 bits) with
// upper- and lower-case letters, digits and a symbol, so it meets any
// Cognito password policy. Partner passwords are never stored or shown:
// they exist only between setting and signing in.
func RandomPassword() string {
	return rand.Text() + "-" + strings.ToLower(rand.Text()) + "!aA1"
}

// RegisterInput names a new partner.
type RegisterInput struct {
	// PartnerID names the partner credential: 1 to 64 letters, digits, '.',
	// '_' or '-', not "token". Required.
	PartnerID string
	// Username is the Cognito user name to create. Default
	// "partner-<PartnerID>". It must not exist in the pool: Gatehouse never
	// takes over an existing user.
	Username string
	// InternalID is the partner's internal user id, what the backend
	// receives. Default: a new random id.
	InternalID string
	// AdminUsername and AdminEmail name the partner's administrator, a
	// person created in the partners' pool who signs in to see, rotate and
	// revoke this partner's credential and no other's. Both or neither;
	// the user name must not exist in the pool. Cognito invites the
	// administrator by e-mail with a temporary password it generates,
	// which must be changed at the first sign-in (NEW_PASSWORD_REQUIRED).
	AdminUsername, AdminEmail string
	// AdminTemporaryPassword, when set, is the temporary password instead,
	// and Cognito sends no invitation: for local stand-ins and for
	// operators who hand it over themselves. It must still be changed at
	// the first sign-in.
	AdminTemporaryPassword string
}

// Limits of the administrator's values.
const (
	// MaxEmailLen is Cognito's limit on an attribute value that is an
	// e-mail address (RFC 5321's path limit).
	MaxEmailLen = 254
	// MaxPasswordLen is Cognito's limit on a password.
	MaxPasswordLen = 256
)

// Credential is a partner record with the refresh token it was just given.
// RefreshToken is shown once and never stored in the clear.
type Credential struct {
	Partner      mapping.Partner
	RefreshToken string
}

// Exchanged is the outcome of an exchange.
type Exchanged struct {
	PartnerID   string
	InternalID  string
	IDToken     string
	AccessToken string
	TokenType   string
	ExpiresIn   time.Duration
	// RefreshToken is the partner's new refresh token with rotation on
	// (the presented one no longer works); "" otherwise.
	RefreshToken string
}

// Rotated is the outcome of Rotate.
type Rotated struct {
	Credential
	// PreviousSignedOut says the sign-out of the tokens issued before the
	// rotation was recorded: ID tokens of earlier exchanges stop passing
	// the authorizer. When false, rotate again (or revoke) to record it.
	PreviousSignedOut bool
	// PreviousRevoked says Cognito confirmed the revocation of the previous
	// refresh token. Either way the exchange refuses it.
	PreviousRevoked bool
}

// Rotate gives the partner a new refresh token and revokes the old one.
// The password is never stored, so the partner user gets a new random
// permanent password (AdminSetUserPassword) and is signed in with it; the
// new token replaces the old one version-conditionally, then the old one
// is revoked at Cognito. The exchange refuses the old token from the
// moment the new one is stored.
func (s *Service) Rotate(ctx context.Context, partnerID string) (Rotated, error) {
	p, err := s.activePartner(ctx, partnerID)
	if err != nil {
		return Rotated{}, err
	}
	old, err := s.cfg.Store.OpenPartnerToken(ctx, p)
	if err != nil {
		return Rotated{}, storeError("opening the sealed refresh token", err)
	}
	oldToken := string(old)
	clear(old)
	tokens, err := s.signInFresh(ctx, p.CognitoUsername)
	if err != nil {
		return Rotated{}, err
	}
	updated, err := s.replaceToken(ctx, p, tokens.RefreshToken)
	if err != nil {
		if errors.Is(err, errLostRace) {
			return Rotated{}, fmt.Errorf("%w: partner %q changed during the rotation; try again", ErrConflict, partnerID)
		}
		return Rotated{}, err
	}
	out := Rotated{Credential: Credential{Partner: updated, RefreshToken: tokens.RefreshToken}}
	// After the old token stopped being exchanged: every token it gave is
	// older than this sign-out. The new token is shown once, so a failure
	// here is reported, not returned.
	if err := s.signOutPartner(ctx, p.InternalID); err != nil {
		s.log.ErrorContext(ctx, "partner rotated, but the sign-out of its earlier tokens was not recorded; rotate again", "partner_id", partnerID, "error", safeError(err))
	} else {
		out.PreviousSignedOut = true
	}
	out.PreviousRevoked = s.revokeBestEffort(ctx, partnerID, oldToken, "rotated")
	s.log.InfoContext(ctx, "partner rotated", "partner_id", partnerID, "previous_revoked", out.PreviousRevoked, "previous_signed_out", out.PreviousSignedOut)
	return out, nil
}

// Revoke marks the partner revoked in the store first, which is what makes
// the exchange refuse it (at once, and even when Cognito or KMS fails: fail
// closed); records a sign-out of the partner's user, so that ID tokens
// from earlier exchanges stop passing the authorizer (ErrNotSignedOut when
// that fails; a retry records it); then revokes the stored refresh token at Cognito (RevokeToken);
// only once Cognito confirmed does the store drop the sealed copy. When
// Cognito or KMS fails the error is ErrCognitoNotRevoked and the sealed
// copy stays, so a retry of Revoke revokes it at Cognito again. Revoking a
// revoked partner whose copy is gone returns it unchanged.
func (s *Service) Revoke(ctx context.Context, partnerID string) (mapping.Partner, error) {
	if err := checkPartnerID(partnerID); err != nil {
		return mapping.Partner{}, err
	}
	p, err := s.cfg.Store.Partner(ctx, partnerID)
	if err != nil {
		return mapping.Partner{}, storeError("reading the partner", err)
	}
	if p.Status == mapping.PartnerRevoked && len(p.SealedRefreshToken) == 0 {
		return p, nil
	}
	// Even if the request is cancelled meanwhile: a started revocation must
	// stop the exchange, and a confirmed one must drop the copy.
	sctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if p.Status != mapping.PartnerRevoked {
		if err := s.cfg.Store.RevokePartner(sctx, partnerID); err != nil {
			return mapping.Partner{}, storeError("marking the partner revoked", err)
		}
	}
	// Before the sealed copy is dropped, so that a retry comes back here.
	if err := s.signOutPartner(sctx, p.InternalID); err != nil {
		s.log.ErrorContext(ctx, "partner revoked in the store, but its issued tokens not signed out; retry the revocation", "partner_id", partnerID, "error", safeError(err))
		return p, fmt.Errorf("%w: %w", ErrNotSignedOut, err)
	}
	var cognitoErr error
	tok, err := s.cfg.Store.OpenPartnerToken(sctx, p)
	if err != nil {
		cognitoErr = fmt.Errorf("opening the sealed refresh token: %w", err)
	} else {
		err := s.cfg.Tokens.Revoke(sctx, string(tok))
		clear(tok)
		if err != nil {
			cognitoErr = fmt.Errorf("cognito RevokeToken: %w", err)
		}
	}
	if cognitoErr == nil {
		if err := s.cfg.Store.DropPartnerToken(sctx, partnerID); err != nil {
			return mapping.Partner{}, storeError("dropping the revoked refresh token", err)
		}
	}
	p, err = s.cfg.Store.Partner(sctx, partnerID)
	if err != nil {
		return mapping.Partner{}, storeError("reading the partner", err)
	}
	if cognitoErr != nil {
		s.log.ErrorContext(ctx, "partner revoked in the store, but not yet at Cognito; retry the revocation", "partner_id", partnerID, "error", safeError(cognitoErr))
		return p, fmt.Errorf("%w: %w", ErrCognitoNotRevoked, cognitoErr)
	}
	s.log.InfoContext(ctx, "partner revoked", "partner_id", partnerID)
	return p, nil
}

// Partner returns the partner record (its sealed token is for the store
// only: callers must not show it).
func (s *Service) Partner(ctx context.Context, partnerID string) (mapping.Partner, error) {
	if err := checkPartnerID(partnerID); err != nil {
		return mapping.Partner{}, err
	}
	p, err := s.cfg.Store.Partner(ctx, partnerID)
	if err != nil {
		return mapping.Partner{}, storeError("reading the partner", err)
	}
	return p, nil
}

// PartnerOfAdmin returns the partner that the person username of pool
// with subject sub administers (take all three from a verified token);
// ErrNotFound when none, mapping.ErrRebound or mapping.ErrUnbound when the
// name administers one but is not bound to sub.
func (s *Service) PartnerOfAdmin(ctx context.Context, pool, username, sub string) (mapping.Partner, error) {
	p, err := s.cfg.Store.PartnerOfAdmin(ctx, pool, username, sub)
	if err != nil {
		return mapping.Partner{}, storeError("reading the partner administrator", err)
	}
	return p, nil
}

func (s *Service) activePartner(ctx context.Context, partnerID string) (mapping.Partner, error) {
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return mapping.Partner{}, err
	}
	if p.Status != mapping.PartnerActive {
		return mapping.Partner{}, fmt.Errorf("%w: partner %q is %s", ErrConflict, partnerID, p.Status)
	}
	if p.AppClientID != s.cfg.PartnerClientID {
		return mapping.Partner{}, fmt.Errorf("refresh: partner %q belongs to app client %q, not the configured one", partnerID, p.AppClientID)
	}
	return p, nil
}

// revokeBestEffort revokes token at Cognito, logging a failure. It reports
// whether Cognito confirmed.
func (s *Service) revokeBestEffort(ctx context.Context, partnerID, token, why string) bool {
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if err := s.cfg.Tokens.Revoke(cctx, token); err != nil {
		s.log.WarnContext(ctx, "refresh token not revoked at Cognito", "partner_id", partnerID, "why", why, "error", safeError(err))
		return false
	}
	return true
}

// cleanupContext keeps ctx's values but not its cancellation: clean-up
// must happen even when the caller gave up.
func (s *Service) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.cfg.CleanupTimeout)
}
