// Over 500 lines on purpose: one subject, RemoteKeySet's behaviour (fetch
// failures, context, rotation, skipped keys, penalties, refetch limit, single
// flight, background refresh, stop), every test on the one in-process JWKS
// server and clock fixture at the top.

package jwtverify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// remoteTestServer serves a JWKS whose status and body tests change on the fly.
type remoteTestServer struct {
	*httptest.Server
	requests atomic.Int64

	mu     sync.Mutex
	status int
	body   []byte
	chunk  bool          // stream the body without Content-Length
	gate   chan struct{} // when set, requests wait for it to close
}

func newRemoteTestServer(t *testing.T, body []byte) *remoteTestServer {
	t.Helper()
	s := &remoteTestServer{status: http.StatusOK, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *remoteTestServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	status, body, chunk, gate := s.status, s.body, s.chunk, s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if status == http.StatusFound {
		http.Redirect(w, r, "/elsewhere", status)
		return
	}
	if !chunk {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if chunk {
		for len(body) > 0 {
			n := min(512, len(body))
			_, _ = w.Write(body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
		return
	}
	_, _ = w.Write(body)
}

func (s *remoteTestServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// block makes requests wait until the returned function is called.
func (s *remoteTestServer) block() (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.gate = nil
			s.mu.Unlock()
			close(gate)
		})
	}
}

// remoteTestClock is a settable clock for the penalty and refetch limit.
type remoteTestClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *remoteTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *remoteTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// remoteTestErrors collects what a key set reports.
type remoteTestErrors struct {
	mu   sync.Mutex
	errs []error
}

func (e *remoteTestErrors) handle(_ context.Context, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, err)
}

func (e *remoteTestErrors) list() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// newRemoteTestSet builds a key set with test defaults: no background
// refresh, a fake clock, errors collected. mod adjusts the options.
func newRemoteTestSet(t *testing.T, url string, mod func(*RemoteKeySetOptions)) (*RemoteKeySet, *remoteTestClock, *remoteTestErrors) {
	t.Helper()
	clock := &remoteTestClock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	errs := &remoteTestErrors{}
	opts := RemoteKeySetOptions{
		RefreshInterval: -1,
		FetchTimeout:    2 * time.Second,
		Now:             clock.Now,
		ErrorHandler:    errs.handle,
	}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r, err := NewRemoteKeySet(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, clock, errs
}

// remoteTestWait polls cond until it holds, failing after a generous bound.
func remoteTestWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNewRemoteKeySetValidates(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		opts    RemoteKeySetOptions
		wantErr bool
	}{
		{name: "https", url: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab/.well-known/jwks.json"},
		{name: "http", url: "http://127.0.0.1:9229/pool/.well-known/jwks.json"},
		{name: "empty", url: "", wantErr: true},
		{name: "relative", url: "/.well-known/jwks.json", wantErr: true},
		{name: "no scheme", url: "example.com/jwks.json", wantErr: true},
		{name: "ftp", url: "ftp://example.com/jwks.json", wantErr: true},
		{name: "file", url: "file:///etc/jwks.json", wantErr: true},
		{name: "no host", url: "https:///jwks.json", wantErr: true},
		{name: "opaque", url: "https:example.com", wantErr: true},
		{name: "credentials", url: "https://user:secret@example.com/jwks.json", wantErr: true},
		{name: "bad escape", url: "https://example.com/%zz", wantErr: true},
		{name: "negative size", url: "https://example.com/jwks.json", opts: RemoteKeySetOptions{MaxResponseSize: -1}, wantErr: true},
		{name: "negative timeout", url: "https://example.com/jwks.json", opts: RemoteKeySetOptions{FetchTimeout: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := NewRemoteKeySet(ctx, tt.url, tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows credentials: %v", err)
			}
			if err == nil && r == nil {
				t.Fatal("nil key set without error")
			}
		})
	}
	//lint:ignore SA1012 checking that a nil context is refused, not panicked on
	if _, err := NewRemoteKeySet(nil, "https://example.com/jwks.json", RemoteKeySetOptions{}); err == nil {
		t.Error("nil context accepted")
	}
}

func TestNewRemoteKeySetDoesNotFetch(t *testing.T) {
	srv := newRemoteTestServer(t, jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0))))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := NewRemoteKeySet(ctx, srv.URL, RemoteKeySetOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("constructor made %d requests, want none", n)
	}
}

