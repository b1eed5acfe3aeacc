package jwtverify

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// remoteMaxPenalties bounds the table of penalised kids; when it is full of
// live entries, further kids go unpenalised (MinRefetchInterval still limits
// the fetches they can cause).
const remoteMaxPenalties = 4096

// RemoteKeySet is a KeySet fetched from a JWKS URL, kept in memory and
// refreshed: in the background every RefreshInterval, and on demand when a
// token names an unknown kid. It is safe for concurrent use.
//
// It is built on github.com/MicahParks/jwkset for turning JWKs into keys, but
// fetches and caches by itself: jwkset's HTTP storage (which keyfunc/v3 uses)
// blocks on a first fetch when created, has no response size limit, rejects a
// whole refresh over one malformed key, rebuilds every key on each refresh and
// limits unknown-kid refreshes with a rate limiter that makes callers wait
// rather than sharing one fetch and failing fast afterwards.
//
// A key set never follows "jku" or "x5u", and never logs or returns key
// material.
type RemoteKeySet struct {
	url          string // as requested
	name         string // as shown in errors: without credentials
	client       *http.Client
	ctx          context.Context // ends background work and fetches
	fetchTimeout time.Duration
	failPenalty  time.Duration
	missPenalty  time.Duration
	minRefetch   time.Duration
	maxSize      int64
	now          func() time.Time
	onError      func(context.Context, error)

	// keys is the last good key set, nil until a fetch succeeds. Readers
	// never lock: a fetch swaps in a whole new map.
	keys atomic.Pointer[remoteKeys]

	mu            sync.Mutex
	inflight      *remoteFetch // the one fetch under way, if any
	lastErr       error        // outcome of the last completed fetch
	lastSuccess   time.Time    // end of the last successful fetch
	lastFailure   time.Time    // end of the last failed fetch
	failures      [len(fetchFailures)]uint64
	lastMissFetch time.Time            // when the last unknown-kid refetch ended
	penalty       map[string]time.Time // kid → end of its miss penalty
}

var _ KeySet = (*RemoteKeySet)(nil)

// remoteKeys is one immutable generation of keys.
type remoteKeys struct {
	byKID map[string]Key
}

// remoteFetch is one fetch shared by every caller that waits for it.
type remoteFetch struct {
	done    chan struct{} // closed when err is set
	err     error
	byKey   bool // started by an unknown kid
	hadKeys bool // keys were loaded when it started
	waiters int  // callers that started or joined it (tests watch it); guarded by RemoteKeySet.mu
}

// NewRemoteKeySet returns a key set for the JWKS at url (absolute, http or
// https; whether plain http is acceptable is the caller's policy). It does not
// touch the network: the first Key call or Hydrate fetches. The background
// refresh, and any fetch, stop when ctx is done; after that the set still
// serves the keys it holds but never fetches again.
func NewRemoteKeySet(ctx context.Context, url string, opts RemoteKeySetOptions) (*RemoteKeySet, error) {
	if ctx == nil {
		return nil, errors.New("jwtverify: NewRemoteKeySet needs a context")
	}
	name, err := remoteCheckURL(url)
	if err != nil {
		return nil, err
	}
	if opts.FetchTimeout < 0 || opts.MaxResponseSize < 0 {
		return nil, errors.New("jwtverify: RemoteKeySetOptions FetchTimeout and MaxResponseSize must not be negative")
	}
	r := &RemoteKeySet{
		url:          url,
		name:         name,
		ctx:          ctx,
		fetchTimeout: cmp.Or(opts.FetchTimeout, remoteDefaultFetchTimeout),
		failPenalty:  cmp.Or(opts.FailurePenalty, remoteDefaultFailurePenalty),
		missPenalty:  cmp.Or(opts.MissPenalty, remoteDefaultMissPenalty),
		minRefetch:   cmp.Or(opts.MinRefetchInterval, remoteDefaultMinRefetchInterval),
		maxSize:      cmp.Or(opts.MaxResponseSize, remoteDefaultMaxResponseSize),
		now:          opts.Now,
		onError:      opts.ErrorHandler,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.onError == nil {
		logger := opts.Logger
		if logger == nil {
			logger = slog.Default()
		}
		r.onError = func(ctx context.Context, err error) {
			logger.WarnContext(ctx, "jwtverify: JWKS problem", "url", name, "error", err.Error())
		}
	}
	var client http.Client
	if opts.HTTPClient != nil {
		client = *opts.HTTPClient
	} else {
		t := remoteDefaultTransport(r.fetchTimeout)
		client = http.Client{Transport: t, Timeout: r.fetchTimeout}
		// The transport is ours alone: free its connections (and their
		// goroutines) once the set stops.
		context.AfterFunc(ctx, t.CloseIdleConnections)
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r.client = &client

	if every := cmp.Or(opts.RefreshInterval, remoteDefaultRefreshInterval); every > 0 {
		go r.refreshLoop(every)
	}
	return r, nil
}

// Hydrate fetches the JWKS now (or waits for the fetch under way) and returns
// an error wrapping ErrKeysUnavailable if it fails; the keys held before stay
// in use then.
func (r *RemoteKeySet) Hydrate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	r.mu.Lock()
	f, err := r.shareFetchLocked(false)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for JWKS: %w", ErrKeysUnavailable, ctx.Err())
	}
}

