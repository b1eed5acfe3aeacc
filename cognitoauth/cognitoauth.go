package cognitoauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
)

// API is the part of the Cognito user-pools API this package calls;
// *cognitoidentityprovider.Client satisfies it.
type API interface {
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	AdminRespondToAuthChallenge(ctx context.Context, in *cip.AdminRespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.AdminRespondToAuthChallengeOutput, error)
	GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
}

// PublicAPI is the pair of public (non-admin) calls a Client uses for
// sign-in when Config.Public is set; *cognitoidentityprovider.Client
// satisfies it.
type PublicAPI interface {
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
}

var (
	_ API       = (*cip.Client)(nil)
	_ PublicAPI = (*cip.Client)(nil)
)

// The reasons an operation fails. Callers decide with errors.Is.
var (
	// ErrNotAuthorized: wrong password, unknown or disabled user, or a
	// refresh token that is expired, revoked or not this client's. Cognito's
	// reasons are folded into one so that callers cannot leak which it was.
	ErrNotAuthorized = errors.New("cognitoauth: not authorized")
	// ErrRefreshTokenReused: with refresh-token rotation, a refresh token
	// that was already exchanged was presented again.
	ErrRefreshTokenReused = errors.New("cognitoauth: refresh token already used")
	// ErrUnavailable: Cognito could not answer (throttling, 5xx, timeout) or
	// answered something unexpected. Fail closed.
	ErrUnavailable = errors.New("cognitoauth: cognito unavailable")
	// ErrMisconfigured: Cognito answered that the deployment is wrong (the
	// user pool or app client does not exist, access is denied). No retry
	// cures it, so it is not ErrUnavailable.
	ErrMisconfigured = errors.New("cognitoauth: misconfigured")
	// ErrWrongCode: a challenge's code is wrong or expired
	// (CodeMismatchException, ExpiredCodeException). The session may still
	// be good for another try.
	ErrWrongCode = errors.New("cognitoauth: wrong or expired code")
	// ErrPasswordRejected: the new password of NEW_PASSWORD_REQUIRED does
	// not meet the pool's policy (InvalidPasswordException).
	ErrPasswordRejected = errors.New("cognitoauth: new password rejected")
	// ErrUnknownChallenge: Respond was asked to answer a challenge that is
	// not in ChallengeResponses.
	ErrUnknownChallenge = errors.New("cognitoauth: challenge not supported")
	// ErrBadResponses: the answers are not exactly the challenge's keys
	// (ChallengeResponses), or one is empty or not allowed.
	ErrBadResponses = errors.New("cognitoauth: bad challenge responses")
)

// ChallengeResponses lists, per challenge Respond answers, the response
// keys a client gives — all of them, and nothing else: USERNAME and
// SECRET_HASH are added here, and no other key reaches Cognito. MFA_SETUP
// takes none: the client first registers its authenticator app with
// Cognito's AssociateSoftwareToken and VerifySoftwareToken (public calls,
// no client secret), passing the session along, then answers MFA_SETUP
// with the session VerifySoftwareToken returned. Challenges not listed
// (custom, SRP, device, passkey) are handed back by SignIn but cannot be
// answered.
var ChallengeResponses = map[string][]string{
	"NEW_PASSWORD_REQUIRED": {"NEW_PASSWORD"},
	"SOFTWARE_TOKEN_MFA":    {"SOFTWARE_TOKEN_MFA_CODE"},
	"SMS_MFA":               {"SMS_MFA_CODE"},
	"EMAIL_OTP":             {"EMAIL_OTP_CODE"},
	"SMS_OTP":               {"SMS_OTP_CODE"},
	"SELECT_MFA_TYPE":       {"ANSWER"},
	"MFA_SETUP":             {},
}

// selectableMFA are the answers SELECT_MFA_TYPE takes.
var selectableMFA = []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}

// publicChallengeParameters are the challenge parameters a client may see
// and needs: who is signing in (USER_ID_FOR_SRP, the Cognito user name
// SECRET_HASH is computed over), where a code went, which MFA it may set
// up or choose, which attributes a new password needs. Others (such as
// userAttributes, the user's profile) are dropped.
var publicChallengeParameters = []string{
	"USER_ID_FOR_SRP", "requiredAttributes",
	"CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION",
	"MFAS_CAN_SETUP", "MFAS_CAN_CHOOSE",
}

