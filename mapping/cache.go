package mapping

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// lookupCache is a bounded, least-recently-used, read-through cache with
// expiry. Concurrent misses for one key share one fetch. Only successes and
// ErrNotFound are kept; any other error reaches only the callers that were
// waiting for that fetch.
type lookupCache[K comparable, V any] struct {
	fetch  func(ctx context.Context, key K) (V, error)
	max    int
	ttl    time.Duration
	negTTL time.Duration // 0: "not found" is not cached
	now    func() time.Time

	mu      sync.Mutex
	entries map[K]*cacheEntry[K, V]
	lru     cacheEntry[K, V] // sentinel: lru.next is the most recently used
	flights map[K]*flight[K, V]
	// gen grows with every invalidation; a fetch that started before one
	// does not store its (possibly older) answer.
	gen uint64

	hits, misses atomic.Uint64
}

type cacheEntry[K comparable, V any] struct {
	key        K
	val        V
	err        error // nil, or the ErrNotFound the fetch returned
	expires    time.Time
	prev, next *cacheEntry[K, V]

	// The entry is its own record.Lease: gone is set (under the cache's
	// mutex) whenever the entry leaves the cache, whatever the cause —
	// expiry seen by a get, a write's invalidation, a newer answer, LRU
	// eviction — so a lease never outlives its entry; now is the cache's
	// clock.
	gone atomic.Bool
	now  func() time.Time
}

// Live reports whether the entry still answers for its key: it is in the
// cache and not expired, exactly when a get would return it.
func (e *cacheEntry[K, V]) Live() bool {
	return !e.gone.Load() && e.now().Before(e.expires)
}

type flight[K comparable, V any] struct {
	done  chan struct{}
	val   V
	err   error
	entry *cacheEntry[K, V] // the entry the answer was stored in; nil if not stored
}

// newLookupCache returns nil (no caching) when max or ttl is not positive.
func newLookupCache[K comparable, V any](size int, ttl, negTTL time.Duration, now func() time.Time, fetch func(context.Context, K) (V, error)) *lookupCache[K, V] {
	if size <= 0 || ttl <= 0 {
		return nil
	}
	c := &lookupCache[K, V]{
		fetch: fetch, max: size, ttl: ttl, negTTL: max(negTTL, 0), now: now,
		entries: make(map[K]*cacheEntry[K, V]),
		flights: make(map[K]*flight[K, V]),
	}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// get returns the cached answer for key or fetches it. The fetch runs in its
// own goroutine with the caller's context values but not its cancellation,
// so one impatient caller does not fail the others sharing the fetch; each
// caller still returns as soon as its own context ends.
func (c *lookupCache[K, V]) get(ctx context.Context, key K) (V, error) {
	v, _, err := c.lease(ctx, key)
	return v, err
}

// lease is get that also returns the lease of the entry holding the
// answer: nil for an error (ErrNotFound included) and for an answer that
// was not stored (an invalidation came while it was being fetched).
func (c *lookupCache[K, V]) lease(ctx context.Context, key K) (V, record.Lease, error) {
	now := c.now()
	c.mu.Lock()
	if e := c.entries[key]; e != nil {
		if now.Before(e.expires) {
			c.unlink(e)
			c.pushFront(e)
			v, err := e.val, e.err
			c.mu.Unlock()
			c.hits.Add(1)
			if err != nil {
				return v, nil, err
			}
			return v, e, nil
		}
		c.remove(e)
	}
	f := c.flights[key]
	if f == nil {
		f = &flight[K, V]{done: make(chan struct{})}
		c.flights[key] = f
		go c.run(context.WithoutCancel(ctx), key, f, c.gen)
	}
	c.mu.Unlock()
	c.misses.Add(1) // a fetch started or joined

	select {
	case <-f.done:
		if f.err != nil || f.entry == nil {
			return f.val, nil, f.err // not a nil *cacheEntry in a non-nil Lease
		}
		return f.val, f.entry, nil
	case <-ctx.Done():
		var zero V
		return zero, nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

func (c *lookupCache[K, V]) run(ctx context.Context, key K, f *flight[K, V], gen uint64) {
	defer close(f.done)
	f.val, f.err = c.fetch(ctx, key)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	if gen != c.gen {
		return
	}
	var ttl time.Duration
	switch {
	case f.err == nil:
		ttl = c.ttl
	case errors.Is(f.err, ErrNotFound) && c.negTTL > 0:
		ttl = c.negTTL
	default:
		return
	}
	if old := c.entries[key]; old != nil {
		c.remove(old)
	}
	for len(c.entries) >= c.max {
		c.remove(c.lru.prev)
	}
	e := &cacheEntry[K, V]{key: key, val: f.val, err: f.err, expires: c.now().Add(ttl), now: c.now}
	c.entries[key] = e
	c.pushFront(e)
	f.entry = e // written before close(f.done)
}

// invalidate forgets key and makes fetches already under way (for any key)
// not store their answers; the next get of key reads afresh.
func (c *lookupCache[K, V]) invalidate(keys ...K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		if e := c.entries[k]; e != nil {
			c.remove(e)
		}
		delete(c.flights, k)
	}
}

func (c *lookupCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *lookupCache[K, V]) remove(e *cacheEntry[K, V]) {
	e.gone.Store(true)
	c.unlink(e)
	delete(c.entries, e.key)
}

func (c *lookupCache[K, V]) unlink(e *cacheEntry[K, V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (c *lookupCache[K, V]) pushFront(e *cacheEntry[K, V]) {
	e.prev = &c.lru
	e.next = c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

// stats returns the hits and misses so far; zero when caching is off.
func (c *lookupCache[K, V]) stats() (hits, misses uint64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.misses.Load()
}
