package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/clientsecret"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
)

// The environment variables ConfigFromEnv reads; see the package
// documentation for the table. The admin-token settings share the
// authorizer's names and conventions.
const (
	EnvUserPoolID            = envconfig.UserPoolID
	EnvClientIDs             = envconfig.ClientIDs
	EnvSkipClientIDCheck     = envconfig.SkipClientIDCheck
	EnvTokenUses             = envconfig.TokenUses
	EnvIssuer                = envconfig.Issuer
	EnvJWKSURL               = envconfig.JWKSURL
	EnvInsecureHTTP          = envconfig.InsecureHTTP
	EnvClockSkew             = envconfig.ClockSkew
	EnvTable                 = envconfig.Table
	EnvPartnerUserPoolID     = envconfig.PartnerUserPoolID
	EnvKMSKeyID              = "GATEHOUSE_KMS_KEY_ID"
	EnvPartnerClientID       = "GATEHOUSE_PARTNER_CLIENT_ID"
	EnvPartnerClientSecret   = "GATEHOUSE_PARTNER_CLIENT_SECRET"
	EnvPartnerClientSecretID = "GATEHOUSE_PARTNER_CLIENT_SECRET_ARN"
	EnvAdminGroup            = "GATEHOUSE_ADMIN_GROUP"
	EnvRotation              = "GATEHOUSE_PARTNER_REFRESH_ROTATION"
	EnvMaxBodyBytes          = "GATEHOUSE_MAX_BODY_BYTES"
	EnvMappingTimeout        = envconfig.MappingTimeout
	// The partners' pool's app client for people: partner administrators
	// sign in with it (public USER_PASSWORD_AUTH), and self-service accepts
	// its tokens only. Its secret, if it has one.
	EnvPartnerAdminClientID     = "GATEHOUSE_PARTNER_ADMIN_CLIENT_ID"
	EnvPartnerAdminClientSecret = "GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET"
	// Or a Secrets Manager secret holding it, as for the partner client.
	EnvPartnerAdminClientSecretID = "GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET_ARN"
)

// The partners' pool's verification settings for local stand-ins, named as
// the authorizer names them (envconfig.PartnerPool).
var (
	envPartnerIssuer       = envconfig.PartnerPool.Var(envconfig.Issuer)
	envPartnerJWKSURL      = envconfig.PartnerPool.Var(envconfig.JWKSURL)
	envPartnerInsecureHTTP = envconfig.PartnerPool.Var(envconfig.InsecureHTTP)
)

// adminVerifier is what the HTTP API verifies: administrators' tokens of
// the people's pool (GATEHOUSE_USER_POOL_ID, GATEHOUSE_CLIENT_IDS), from the
// named app clients only. Partner users live in the partners' pool
// (GATEHOUSE_PARTNER_USER_POOL_ID); the service verifies none of their
// tokens, so GATEHOUSE_PARTNER_CLIENT_IDS, the authorizer's list, is not read
// here: GATEHOUSE_PARTNER_CLIENT_ID (one id) is the partners' app client.
var adminVerifier = envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{
	SkipClientIDCheckRefused: "not supported: list the app clients administrators use in " + EnvClientIDs,
}}}

// EnvConfig is the service's configuration as read from the environment.
type EnvConfig struct {
	// Admins is the verifier setting for administrators' tokens (the
	// authorizer's GATEHOUSE_* conventions) and the JWKS fetch bound. Unset
	// when read with ServiceConfigFromEnv.
	Admins     envconfig.Verifier
	AdminGroup string

	// PartnerUserPoolID is the partners' pool, where partner users are
	// created: every Admin* call of the service names it and no other.
	PartnerUserPoolID string
	Table             string
	KMSKeyID          string
	PartnerClientID   string
	// PartnerClientSecret is the secret itself (GATEHOUSE_PARTNER_CLIENT_SECRET),
	// or empty when PartnerClientSecretARN names a Secrets Manager secret
	// holding it (a plain string, or JSON with a "client_secret" member).
	// It never prints.
	PartnerClientSecret    clientsecret.Secret
	PartnerClientSecretARN string
	Rotation               bool
	MaxBodyBytes           int64
	MappingTimeout         time.Duration

	// PartnerAdmins verifies partner administrators' tokens: the partners'
	// pool, the people client GATEHOUSE_PARTNER_ADMIN_CLIENT_ID only, ID or
	// access tokens. Empty (no pool) when that variable is unset: the
	// sign-in routes then answer 404 and only operators manage partners.
	PartnerAdmins            jwtverify.PoolConfig
	PartnerAdminClientSecret clientsecret.Secret
	// PartnerAdminClientSecretARN names a Secrets Manager secret holding
	// the administrators' client secret instead (read by BuildHandler).
	PartnerAdminClientSecretARN string

	// Logger is wiring, not configuration: set it before Build. Default:
	// discard.
	Logger *slog.Logger
	// HTTPClient fetches the JWKS. Default: jwtverify's.
	HTTPClient *http.Client
}

