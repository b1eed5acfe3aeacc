package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TokenVerifier verifies a person's bearer token. A *jwtverify.Verifier
// satisfies it; its errors must wrap jwtverify's sentinels.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*jwtverify.Claims, error)
}

// CognitoAdmin is the part of the Cognito user-pools API the portal calls
// to manage app clients. A *cognitoidentityprovider.Client satisfies it.
type CognitoAdmin interface {
	CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
	DeleteUserPoolClient(ctx context.Context, in *cip.DeleteUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DeleteUserPoolClientOutput, error)
}

// Directory is the part of the mapping store the portal uses. A
// *mapping.Store satisfies it; its errors must wrap mapping's sentinels.
// Clients are created through slots (ReserveClient, see doc.go).
type Directory interface {
	// UserByUsername and CreateUser take the pool of the verified token.
	UserByUsername(ctx context.Context, pool, username string) (mapping.User, error)
	CreateUser(ctx context.Context, internalID, pool, username, sub string, kind mapping.Kind) (mapping.User, error)
	SignOut(ctx context.Context, pool, username string, at time.Time) error
	ClientSlots(ctx context.Context, internalID string) (mapping.Slots, error)
	ReserveClient(ctx context.Context, internalID string, limit int) (mapping.PendingClient, error)
	ReserveReplacement(ctx context.Context, internalID, oldClientID string) (mapping.PendingClient, error)
	RecordPendingClient(ctx context.Context, p mapping.PendingClient, clientID string) (mapping.PendingClient, error)
	BindPending(ctx context.Context, p mapping.PendingClient, c mapping.Client) (mapping.Client, error)
	ReplacePending(ctx context.Context, p mapping.PendingClient, oldClientID string, newClient mapping.Client) (mapping.Client, error)
	UnbindClient(ctx context.Context, internalID, clientID string) (mapping.PendingClient, error)
	ClaimPending(ctx context.Context, p mapping.PendingClient) (mapping.PendingClient, error)
	ReleasePending(ctx context.Context, p mapping.PendingClient) error
}

// Authenticator signs people in. A *cognitoauth.Client satisfies it; its
// errors must wrap cognitoauth's sentinels.
type Authenticator interface {
	SignIn(ctx context.Context, username, password string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error)
	Refresh(ctx context.Context, username, refreshToken string) (*cognitoauth.Tokens, error)
	Respond(ctx context.Context, username, challenge, session string, responses map[string]string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error)
	GlobalSignOut(ctx context.Context, accessToken string) error
}

var (
	_ TokenVerifier = (*jwtverify.Verifier)(nil)
	_ CognitoAdmin  = (*cip.Client)(nil)
	_ Directory     = (*mapping.Store)(nil)
	_ Authenticator = (*cognitoauth.Client)(nil)
)

// Defaults for the zero values of Config.
const (
	DefaultMaxClientsPerUser   = 5
	DefaultAccessTokenValidity = time.Hour
	DefaultMaxBodyBytes        = 16 << 10
	DefaultCognitoTimeout      = 5 * time.Second
	DefaultCompensationTimeout = 10 * time.Second
	DefaultClientNamePrefix    = "gatehouse"

	// MinAccessTokenValidity and MaxAccessTokenValidity are Cognito's
	// bounds for an app client's access-token lifetime.
	MinAccessTokenValidity = 5 * time.Minute
	MaxAccessTokenValidity = 24 * time.Hour
)

