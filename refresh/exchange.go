package refresh

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

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
	if err := s.stillCurrent(ctx, p.PartnerID, fp); err != nil {
		if tokens.RefreshToken != "" && tokens.RefreshToken != storedToken {
			s.revokeBestEffort(ctx, p.PartnerID, tokens.RefreshToken, "revoked or rotated during the exchange")
		}
		return Exchanged{}, err
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

// stillCurrent re-reads the partner after Cognito answered: a revocation
// or rotation that landed meanwhile recorded its sign-out before Cognito
// minted these tokens, perhaps in an earlier second than their "iat", and
// then the authorizer would admit them until they expire. Only a record
// still active with this credential lets them out (one strongly consistent
// read per exchange, none per API request).
func (s *Service) stillCurrent(ctx context.Context, partnerID, fp string) error {
	now, err := s.cfg.Store.Partner(ctx, partnerID)
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		return fmt.Errorf("%w: removed during the exchange", ErrInvalidCredential)
	case err != nil:
		return storeError("re-reading the partner", err)
	case now.Status != mapping.PartnerActive || !mapping.FingerprintEqual(now.CredentialFingerprint, fp):
		s.log.WarnContext(ctx, "partner exchange: revoked or rotated while Cognito answered; tokens withheld", "partner_id", partnerID)
		return fmt.Errorf("%w: revoked or rotated during the exchange", ErrInvalidCredential)
	}
	return nil
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
