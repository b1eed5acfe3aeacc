package awsenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/apigateway"
	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The environment variables ConfigFromEnv reads; see the package
// documentation for the table.
const (
	EnvUserPoolID        = envconfig.UserPoolID
	EnvClientIDs         = envconfig.ClientIDs
	EnvSkipClientIDCheck = envconfig.SkipClientIDCheck
	EnvTokenUses         = envconfig.TokenUses
	EnvIssuer            = envconfig.Issuer
	EnvJWKSURL           = envconfig.JWKSURL
	EnvInsecureHTTP      = envconfig.InsecureHTTP
	EnvClockSkew         = envconfig.ClockSkew
	EnvJWKSTimeout       = envconfig.JWKSTimeout
	EnvTable             = envconfig.Table
	EnvRoutes            = "GATEHOUSE_ROUTES"
	EnvRoutesFile        = "GATEHOUSE_ROUTES_FILE"
	EnvTokenCacheSize    = envconfig.TokenCacheSize
	EnvMappingCacheSize  = "GATEHOUSE_MAPPING_CACHE_SIZE"
	EnvMappingCacheTTL   = "GATEHOUSE_MAPPING_CACHE_TTL"
	EnvMappingTimeout    = envconfig.MappingTimeout
	EnvResponseBudget    = "GATEHOUSE_RESPONSE_BUDGET"
	EnvHTTPAPIResponse   = "GATEHOUSE_HTTP_API_RESPONSE"
	EnvMetrics           = "GATEHOUSE_METRICS"
)

// DefaultTokenCacheSize is the verified-token cache size when
// GATEHOUSE_TOKEN_CACHE_SIZE is unset.
const DefaultTokenCacheSize = envconfig.DefaultTokenCacheSize

// verifierSpec is what the authorizer verifies, with a token cache: people's
// and programs' tokens of the people's pool and, when
// GATEHOUSE_PARTNER_USER_POOL_ID is set, partners' tokens of the partners'
// pool (ID tokens by default). People create API clients at run time, so
// no list can name them: a client-credentials token of any app client of
// the people's pool gets as far as the mapping, and the mapping
// (ClientByID) is what admits or refuses it. The partners' pool has no such
// clients: its tokens come from the listed clients only.
var verifierSpec = envconfig.VerifierSpec{
	Pools:      []envconfig.PoolSpec{{AnyClientForClientCredentials: true}, envconfig.PartnerPool},
	TokenCache: true,
}

// EnvConfig is the authorizer's configuration as read from the
// environment. ConfigFromEnv fills every field but Logger, Metrics and
// HTTPClient, which the caller sets before Build (they are not
// configuration but wiring).
type EnvConfig struct {
	// Verifier holds the pools (the people's, then the partners' if
	// configured), the JWKS fetch bound and the token cache size.
	Verifier envconfig.Verifier
	Table    string
	Rules    []authorizer.Rule
	// RulesSource says where the rules came from, for the start-up log.
	RulesSource      string
	MappingCacheSize int
	MappingCacheTTL  time.Duration
	MappingTimeout   time.Duration
	ResponseBudget   int
	// HTTPAPIResponse is how HTTP API events are answered
	// (GATEHOUSE_HTTP_API_RESPONSE), the default resolved: policy with
	// rules, simple without.
	HTTPAPIResponse apigateway.HTTPAPIResponse
	// MetricsEnabled writes embedded-metric-format lines (default true).
	MetricsEnabled bool

	// Logger receives the decision log lines. Default: discard.
	Logger *slog.Logger
	// Metrics receives the metric lines when MetricsEnabled. Default:
	// os.Stdout (where Lambda picks embedded metrics up).
	Metrics io.Writer
	// HTTPClient fetches the JWKS. Default: jwtverify's.
	HTTPClient *http.Client
}