func TestRemoteKeySetFetchFailures(t *testing.T) {
	good := jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0)))
	padded := append(append([]byte{}, good[:len(good)-1]...), []byte(strings.Repeat(" ", 4096)+"}")...)
	tests := []struct {
		name      string
		status    int
		body      []byte
		chunk     bool
		slow      bool
		opts      func(*RemoteKeySetOptions)
		wantCause error // also wrapped, when set
	}{
		{name: "500", status: 500, body: good},
		{name: "404", status: 404, body: good},
		{name: "204", status: 204},
		{name: "201 with keys", status: 201, body: good},
		{name: "redirect not followed", status: http.StatusFound},
		{name: "garbage body", status: 200, body: []byte("\x00\x01garbage")},
		{name: "html body", status: 200, body: []byte("<html><body>Service Unavailable</body></html>")},
		{name: "empty body", status: 200},
		{name: "empty key set", status: 200, body: jwksTestDoc()},
		{name: "no usable key", status: 200, body: jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0)).with("use", "enc"))},
		{name: "oversized with length", status: 200, body: padded,
			opts: func(o *RemoteKeySetOptions) { o.MaxResponseSize = 4096 }},
		{name: "oversized streamed", status: 200, body: padded, chunk: true,
			opts: func(o *RemoteKeySetOptions) { o.MaxResponseSize = 4096 }},
		{name: "slow server", status: 200, body: good, slow: true,
			opts:      func(o *RemoteKeySetOptions) { o.FetchTimeout = 50 * time.Millisecond },
			wantCause: context.DeadlineExceeded},
		{name: "slow server, client timeout", status: 200, body: good, slow: true,
			opts: func(o *RemoteKeySetOptions) { o.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRemoteTestServer(t, tt.body)
			srv.set(tt.status, tt.body)
			srv.mu.Lock()
			srv.chunk = tt.chunk
			srv.mu.Unlock()
			if tt.slow {
				t.Cleanup(srv.block())
			}
			r, _, errs := newRemoteTestSet(t, srv.URL+"/jwks.json", tt.opts)

			err := r.Hydrate(context.Background())
			if !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("Hydrate = %v, want ErrKeysUnavailable", err)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("Hydrate = %v, want it to wrap %v", err, tt.wantCause)
			}
			_, err = r.Key(context.Background(), "k1")
			if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrKeyNotFound) || errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Key = %v, want only ErrKeysUnavailable", err)
			}
			// The ErrorHandler runs after the fetch's waiters are woken, and
			// Key answers at once within the failure penalty: wait for it.
			remoteTestWait(t, "failure reported to ErrorHandler", func() bool { return len(errs.list()) > 0 })
		})
	}
}

func TestRemoteKeySetUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r, _, _ := newRemoteTestSet(t, url, nil)
	if _, err := r.Key(context.Background(), "k1"); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("Key = %v, want ErrKeysUnavailable", err)
	}
}