// ConfigFromEnv reads and validates everything the HTTP service needs.
// getenv is usually os.Getenv. Every error names the variable at fault.
func ConfigFromEnv(getenv func(string) string) (EnvConfig, error) {
	return fromEnv(getenv, true)
}

// ServiceConfigFromEnv reads what the Service needs without the HTTP API's
// administrator settings: for operators who act with their AWS credentials
// (gatehouse partners register|rotate|revoke|show).
func ServiceConfigFromEnv(getenv func(string) string) (EnvConfig, error) {
	return fromEnv(getenv, false)
}

func fromEnv(getenv func(string) string, admin bool) (EnvConfig, error) {
	var e EnvConfig
	r := envconfig.NewReader(getenv)
	e.PartnerUserPoolID = r.Required(EnvPartnerUserPoolID, "the partners' Cognito user pool id, where partner users are created, such as eu-west-1_AbCdEf123")
	e.Table = r.Required(EnvTable, "the DynamoDB mapping table")
	e.KMSKeyID = r.Required(EnvKMSKeyID, "the KMS key that seals partner refresh tokens: id, ARN or alias/name")
	e.PartnerClientID = r.Required(EnvPartnerClientID, "the partner app client id, a client with a secret")
	secret, secretARN := getenv(EnvPartnerClientSecret), r.String(EnvPartnerClientSecretID)
	switch {
	case secret != "" && secretARN != "":
		r.Bad(EnvPartnerClientSecret, "set together with %s: choose one", EnvPartnerClientSecretID)
	case secret == "" && secretARN == "":
		r.Bad(EnvPartnerClientSecret, "required (the partner app client's secret), or %s naming a Secrets Manager secret that holds it", EnvPartnerClientSecretID)
	}
	e.PartnerClientSecret, e.PartnerClientSecretARN = clientsecret.New(secret), secretARN
	e.Rotation = r.Bool(EnvRotation, false)
	e.MappingTimeout = r.Duration(EnvMappingTimeout, 0)
	if v := r.String(EnvMaxBodyBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 || n > 1<<20 {
			r.Bad(EnvMaxBodyBytes, "%q is not a number of bytes from 1024 to 1048576", v)
		}
		e.MaxBodyBytes = n
	}

	if admin {
		e.Admins = r.Verifier(adminVerifier)
		if e.Admins.First().UserPoolID == e.PartnerUserPoolID && e.PartnerUserPoolID != "" {
			r.Bad(EnvPartnerUserPoolID, "is %s, the administrators' pool: partners need a pool of their own", EnvUserPoolID)
		}
		for _, id := range e.Admins.First().ClientIDs {
			if id == e.PartnerClientID {
				r.Bad(EnvClientIDs, "lists the partner app client %s: administrators must use another client", EnvPartnerClientID)
			}
		}
		e.AdminGroup = r.Required(EnvAdminGroup, "the Cognito group of administrators")
		// Read whether set or not, so that each is known to be read (the
		// facts file lists the variables a service reads).
		id, secret := r.String(EnvPartnerAdminClientID), getenv(EnvPartnerAdminClientSecret)
		secretARN := r.String(EnvPartnerAdminClientSecretID)
		if secret != "" && secretARN != "" {
			r.Bad(EnvPartnerAdminClientSecret, "set together with %s: choose one", EnvPartnerAdminClientSecretID)
		}
		pool := jwtverify.PoolConfig{
			UserPoolID: e.PartnerUserPoolID, ClientIDs: []string{id},
			TokenUses: []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess},
			Issuer:    r.String(envPartnerIssuer), JWKSURL: r.String(envPartnerJWKSURL),
			InsecureHTTP: r.Bool(envPartnerInsecureHTTP, false), Grace: e.Admins.First().Grace,
		}
		switch {
		case id == "":
			for name, v := range map[string]string{EnvPartnerAdminClientSecret: secret, EnvPartnerAdminClientSecretID: secretARN, envPartnerIssuer: pool.Issuer, envPartnerJWKSURL: pool.JWKSURL} {
				if v != "" {
					r.Bad(name, "set without %s", EnvPartnerAdminClientID)
				}
			}
		case id == e.PartnerClientID:
			r.Bad(EnvPartnerAdminClientID, "is %s, the partners' machine client: administrators need a client for people", EnvPartnerClientID)
		case slices.Contains(e.Admins.First().ClientIDs, id):
			r.Bad(EnvPartnerAdminClientID, "is listed in %s, the operators' clients", EnvClientIDs)
		default:
			e.PartnerAdmins, e.PartnerAdminClientSecret, e.PartnerAdminClientSecretARN = pool, clientsecret.New(secret), secretARN
		}
	}

	if err := r.Err(); err != nil {
		return EnvConfig{}, fmt.Errorf("refresh configuration: %w", err)
	}
	return e, nil
}

