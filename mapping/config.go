package mapping

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DynamoDBAPI is the part of the DynamoDB API the Store uses. A
// *dynamodb.Client satisfies it.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// TableAPI is the part of the DynamoDB API CreateTable uses. A
// *dynamodb.Client satisfies it.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var (
	_ DynamoDBAPI = (*dynamodb.Client)(nil)
	_ TableAPI    = (*dynamodb.Client)(nil)
)

// Defaults for the zero values of Config.
const (
	DefaultCacheSize        = 10000
	DefaultCacheTTL         = 60 * time.Second
	DefaultNegativeCacheTTL = 5 * time.Second
	DefaultTimeout          = 3 * time.Second
	DefaultMaxAttempts      = 3
)

// Config configures a Store. Table and DynamoDB are required. Everything
// else has a documented default for its zero value.
type Config struct {
	// Table is the DynamoDB table name. Required.
	Table string
	// DynamoDB is the client for Table, normally dynamodb.NewFromConfig of
	// config.LoadDefaultConfig. Required.
	DynamoDB DynamoDBAPI

	// Keys is the key service that seals secrets: kmskeys.New with the KMS
	// key. Without it the Store works, but SealPartnerToken,
	// OpenPartnerToken and Sealer report an error.
	Keys KeyService

	// CacheSize bounds each of the two lookup caches (by pool and user
	// name, by client id). 0 means DefaultCacheSize (10 000 entries, a few MB at most);
	// negative disables caching: every lookup reads DynamoDB.
	CacheSize int
	// CacheTTL is how long a found user or client is served from the cache.
	// It is this process's share of the revocation delay (see the package
	// documentation). 0 means DefaultCacheTTL (60 s); negative disables
	// caching.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long "not found" is served from the cache, so
	// a flood of unknown callers costs one read per name per interval. It
	// delays this process seeing a user created elsewhere. 0 means
	// DefaultNegativeCacheTTL (5 s); negative means "not found" is never
	// cached. It is capped at CacheTTL.
	NegativeCacheTTL time.Duration

	// Timeout bounds each call to DynamoDB or to Keys, retries included, so a
	// hung endpoint becomes ErrUnavailable instead of a hung caller. A
	// shorter deadline on the caller's context wins. 0 means DefaultTimeout
	// (3 s).
	Timeout time.Duration
	// MaxAttempts bounds the SDK's attempts per DynamoDB call (1 = no
	// retry; kmskeys.New sets KMS's). It is applied per operation, whatever
	// the client was built with. 0 means
	// DefaultMaxAttempts (3: the first try and two retries with the SDK's
	// jittered backoff, for throttling, 5xx and connection errors).
	MaxAttempts int

	// Now is the clock for created/rotated/revoked times and cache expiry.
	// nil means time.Now.
	Now func() time.Time
}