func TestRemoteKeySetContext(t *testing.T) {
	doc := jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0)))

	t.Run("cancelled before", func(t *testing.T) {
		srv := newRemoteTestServer(t, doc)
		r, _, _ := newRemoteTestSet(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.Key(ctx, "k1"); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("Key = %v, want ErrKeysUnavailable wrapping context.Canceled", err)
		}
		if err := r.Hydrate(ctx); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("Hydrate = %v, want ErrKeysUnavailable wrapping context.Canceled", err)
		}
		if n := srv.requests.Load(); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})

	t.Run("deadline while waiting; others still served", func(t *testing.T) {
		srv := newRemoteTestServer(t, doc)
		release := srv.block()
		defer release()
		r, _, _ := newRemoteTestSet(t, srv.URL, nil)

		// A patient caller starts the fetch...
		patient := make(chan error, 1)
		go func() {
			_, err := r.Key(context.Background(), "k1")
			patient <- err
		}()
		remoteTestWait(t, "the fetch to start", func() bool { return srv.requests.Load() == 1 })

		// ...an impatient one joins it and gives up...
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := r.Key(ctx, "k1"); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Key = %v, want ErrKeysUnavailable wrapping context.DeadlineExceeded", err)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel2()
		if err := r.Hydrate(ctx2); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Hydrate = %v, want ErrKeysUnavailable wrapping context.DeadlineExceeded", err)
		}

		// ...which does not fail the shared fetch.
		release()
		if err := <-patient; err != nil {
			t.Errorf("patient caller: %v", err)
		}
		if n := srv.requests.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

func TestRemoteKeySetRotation(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	srv := newRemoteTestServer(t, jwksTestDoc(k1))
	r, clock, _ := newRemoteTestSet(t, srv.URL, nil)
	ctx := context.Background()

	first, err := r.Key(ctx, "k1") // first call fetches
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}

	steps := []struct {
		name      string
		doc       []byte // served from this step on; nil keeps the last
		hydrate   bool   // refresh before looking up
		advance   time.Duration
		kid       string
		wantErr   error
		wantReqs  int64
		samePtrAs *Key // Key.Public must be this very value
	}{
		{name: "known kid from memory", kid: "k1", wantReqs: 1, samePtrAs: &first},
		{name: "new kid appears: refetch finds it", doc: jwksTestDoc(k1, k2), kid: "k2", wantReqs: 2},
		{name: "unchanged key keeps its value", kid: "k1", wantReqs: 2, samePtrAs: &first},
		{name: "old key removed: gone after refresh", doc: jwksTestDoc(k2), hydrate: true, kid: "k1", wantErr: ErrKeyNotFound, wantReqs: 3},
		{name: "removed kid stays unknown after refetch", advance: time.Minute, kid: "k1", wantErr: ErrKeyNotFound, wantReqs: 4},
		{name: "kid reused for a new key", doc: jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(2)), k2), advance: time.Minute, kid: "k1", wantReqs: 5},
	}
	for _, st := range steps {
		if st.doc != nil {
			srv.set(http.StatusOK, st.doc)
		}
		clock.Advance(st.advance)
		if st.hydrate {
			if err := r.Hydrate(ctx); err != nil {
				t.Fatalf("%s: Hydrate: %v", st.name, err)
			}
		}
		k, err := r.Key(ctx, st.kid)
		switch {
		case st.wantErr != nil && !errors.Is(err, st.wantErr):
			t.Errorf("%s: Key = %v, want %v", st.name, err, st.wantErr)
		case st.wantErr == nil && (err != nil || k.KID != st.kid):
			t.Errorf("%s: Key = %+v, %v", st.name, k.KID, err)
		case st.samePtrAs != nil && k.Public != st.samePtrAs.Public:
			t.Errorf("%s: key value changed although the key did not", st.name)
		}
		if st.name == "kid reused for a new key" && (k.Public == first.Public || !jwksTestRSA(2).Equal(k.Public)) {
			t.Errorf("%s: old key served for the new material", st.name)
		}
		if n := srv.requests.Load(); n != st.wantReqs {
			t.Errorf("%s: %d requests, want %d", st.name, n, st.wantReqs)
		}
	}
}