// Config configures a Client. Every field is required except ClientSecret,
// which is empty for an app client without a secret, and Public.
type Config struct {
	API          API
	UserPoolID   string
	ClientID     string
	ClientSecret string
	// Public, when set, makes SignIn and Respond use the public pair
	// InitiateAuth USER_PASSWORD_AUTH and RespondToAuthChallenge (the app
	// client needs ALLOW_USER_PASSWORD_AUTH) instead of the admin pair
	// AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH and
	// AdminRespondToAuthChallenge. Both pairs take SECRET_HASH and answer
	// alike; the public one needs no AWS credentials and is what
	// cognito-local implements completely (it has no
	// AdminRespondToAuthChallenge). Refresh and Revoke are unchanged.
	Public PublicAPI
}

// Client calls Cognito's auth flows for one app client.
type Client struct {
	cfg Config
}

// New checks cfg.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.API == nil:
		return nil, errors.New("cognitoauth: API is nil")
	case cfg.UserPoolID == "":
		return nil, errors.New("cognitoauth: UserPoolID is empty")
	case cfg.ClientID == "":
		return nil, errors.New("cognitoauth: ClientID is empty")
	}
	return &Client{cfg: cfg}, nil
}

// SecretHash is Cognito's SECRET_HASH: Base64(HMAC-SHA256(clientSecret,
// username + clientID)). username is the Cognito-assigned user name (in
// e-mail-as-username pools, the sub), not an alias.
func SecretHash(clientSecret, username, clientID string) string {
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Tokens are what a successful sign-in or refresh returns. RefreshToken is
// empty after a refresh without rotation (the old one stays valid).
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	TokenType    string
}

// Subject returns the ID token's "sub", read without verifying it: use it
// only on Tokens this package returned (Cognito's own answer over the SDK's
// TLS connection, as lifetime reads "exp"), never on tokens a caller sent.
// "" when it cannot be read.
func (t *Tokens) Subject() string {
	var claims struct {
		Sub string `json:"sub"`
	}
	if unverifiedClaims(t.IDToken, &claims) != nil {
		return ""
	}
	return claims.Sub
}

// Challenge is Cognito asking for more before it issues tokens (for example
// NEW_PASSWORD_REQUIRED or SOFTWARE_TOKEN_MFA). Session continues the flow
// (Respond); it is a credential for that one sign-in, to be handed to the
// client and never logged. Parameters are the public ones only.
type Challenge struct {
	Name       string
	Session    string
	Parameters map[string]string
}

// SignIn authenticates username with password (ADMIN_USER_PASSWORD_AUTH, or
// USER_PASSWORD_AUTH with Config.Public). Exactly one of the tokens and the
// challenge is non-nil when err is nil.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Tokens, *Challenge, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": password}
	c.addSecretHash(params, username)
	if c.cfg.Public != nil {
		out, err := c.cfg.Public.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId:       aws.String(c.cfg.ClientID),
			AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: params,
		})
		if err != nil {
			return nil, nil, classify("sign in", err)
		}
		return outcome("sign in", out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters)
	}
	out, err := c.cfg.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(c.cfg.UserPoolID),
		ClientId:       aws.String(c.cfg.ClientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: params,
	})
	if err != nil {
		return nil, nil, classify("sign in", err)
	}
	return outcome("sign in", out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters)
}

