package portal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/clientsecret"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The environment variables ConfigFromEnv reads. Those the authorizer also
// reads have the same names and meaning.
const (
	EnvUserPoolID             = envconfig.UserPoolID
	EnvClientIDs              = envconfig.ClientIDs
	EnvTokenUses              = envconfig.TokenUses
	EnvIssuer                 = envconfig.Issuer
	EnvJWKSURL                = envconfig.JWKSURL
	EnvInsecureHTTP           = envconfig.InsecureHTTP
	EnvClockSkew              = envconfig.ClockSkew
	EnvTable                  = envconfig.Table
	EnvMappingTimeout         = envconfig.MappingTimeout
	EnvAPIClientsGroup        = "GATEHOUSE_API_CLIENTS_GROUP"
	EnvAPIClientScopes        = "GATEHOUSE_API_CLIENT_SCOPES"
	EnvAPIClientTokenValidity = "GATEHOUSE_API_CLIENT_ACCESS_TOKEN_VALIDITY"
	EnvMaxClientsPerUser      = "GATEHOUSE_MAX_CLIENTS_PER_USER"
	EnvTokenEndpoint          = "GATEHOUSE_TOKEN_ENDPOINT"
	EnvCreateUsers            = "GATEHOUSE_CREATE_USERS"
	EnvSignInClientID         = "GATEHOUSE_SIGNIN_CLIENT_ID"
	EnvSignInClientSecret     = "GATEHOUSE_SIGNIN_CLIENT_SECRET"
	EnvSignInClientSecretARN  = "GATEHOUSE_SIGNIN_CLIENT_SECRET_ARN"
	EnvBasePath               = "GATEHOUSE_BASE_PATH"
	EnvMaxBodyBytes           = "GATEHOUSE_MAX_BODY_BYTES"
)

// verifierSpec is what the portal verifies: people's tokens of one pool,
// from the named web clients only. A program's client-credentials token of
// any app client gets as far as the portal, which refuses it with a clear
// 403 rather than a bare 401.
var verifierSpec = envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{
	SkipClientIDCheckRefused:      "not supported by the portal: list the web app clients in " + EnvClientIDs,
	AnyClientForClientCredentials: true,
}}}

const (
	hydrateTimeout             = 3 * time.Second
	minBodyBytes, maxBodyBytes = 1 << 10, 1 << 20
)

// EnvConfig is the portal's configuration as read from the environment.
// ConfigFromEnv fills every field but Logger and HTTPClient (wiring, not
// configuration), which the caller sets before Build.
type EnvConfig struct {
	// Verifier holds the pool people's tokens are verified against and the
	// JWKS fetch bound.
	Verifier envconfig.Verifier
	// Table and MappingTimeout configure the mapping store.
	Table          string
	MappingTimeout time.Duration
	// SignInClientID enables /auth/*; "" leaves them off (404).
	SignInClientID string
	// SignInClientSecret is the secret itself, or empty with
	// SignInClientSecretARN naming a Secrets Manager secret holding it, or
	// both empty for a client without a secret. It never prints.
	SignInClientSecret    clientsecret.Secret
	SignInClientSecretARN string
	// Portal holds the rest; its Verifier, Cognito, Directory, Auth and
	// Logger are set by Build.
	Portal Config

	// Logger receives start-up and request lines. Default: discard.
	Logger *slog.Logger
	// HTTPClient fetches the JWKS. Default: jwtverify's.
	HTTPClient *http.Client
}

// String never shows the client secret.
func (e EnvConfig) String() string {
	return fmt.Sprintf("portal{pool=%s table=%s group=%s signin_client=%s}", e.Verifier.First().UserPoolID, e.Table, e.Portal.ClientsGroup, e.SignInClientID)
}