func TestRemoteKeySetSkipsBadKeys(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	ec, _ := jwksTestECJWK("ec1")
	doc := jwksTestDoc(
		k2.with("kid", "broken", "n", "%%%"),   // malformed
		k1,                                     // good
		k2.with("kid", "enc", "use", "enc"),    // not for signatures
		k2.with("kid", nil),                    // no kid
		jwksTestJWK{"kty": "oct", "kid": "hs"}, // symmetric
		ec,                                     // good
	)
	srv := newRemoteTestServer(t, doc)
	r, _, errs := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) { o.MinRefetchInterval = -1 })
	if err := r.Hydrate(context.Background()); err != nil {
		t.Fatalf("Hydrate = %v; one bad key must not sink the set", err)
	}
	tests := []struct {
		kid     string
		wantErr error
	}{
		{"k1", nil},
		{"ec1", nil},
		{"broken", ErrKeyNotFound},
		{"enc", ErrKeyNotFound},
		{"hs", ErrKeyNotFound},
		{"", ErrKeyNotFound},
	}
	for _, tt := range tests {
		_, err := r.Key(context.Background(), tt.kid)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("Key(%q) = %v, want %v", tt.kid, err, tt.wantErr)
		}
	}
	remoteTestWait(t, "skipped keys reported", func() bool { return len(errs.list()) > 0 })
	reported := errs.list()
	if !errors.Is(reported[0], ErrInvalidKey) {
		t.Fatalf("reported %v, want the skipped keys (ErrInvalidKey)", reported)
	}
	for _, e := range reported {
		jwksTestNoMaterial(t, e, []string{k1["n"].(string), k2["n"].(string), ec["x"].(string)})
	}
}

func TestRemoteKeySetMissPenalty(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	srv := newRemoteTestServer(t, jwksTestDoc(k1))
	r, clock, _ := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) {
		o.MissPenalty = 10 * time.Second
		o.MinRefetchInterval = -1 // isolate the per-kid penalty
	})
	ctx := context.Background()
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		doc      []byte
		kid      string
		wantErr  error
		wantReqs int64
	}{
		{name: "first miss refetches", kid: "x", wantErr: ErrKeyNotFound, wantReqs: 2},
		{name: "second miss within penalty: no request", kid: "x", wantErr: ErrKeyNotFound, wantReqs: 2},
		{name: "still within penalty", advance: 9 * time.Second, kid: "x", wantErr: ErrKeyNotFound, wantReqs: 2},
		{name: "another kid is not penalised", kid: "y", wantErr: ErrKeyNotFound, wantReqs: 3},
		{name: "known kids unaffected", kid: "k1", wantReqs: 3},
		{name: "penalty over: refetch", advance: 2 * time.Second, kid: "x", wantErr: ErrKeyNotFound, wantReqs: 4},
		{name: "penalty restarted", advance: 5 * time.Second, kid: "x", wantErr: ErrKeyNotFound, wantReqs: 4},
		{name: "kid published: found after penalty", advance: 6 * time.Second, doc: jwksTestDoc(k1, jwksTestRSAJWK("x", jwksTestRSA(1))), kid: "x", wantReqs: 5},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.doc != nil {
			srv.set(http.StatusOK, st.doc)
		}
		_, err := r.Key(ctx, st.kid)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: Key = %v, want %v", st.name, err, st.wantErr)
		}
		if n := srv.requests.Load(); n != st.wantReqs {
			t.Errorf("%s: %d requests, want %d", st.name, n, st.wantReqs)
		}
	}
}