// Config configures the portal Handler. Verifier, Cognito, UserPoolID,
// Directory, ClientsGroup, ClientScopes and TokenEndpoint are required;
// everything else has a documented default for its zero value.
type Config struct {
	// Verifier checks people's bearer tokens on /clients. Configure it for
	// the web app clients' ID and access tokens; client-credentials tokens
	// it accepts are refused here anyway (403). Required.
	Verifier TokenVerifier
	// Cognito creates and deletes the app clients. Required.
	Cognito CognitoAdmin
	// UserPoolID is the pool the app clients are created in. Required.
	UserPoolID string
	// Directory binds clients to internal user ids. Required.
	Directory Directory
	// Auth serves POST /auth/sign-in, /auth/respond, /auth/refresh and
	// /auth/sign-out. nil: those routes answer 404.
	Auth Authenticator
	// SignInVerifier, when set, verifies the ID token a sign-in returns, to
	// report the Cognito-assigned user name refresh needs (in
	// e-mail-as-username pools it differs from what the person typed).
	// nil: Verifier is used; if it refuses the token (the sign-in client is
	// not among its client ids) the username typed is reported.
	SignInVerifier TokenVerifier

	// ClientsGroup is the Cognito group a person must be in to manage API
	// clients ("cognito:groups"). Required.
	ClientsGroup string
	// ClientScopes are the OAuth scopes (resource-server scopes,
	// "<server>/<scope>") every created client is allowed. Cognito requires
	// at least one for the client-credentials flow. Required.
	ClientScopes []string
	// AccessTokenValidity is the lifetime of the clients' access tokens,
	// 5 minutes to 24 hours, whole minutes. 0 means
	// DefaultAccessTokenValidity (1 hour).
	AccessTokenValidity time.Duration
	// MaxClientsPerUser bounds a person's clients, at most
	// mapping.MaxClientsPerUser. 0 means DefaultMaxClientsPerUser (5).
	MaxClientsPerUser int
	// TokenEndpoint is the URL the clients get tokens from,
	// https://<domain>/oauth2/token; it is returned with every new secret.
	// Required; https unless InsecureTokenEndpoint.
	TokenEndpoint string
	// InsecureTokenEndpoint allows a plain http TokenEndpoint (local
	// development only).
	InsecureTokenEndpoint bool
	// ClientNamePrefix starts the Cognito name of every created client
	// ("<prefix>-<internal id>"), so they can be told apart in the
	// console. "" means DefaultClientNamePrefix.
	ClientNamePrefix string
	// CreateUsers, when true, records a person who has no mapping yet (a
	// new internal id, kind user) on their first call to /clients. When
	// false such a person gets 403 "not_registered" and must be added
	// with `gatehouse users add` first.
	CreateUsers bool

	// BasePath is the parent API Gateway resource every route is under
	// (the CDK app's /portal, so sign-in is the resource
	// /portal/auth/sign-in): it prefixes requestContext.resourcePath behind
	// API Gateway and the path served locally. A custom domain's base path
	// mapping is not a resource and is not set here. "" means none.
	BasePath string
	// MaxBodyBytes bounds request bodies; larger ones get 413. 0 means
	// DefaultMaxBodyBytes (16 KiB).
	MaxBodyBytes int64
	// CognitoTimeout bounds each Cognito call. 0 means
	// DefaultCognitoTimeout (5 s).
	CognitoTimeout time.Duration
	// CompensationTimeout bounds undoing a half-done change after a
	// failure; it runs on a context the request's cancellation does not
	// reach. 0 means DefaultCompensationTimeout (10 s).
	CompensationTimeout time.Duration
	// Logger receives one line per request and one per failure, never a
	// token, password or secret. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Verifier == nil {
		bad("Verifier is nil")
	}
	if c.Cognito == nil {
		bad("Cognito is nil")
	}
	if c.Directory == nil {
		bad("Directory is nil")
	}
	if c.UserPoolID == "" {
		bad("UserPoolID is empty")
	}
	if strings.TrimSpace(c.ClientsGroup) == "" {
		bad("ClientsGroup is empty")
	}
	if len(c.ClientScopes) == 0 {
		bad("ClientScopes is empty: Cognito's client-credentials flow needs at least one resource-server scope")
	}
	for _, s := range c.ClientScopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") || len(s) > 256 {
			bad("ClientScopes: %q is not a scope", s)
		}
	}
	switch {
	case c.AccessTokenValidity == 0:
		c.AccessTokenValidity = DefaultAccessTokenValidity
	case c.AccessTokenValidity < MinAccessTokenValidity || c.AccessTokenValidity > MaxAccessTokenValidity:
		bad("AccessTokenValidity %v is outside Cognito's 5m to 24h", c.AccessTokenValidity)
	case c.AccessTokenValidity%time.Minute != 0:
		bad("AccessTokenValidity %v is not whole minutes", c.AccessTokenValidity)
	}
	switch {
	case c.MaxClientsPerUser == 0:
		c.MaxClientsPerUser = DefaultMaxClientsPerUser
	case c.MaxClientsPerUser < 0 || c.MaxClientsPerUser > mapping.MaxClientsPerUser:
		bad("MaxClientsPerUser %d is outside 1 to %d", c.MaxClientsPerUser, mapping.MaxClientsPerUser)
	}
	if u, err := url.Parse(c.TokenEndpoint); c.TokenEndpoint == "" || err != nil || u.Host == "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && c.InsecureTokenEndpoint)) {
		bad("TokenEndpoint %q is not an https URL", c.TokenEndpoint)
	}
	if c.ClientNamePrefix == "" {
		c.ClientNamePrefix = DefaultClientNamePrefix
	}
	if c.BasePath != "" && (!strings.HasPrefix(c.BasePath, "/") || strings.HasSuffix(c.BasePath, "/")) {
		bad("BasePath %q must start with / and not end with /", c.BasePath)
	}
	if c.MaxBodyBytes < 0 || c.CognitoTimeout < 0 || c.CompensationTimeout < 0 {
		bad("MaxBodyBytes, CognitoTimeout and CompensationTimeout must not be negative")
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.CognitoTimeout == 0 {
		c.CognitoTimeout = DefaultCognitoTimeout
	}
	if c.CompensationTimeout == 0 {
		c.CompensationTimeout = DefaultCompensationTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.SignInVerifier == nil {
		c.SignInVerifier = c.Verifier
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("portal: %w", err)
	}
	return c, nil
}
