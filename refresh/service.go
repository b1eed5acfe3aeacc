package refresh

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/awserr"
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
	CreateUser(ctx context.Context, internalID, username string, kind mapping.Kind) (mapping.User, error)
	DeleteUser(ctx context.Context, internalID string) error
	PutPartner(ctx context.Context, p mapping.Partner) (mapping.Partner, error)
	Partner(ctx context.Context, partnerID string) (mapping.Partner, error)
	PartnerByFingerprint(ctx context.Context, fingerprint string) (mapping.Partner, error)
	UpdatePartnerToken(ctx context.Context, partnerID string, expectedVersion int64, newSealed mapping.Sealed, newFingerprint string) (mapping.Partner, error)
	RevokePartner(ctx context.Context, partnerID string) error
	DropPartnerToken(ctx context.Context, partnerID string) error
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
	// UserPoolID is the pool the partner users live in. Required.
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
}

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
	// PreviousRevoked says Cognito confirmed the revocation of the previous
	// refresh token. Either way the exchange refuses it.
	PreviousRevoked bool
}

// Register creates the partner's Cognito user with a random password that
// is never stored or shown, maps it to an internal id (kind partner), signs
// it in once for a refresh token, and stores that token sealed with the
// partner record. On any failure what was created is removed again (best
// effort) and nothing usable remains.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Credential, error) {
	if err := checkPartnerID(in.PartnerID); err != nil {
		return Credential{}, err
	}
	if in.Username == "" {
		in.Username = "partner-" + in.PartnerID
	}
	if err := checkText("username", in.Username, MaxUsernameLen); err != nil {
		return Credential{}, err
	}
	if in.InternalID == "" {
		in.InternalID = mapping.NewID()
	} else if err := checkText("internal_id", in.InternalID, MaxInternalIDLen); err != nil {
		return Credential{}, err
	}
	// A cheap early refusal; PutPartner's condition is what guarantees it.
	switch _, err := s.cfg.Store.Partner(ctx, in.PartnerID); {
	case err == nil:
		return Credential{}, fmt.Errorf("%w: partner id %q is taken", ErrConflict, in.PartnerID)
	case !errors.Is(err, mapping.ErrNotFound):
		return Credential{}, storeError("reading the partner", err)
	}

	created, err := s.cfg.UserPool.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:    aws.String(s.cfg.UserPoolID),
		Username:      aws.String(in.Username),
		MessageAction: types.MessageActionTypeSuppress,
	})
	if err != nil {
		if apiCode(err) == "UsernameExistsException" {
			return Credential{}, fmt.Errorf("%w: Cognito user %q exists", ErrConflict, in.Username)
		}
		return Credential{}, cognitoAdminError("AdminCreateUser", err)
	}
	// The name Cognito assigned is the one SECRET_HASH and the tokens'
	// "cognito:username" use (in e-mail-as-user-name pools, the sub).
	username := in.Username
	if created.User != nil && aws.ToString(created.User.Username) != "" {
		username = aws.ToString(created.User.Username)
	}
	undo := &cleanup{s: s, username: username}
	defer undo.run(ctx)

	tokens, err := s.signInFresh(ctx, username)
	if err != nil {
		return Credential{}, err
	}
	undo.refreshToken = tokens.RefreshToken

	if _, err := s.cfg.Store.CreateUser(ctx, in.InternalID, username, mapping.KindPartner); err != nil {
		if errors.Is(err, mapping.ErrConflict) {
			return Credential{}, fmt.Errorf("%w: internal id %q or user name %q is taken in the mapping", ErrConflict, in.InternalID, username)
		}
		return Credential{}, storeError("creating the partner user", err)
	}
	undo.internalID = in.InternalID

	fp := mapping.Fingerprint([]byte(tokens.RefreshToken))
	sealed, err := s.cfg.Store.SealPartnerToken(ctx, in.PartnerID, []byte(tokens.RefreshToken))
	if err != nil {
		return Credential{}, storeError("sealing the refresh token", err)
	}
	p, err := s.cfg.Store.PutPartner(ctx, mapping.Partner{
		PartnerID: in.PartnerID, InternalID: in.InternalID, CognitoUsername: username,
		AppClientID: s.cfg.PartnerClientID, SealedRefreshToken: sealed, CredentialFingerprint: fp,
	})
	if err != nil {
		if errors.Is(err, mapping.ErrConflict) {
			return Credential{}, fmt.Errorf("%w: partner id %q is taken", ErrConflict, in.PartnerID)
		}
		return Credential{}, storeError("storing the partner", err)
	}
	undo.done = true
	s.log.InfoContext(ctx, "partner registered", "partner_id", p.PartnerID, "internal_id", p.InternalID,
		"cognito_username", p.CognitoUsername)
	return Credential{Partner: p, RefreshToken: tokens.RefreshToken}, nil
}