func TestRemoteKeySetMinRefetchInterval(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	srv := newRemoteTestServer(t, jwksTestDoc(k1))
	r, clock, _ := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) {
		o.MissPenalty = -1 // isolate the global limit
	})
	ctx := context.Background()
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		status   int
		hydrate  bool
		kid      string
		wantErr  error
		wantReqs int64
	}{
		{name: "miss refetches", kid: "a", wantErr: ErrKeyNotFound, wantReqs: 2},
		{name: "other kid within the interval: no request", kid: "b", wantErr: ErrKeyNotFound, wantReqs: 2},
		{name: "Hydrate is not limited", hydrate: true, kid: "k1", wantReqs: 3},
		{name: "Hydrate does not restart the interval", advance: 500 * time.Millisecond, kid: "c", wantErr: ErrKeyNotFound, wantReqs: 3},
		{name: "interval over", advance: 600 * time.Millisecond, kid: "c", wantErr: ErrKeyNotFound, wantReqs: 4},
		{name: "failing refetch", advance: 2 * time.Second, status: 500, kid: "d", wantErr: ErrKeysUnavailable, wantReqs: 5},
		{name: "after a failed refetch: unavailable, no request", kid: "e", wantErr: ErrKeysUnavailable, wantReqs: 5},
		{name: "known kid served meanwhile", kid: "k1", wantReqs: 5},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.status != 0 {
			srv.set(st.status, jwksTestDoc(k1))
		}
		if st.hydrate {
			if err := r.Hydrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		_, err := r.Key(ctx, st.kid)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: Key = %v, want %v", st.name, err, st.wantErr)
		}
		if n := srv.requests.Load(); n != st.wantReqs {
			t.Errorf("%s: %d requests, want %d", st.name, n, st.wantReqs)
		}
	}
}

func TestRemoteKeySetSingleFlight(t *testing.T) {
	const callers = 100
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	tests := []struct {
		name    string
		kid     func(i int) string
		wantErr error
	}{
		{name: "distinct unknown kids", kid: func(i int) string { return "unknown-" + strconv.Itoa(i) }, wantErr: ErrKeyNotFound},
		{name: "one unknown kid", kid: func(int) string { return "unknown" }, wantErr: ErrKeyNotFound},
		{name: "kid found by the refetch", kid: func(int) string { return "k2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRemoteTestServer(t, jwksTestDoc(k1, k2))
			release := srv.block()
			defer release()
			// Penalty and refetch limit off: only the sharing keeps it to one fetch.
			r, _, _ := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) {
				o.MissPenalty = -1
				o.MinRefetchInterval = -1
			})

			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					k, err := r.Key(context.Background(), tt.kid(i))
					if err == nil && k.KID != tt.kid(i) {
						err = errors.New("wrong key " + k.KID)
					}
					errs <- err
				})
			}
			remoteTestWait(t, "every caller to wait on the fetch", func() bool {
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.inflight != nil && r.inflight.waiters == callers
			})
			release()
			wg.Wait()
			close(errs)
			for err := range errs {
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Errorf("Key = %v, want %v", err, tt.wantErr)
					break
				}
			}
			if n := srv.requests.Load(); n != 1 {
				t.Errorf("%d concurrent misses made %d requests, want 1", callers, n)
			}
		})
	}
}

func TestRemoteKeySetFailedRefreshKeepsKeys(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	good := jwksTestDoc(k1)
	tests := []struct {
		name   string
		status int
		body   []byte
		slow   bool
	}{
		{name: "500", status: 500, body: good},
		{name: "garbage", status: 200, body: []byte("garbage")},
		{name: "oversized", status: 200, body: append(good, make([]byte, 2048)...)},
		{name: "empty set", status: 200, body: jwksTestDoc()},
		{name: "only malformed keys", status: 200, body: jwksTestDoc(k1.with("n", "@"))},
		{name: "timeout", status: 200, body: good, slow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRemoteTestServer(t, good)
			r, _, _ := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) {
				o.MaxResponseSize = 1024
				o.FetchTimeout = 100 * time.Millisecond
			})
			ctx := context.Background()
			if err := r.Hydrate(ctx); err != nil {
				t.Fatal(err)
			}
			before, err := r.Key(ctx, "k1")
			if err != nil {
				t.Fatal(err)
			}
			srv.set(tt.status, tt.body)
			if tt.slow {
				t.Cleanup(srv.block())
			}
			if err := r.Hydrate(ctx); !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("Hydrate = %v, want ErrKeysUnavailable", err)
			}
			after, err := r.Key(ctx, "k1")
			if err != nil || after.Public != before.Public {
				t.Fatalf("Key after failed refresh = %v, %v; want the last good key", after.KID, err)
			}
		})
	}
}