// ConfigFromEnv reads and validates the configuration. getenv is usually
// os.Getenv. Every error names the variable at fault.
func ConfigFromEnv(getenv func(string) string) (EnvConfig, error) {
	e := EnvConfig{}
	r := envconfig.NewReader(getenv)
	e.Verifier = r.Verifier(verifierSpec)

	e.Table = r.Required(EnvTable, "the DynamoDB mapping table")
	routes, routesFile := getenv(EnvRoutes), r.String(EnvRoutesFile)
	switch {
	case strings.TrimSpace(routes) != "" && routesFile != "":
		r.Bad(EnvRoutes, "set together with %s: choose one", EnvRoutesFile)
	case strings.TrimSpace(routes) != "":
		rules, err := authorizer.ParseRules([]byte(routes))
		if err != nil {
			r.Bad(EnvRoutes, "%v", err)
		}
		e.Rules, e.RulesSource = rules, EnvRoutes
	case routesFile != "":
		data, err := os.ReadFile(routesFile)
		if err != nil {
			r.Bad(EnvRoutesFile, "%v", err)
			break
		}
		rules, err := authorizer.ParseRules(data)
		if err != nil {
			r.Bad(EnvRoutesFile, "%s: %v", routesFile, err)
		}
		e.Rules, e.RulesSource = rules, routesFile
	default:
		e.RulesSource = "none: every authenticated caller may use every route"
	}

	e.MappingCacheSize = r.Int(EnvMappingCacheSize, 0)
	e.MappingCacheTTL = r.Duration(EnvMappingCacheTTL, 0)
	e.MappingTimeout = r.Duration(EnvMappingTimeout, 0)
	e.ResponseBudget = r.Int(EnvResponseBudget, authorizer.DefaultResponseBudget)
	httpAPI, err := apigateway.HTTPAPIResponse(strings.ToLower(r.String(EnvHTTPAPIResponse))).Resolve(len(e.Rules) > 0)
	if err != nil {
		r.Bad(EnvHTTPAPIResponse, "%v", err)
	}
	e.HTTPAPIResponse = httpAPI
	e.MetricsEnabled = r.Bool(EnvMetrics, true)

	if err := r.Err(); err != nil {
		return EnvConfig{}, fmt.Errorf("authorizer configuration: %w", err)
	}
	return e, nil
}

// hydrateTimeout bounds the JWKS fetch at start-up.
const hydrateTimeout = 3 * time.Second

// Build makes the Authorizer: the verifier (jwtverify), the mapping store
// (DynamoDB through config.LoadDefaultConfig, so the SDK's standard
// variables apply; the SDK and jwtverify log through Logger) and the rules.
// ctx bounds the background key refresh: pass one that lives as long as the
// Authorizer. Keys are fetched once
// here; a failure is logged, not fatal: requests then fail closed (500)
// until the keys can be fetched.
func (e EnvConfig) Build(ctx context.Context) (*authorizer.Authorizer, error) {
	logger := e.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	awsCfg, err := envconfig.LoadAWS(ctx, logger)
	if err != nil {
		return nil, fmt.Errorf("authorizer: loading the AWS configuration: %w", err)
	}
	store, err := mapping.New(mapping.Config{
		Table:     e.Table,
		DynamoDB:  dynamodb.NewFromConfig(awsCfg),
		CacheSize: e.MappingCacheSize,
		CacheTTL:  e.MappingCacheTTL,
		Timeout:   e.MappingTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("authorizer: %s: %w", EnvTable, err)
	}
	v, err := jwtverify.New(ctx, e.Verifier.Config(e.HTTPClient, logger))
	if err != nil {
		return nil, fmt.Errorf("authorizer: %s and related variables: %w", EnvUserPoolID, err)
	}
	var metrics io.Writer
	if e.MetricsEnabled {
		metrics = e.Metrics
		if metrics == nil {
			metrics = os.Stdout
		}
	}
	a, err := authorizer.New(authorizer.Config{
		Verifier: v, Directory: store, Rules: e.Rules, ResponseBudget: e.ResponseBudget,
		Logger: logger, Metrics: metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("authorizer: %s: %w", rulesVariable(e), err)
	}
	hctx, cancel := context.WithTimeout(ctx, hydrateTimeout)
	defer cancel()
	if err := a.Hydrate(hctx); err != nil {
		logger.WarnContext(ctx, "authorizer start: signing keys not loaded yet", "error", err.Error())
	}
	logger.InfoContext(ctx, "authorizer start", "user_pool", e.Verifier.First().UserPoolID, "table", e.Table,
		"rules", len(e.Rules), "rules_source", e.RulesSource, "token_cache", e.Verifier.TokenCacheSize,
		"http_api_response", string(e.HTTPAPIResponse))
	return a, nil
}

func rulesVariable(e EnvConfig) string {
	if e.RulesSource == EnvRoutes {
		return EnvRoutes
	}
	return EnvRoutesFile
}
