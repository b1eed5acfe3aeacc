package mapping

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode"
	"unicode/utf8"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// source is a fetch function whose answers the test sets per key.
type source struct {
	mu      sync.Mutex
	answers map[string]error // nil: found
	calls   atomic.Int64
	gate    chan struct{} // when set, each fetch waits for it
}

func (s *source) fetch(ctx context.Context, key string) (string, error) {
	s.calls.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.answers[key]; err != nil {
		return "", err
	}
	return "value of " + key, nil
}

func (s *source) set(key string, err error) {
	s.mu.Lock()
	s.answers[key] = err
	s.mu.Unlock()
}

func newTestCache(size int) (*lookupCache[string, string], *source, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	src := &source{answers: map[string]error{}}
	return newLookupCache(size, time.Minute, 5*time.Second, clock.now, src.fetch), src, clock
}

func TestCacheExpiry(t *testing.T) {
	c, src, clock := newTestCache(10)
	ctx := context.Background()
	src.set("gone", ErrNotFound)
	src.set("down", ErrUnavailable)

	steps := []struct {
		name      string
		advance   time.Duration
		key       string
		wantErr   error
		wantCalls int64
	}{
		{"first read fetches", 0, "a", nil, 1},
		{"fresh entry is served", 59 * time.Second, "a", nil, 1},
		{"expired entry is fetched again", 2 * time.Second, "a", nil, 2},
		{"not found fetches", 0, "gone", ErrNotFound, 3},
		{"not found is served for a while", 4 * time.Second, "gone", ErrNotFound, 3},
		{"not found expires sooner", 2 * time.Second, "gone", ErrNotFound, 4},
		{"other errors fetch", 0, "down", ErrUnavailable, 5},
		{"other errors are never cached", 0, "down", ErrUnavailable, 6},
	}
	for _, st := range steps {
		clock.add(st.advance)
		v, err := c.get(ctx, st.key)
		if !errors.Is(err, st.wantErr) || (err == nil && v != "value of "+st.key) {
			t.Fatalf("%s: get = %q, %v; want err %v", st.name, v, err, st.wantErr)
		}
		if got := src.calls.Load(); got != st.wantCalls {
			t.Fatalf("%s: %d fetches, want %d", st.name, got, st.wantCalls)
		}
	}
	// Every get is a hit or a miss; each miss here was a fetch.
	if hits, misses := c.stats(); hits != uint64(len(steps))-uint64(src.calls.Load()) || misses != uint64(src.calls.Load()) {
		t.Errorf("stats = %d hits, %d misses; want %d, %d", hits, misses, len(steps)-int(src.calls.Load()), src.calls.Load())
	}
	var off *lookupCache[string, string]
	if h, m := off.stats(); h != 0 || m != 0 {
		t.Error("a disabled cache counts")
	}
}

func TestCacheBounded(t *testing.T) {
	c, src, _ := newTestCache(3)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "a", "d"} { // "b" is least recently used when "d" comes
		c.get(ctx, k)
	}
	if n := c.len(); n != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
	before := src.calls.Load()
	c.get(ctx, "a")
	c.get(ctx, "c")
	c.get(ctx, "d")
	if src.calls.Load() != before {
		t.Fatalf("a recently used entry was evicted")
	}
	c.get(ctx, "b")
	if src.calls.Load() != before+1 {
		t.Fatalf("the least recently used entry was not evicted")
	}
}

// The concurrency tests run in a synctest bubble: synctest.Wait returns
// only once every goroutine of the test is blocked (callers on the shared
// fetch, the fetch on its gate), so "every caller is waiting" is known, not
// hoped for after a sleep.

func TestCacheCollapsesConcurrentMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, src, _ := newTestCache(10)
		src.gate = make(chan struct{})
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				v, err := c.get(context.Background(), "k")
				if err == nil && v != "value of k" {
					err = fmt.Errorf("got %q", v)
				}
				errs <- err
			})
		}
		// Every caller is waiting and the fetch has not answered: none of
		// them can have been served by the cache.
		synctest.Wait()
		if got := src.calls.Load(); got != 1 {
			t.Errorf("%d fetches under way for %d concurrent misses, want 1", got, n)
		}
		close(src.gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("%d fetches for %d concurrent misses, want 1", got, n)
		}
	})
}

func TestCacheCallerContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, src, _ := newTestCache(10)
		src.gate = make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := c.get(ctx, "k"); done <- err }()
		synctest.Wait() // the caller waits for the fetch, which waits for the gate
		cancel()
		if err := <-done; !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled caller: err = %v", err)
		}
		// The fetch it started goes on and serves the next caller.
		close(src.gate)
		if v, err := c.get(context.Background(), "k"); err != nil || v != "value of k" {
			t.Fatalf("get = %q, %v", v, err)
		}
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("%d fetches, want 1", got)
		}
	})
}

func TestCacheInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, src, _ := newTestCache(10)
		ctx := context.Background()
		c.get(ctx, "a")
		c.invalidate("a")
		c.get(ctx, "a")
		if got := src.calls.Load(); got != 2 {
			t.Fatalf("%d fetches, want 2 (the entry was invalidated)", got)
		}

		// A fetch under way while a write invalidates must not store what
		// it read before the write.
		src.gate = make(chan struct{})
		done := make(chan struct{})
		go func() { c.get(ctx, "b"); close(done) }()
		synctest.Wait() // the fetch of b is under way
		c.invalidate("b")
		close(src.gate)
		<-done
		src.gate = nil
		before := src.calls.Load()
		c.get(ctx, "b")
		if src.calls.Load() != before+1 {
			t.Fatalf("a fetch that raced an invalidation stored its answer")
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"alice", "", "a\x00b", "\xff", "用户", "a\u0085b", string(make([]byte, 300))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkName("name", s) != nil {
			return
		}
		if s == "" || len(s) > maxIDLen || !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}

func FuzzParseSealed(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 9})
	f.Add(append([]byte{1, 0, 2, 7, 7}, make([]byte, 28)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := parseSealed(Sealed(b))
		if err != nil {
			if !errors.Is(err, ErrSealBroken) {
				t.Fatalf("err = %v, want ErrSealBroken", err)
			}
			return
		}
		if len(env.nonce) != nonceSize || len(env.ciphertext) < gcmTagSize || len(env.wrappedKey) == 0 ||
			len(env.header)+len(env.nonce)+len(env.ciphertext) != len(b) {
			t.Fatalf("inconsistent split of %d bytes: %+v", len(b), env)
		}
	})
}

// TestCacheLease: a lease is live exactly while a get would return its
// entry, and dies with every way an entry leaves the cache; answers that
// are not stored carry none.
func TestCacheLease(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// after takes a lease on "k" and then does this.
		after    func(c *lookupCache[string, string], clock *fakeClock)
		wantLive bool
	}{
		{"untouched", func(*lookupCache[string, string], *fakeClock) {}, true},
		{"just before expiry", func(_ *lookupCache[string, string], clock *fakeClock) { clock.add(time.Minute - time.Nanosecond) }, true},
		{"expired (fetch time + TTL, never later)", func(_ *lookupCache[string, string], clock *fakeClock) { clock.add(time.Minute) }, false},
		{"hit again later: same entry, same expiry", func(c *lookupCache[string, string], clock *fakeClock) {
			clock.add(30 * time.Second)
			_, _ = c.get(ctx, "k")
			clock.add(30 * time.Second)
		}, false},
		{"invalidated", func(c *lookupCache[string, string], _ *fakeClock) { c.invalidate("k") }, false},
		{"another key invalidated", func(c *lookupCache[string, string], _ *fakeClock) { c.invalidate("other") }, true},
		{"evicted", func(c *lookupCache[string, string], _ *fakeClock) {
			_, _ = c.get(ctx, "a")
			_, _ = c.get(ctx, "b")
		}, false},
		{"expired and fetched again", func(c *lookupCache[string, string], clock *fakeClock) {
			clock.add(time.Minute)
			_, _ = c.get(ctx, "k")
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _, clock := newTestCache(2)
			_, l, err := c.lease(ctx, "k")
			if err != nil || l == nil {
				t.Fatalf("lease: %v, %v", l, err)
			}
			_, l2, _ := c.lease(ctx, "k")
			if l2 != l {
				t.Fatal("a hit's lease is not its entry's")
			}
			tt.after(c, clock)
			if got := l.Live(); got != tt.wantLive {
				t.Errorf("Live() = %v, want %v", got, tt.wantLive)
			}
		})
	}

	t.Run("no lease for not found or errors", func(t *testing.T) {
		c, src, _ := newTestCache(10)
		src.set("gone", ErrNotFound)
		src.set("down", ErrUnavailable)
		for _, k := range []string{"gone", "gone", "down"} {
			if _, l, err := c.lease(ctx, k); err == nil || l != nil {
				t.Errorf("%s: lease %v, err %v", k, l, err)
			}
		}
	})
	t.Run("no lease for an answer invalidated while fetched", func(t *testing.T) {
		c, src, _ := newTestCache(10)
		src.gate = make(chan struct{})
		type res struct {
			l   any
			err error
		}
		done := make(chan res)
		go func() {
			_, l, err := c.lease(ctx, "k")
			done <- res{l, err}
		}()
		for src.calls.Load() == 0 { // the fetch has started
			runtime.Gosched()
		}
		c.invalidate("k")
		close(src.gate)
		if r := <-done; r.err != nil || r.l != nil {
			t.Errorf("lease %v, err %v; want none", r.l, r.err)
		}
	})
}
