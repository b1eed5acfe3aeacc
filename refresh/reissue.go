package refresh

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// ErrAlreadyReissued: the partner's user is already in the partners' pool
// (Config.UserPoolID); Reissue did nothing. It is an ErrConflict.
var ErrAlreadyReissued = fmt.Errorf("%w: the partner's user is already in the partners' pool", ErrConflict)

// Reissued is a partner credential re-issued into the partners' pool.
type Reissued struct {
	Credential
	// PreviousPool and PreviousUsername name the user the partner had
	// before ("" pool: recorded before pools were): delete it there, with
	// the old partner app client, to end the old refresh token at Cognito.
	PreviousPool, PreviousUsername string
}

// Reissue moves an active partner whose user is not in the partners' pool
// (a deployment from before partners had a pool of their own) there:
// refresh tokens cannot move between pools, so it creates the partner's
// user in the partners' pool (the same user name; an existing user of that
// name is never reused, not even one an interrupted earlier run left: the
// pool holds partner administrators too, so it is ErrConflict and the
// operator deletes the leftover), signs it in through the partner app client
// for a new refresh token, and stores it sealed with the partner record
// moved to the new pool, conditional on the record's version
// (mapping.MovePartner). From then on the exchange refuses the old
// credential. The old refresh token belongs to the old pool's app client,
// which this Service cannot revoke with: delete that client and the old
// user (Reissued.PreviousUsername) there. A partner already in the pool is
// ErrAlreadyReissued. username, when not "", is the user name the partner
// gets in the partners' pool instead of its old one (for an old name that
// is taken there, by a partner administrator for instance).
func (s *Service) Reissue(ctx context.Context, partnerID, username string) (Reissued, error) {
	if username != "" {
		if err := checkText("username", username, MaxUsernameLen); err != nil {
			return Reissued{}, err
		}
	}
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return Reissued{}, err
	}
	if p.Status != mapping.PartnerActive {
		return Reissued{}, fmt.Errorf("%w: partner %q is %s", ErrConflict, partnerID, p.Status)
	}
	u, err := s.cfg.Store.User(ctx, p.InternalID)
	if err != nil {
		return Reissued{}, storeError("reading the partner's user", err)
	}
	if u.Pool == s.cfg.UserPoolID {
		return Reissued{}, ErrAlreadyReissued
	}
	if username == "" {
		username = u.Username
	}
	created, err := s.cfg.UserPool.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(s.cfg.UserPoolID), Username: aws.String(username),
		MessageAction: types.MessageActionTypeSuppress,
	})
	switch {
	case err == nil:
		if created.User != nil && aws.ToString(created.User.Username) != "" {
			username = aws.ToString(created.User.Username)
		}
	case apiCode(err) == "UsernameExistsException":
		// Never reuse an existing user: the partners' pool also holds
		// people (partner administrators, mapped only as administrators),
		// and nothing proves that a user of this name is a leftover of an
		// interrupted re-issue rather than someone's account. Its password
		// would be reset and its sign-in handed to the partner.
		return Reissued{}, fmt.Errorf("%w: a Cognito user %q already exists in the partners' pool; if an interrupted re-issue left it, delete it there and run again", ErrConflict, username)
	default:
		return Reissued{}, cognitoAdminError("AdminCreateUser", err)
	}
	tokens, err := s.signInFresh(ctx, username)
	if err != nil {
		return Reissued{}, err
	}
	sub := tokens.Subject()
	if sub == "" {
		s.revokeBestEffort(ctx, partnerID, tokens.RefreshToken, "re-issue failed")
		return Reissued{}, fmt.Errorf("%w: Cognito's tokens for the partner user carry no sub", ErrUnavailable)
	}
	sealed, err := s.cfg.Store.SealPartnerToken(ctx, partnerID, []byte(tokens.RefreshToken))
	if err != nil {
		s.revokeBestEffort(ctx, partnerID, tokens.RefreshToken, "re-issue failed")
		return Reissued{}, storeError("sealing the refresh token", err)
	}
	moved, err := s.cfg.Store.MovePartner(ctx, partnerID, p.Version, mapping.PartnerMove{
		Pool: s.cfg.UserPoolID, CognitoUsername: username, Sub: sub, AppClientID: s.cfg.PartnerClientID,
		SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte(tokens.RefreshToken)),
	})
	if err != nil {
		s.revokeBestEffort(ctx, partnerID, tokens.RefreshToken, "re-issue failed")
		if errors.Is(err, mapping.ErrConflict) {
			return Reissued{}, fmt.Errorf("%w: partner %q changed during the re-issue; run it again: %w", ErrConflict, partnerID, err)
		}
		return Reissued{}, storeError("moving the partner", err)
	}
	s.log.InfoContext(ctx, "partner re-issued", "partner_id", partnerID, "internal_id", moved.InternalID,
		"cognito_username", moved.CognitoUsername, "previous_pool", u.Pool, "previous_username", u.Username)
	return Reissued{
		Credential:   Credential{Partner: moved, RefreshToken: tokens.RefreshToken},
		PreviousPool: u.Pool, PreviousUsername: u.Username,
	}, nil
}
