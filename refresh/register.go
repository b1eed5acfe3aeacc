package refresh

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// Register creates the partner's Cognito user with a random password that
// is never stored or shown, maps it to an internal id (kind partner), signs
// it in once for a refresh token, creates the partner's administrator (if
// named: a person of the partners' pool, invited with a temporary
// password), and stores the token sealed with the partner record and the
// administrator's item in one transaction. On any failure what was created
// is removed again (best effort) and nothing usable remains.
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
	if err := checkAdmin(in); err != nil {
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

	var adminSub string
	if in.AdminUsername != "" {
		var err error
		if undo.admin, adminSub, err = s.createAdmin(ctx, in); err != nil {
			return Credential{}, err
		}
	}

	fp := mapping.Fingerprint([]byte(tokens.RefreshToken))
	sealed, err := s.cfg.Store.SealPartnerToken(ctx, in.PartnerID, []byte(tokens.RefreshToken))
	if err != nil {
		return Credential{}, storeError("sealing the refresh token", err)
	}
	p, err := s.cfg.Store.PutPartner(ctx, mapping.Partner{
		PartnerID: in.PartnerID, InternalID: in.InternalID, CognitoUsername: username,
		AppClientID: s.cfg.PartnerClientID, SealedRefreshToken: sealed, CredentialFingerprint: fp,
		AdminUsername: undo.admin, AdminPool: adminPool(undo.admin, s.cfg.UserPoolID), AdminSub: adminSub,
	})
	if err != nil {
		if errors.Is(err, mapping.ErrConflict) {
			return Credential{}, fmt.Errorf("%w: partner id %q or administrator %q is taken", ErrConflict, in.PartnerID, undo.admin)
		}
		return Credential{}, storeError("storing the partner", err)
	}
	undo.done = true
	s.log.InfoContext(ctx, "partner registered", "partner_id", p.PartnerID, "internal_id", p.InternalID,
		"cognito_username", p.CognitoUsername, "admin_username", p.AdminUsername)
	return Credential{Partner: p, RefreshToken: tokens.RefreshToken}, nil
}

// adminPool is the pool of an administrator named admin: the partners'.
func adminPool(admin, pool string) string {
	if admin == "" {
		return ""
	}
	return pool
}

// checkAdmin checks the administrator's values: user name and e-mail
// together, a temporary password only with them.
func checkAdmin(in RegisterInput) error {
	switch {
	case in.AdminUsername == "" && in.AdminEmail == "" && in.AdminTemporaryPassword == "":
		return nil
	case in.AdminUsername == "":
		return fmt.Errorf("%w: admin_username is required with admin_email or admin_temporary_password", ErrInvalidInput)
	case in.AdminEmail == "":
		return fmt.Errorf("%w: admin_email is required with admin_username: Cognito invites the administrator there", ErrInvalidInput)
	case in.AdminUsername == in.Username:
		return fmt.Errorf("%w: admin_username must differ from the partner's own user name", ErrInvalidInput)
	}
	if err := checkText("admin_username", in.AdminUsername, MaxUsernameLen); err != nil {
		return err
	}
	if err := checkText("admin_email", in.AdminEmail, MaxEmailLen); err != nil {
		return err
	}
	local, domain, ok := strings.Cut(in.AdminEmail, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(in.AdminEmail, " ,;<>") || strings.Contains(domain, "@") {
		return fmt.Errorf("%w: admin_email is not an e-mail address", ErrInvalidInput)
	}
	if len(in.AdminTemporaryPassword) > MaxPasswordLen {
		return fmt.Errorf("%w: admin_temporary_password is longer than %d bytes", ErrInvalidInput, MaxPasswordLen)
	}
	return nil
}

// createAdmin creates the partner's administrator in the partners' pool,
// in FORCE_CHANGE_PASSWORD: invited by Cognito (a temporary password it
// generates and e-mails), or, with in.AdminTemporaryPassword, with that
// one and no message. Gatehouse never sets a lasting password for a person.
// It returns the user name Cognito assigned and the new user's sub, read
// from AdminCreateUser's answer (the user just created, so no other person
// can hold the name yet); the administrator is bound to it. When the
// user was created but the answer names no sub, the user name is returned
// with the error, for the cleanup to delete.
func (s *Service) createAdmin(ctx context.Context, in RegisterInput) (username, sub string, err error) {
	create := &cip.AdminCreateUserInput{
		UserPoolId: aws.String(s.cfg.UserPoolID),
		Username:   aws.String(in.AdminUsername),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(in.AdminEmail)},
			// The operator vouches for the address; it is where the invitation goes.
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	}
	if in.AdminTemporaryPassword != "" {
		create.TemporaryPassword = aws.String(in.AdminTemporaryPassword)
		create.MessageAction = types.MessageActionTypeSuppress
		create.DesiredDeliveryMediums = nil
	}
	out, err := s.cfg.UserPool.AdminCreateUser(ctx, create)
	if err != nil {
		switch apiCode(err) {
		case "UsernameExistsException":
			return "", "", fmt.Errorf("%w: Cognito user %q exists", ErrConflict, in.AdminUsername)
		case "InvalidPasswordException":
			return "", "", fmt.Errorf("%w: admin_temporary_password does not meet the pool's password policy", ErrInvalidInput)
		}
		return "", "", cognitoAdminError("AdminCreateUser (administrator)", err)
	}
	username = in.AdminUsername
	if out.User != nil && aws.ToString(out.User.Username) != "" {
		username = aws.ToString(out.User.Username)
	}
	if out.User != nil {
		sub = cognitoauth.SubAttribute(out.User.Attributes)
	}
	if sub == "" {
		return username, "", fmt.Errorf("%w: Cognito's answer for the new administrator carries no sub", ErrUnavailable)
	}
	return username, sub, nil
}

// cleanup undoes a registration that failed half way.
type cleanup struct {
	s            *Service
	username     string
	admin        string // the administrator's Cognito user, once created
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
	for _, u := range []string{c.admin, c.username} {
		if u == "" {
			continue
		}
		cctx, cancel := s.cleanupContext(ctx)
		if _, err := s.cfg.UserPool.AdminDeleteUser(cctx, &cip.AdminDeleteUserInput{
			UserPoolId: aws.String(s.cfg.UserPoolID), Username: aws.String(u),
		}); err != nil {
			s.log.WarnContext(ctx, "partner registration clean-up: Cognito user not deleted",
				"cognito_username", u, "error", safeError(err))
		}
		cancel()
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