// Key returns the key with the given kid. A kid in the cache is served from
// memory. An unknown kid causes one refetch, shared by every concurrent
// caller; if that does not find it the kid fails fast with ErrKeyNotFound for
// MissPenalty. When the keys cannot be known (no fetch ever succeeded, the
// refetch failed, or ctx ended first) the error wraps ErrKeysUnavailable; for
// FailurePenalty after a failed fetch it does so at once.
func (r *RemoteKeySet) Key(ctx context.Context, kid string) (Key, error) {
	if cur := r.keys.Load(); cur != nil {
		if k, ok := cur.byKID[kid]; ok {
			return k, nil
		}
	}
	return r.keyMiss(ctx, kid)
}

func (r *RemoteKeySet) keyMiss(ctx context.Context, kid string) (Key, error) {
	if kid == "" || len(kid) > jwksMaxKIDLen {
		// No set ever holds such a kid: the parser drops those keys.
		return Key{}, remoteNotFound(kid)
	}
	if err := ctx.Err(); err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	now := r.now()
	r.mu.Lock()
	if until, ok := r.penalty[kid]; ok {
		if now.Before(until) {
			r.mu.Unlock()
			return Key{}, remoteNotFound(kid)
		}
		delete(r.penalty, kid)
	}
	// A fetch may have ended since the lock-free look-up.
	if k, ok := r.lookup(kid); ok {
		r.mu.Unlock()
		return k, nil
	}
	if r.failPenalty > 0 && r.lastErr != nil && now.Before(r.lastFailure.Add(r.failPenalty)) {
		r.mu.Unlock()
		return Key{}, fmt.Errorf("%w: JWKS from %s is failing; not fetched again yet", ErrKeysUnavailable, r.name)
	}
	f := r.inflight
	if f != nil {
		f.waiters++
	} else {
		if r.minRefetch > 0 && !r.lastMissFetch.IsZero() && now.Before(r.lastMissFetch.Add(r.minRefetch)) {
			err := r.recentOutcomeLocked(kid)
			r.mu.Unlock()
			return Key{}, err
		}
		var err error
		if f, err = r.shareFetchLocked(true); err != nil {
			r.mu.Unlock()
			return Key{}, err
		}
	}
	r.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return Key{}, fmt.Errorf("%w: waiting for JWKS: %w", ErrKeysUnavailable, ctx.Err())
	}
	if f.err != nil {
		return Key{}, f.err
	}
	if k, ok := r.lookup(kid); ok {
		return k, nil
	}
	if r.missPenalty > 0 {
		until := r.now().Add(r.missPenalty)
		r.mu.Lock()
		r.penaliseLocked(kid, until)
		r.mu.Unlock()
	}
	return Key{}, remoteNotFound(kid)
}

func (r *RemoteKeySet) lookup(kid string) (Key, bool) {
	cur := r.keys.Load()
	if cur == nil {
		return Key{}, false
	}
	k, ok := cur.byKID[kid]
	return k, ok
}

// recentOutcomeLocked answers a miss that may not refetch yet.
func (r *RemoteKeySet) recentOutcomeLocked(kid string) error {
	if r.keys.Load() == nil || r.lastErr != nil {
		return fmt.Errorf("%w: JWKS from %s failed moments ago; not fetched again yet", ErrKeysUnavailable, r.name)
	}
	return remoteNotFound(kid)
}

func (r *RemoteKeySet) penaliseLocked(kid string, until time.Time) {
	if r.penalty == nil {
		r.penalty = make(map[string]time.Time)
	}
	if len(r.penalty) >= remoteMaxPenalties {
		now := r.now()
		for k, u := range r.penalty {
			if !now.Before(u) {
				delete(r.penalty, k)
			}
		}
		if len(r.penalty) >= remoteMaxPenalties {
			return
		}
	}
	r.penalty[kid] = until
}