// Respond answers a challenge from SignIn (or from an earlier Respond)
// with AdminRespondToAuthChallenge, the admin call that goes with SignIn's
// AdminInitiateAuth (RespondToAuthChallenge with Config.Public). username
// is the Cognito user name the challenge is for (its USER_ID_FOR_SRP
// parameter); responses holds exactly the keys ChallengeResponses lists
// for challenge. Like SignIn, it returns tokens or the next challenge.
func (c *Client) Respond(ctx context.Context, username, challenge, session string, responses map[string]string) (*Tokens, *Challenge, error) {
	keys, ok := ChallengeResponses[challenge]
	if !ok {
		return nil, nil, ErrUnknownChallenge
	}
	if err := checkResponses(challenge, keys, responses); err != nil {
		return nil, nil, err
	}
	params := make(map[string]string, len(keys)+2)
	for _, k := range keys {
		params[k] = responses[k]
	}
	params["USERNAME"] = username
	c.addSecretHash(params, username)
	var (
		result      *types.AuthenticationResultType
		next        types.ChallengeNameType
		nextSession *string
		nextParams  map[string]string
		err         error
	)
	if c.cfg.Public != nil {
		var out *cip.RespondToAuthChallengeOutput
		out, err = c.cfg.Public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId:           aws.String(c.cfg.ClientID),
			ChallengeName:      types.ChallengeNameType(challenge),
			Session:            aws.String(session),
			ChallengeResponses: params,
		})
		if err == nil {
			result, next, nextSession, nextParams = out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters
		}
	} else {
		var out *cip.AdminRespondToAuthChallengeOutput
		out, err = c.cfg.API.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{
			UserPoolId:         aws.String(c.cfg.UserPoolID),
			ClientId:           aws.String(c.cfg.ClientID),
			ChallengeName:      types.ChallengeNameType(challenge),
			Session:            aws.String(session),
			ChallengeResponses: params,
		})
		if err == nil {
			result, next, nextSession, nextParams = out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters
		}
	}
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			switch api.ErrorCode() {
			case "CodeMismatchException", "ExpiredCodeException":
				return nil, nil, fmt.Errorf("%w: %s", ErrWrongCode, api.ErrorCode())
			case "InvalidPasswordException":
				return nil, nil, fmt.Errorf("%w: %s", ErrPasswordRejected, api.ErrorCode())
			}
		}
		return nil, nil, classify("respond", err)
	}
	return outcome("respond", result, next, nextSession, nextParams)
}

func checkResponses(challenge string, keys []string, responses map[string]string) error {
	if len(responses) != len(keys) {
		return fmt.Errorf("%w: %s takes %d responses", ErrBadResponses, challenge, len(keys))
	}
	for _, k := range keys {
		v, ok := responses[k]
		if !ok || v == "" {
			return fmt.Errorf("%w: %s needs %s", ErrBadResponses, challenge, k)
		}
	}
	if challenge == "SELECT_MFA_TYPE" && !slices.Contains(selectableMFA, responses["ANSWER"]) {
		return fmt.Errorf("%w: ANSWER must be one of %s", ErrBadResponses, strings.Join(selectableMFA, ", "))
	}
	return nil
}

// outcome is tokens, or the challenge with only its public parameters.
func outcome(op string, r *types.AuthenticationResultType, name types.ChallengeNameType, session *string, params map[string]string) (*Tokens, *Challenge, error) {
	if r != nil {
		t, err := tokens(op, r, true)
		return t, nil, err
	}
	if name == "" || aws.ToString(session) == "" {
		return nil, nil, fmt.Errorf("%w: %s returned neither tokens nor a challenge", ErrUnavailable, op)
	}
	ch := &Challenge{Name: string(name), Session: aws.ToString(session), Parameters: map[string]string{}}
	for _, k := range publicChallengeParameters {
		if v, ok := params[k]; ok {
			ch.Parameters[k] = v
		}
	}
	return nil, ch, nil
}

// Refresh exchanges refreshToken for new ID and access tokens
// (REFRESH_TOKEN_AUTH). username is the Cognito-assigned user name the token
// belongs to: SECRET_HASH is computed over it.
func (c *Client) Refresh(ctx context.Context, username, refreshToken string) (*Tokens, error) {
	params := map[string]string{"REFRESH_TOKEN": refreshToken}
	c.addSecretHash(params, username)
	out, err := c.cfg.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(c.cfg.UserPoolID),
		ClientId:       aws.String(c.cfg.ClientID),
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: params,
	})
	if err != nil {
		return nil, classify("refresh", err)
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("%w: refresh returned no tokens (challenge %q)", ErrUnavailable, out.ChallengeName)
	}
	return tokens("refresh", out.AuthenticationResult, false)
}

// RefreshRotating exchanges refreshToken with GetTokensFromRefreshToken, the
// call app clients with refresh-token rotation must use. The returned Tokens
// carry the new refresh token; the old one is spent.
func (c *Client) RefreshRotating(ctx context.Context, refreshToken string) (*Tokens, error) {
	in := &cip.GetTokensFromRefreshTokenInput{
		ClientId:     aws.String(c.cfg.ClientID),
		RefreshToken: aws.String(refreshToken),
	}
	if c.cfg.ClientSecret != "" {
		in.ClientSecret = aws.String(c.cfg.ClientSecret) // the raw secret, not a hash
	}
	out, err := c.cfg.API.GetTokensFromRefreshToken(ctx, in)
	if err != nil {
		return nil, classify("refresh", err)
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("%w: refresh returned no tokens", ErrUnavailable)
	}
	return tokens("refresh", out.AuthenticationResult, true)
}