func TestRemoteKeySetBackgroundRefresh(t *testing.T) {
	k1 := jwksTestRSAJWK("k1", jwksTestRSA(0))
	k2 := jwksTestRSAJWK("k2", jwksTestRSA(1))
	srv := newRemoteTestServer(t, jwksTestDoc(k1))
	r, _, errs := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) {
		o.RefreshInterval = 5 * time.Millisecond
	})
	ctx := context.Background()
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := r.Key(ctx, "k1")

	// A failing endpoint: reported, last good keys kept.
	srv.set(500, nil)
	remoteTestWait(t, "failed refreshes to be reported", func() bool { return len(errs.list()) >= 2 })
	if k, err := r.Key(ctx, "k1"); err != nil || k.Public != before.Public {
		t.Fatalf("Key during failing refreshes = %v, %v", k.KID, err)
	}
	for _, e := range errs.list() {
		if !errors.Is(e, ErrKeysUnavailable) {
			t.Errorf("reported %v, want ErrKeysUnavailable", e)
		}
	}

	// Rotation seen without any Key call: k1 leaves, k2 arrives.
	srv.set(200, jwksTestDoc(k2))
	remoteTestWait(t, "the refresh to drop k1", func() bool {
		_, ok := r.lookup("k1")
		return !ok
	})
	if _, ok := r.lookup("k2"); !ok {
		t.Error("k2 not loaded by the background refresh")
	}
}

func TestRemoteKeySetStops(t *testing.T) {
	doc := jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0)))
	srv := newRemoteTestServer(t, doc)
	slow := newRemoteTestServer(t, doc)
	release := slow.block()
	defer release()

	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var sets []*RemoteKeySet
	for range 3 {
		// Default HTTP client (the set's own transport) and a fast refresh.
		r, err := NewRemoteKeySet(ctx, srv.URL, RemoteKeySetOptions{
			RefreshInterval: 2 * time.Millisecond,
			ErrorHandler:    func(context.Context, error) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Hydrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		sets = append(sets, r)
	}
	// One set with a fetch stuck in flight.
	stuck, err := NewRemoteKeySet(ctx, slow.URL, RemoteKeySetOptions{ErrorHandler: func(context.Context, error) {}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = stuck.Key(context.Background(), "k1") }()
	remoteTestWait(t, "the stuck fetch", func() bool { return slow.requests.Load() == 1 })
	remoteTestWait(t, "background refreshes", func() bool { return srv.requests.Load() >= 6 })

	cancel()
	remoteTestWait(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline })

	// Stopped: cached keys still served, nothing fetched.
	reqs := srv.requests.Load()
	if _, err := sets[0].Key(context.Background(), "k1"); err != nil {
		t.Errorf("cached key after stop: %v", err)
	}
	if _, err := sets[0].Key(context.Background(), "other"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("unknown kid after stop = %v, want ErrKeysUnavailable", err)
	}
	if err := sets[0].Hydrate(context.Background()); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Hydrate after stop = %v, want ErrKeysUnavailable", err)
	}
	if n := srv.requests.Load(); n != reqs {
		t.Errorf("stopped set made %d requests", n-reqs)
	}
}

func TestRemoteKeySetKeyHitDoesNotAllocate(t *testing.T) {
	srv := newRemoteTestServer(t, jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0))))
	r, _, _ := newRemoteTestSet(t, srv.URL, nil)
	ctx := context.Background()
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = r.Key(ctx, "k1") }); n != 0 {
		t.Errorf("Key on a cached kid allocates %v times", n)
	}
}

func BenchmarkRemoteKeySetKeyHit(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0))))
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := NewRemoteKeySet(ctx, srv.URL, RemoteKeySetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Hydrate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Key(ctx, "k1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
