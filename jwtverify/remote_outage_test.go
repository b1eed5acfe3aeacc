package jwtverify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// outageTransport is an in-memory JWKS endpoint for tests in a synctest
// bubble (real sockets are not durably blocking, so fake time could not
// advance past them). mode decides each answer.
type outageTransport struct {
	mu       sync.Mutex
	mode     string // "ok", "hang" (until the request is cancelled), "500", "refused"
	body     []byte
	requests int
}

func (o *outageTransport) set(mode string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mode = mode
}

func (o *outageTransport) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests
}

func (o *outageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	o.mu.Lock()
	o.requests++
	mode, body := o.mode, o.body
	o.mu.Unlock()
	switch mode {
	case "hang":
		<-req.Context().Done()
		return nil, req.Context().Err()
	case "refused":
		return nil, errors.New("connection refused")
	case "500":
		return &http.Response{StatusCode: 500, Body: http.NoBody, Request: req}, nil
	}
	return &http.Response{StatusCode: 200, ContentLength: int64(len(body)),
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// TestRemoteKeySetBoundedWaits checks that while the endpoint is known to
// be failing an unknown kid is answered at once: the first miss waits at
// most FetchTimeout, later ones within FailurePenalty not at all. Time is
// synctest's, so the durations are exact.
func TestRemoteKeySetBoundedWaits(t *testing.T) {
	doc := jwksTestDoc(jwksTestRSAJWK("k1", jwksTestRSA(0)))
	const timeout, penalty = 2 * time.Second, 10 * time.Second
	tests := []struct {
		name      string
		hydrated  bool          // last good keys held before the outage
		mode      string        // the endpoint during the outage
		firstWait time.Duration // how long the first unknown kid waits
		cause     string        // the FetchFailures cause counted
	}{
		{name: "hanging, no keys yet", mode: "hang", firstWait: timeout, cause: "timeout"},
		{name: "hanging, last good keys", hydrated: true, mode: "hang", firstWait: timeout, cause: "timeout"},
		{name: "500, last good keys", hydrated: true, mode: "500", cause: "http_status"},
		{name: "refused, no keys yet", mode: "refused", cause: "network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				tr := &outageTransport{mode: "ok", body: doc}
				r, err := NewRemoteKeySet(ctx, "https://jwks.test/keys", RemoteKeySetOptions{
					HTTPClient:      &http.Client{Transport: tr},
					FetchTimeout:    timeout,
					FailurePenalty:  penalty,
					RefreshInterval: -1,
					ErrorHandler:    func(context.Context, error) {},
				})
				if err != nil {
					t.Fatal(err)
				}
				if tt.hydrated {
					if err := r.Hydrate(ctx); err != nil {
						t.Fatal(err)
					}
				}
				tr.set(tt.mode)
				keyAt := func(kid string) (time.Duration, error) {
					start := time.Now()
					_, err := r.Key(ctx, kid)
					return time.Since(start), err
				}

				// The first unknown kid: one fetch, bounded by FetchTimeout.
				waited, err := keyAt("unknown-1")
				if !errors.Is(err, ErrKeysUnavailable) || waited != tt.firstWait {
					t.Fatalf("first unknown kid: %v after %v, want keys_unavailable after %v", err, waited, tt.firstWait)
				}
				// Within the penalty: at once, no request, even for another kid.
				time.Sleep(penalty - time.Second)
				waited, err = keyAt("unknown-2")
				if !errors.Is(err, ErrKeysUnavailable) || waited != 0 || tr.count() != 1+boolToInt(tt.hydrated) {
					t.Fatalf("unknown kid within the penalty: %v after %v (%d requests), want keys_unavailable at once, no request",
						err, waited, tr.count())
				}
				// Last good keys keep verifying known kids.
				if _, err := r.Key(ctx, "k1"); (err == nil) != tt.hydrated {
					t.Errorf("known kid during the outage: %v (keys held: %v)", err, tt.hydrated)
				}
				st := r.Stats()
				if !st.Failing || st.FetchFailures[tt.cause] != 1 || st.LastFailure.IsZero() || st.LastSuccess.IsZero() == tt.hydrated {
					t.Errorf("Stats = %+v, want failing, one %s failure", st, tt.cause)
				}

				// Penalty over, endpoint back: the next miss fetches again.
				time.Sleep(time.Second)
				tr.set("ok")
				if _, err := keyAt("unknown-3"); !errors.Is(err, ErrKeyNotFound) {
					t.Errorf("unknown kid after recovery: %v, want key_not_found", err)
				}
				if _, err := keyAt("k1"); err != nil {
					t.Errorf("known kid after recovery: %v", err)
				}
				if st := r.Stats(); st.Failing || st.LastSuccess.Before(st.LastFailure) || st.Keys != 1 {
					t.Errorf("Stats after recovery = %+v", st)
				}
			})
		})
	}
}

