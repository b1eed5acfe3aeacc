package jwtverify

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// RemoteKeySetOptions tune a RemoteKeySet. The zero value gives the documented
// defaults.
type RemoteKeySetOptions struct {
	// HTTPClient fetches the JWKS. Default: a client of the key set's own with
	// a 2s dial and TLS-handshake timeout and FetchTimeout as its total
	// timeout, whose idle connections are closed when the key set stops.
	// Redirects are never followed, whatever the client's CheckRedirect
	// says: a redirect is a failed fetch.
	HTTPClient *http.Client

	// FetchTimeout bounds one fetch (connecting, headers and body), on top of
	// HTTPClient's own timeouts. Default: 2s, well under a typical decision
	// timeout (5s in gatehouse serve), so a hanging endpoint fails a request
	// as keys_unavailable rather than as a timeout.
	FetchTimeout time.Duration

	// FailurePenalty is how long after a failed fetch an unknown kid is
	// answered at once with ErrKeysUnavailable, without fetching or waiting
	// for a fetch under way: while the endpoint is known to be failing, no
	// request waits FetchTimeout again. Known kids keep being served from
	// the last good keys; Hydrate and the background refresh still fetch.
	// Default: 10s. A negative value disables the penalty.
	FailurePenalty time.Duration

	// RefreshInterval is how often the JWKS is fetched again in the
	// background, so that removed keys stop being served. Default: 1h. A
	// negative value disables the background refresh (keys then change only
	// through Hydrate and unknown-kid refetches).
	RefreshInterval time.Duration

	// MissPenalty is how long a kid stays unknown after an unknown-kid refetch
	// did not find it: meanwhile Key fails fast with ErrKeyNotFound for that
	// kid without touching the network. Default: 10s. A negative value
	// disables the penalty.
	MissPenalty time.Duration

	// MinRefetchInterval is the least time between two fetches caused by
	// unknown kids, whatever the kids, so a stream of made-up kids cannot turn
	// into a stream of fetches. A miss inside this interval gets
	// ErrKeyNotFound (or ErrKeysUnavailable if the last fetch failed) at once.
	// The first successful load of an empty set, Hydrate and the background
	// refresh neither start the interval nor are limited by it. Default: 1s.
	// A negative value disables the limit.
	MinRefetchInterval time.Duration

	// MaxResponseSize is the largest JWKS body, in bytes, after any transfer
	// decompression; a larger one is a failed fetch. Default: 1 MiB.
	MaxResponseSize int64

	// Now returns the current time for the miss and failure penalties, the
	// refetch limit and Stats' fetch times. Default: time.Now.
	Now func() time.Time

	// ErrorHandler receives every failed fetch (wrapping ErrKeysUnavailable)
	// and every fetched JWKS that had keys skipped as malformed (wrapping
	// ErrInvalidKey), also when no caller is waiting, as with the background
	// refresh. The errors never contain key material. It is not called once
	// the key set has stopped. It must not block for long. Default: a
	// warning through Logger.
	ErrorHandler func(ctx context.Context, err error)

	// Logger receives the default ErrorHandler's warnings. Default:
	// slog.Default(); services pass their own so every line has their form.
	Logger *slog.Logger
}

// The defaults of RemoteKeySetOptions.
const (
	remoteDefaultConnectTimeout     = 2 * time.Second
	remoteDefaultFetchTimeout       = 2 * time.Second
	remoteDefaultFailurePenalty     = 10 * time.Second
	remoteDefaultRefreshInterval    = time.Hour
	remoteDefaultMissPenalty        = 10 * time.Second
	remoteDefaultMinRefetchInterval = time.Second
	remoteDefaultMaxResponseSize    = 1 << 20
)