// Revoke revokes refreshToken and the access tokens issued from it.
func (c *Client) Revoke(ctx context.Context, refreshToken string) error {
	in := &cip.RevokeTokenInput{ClientId: aws.String(c.cfg.ClientID), Token: aws.String(refreshToken)}
	if c.cfg.ClientSecret != "" {
		in.ClientSecret = aws.String(c.cfg.ClientSecret)
	}
	if _, err := c.cfg.API.RevokeToken(ctx, in); err != nil {
		return classify("revoke", err)
	}
	return nil
}

// GlobalSignOut signs the owner of accessToken out everywhere (Cognito's
// GlobalSignOut): their refresh tokens stop working. ID and access tokens
// already issued stay valid JWTs until they expire; Gatehouse refuses them
// once the sign-out is recorded on the mapping (mapping.Store.SignOut). A
// token Cognito does not accept (expired, revoked, signed out already,
// the user disabled or deleted) is ErrNotAuthorized.
func (c *Client) GlobalSignOut(ctx context.Context, accessToken string) error {
	if _, err := c.cfg.API.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(accessToken)}); err != nil {
		return classify("global sign-out", err)
	}
	return nil
}

func (c *Client) addSecretHash(params map[string]string, username string) {
	if c.cfg.ClientSecret != "" {
		params["SECRET_HASH"] = SecretHash(c.cfg.ClientSecret, username, c.cfg.ClientID)
	}
}

func tokens(op string, r *types.AuthenticationResultType, wantRefresh bool) (*Tokens, error) {
	t := &Tokens{
		IDToken:      aws.ToString(r.IdToken),
		AccessToken:  aws.ToString(r.AccessToken),
		RefreshToken: aws.ToString(r.RefreshToken),
		ExpiresIn:    time.Duration(r.ExpiresIn) * time.Second,
		TokenType:    aws.ToString(r.TokenType),
	}
	if t.IDToken == "" || t.AccessToken == "" || (wantRefresh && t.RefreshToken == "") {
		return nil, fmt.Errorf("%w: %s returned incomplete tokens", ErrUnavailable, op)
	}
	if t.ExpiresIn <= 0 {
		// Some stand-ins omit ExpiresIn; the access token says it too. It came
		// straight from Cognito, so reading it unverified is sound here.
		t.ExpiresIn = lifetime(t.AccessToken, time.Now())
	}
	return t, nil
}

// SubAttribute returns the "sub" among a Cognito user's attributes (as
// AdminGetUser and AdminCreateUser return them); "" when absent.
func SubAttribute(attrs []types.AttributeType) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// unverifiedClaims decodes a JWT's payload into v without verifying it.
func unverifiedClaims(jwt string, v any) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}

// lifetime reads a JWT's exp without verifying it; 0 when it cannot.
func lifetime(jwt string, now time.Time) time.Duration {
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if unverifiedClaims(jwt, &claims) != nil || claims.Exp <= now.Unix() {
		return 0
	}
	return time.Unix(claims.Exp, 0).Sub(now).Truncate(time.Second)
}

// classify maps a Cognito error to a sentinel. Only the error code is kept:
// Cognito's messages can echo request values.
func classify(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		// InvalidParameterException is what Cognito answers for some
		// malformed credentials; the code stays in the message for logs.
		case "NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
			"PasswordResetRequiredException", "InvalidParameterException", "InvalidPasswordException":
			return fmt.Errorf("%w: %s: %s", ErrNotAuthorized, op, api.ErrorCode())
		case "RefreshTokenReuseException":
			return fmt.Errorf("%w: %s", ErrRefreshTokenReused, op)
		}
		// internal/awserr is the one classification of AWS errors; an
		// answer it calls neither misconfigured nor unavailable is
		// unexpected here and fails closed as unavailable.
		switch awserr.Classify(err) {
		case awserr.Misconfigured:
			return fmt.Errorf("%w: %s: %s", ErrMisconfigured, op, api.ErrorCode())
		default:
			return fmt.Errorf("%w: %s: %s", ErrUnavailable, op, api.ErrorCode())
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
	}
	return fmt.Errorf("%w: %s: request failed", ErrUnavailable, op)
}
