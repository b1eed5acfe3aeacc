package mapping_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

type faultMode int32

const (
	pass       faultMode = iota // forward to the real endpoint
	answer500                   // 500 Internal Server Error
	throttle                    // 400 ThrottlingException
	hang                        // no answer until the client gives up
	lostAnswer                  // forward, then answer 500: the change happened, the caller cannot know
	refused                     // (the closed-port endpoint, not the proxy)
)

func (m faultMode) String() string {
	return [...]string{"pass", "500", "throttle", "hang", "lost answer", "connection refused"}[m]
}

// faultProxy stands in front of the real endpoint as a bad one. It forwards
// what it does not fault, re-signing each request for the real endpoint with
// the test credentials, so it works in front of any endpoint.
type faultProxy struct {
	url     string
	target  string
	signing string // SigV4 service name
	cfg     aws.Config
	mode    atomic.Int32
	only    atomic.Value // string: the one operation to fault ("" = all)
	faulted atomic.Int64
	stop    chan struct{}
}

func newFaultProxy(t *testing.T, svc localservices.Service, signingName string) *faultProxy {
	t.Helper()
	cfg := testEnv(t).cfg // requires the services
	p := &faultProxy{
		target:  strings.TrimRight(localservices.Endpoint(svc), "/"),
		signing: signingName,
		cfg:     cfg,
		stop:    make(chan struct{}),
	}
	p.only.Store("")
	srv := httptest.NewServer(p)
	t.Cleanup(func() { close(p.stop); srv.Close() })
	p.url = srv.URL
	return p
}

