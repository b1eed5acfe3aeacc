package refresh

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

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

	// Bound to the sub of the Cognito user just created: a partner user
	// deleted and created again under this name is not this partner.
	sub := tokens.Subject()
	if sub == "" {
		return Credential{}, fmt.Errorf("%w: Cognito's tokens for the new partner user carry no sub", ErrUnavailable)
	}
	if _, err := s.cfg.Store.CreateUser(ctx, in.InternalID, s.cfg.UserPoolID, username, sub, mapping.KindPartner); err != nil {
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