// SecretsManagerAPI is the part of Secrets Manager BuildService uses. A
// *secretsmanager.Client satisfies it.
type SecretsManagerAPI = clientsecret.API

// FetchClientSecret reads the partner client secret from Secrets Manager:
// the secret's string, or its "client_secret" member when it is a JSON
// object. Errors never carry the value.
func FetchClientSecret(ctx context.Context, api SecretsManagerAPI, secretID string) (clientsecret.Secret, error) {
	return fetchSecret(ctx, api, EnvPartnerClientSecretID, secretID)
}

// fetchSecret reads a client secret from Secrets Manager; its errors name
// the variable that named the secret, never the value.
func fetchSecret(ctx context.Context, api SecretsManagerAPI, env, secretID string) (clientsecret.Secret, error) {
	v, err := clientsecret.Fetch(ctx, api, secretID)
	if err != nil {
		return clientsecret.Secret{}, fmt.Errorf("%s: %w", env, err)
	}
	return v, nil
}

// BuildService makes the Service: the mapping store with KMS, Cognito
// clients for the partner app client, and the client secret (from
// Secrets Manager when configured so). AWS endpoints and credentials come
// from config.LoadDefaultConfig.
func (e EnvConfig) BuildService(ctx context.Context) (*Service, error) {
	awsCfg, err := envconfig.LoadAWS(ctx, e.Logger)
	if err != nil {
		return nil, fmt.Errorf("refresh: loading the AWS configuration: %w", err)
	}
	secret := e.PartnerClientSecret
	if e.PartnerClientSecretARN != "" {
		if secret, err = FetchClientSecret(ctx, secretsmanager.NewFromConfig(awsCfg), e.PartnerClientSecretARN); err != nil {
			return nil, fmt.Errorf("refresh: %w", err)
		}
	}
	keys, err := kmskeys.New(kms.NewFromConfig(awsCfg), e.KMSKeyID)
	if err != nil {
		return nil, fmt.Errorf("refresh: %s: %w", EnvKMSKeyID, err)
	}
	store, err := mapping.New(mapping.Config{
		Table: e.Table, DynamoDB: dynamodb.NewFromConfig(awsCfg), Keys: keys,
		CacheSize: -1, Timeout: e.MappingTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("refresh: %s: %w", EnvTable, err)
	}
	idp := cip.NewFromConfig(awsCfg)
	tokens, err := cognitoauth.New(cognitoauth.Config{
		API: idp, UserPoolID: e.PartnerUserPoolID, ClientID: e.PartnerClientID, ClientSecret: secret.Reveal(),
	})
	if err != nil {
		return nil, fmt.Errorf("refresh: %s: %w", EnvPartnerClientID, err)
	}
	return New(Config{
		Store: store, Tokens: tokens, UserPool: idp, UserPoolID: e.PartnerUserPoolID,
		PartnerClientID: e.PartnerClientID, Rotation: e.Rotation, Logger: e.Logger,
	})
}

// partnerAdmins builds partner administrators' sign-in (the public pair,
// which needs no AWS credentials) and their token verifier.
func (e EnvConfig) partnerAdmins(ctx context.Context, logger *slog.Logger) (*PartnerAdmins, error) {
	awsCfg, err := envconfig.LoadAWS(ctx, logger)
	if err != nil {
		return nil, fmt.Errorf("refresh: loading the AWS configuration: %w", err)
	}
	secret := e.PartnerAdminClientSecret
	if e.PartnerAdminClientSecretARN != "" {
		if secret, err = fetchSecret(ctx, secretsmanager.NewFromConfig(awsCfg), EnvPartnerAdminClientSecretID, e.PartnerAdminClientSecretARN); err != nil {
			return nil, fmt.Errorf("refresh: %w", err)
		}
	}
	idp := cip.NewFromConfig(awsCfg)
	auth, err := cognitoauth.New(cognitoauth.Config{
		API: idp, Public: idp, UserPoolID: e.PartnerUserPoolID,
		ClientID: e.PartnerAdmins.ClientIDs[0], ClientSecret: secret.Reveal(),
	})
	if err != nil {
		return nil, fmt.Errorf("refresh: %s: %w", EnvPartnerAdminClientID, err)
	}
	cfg := e.Admins.Config(e.HTTPClient, logger)
	cfg.Pools = []jwtverify.PoolConfig{e.PartnerAdmins}
	cfg.TokenCacheSize = 0
	v, err := jwtverify.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("refresh: %s and %s: %w", EnvPartnerUserPoolID, EnvPartnerAdminClientID, err)
	}
	hctx, cancel := context.WithTimeout(ctx, hydrateTimeout)
	defer cancel()
	if err := v.Hydrate(hctx); err != nil {
		logger.WarnContext(ctx, "partners start: the partners' pool's signing keys not loaded yet", "error", err.Error())
	}
	return &PartnerAdmins{Auth: auth, Verifier: v}, nil
}