// cleanup undoes a registration that failed half way.
type cleanup struct {
	s            *Service
	username     string
	refreshToken string
	internalID   string
	done         bool
}

func (c *cleanup) run(ctx context.Context) {
	if c.done {
		return
	}
	s := c.s
	if c.refreshToken != "" {
		s.revokeBestEffort(ctx, "", c.refreshToken, "registration failed")
	}
	if c.internalID != "" {
		cctx, cancel := s.cleanupContext(ctx)
		if err := s.cfg.Store.DeleteUser(cctx, c.internalID); err != nil {
			s.log.WarnContext(ctx, "partner registration clean-up: mapping user not deleted",
				"internal_id", c.internalID, "error", err.Error())
		}
		cancel()
	}
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if _, err := s.cfg.UserPool.AdminDeleteUser(cctx, &cip.AdminDeleteUserInput{
		UserPoolId: aws.String(s.cfg.UserPoolID), Username: aws.String(c.username),
	}); err != nil {
		s.log.WarnContext(ctx, "partner registration clean-up: Cognito user not deleted",
			"cognito_username", c.username, "error", safeError(err))
	}
}

// signInFresh gives username a new random permanent password and signs in
// with it, for a new refresh token. The password is then forgotten.
func (s *Service) signInFresh(ctx context.Context, username string) (*cognitoauth.Tokens, error) {
	password := s.cfg.Password()
	if _, err := s.cfg.UserPool.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(s.cfg.UserPoolID), Username: aws.String(username),
		Password: aws.String(password), Permanent: true,
	}); err != nil {
		return nil, cognitoAdminError("AdminSetUserPassword", err)
	}
	tokens, challenge, err := s.cfg.Tokens.SignIn(ctx, username, password)
	switch {
	case err != nil:
		if errors.Is(err, cognitoauth.ErrUnavailable) {
			return nil, fmt.Errorf("%w: Cognito sign-in: %w", ErrUnavailable, err)
		}
		if errors.Is(err, cognitoauth.ErrMisconfigured) {
			return nil, fmt.Errorf("%w: Cognito sign-in: %w", ErrMisconfigured, err)
		}
		return nil, fmt.Errorf("refresh: Cognito sign-in of the partner user: %w", err)
	case challenge != nil:
		// MFA or another challenge on the pool: partner users cannot answer.
		return nil, fmt.Errorf("refresh: Cognito answered the partner sign-in with challenge %q: partner users need a pool (or app client) without MFA or other challenges", challenge.Name)
	case tokens.RefreshToken == "":
		return nil, errors.New("refresh: Cognito sign-in returned no refresh token")
	}
	return tokens, nil
}