// TestRemoteKeySetFailingEndpointDoesNotJoin checks that an unknown kid does
// not wait for a fetch under way (a hanging background refresh or
// Hydrate) once the endpoint is known to be failing.
func TestRemoteKeySetFailingEndpointDoesNotJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := &outageTransport{mode: "500"}
		r, err := NewRemoteKeySet(ctx, "https://jwks.test/keys", RemoteKeySetOptions{
			HTTPClient: &http.Client{Transport: tr}, RefreshInterval: -1,
			ErrorHandler: func(context.Context, error) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Hydrate(ctx); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("Hydrate = %v", err)
		}
		tr.set("hang")
		go func() { _ = r.Hydrate(ctx) }()
		synctest.Wait() // the Hydrate's fetch hangs
		start := time.Now()
		if _, err := r.Key(ctx, "k1"); !errors.Is(err, ErrKeysUnavailable) || time.Since(start) != 0 {
			t.Errorf("Key = %v after %v, want keys_unavailable at once", err, time.Since(start))
		}
	})
}

// TestRemoteKeySetHangingServer is the same over a real socket: an httptest
// server whose handler blocks until the test ends. The first unknown kid
// fails when FetchTimeout passes; a second within the penalty fails
// without a request.
func TestRemoteKeySetHangingServer(t *testing.T) {
	var requests atomic.Int64
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) }) // runs first: frees the handlers
	r, _, _ := newRemoteTestSet(t, srv.URL, func(o *RemoteKeySetOptions) { o.FetchTimeout = 100 * time.Millisecond })
	ctx := context.Background()
	if _, err := r.Key(ctx, "k1"); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first Key = %v, want keys_unavailable wrapping the deadline", err)
	}
	for _, kid := range []string{"k1", "k2"} {
		if _, err := r.Key(ctx, kid); !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("Key(%s) within the penalty = %v, want keys_unavailable", kid, err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRemoteKeySetFailurePenaltyOff checks that a negative FailurePenalty
// leaves only MinRefetchInterval between a failing endpoint and the
// callers: past it, an unknown kid waits for a fetch again.
func TestRemoteKeySetFailurePenaltyOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := &outageTransport{mode: "hang"}
		r, err := NewRemoteKeySet(ctx, "https://jwks.test/keys", RemoteKeySetOptions{
			HTTPClient: &http.Client{Transport: tr}, RefreshInterval: -1, FetchTimeout: time.Second,
			FailurePenalty: -1, MinRefetchInterval: 2 * time.Second,
			ErrorHandler: func(context.Context, error) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			sleep    time.Duration
			wantWait time.Duration
			wantReqs int
		}{
			{wantWait: time.Second, wantReqs: 1},
			{sleep: time.Second, wantReqs: 1},                        // within MinRefetchInterval: at once
			{sleep: time.Second, wantWait: time.Second, wantReqs: 2}, // past it: fetches, waits
		}
		for i, st := range steps {
			time.Sleep(st.sleep)
			start := time.Now()
			_, err := r.Key(ctx, "k1")
			if waited := time.Since(start); !errors.Is(err, ErrKeysUnavailable) || waited != st.wantWait || tr.count() != st.wantReqs {
				t.Errorf("step %d: %v after %v with %d requests; want keys_unavailable after %v with %d",
					i, err, waited, tr.count(), st.wantWait, st.wantReqs)
			}
		}
	})
}