// hydrateTimeout bounds the JWKS fetch at start-up.
const hydrateTimeout = 3 * time.Second

// BuildHandler makes the HTTP API around svc, with a jwtverify verifier
// for administrators' tokens. ctx bounds the verifier's background key
// refresh: pass one that lives as long as the handler. A failed first key
// fetch is logged, not fatal: administrator calls then answer 503 until
// the keys load.
func (e EnvConfig) BuildHandler(ctx context.Context, svc *Service) (*Handler, error) {
	if e.AdminGroup == "" {
		return nil, errors.New("refresh: no administrator settings (read the configuration with ConfigFromEnv)")
	}
	logger := e.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v, err := jwtverify.New(ctx, e.Admins.Config(e.HTTPClient, logger))
	if err != nil {
		return nil, fmt.Errorf("refresh: %s and related variables: %w", EnvUserPoolID, err)
	}
	hctx, cancel := context.WithTimeout(ctx, hydrateTimeout)
	defer cancel()
	if err := v.Hydrate(hctx); err != nil {
		logger.WarnContext(ctx, "partners start: signing keys not loaded yet", "error", err.Error())
	}
	hc := HandlerConfig{Service: svc, Admins: v, AdminGroup: e.AdminGroup, MaxBodyBytes: e.MaxBodyBytes, Logger: logger}
	if e.PartnerAdmins.UserPoolID != "" {
		if hc.PartnerAdmins, err = e.partnerAdmins(ctx, logger); err != nil {
			return nil, err
		}
	}
	h, err := NewHandler(hc)
	if err != nil {
		return nil, err
	}
	logger.InfoContext(ctx, "partners start", "partner_user_pool", e.PartnerUserPoolID, "admin_user_pool", e.Admins.First().UserPoolID, "table", e.Table,
		"partner_client", e.PartnerClientID, "rotation", e.Rotation, "admin_group", e.AdminGroup)
	return h, nil
}