// Exchange trades a partner's refresh token for ID and access tokens. The
// token is found by its fingerprint, compared in constant time with the
// stored fingerprint and the stored (sealed) copy, and the stored copy is
// what goes to Cognito. With rotation the new refresh token replaces the
// old one version-conditionally and is returned; of concurrent exchanges
// of one token exactly one succeeds, the others get ErrInvalidCredential
// and the tokens Cognito gave them are revoked.
func (s *Service) Exchange(ctx context.Context, refreshToken string) (Exchanged, error) {
	if !wellFormedToken(refreshToken) {
		return Exchanged{}, fmt.Errorf("%w: malformed", ErrInvalidCredential)
	}
	fp := mapping.Fingerprint([]byte(refreshToken))
	p, err := s.cfg.Store.PartnerByFingerprint(ctx, fp)
	switch {
	case errors.Is(err, mapping.ErrNotFound), errors.Is(err, mapping.ErrInvalid):
		return Exchanged{}, fmt.Errorf("%w: unknown or revoked", ErrInvalidCredential)
	case err != nil:
		return Exchanged{}, storeError("finding the partner", err)
	}
	if !mapping.FingerprintEqual(p.CredentialFingerprint, fp) || p.Status != mapping.PartnerActive {
		return Exchanged{}, fmt.Errorf("%w: unknown or revoked", ErrInvalidCredential)
	}
	if p.AppClientID != s.cfg.PartnerClientID {
		return Exchanged{}, fmt.Errorf("refresh: partner %q belongs to app client %q, not the configured one", p.PartnerID, p.AppClientID)
	}
	stored, err := s.cfg.Store.OpenPartnerToken(ctx, p)
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		return Exchanged{}, fmt.Errorf("%w: revoked", ErrInvalidCredential)
	case err != nil:
		return Exchanged{}, storeError("opening the sealed refresh token", err)
	}
	same := subtle.ConstantTimeCompare(stored, []byte(refreshToken)) == 1
	storedToken := string(stored)
	clear(stored)
	if !same {
		s.log.WarnContext(ctx, "partner exchange: presented token matches the fingerprint but not the sealed copy", "partner_id", p.PartnerID)
		return Exchanged{}, fmt.Errorf("%w: does not match the stored copy", ErrInvalidCredential)
	}

	var tokens *cognitoauth.Tokens
	if s.cfg.Rotation {
		tokens, err = s.cfg.Tokens.RefreshRotating(ctx, storedToken)
	} else {
		tokens, err = s.cfg.Tokens.Refresh(ctx, p.CognitoUsername, storedToken)
	}
	if err != nil {
		return Exchanged{}, s.refreshError(ctx, p, err)
	}
	out := Exchanged{
		PartnerID: p.PartnerID, InternalID: p.InternalID,
		IDToken: tokens.IDToken, AccessToken: tokens.AccessToken,
		TokenType: tokens.TokenType, ExpiresIn: tokens.ExpiresIn,
	}
	if out.TokenType == "" {
		out.TokenType = "Bearer"
	}
	if s.cfg.Rotation && tokens.RefreshToken != "" && tokens.RefreshToken != storedToken {
		if _, err := s.replaceToken(ctx, p, tokens.RefreshToken); err != nil {
			if errors.Is(err, errLostRace) {
				// A concurrent exchange stored its successor first: the
				// presented token is rotated away, like any stale one.
				return Exchanged{}, fmt.Errorf("%w: lost to a concurrent exchange: %w", ErrInvalidCredential, err)
			}
			return Exchanged{}, err
		}
		out.RefreshToken = tokens.RefreshToken
	}
	s.log.InfoContext(ctx, "partner exchange", "partner_id", p.PartnerID, "internal_id", p.InternalID,
		"rotated", out.RefreshToken != "")
	return out, nil
}

// refreshError classifies a Cognito refresh failure.
func (s *Service) refreshError(ctx context.Context, p mapping.Partner, err error) error {
	switch {
	case errors.Is(err, cognitoauth.ErrRefreshTokenReused):
		// The stored copy was already used: almost always a concurrent
		// exchange of the same token that has not stored its successor yet.
		// Revoking here would kill that exchange's new token too, so the
		// credential is not marked compromised; an operator who suspects
		// theft revokes or rotates it.
		s.log.WarnContext(ctx, "partner exchange: Cognito reports refresh token reuse", "partner_id", p.PartnerID)
		return fmt.Errorf("%w: reused", ErrInvalidCredential)
	case errors.Is(err, cognitoauth.ErrNotAuthorized):
		s.log.WarnContext(ctx, "partner exchange: Cognito refused the stored refresh token", "partner_id", p.PartnerID, "error", err.Error())
		return fmt.Errorf("%w: refused by Cognito", ErrInvalidCredential)
	case errors.Is(err, cognitoauth.ErrUnavailable):
		return fmt.Errorf("%w: Cognito refresh: %w", ErrUnavailable, err)
	case errors.Is(err, cognitoauth.ErrMisconfigured):
		return fmt.Errorf("%w: Cognito refresh: %w", ErrMisconfigured, err)
	}
	return fmt.Errorf("refresh: Cognito refresh: %w", err)
}

// errLostRace: a concurrent exchange or rotation changed the record first.
var errLostRace = errors.New("refresh: the partner record changed concurrently")