// ConfigFromEnv reads and validates the configuration (getenv is usually
// os.Getenv). Every error names the variable at fault. The pool settings
// are read as the authorizer reads them (internal/envconfig), except that
// GATEHOUSE_SKIP_CLIENT_ID_CHECK is refused: people's tokens must come from
// the named web clients.
func ConfigFromEnv(getenv func(string) string) (EnvConfig, error) {
	var e EnvConfig
	r := envconfig.NewReader(getenv)
	e.Verifier = r.Verifier(verifierSpec)
	pool := e.Verifier.First()

	e.Table = r.Required(EnvTable, "the DynamoDB mapping table")
	e.MappingTimeout = r.Duration(EnvMappingTimeout, 0)

	c := &e.Portal
	c.UserPoolID = pool.UserPoolID
	c.ClientsGroup = r.Required(EnvAPIClientsGroup, "the Cognito group whose members may create API clients")
	c.ClientScopes = strings.FieldsFunc(r.String(EnvAPIClientScopes), func(r rune) bool { return r == ',' || r == ' ' })
	if len(c.ClientScopes) == 0 {
		r.Bad(EnvAPIClientScopes, "required: the resource-server scopes API clients get, such as orders/read,orders/write")
	}
	if c.AccessTokenValidity = r.Duration(EnvAPIClientTokenValidity, 0); c.AccessTokenValidity != 0 &&
		(c.AccessTokenValidity < MinAccessTokenValidity || c.AccessTokenValidity > MaxAccessTokenValidity || c.AccessTokenValidity%time.Minute != 0) {
		r.Bad(EnvAPIClientTokenValidity, "%v is not whole minutes from 5m to 24h", c.AccessTokenValidity)
	}
	if c.MaxClientsPerUser = r.Int(EnvMaxClientsPerUser, 0); c.MaxClientsPerUser > mapping.MaxClientsPerUser ||
		(r.String(EnvMaxClientsPerUser) != "" && c.MaxClientsPerUser < 1) {
		r.Bad(EnvMaxClientsPerUser, "%q is not a number from 1 to %d", r.String(EnvMaxClientsPerUser), mapping.MaxClientsPerUser)
	}
	c.TokenEndpoint = r.Required(EnvTokenEndpoint, "the clients' token URL, https://<domain>/oauth2/token")
	if c.TokenEndpoint != "" && !strings.HasPrefix(c.TokenEndpoint, "https://") &&
		!(pool.InsecureHTTP && strings.HasPrefix(c.TokenEndpoint, "http://")) {
		r.Bad(EnvTokenEndpoint, "%q is not an https URL (http needs %s=true, for local development only)", c.TokenEndpoint, EnvInsecureHTTP)
	}
	c.InsecureTokenEndpoint = pool.InsecureHTTP
	c.CreateUsers = r.Bool(EnvCreateUsers, true)
	c.BasePath = r.String(EnvBasePath)
	if c.BasePath != "" && (!strings.HasPrefix(c.BasePath, "/") || strings.HasSuffix(c.BasePath, "/")) {
		r.Bad(EnvBasePath, "%q must start with / and not end with /", c.BasePath)
	}
	if v := r.String(EnvMaxBodyBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < minBodyBytes || n > maxBodyBytes {
			r.Bad(EnvMaxBodyBytes, "%q is not a number of bytes from %d to %d", v, minBodyBytes, maxBodyBytes)
		}
		c.MaxBodyBytes = n
	}

	e.SignInClientID = r.String(EnvSignInClientID)
	e.SignInClientSecret = clientsecret.New(getenv(EnvSignInClientSecret)) // not trimmed: it is opaque
	e.SignInClientSecretARN = r.String(EnvSignInClientSecretARN)
	switch {
	case !e.SignInClientSecret.IsZero() && e.SignInClientSecretARN != "":
		r.Bad(EnvSignInClientSecret, "set together with %s: choose one", EnvSignInClientSecretARN)
	case e.SignInClientID == "" && (!e.SignInClientSecret.IsZero() || e.SignInClientSecretARN != ""):
		r.Bad(EnvSignInClientID, "required when %s or %s is set", EnvSignInClientSecret, EnvSignInClientSecretARN)
	}

	if err := r.Err(); err != nil {
		return EnvConfig{}, fmt.Errorf("portal configuration: %w", err)
	}
	return e, nil
}

// SecretsManagerAPI is the Secrets Manager call Build makes. A
// *secretsmanager.Client satisfies it.
type SecretsManagerAPI = clientsecret.API

// FetchSignInClientSecret reads the sign-in client's secret from Secrets
// Manager: the secret string, or its "client_secret" member when it is a
// JSON object. Errors never carry the value.
func FetchSignInClientSecret(ctx context.Context, api SecretsManagerAPI, secretID string) (clientsecret.Secret, error) {
	v, err := clientsecret.Fetch(ctx, api, secretID)
	if err != nil {
		return clientsecret.Secret{}, fmt.Errorf("%s: %w", EnvSignInClientSecretARN, err)
	}
	return v, nil
}

// Build makes the Handler: the verifier (jwtverify), the mapping store and
// Cognito clients (through config.LoadDefaultConfig, so the SDK's standard
// variables apply), and the sign-in client when configured. ctx bounds the
// verifier's background key refresh: pass one that lives as long as the
// Handler. A failed first key fetch is logged, not fatal: /clients then
// answers 503 until the keys load.
func (e EnvConfig) Build(ctx context.Context) (*Handler, error) {
	logger := e.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	awsCfg, err := envconfig.LoadAWS(ctx, logger)
	if err != nil {
		return nil, fmt.Errorf("portal: loading the AWS configuration: %w", err)
	}
	v, err := jwtverify.New(ctx, e.Verifier.Config(e.HTTPClient, logger))
	if err != nil {
		return nil, fmt.Errorf("portal: %s and related variables: %w", EnvUserPoolID, err)
	}
	hctx, cancel := context.WithTimeout(ctx, hydrateTimeout)
	defer cancel()
	if err := v.Hydrate(hctx); err != nil {
		logger.WarnContext(ctx, "portal start: signing keys not loaded yet", "error", err.Error())
	}
	store, err := mapping.New(mapping.Config{Table: e.Table, DynamoDB: dynamodb.NewFromConfig(awsCfg), Timeout: e.MappingTimeout})
	if err != nil {
		return nil, fmt.Errorf("portal: %s: %w", EnvTable, err)
	}
	idp := cip.NewFromConfig(awsCfg)
	cfg := e.Portal
	cfg.Verifier, cfg.Cognito, cfg.Directory, cfg.Logger = v, idp, store, logger
	if e.SignInClientID != "" {
		secret := e.SignInClientSecret
		if e.SignInClientSecretARN != "" {
			if secret, err = FetchSignInClientSecret(ctx, secretsmanager.NewFromConfig(awsCfg), e.SignInClientSecretARN); err != nil {
				return nil, fmt.Errorf("portal: %w", err)
			}
		}
		auth, err := cognitoauth.New(cognitoauth.Config{API: idp, UserPoolID: e.Verifier.First().UserPoolID, ClientID: e.SignInClientID, ClientSecret: secret.Reveal()})
		if err != nil {
			return nil, fmt.Errorf("portal: %s: %w", EnvSignInClientID, err)
		}
		cfg.Auth = auth
	}
	h, err := New(cfg)
	if err != nil {
		return nil, err
	}
	logger.InfoContext(ctx, "portal start", "user_pool", e.Verifier.First().UserPoolID, "table", e.Table,
		"clients_group", cfg.ClientsGroup, "scopes", cfg.ClientScopes, "sign_in", e.SignInClientID != "")
	return h, nil
}