func (p *faultProxy) set(m faultMode, onlyOp string) {
	p.only.Store(onlyOp)
	p.mode.Store(int32(m))
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	m := faultMode(p.mode.Load())
	if only := p.only.Load().(string); m == pass || (only != "" && op != only) {
		p.forward(w, r)
		return
	}
	p.faulted.Add(1)
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	switch m {
	case answer500:
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"__type":"InternalServerError","message":"injected fault"}`)
	case throttle:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded (injected)"}`)
	case hang:
		select {
		case <-r.Context().Done():
		case <-p.stop:
		}
	case lostAnswer:
		p.forward(httptest.NewRecorder(), r)
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"__type":"InternalServerError","message":"injected fault after the change"}`)
	}
}

func (p *faultProxy) forward(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	for k, v := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "Content-Length":
		default:
			out.Header[k] = v
		}
	}
	creds, err := p.cfg.Credentials.Retrieve(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, out, hex.EncodeToString(sum[:]), p.signing, p.cfg.Region, time.Now()); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// refusedURL is an endpoint where nothing listens.
func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func dynamoAt(t *testing.T, url string) *dynamodb.Client {
	return dynamodb.NewFromConfig(testEnv(t).cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

func kmsAt(t *testing.T, url string) *kms.Client {
	return kms.NewFromConfig(testEnv(t).cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
}

// A lookup against a failing endpoint is ErrUnavailable, within the bounded
// attempts, and the failure is not cached: once the endpoint recovers the
// next lookup answers correctly.
func TestFaultsOnLookups(t *testing.T) {
	t.Parallel()
	for _, mode := range []faultMode{answer500, throttle, hang, refused} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			real, table := newStore(t, nil)
			alice, _ := real.CreateUser(ctx, "", testPool, "alice", "sub-alice", "")
			if _, err := real.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-1"}); err != nil {
				t.Fatal(err)
			}
			proxy := newFaultProxy(t, localservices.DynamoDB, "dynamodb")
			url := proxy.url
			if mode == refused {
				url = refusedURL(t)
			}
			// Long enough for two attempts and the SDK's backoff where the
			// test counts attempts; short where the endpoint never answers.
			timeout := 5 * time.Second
			if mode == hang || mode == refused {
				timeout = 300 * time.Millisecond
			}
			st, err := mapping.New(mapping.Config{Table: table, DynamoDB: dynamoAt(t, url), Timeout: timeout, MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			proxy.set(mode, "")

			lookups := []func() (string, error){
				func() (string, error) { u, err := st.UserByUsername(ctx, testPool, "alice"); return u.InternalID, err },
				func() (string, error) { c, err := st.ClientByID(ctx, "c-1"); return c.InternalID, err },
				func() (string, error) { u, err := st.UserByUsername(ctx, testPool, "nobody"); return u.InternalID, err },
			}
			for i, lookup := range lookups {
				id, err := lookup()
				if !errors.Is(err, mapping.ErrUnavailable) || id != "" {
					t.Fatalf("lookup %d = %q, %v; want ErrUnavailable", i, id, err)
				}
				if mode == hang && !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("lookup %d: err = %v, want the deadline as cause", i, err)
				}
			}
			if mode == answer500 || mode == throttle {
				if got, want := proxy.faulted.Load(), int64(2*len(lookups)); got != want {
					t.Fatalf("%d requests for %d lookups, want %d (MaxAttempts 2)", got, len(lookups), want)
				}
			}
			if mode == refused {
				return
			}

			proxy.set(pass, "")
			if u, err := st.UserByUsername(ctx, testPool, "alice"); err != nil || u.InternalID != alice.InternalID {
				t.Fatalf("after recovery: UserByUsername = %+v, %v", u, err)
			}
			if c, err := st.ClientByID(ctx, "c-1"); err != nil || c.InternalID != alice.InternalID {
				t.Fatalf("after recovery: ClientByID = %+v, %v", c, err)
			}
			if _, err := st.UserByUsername(ctx, testPool, "nobody"); !errors.Is(err, mapping.ErrNotFound) {
				t.Fatalf("after recovery: unknown user: err = %v", err)
			}
		})
	}
}

// A write against a failing endpoint is an error and leaves no partial
// change: read back from the real endpoint, the table is either entirely
// before or (when only the answer was lost) entirely after the change. The
// writer's cache then serves what the table holds, not what it held.
func TestFaultsOnWrites(t *testing.T) {
	t.Parallel()
	for _, mode := range []faultMode{answer500, throttle, hang, lostAnswer} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			real, table := newStore(t, func(c *mapping.Config) { c.CacheSize = -1 })
			alice, _ := real.CreateUser(ctx, "", testPool, "alice", "sub-alice", "")
			if _, err := real.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "old"}); err != nil {
				t.Fatal(err)
			}
			proxy := newFaultProxy(t, localservices.DynamoDB, "dynamodb")
			// One attempt: a retry of a lost answer would be answered
			// differently by DynamoDB (idempotent token) and by emulators.
			st, err := mapping.New(mapping.Config{Table: table, DynamoDB: dynamoAt(t, proxy.url), Timeout: time.Second, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			// Warm the writer's cache through the proxy.
			if _, err := st.ClientByID(ctx, "old"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.UserByUsername(ctx, testPool, "bob"); !errors.Is(err, mapping.ErrNotFound) {
				t.Fatal(err)
			}
			proxy.set(mode, "TransactWriteItems")

			_, errReplace := st.ReplaceClient(ctx, alice.InternalID, "old", mapping.Client{ClientID: "new"})
			_, errCreate := st.CreateUser(ctx, "", testPool, "bob", "sub-bob", "")
			for _, err := range []error{errReplace, errCreate} {
				if !errors.Is(err, mapping.ErrUnavailable) {
					t.Fatalf("write: err = %v, want ErrUnavailable", err)
				}
			}
			checkTable(t, table)

			applied := mode == lostAnswer
			want := map[bool]error{true: nil, false: mapping.ErrNotFound}
			proxy.set(pass, "")
			for _, r := range []*mapping.Store{real, st} {
				if _, err := r.ClientByID(ctx, "old"); !errors.Is(err, want[!applied]) {
					t.Fatalf("old client after the failed reset: err = %v, want %v", err, want[!applied])
				}
				if _, err := r.ClientByID(ctx, "new"); !errors.Is(err, want[applied]) {
					t.Fatalf("new client after the failed reset: err = %v, want %v", err, want[applied])
				}
				if _, err := r.UserByUsername(ctx, testPool, "bob"); !errors.Is(err, want[applied]) {
					t.Fatalf("user after the failed create: err = %v, want %v", err, want[applied])
				}
			}
		})
	}
}

// KMS down, throttling or hanging: nothing is sealed, nothing opens, and no
// plaintext comes back.
func TestFaultsOnKMS(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	e := testEnv(t)
	good, _ := newStore(t, nil)
	sealed, err := good.SealPartnerToken(ctx, "p-1", []byte("refresh-token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []faultMode{answer500, throttle, hang, refused} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			proxy := newFaultProxy(t, localservices.KMS, "kms")
			proxy.set(mode, "")
			url := proxy.url
			if mode == refused {
				url = refusedURL(t)
			}
			keys := keysOf(t, kmsAt(t, url), e.keyID, func(o *kms.Options) { o.RetryMaxAttempts = 2 })
			st, err := mapping.New(mapping.Config{Table: good.Table(), DynamoDB: e.ddb, Keys: keys,
				Timeout: 300 * time.Millisecond, MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			if s, err := st.SealPartnerToken(ctx, "p-1", []byte("refresh-token")); !errors.Is(err, mapping.ErrUnavailable) || s != nil {
				t.Fatalf("Seal = %x, %v; want ErrUnavailable", s, err)
			}
			p := mapping.Partner{PartnerID: "p-1", SealedRefreshToken: sealed}
			if plain, err := st.OpenPartnerToken(ctx, p); !errors.Is(err, mapping.ErrUnavailable) || plain != nil {
				t.Fatalf("Open = %q, %v; want ErrUnavailable", plain, err)
			}
		})
	}
}