// replaceToken stores newToken as p's refresh token, conditional on p's
// version. When that fails for certain, newToken is revoked (best effort).
func (s *Service) replaceToken(ctx context.Context, p mapping.Partner, newToken string) (mapping.Partner, error) {
	fp := mapping.Fingerprint([]byte(newToken))
	sealed, err := s.cfg.Store.SealPartnerToken(ctx, p.PartnerID, []byte(newToken))
	if err != nil {
		s.revokeBestEffort(ctx, p.PartnerID, newToken, "new token could not be sealed")
		return mapping.Partner{}, storeError("sealing the new refresh token", err)
	}
	updated, err := s.cfg.Store.UpdatePartnerToken(ctx, p.PartnerID, p.Version, sealed, fp)
	switch {
	case err == nil:
		return updated, nil
	case errors.Is(err, mapping.ErrConflict), errors.Is(err, mapping.ErrNotFound):
		s.revokeBestEffort(ctx, p.PartnerID, newToken, "lost a concurrent update")
		return mapping.Partner{}, fmt.Errorf("%w: %w", errLostRace, err)
	case errors.Is(err, mapping.ErrUnavailable):
		// The write may have happened (a lost answer). Read once to know:
		// if it did, the partner must get the token, else it is locked out.
		cctx, cancel := s.cleanupContext(ctx)
		defer cancel()
		now, rerr := s.cfg.Store.Partner(cctx, p.PartnerID)
		if rerr == nil && mapping.FingerprintEqual(now.CredentialFingerprint, fp) {
			return now, nil
		}
		if rerr == nil {
			s.revokeBestEffort(ctx, p.PartnerID, newToken, "new token was not stored")
		}
		return mapping.Partner{}, storeError("storing the new refresh token", err)
	}
	return mapping.Partner{}, storeError("storing the new refresh token", err)
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
	out.PreviousRevoked = s.revokeBestEffort(ctx, partnerID, oldToken, "rotated")
	s.log.InfoContext(ctx, "partner rotated", "partner_id", partnerID, "previous_revoked", out.PreviousRevoked)
	return out, nil
}

// Revoke marks the partner revoked in the store first, which is what makes
// the exchange refuse it (at once, and even when Cognito or KMS fails: fail
// closed); then revokes the stored refresh token at Cognito (RevokeToken);
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

// storeError classifies a mapping error.
func storeError(what string, err error) error {
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		return fmt.Errorf("%w: %s: %w", ErrNotFound, what, err)
	case errors.Is(err, mapping.ErrConflict):
		return fmt.Errorf("%w: %s: %w", ErrConflict, what, err)
	case errors.Is(err, mapping.ErrUnavailable):
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
	case errors.Is(err, mapping.ErrMisconfigured):
		return fmt.Errorf("%w: %s: %w", ErrMisconfigured, what, err)
	case errors.Is(err, mapping.ErrInvalid):
		return fmt.Errorf("%w: %s: %w", ErrInvalidInput, what, err)
	}
	return fmt.Errorf("refresh: %s: %w", what, err)
}

// cognitoAdminError classifies a failure of a user-pool admin call
// (internal/awserr; only the code is kept: Cognito's messages can echo
// request values).
func cognitoAdminError(op string, err error) error {
	code := apiCode(err)
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return fmt.Errorf("%w: Cognito %s: %s", ErrUnavailable, op, awserr.Code(err))
	case awserr.Misconfigured:
		return fmt.Errorf("%w: Cognito %s: %s", ErrMisconfigured, op, code)
	}
	if code == "InvalidParameterException" {
		return fmt.Errorf("%w: Cognito %s refused the user name", ErrInvalidInput, op)
	}
	return fmt.Errorf("refresh: Cognito %s: %s", op, code)
}

// apiCode is err's AWS error code, "" without an API answer.
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// safeError is err's text for a log line. The errors here never carry a
// token (cognitoauth's and mapping's are built that way; the SDK's name
// operations, not parameters); the AWS error code is kept.
func safeError(err error) string {
	if c := apiCode(err); c != "" {
		return c + ": " + err.Error()
	}
	return err.Error()
}

func checkPartnerID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: partner_id is required", ErrInvalidInput)
	}
	if len(id) > MaxPartnerIDLen {
		return fmt.Errorf("%w: partner_id is longer than %d characters", ErrInvalidInput, MaxPartnerIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: partner_id may hold only letters, digits, '.', '_' and '-'", ErrInvalidInput)
		}
	}
	if id == "token" || id == "." || id == ".." {
		return fmt.Errorf("%w: partner_id %q is reserved", ErrInvalidInput, id)
	}
	return nil
}

// checkText accepts 1..max bytes of printable ASCII without spaces: what
// can be a Cognito user name, a key part and a log field safely.
func checkText(field, v string, max int) error {
	if v == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if len(v) > max {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidInput, field, max)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return fmt.Errorf("%w: %s may hold only printable ASCII characters without spaces", ErrInvalidInput, field)
		}
	}
	return nil
}

// wellFormedToken: 1..MaxRefreshTokenBytes of printable ASCII without
// spaces (Cognito refresh tokens are base64url JWE).
func wellFormedToken(t string) bool {
	if t == "" || len(t) > MaxRefreshTokenBytes {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return false
		}
	}
	return true
}
