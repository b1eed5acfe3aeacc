package cognitoauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
}

var _ API = (*cip.Client)(nil)

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
)

// Config configures a Client. Every field is required except ClientSecret,
// which is empty for an app client without a secret.
type Config struct {
	API          API
	UserPoolID   string
	ClientID     string
	ClientSecret string
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

// Challenge is Cognito asking for more before it issues tokens (for example
// NEW_PASSWORD_REQUIRED). Session continues the flow.
type Challenge struct {
	Name       string
	Session    string
	Parameters map[string]string
}

// SignIn authenticates username with password (ADMIN_USER_PASSWORD_AUTH).
// Exactly one of the tokens and the challenge is non-nil when err is nil.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Tokens, *Challenge, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": password}
	c.addSecretHash(params, username)
	out, err := c.cfg.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(c.cfg.UserPoolID),
		ClientId:       aws.String(c.cfg.ClientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: params,
	})
	if err != nil {
		return nil, nil, classify("sign in", err)
	}
	if out.AuthenticationResult == nil {
		if out.ChallengeName == "" {
			return nil, nil, fmt.Errorf("%w: sign in returned neither tokens nor a challenge", ErrUnavailable)
		}
		return nil, &Challenge{Name: string(out.ChallengeName), Session: aws.ToString(out.Session), Parameters: out.ChallengeParameters}, nil
	}
	t, err := tokens("sign in", out.AuthenticationResult, true)
	return t, nil, err
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

// lifetime reads a JWT's exp without verifying it; 0 when it cannot.
func lifetime(jwt string, now time.Time) time.Duration {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 0
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= now.Unix() {
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