// shareFetchLocked joins the fetch under way or starts one. The fetch runs on
// its own goroutine, under the set's context rather than a caller's, so one
// caller giving up does not fail the others.
func (r *RemoteKeySet) shareFetchLocked(byKey bool) (*remoteFetch, error) {
	if f := r.inflight; f != nil {
		f.waiters++
		return f, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: key set stopped: %w", ErrKeysUnavailable, err)
	}
	f := &remoteFetch{done: make(chan struct{}), byKey: byKey, hadKeys: r.keys.Load() != nil, waiters: 1}
	r.inflight = f
	go r.runFetch(f)
	return f, nil
}

func (r *RemoteKeySet) runFetch(f *remoteFetch) {
	ctx, cancel := context.WithTimeout(r.ctx, r.fetchTimeout)
	skipped, cause, err := r.load(ctx)
	cancel()
	stopped := r.ctx.Err() != nil

	r.mu.Lock()
	r.inflight = nil
	r.lastErr = err
	switch end := r.now(); {
	case err == nil:
		r.lastSuccess = end
	case !stopped:
		r.lastFailure = end
		r.failures[cause]++
	}
	// Loading an empty set is not a refetch: it counts only if it fails.
	if f.byKey && (f.hadKeys || err != nil) {
		r.lastMissFetch = r.now()
	}
	r.mu.Unlock()
	f.err = err
	close(f.done)

	if stopped {
		return
	}
	if err != nil {
		r.onError(r.ctx, err)
	} else if skipped != nil {
		r.onError(r.ctx, skipped)
	}
}

// load fetches and parses the JWKS and, on success, installs the new keys.
// Only one load runs at a time (see shareFetchLocked). On failure, cause
// says why.
func (r *RemoteKeySet) load(ctx context.Context) (skipped error, cause fetchFailure, err error) {
	body, cause, err := r.get(ctx)
	if err != nil {
		return nil, cause, fmt.Errorf("%w: fetching JWKS from %s: %w", ErrKeysUnavailable, r.name, err)
	}
	var prev map[string]Key
	if cur := r.keys.Load(); cur != nil {
		prev = cur.byKID
	}
	parsed, err := jwksParse(body, prev)
	if err != nil {
		// %v, not %w: a Key error wraps exactly one sentinel.
		return nil, failBadDocument, fmt.Errorf("%w: JWKS from %s: %v", ErrKeysUnavailable, r.name, err)
	}
	r.keys.Store(&remoteKeys{byKID: parsed.keys})
	return parsed.skipped, 0, nil
}

func (r *RemoteKeySet) get(ctx context.Context) ([]byte, fetchFailure, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, failNetwork, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, transportFailure(err), err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, failHTTPStatus, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	if resp.ContentLength > r.maxSize {
		return nil, failTooLarge, fmt.Errorf("response of %d bytes exceeds the %d-byte limit", resp.ContentLength, r.maxSize)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxSize+1))
	if err != nil {
		return nil, transportFailure(err), fmt.Errorf("reading response: %w", err)
	}
	if int64(len(body)) > r.maxSize {
		return nil, failTooLarge, fmt.Errorf("response exceeds the %d-byte limit", r.maxSize)
	}
	return body, 0, nil
}

// transportFailure tells a timeout from other transport failures.
func transportFailure(err error) fetchFailure {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return failTimeout
	}
	return failNetwork
}

func (r *RemoteKeySet) refreshLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		f, err := r.shareFetchLocked(false)
		r.mu.Unlock()
		if err != nil {
			return
		}
		select {
		case <-f.done: // failures go to the ErrorHandler
		case <-r.ctx.Done():
			return
		}
	}
}

// remoteCheckURL accepts an absolute http or https URL without credentials and
// returns it as shown in messages.
func remoteCheckURL(raw string) (string, error) {
	u, err := parseURL(raw)
	if err != nil {
		return "", fmt.Errorf("jwtverify: invalid JWKS URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("jwtverify: JWKS URL %q is not an absolute http or https URL", shown(u))
	}
	if u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("jwtverify: JWKS URL %q has no host", shown(u))
	}
	if u.User != nil {
		return "", fmt.Errorf("jwtverify: JWKS URL %q must not carry credentials", shown(u))
	}
	return u.String(), nil
}

func remoteDefaultTransport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: remoteDefaultConnectTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   remoteDefaultConnectTimeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          2,
		IdleConnTimeout:       90 * time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

func remoteNotFound(kid string) error {
	return fmt.Errorf("%w: kid %q", ErrKeyNotFound, jwksQuoteKID(kid))
}
