package authorizer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// outageClock is the mapping store's clock: the test moves it past the
// cache TTL instead of sleeping.
type outageClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *outageClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *outageClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outageRecord is one decision made under load, with the phase of the
// outage when it started and when it ended.
type outageRecord struct {
	who            string
	from, to       int32
	outcome        Outcome
	reason         string
	beforeDeadline bool // answered before the caller's deadline
	warm           bool // who was cached before the outage
}

// The phases of TestOutage.
const (
	phaseUp          int32 = iota // DynamoDB answers; the warm identities get cached
	phasePaused                   // SIGSTOP: only cached identities may pass
	phasePausedStale              // still stopped, the cache TTL has passed: nobody passes
	phaseResumed                  // SIGCONT: service resumes
)

// TestOutage pauses a DynamoDB stand-in of its own (a moto_server started
// for this test alone, never the package's shared one) in the middle of a
// load of decisions, and checks what the README promises: no identity that
// was not cached is ever allowed; cached ones keep working until the cache
// TTL and stop after it; every failure is an error (a 5xx) that comes
// within the mapping timeout; service resumes after SIGCONT. It then kills
// and restarts the stand-in, which comes back empty (moto keeps its state
// in memory only), so the test provisions the table again, as an operator
// would restore it. Last, the key endpoint hangs: last-good keys keep
// verifying known kids, an unknown kid gets keys_unavailable within the
// JWKS timeout and then at once.
func TestOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own moto_server")
	}
	const (
		mappingTimeout = 400 * time.Millisecond
		// slack covers scheduling on a busy machine; a decision waiting on
		// a stopped server would take far longer than mappingTimeout+slack
		// only if the timeout did not hold.
		slack    = 2 * time.Second
		cacheTTL = time.Minute
		jwksTO   = 300 * time.Millisecond
		// partTimeout bounds each part: the load under the outage, the
		// restart, the key endpoint.
		partTimeout = 20 * time.Second
	)
	moto := localservices.StartMoto(t)
	// Each part of the test is bounded (typically the whole takes about
	// 10 s); moto's start-ups, which a loaded machine makes slow, are not
	// counted.
	var testCtx context.Context
	newPart := func() {
		var cancel context.CancelFunc
		testCtx, cancel = context.WithTimeout(context.Background(), partTimeout)
		t.Cleanup(cancel)
	}
	newPart()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", moto.URL)
	t.Setenv("AWS_ENDPOINT_URL_KMS", moto.URL)
	// The SDK's own warnings (bodies cut short by the pause) are not this
	// test's subject: discarded.
	awsCfg, err := envconfig.LoadAWS(testCtx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(awsCfg)
	table := newTableName()
	clock := &outageClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	store, err := mapping.New(mapping.Config{
		Table: table, DynamoDB: ddb, CacheTTL: cacheTTL, NegativeCacheTTL: -1,
		Timeout: mappingTimeout, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	provision := func() {
		t.Helper()
		if err := mapping.CreateTable(testCtx, ddb, table, true); err != nil {
			t.Fatalf("CreateTable: %v", err)
		}
		populate(t, store)
	}
	provision()

	// The key endpoint, through a stand-in that can be made to hang.
	is := newIssuer(t)
	var jwksHang atomic.Bool
	var jwksRequests atomic.Int64
	unblock := make(chan struct{})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwksRequests.Add(1)
		if jwksHang.Load() {
			select {
			case <-unblock:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = w.Write(is.JWKS())
	}))
	t.Cleanup(jwks.Close)
	t.Cleanup(func() { close(unblock) })
	pc := is.PoolConfig()
	pc.JWKSURL = jwks.URL
	pc.ClientIDs = []string{webClient}
	pc.AnyClientForClientCredentials = true
	vctx, cancelV := context.WithCancel(context.Background())
	t.Cleanup(cancelV)
	v, err := jwtverify.New(vctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, TokenCacheSize: 100, JWKSFetchTimeout: jwksTO})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Verifier: v, Directory: store})
	if err != nil {
		t.Fatal(err)
	}

	// Warm identities are cached before the outage; cold ones are first
	// asked for during it; mallory is never mapped and, with the negative
	// cache off, reaches DynamoDB every time, so requests are in flight
	// when the server stops.
	tokens := map[string]string{
		"alice":   is.IDToken("alice", webClient),
		"m2m":     is.ClientCredentialsToken(m2mClient, nil),
		"carol":   is.IDToken("carol", webClient),
		"narrow":  is.ClientCredentialsToken(narrowClient, nil),
		"mallory": is.IDToken("mallory", webClient),
	}
	warm := []string{"alice", "m2m", "mallory"}
	all := []string{"alice", "m2m", "mallory", "carol", "narrow"}
	isWarm := map[string]bool{"alice": true, "m2m": true}

	decide := func(who string) (Decision, bool) {
		ctx, cancel := context.WithTimeout(testCtx, mappingTimeout+slack)
		defer cancel()
		d := a.Decide(ctx, Request{Authorization: "Bearer " + tokens[who], Method: "GET", Path: "/profile"})
		return d, ctx.Err() == nil
	}

	var phase atomic.Int32
	var mu sync.Mutex
	var records []outageRecord
	count := func(ok func(outageRecord) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range records {
			if ok(r) {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if testCtx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	stop := make(chan struct{})
	var load sync.WaitGroup
	for g := range 4 {
		load.Go(func() {
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				from := phase.Load()
				set := warm
				if from != phaseUp {
					set = all
				}
				who := set[i%len(set)]
				d, inTime := decide(who)
				mu.Lock()
				records = append(records, outageRecord{who: who, from: from, to: phase.Load(), outcome: d.Outcome,
					reason: d.Reason, beforeDeadline: inTime, warm: isWarm[who]})
				mu.Unlock()
			}
		})
	}
	stopLoad := func() {
		close(stop)
		load.Wait()
	}

	waitFor("the warm identities to be allowed", func() bool {
		return count(func(r outageRecord) bool { return r.who == "alice" && r.outcome == OutcomeAllow }) > 0 &&
			count(func(r outageRecord) bool { return r.who == "m2m" && r.outcome == OutcomeAllow }) > 0
	})
	if err := moto.Pause(); err != nil {
		t.Fatal(err)
	}
	phase.Store(phasePaused)
	inPhase := func(p int32, who string) func() bool {
		return func() bool {
			return count(func(r outageRecord) bool { return r.from == p && r.to == p && r.who == who }) >= 2
		}
	}
	for _, who := range all {
		waitFor("decisions for "+who+" while paused", inPhase(phasePaused, who))
	}
	clock.Advance(cacheTTL + time.Second)
	phase.Store(phasePausedStale)
	for _, who := range all {
		waitFor("decisions for "+who+" after the TTL", inPhase(phasePausedStale, who))
	}
	if err := moto.Resume(); err != nil {
		t.Fatal(err)
	}
	phase.Store(phaseResumed)
	for _, who := range []string{"carol", "narrow", "alice"} {
		waitFor(who+" allowed after SIGCONT", func() bool {
			return count(func(r outageRecord) bool { return r.from == phaseResumed && r.who == who && r.outcome == OutcomeAllow }) > 0
		})
	}
	stopLoad()

	for _, r := range records {
		paused := r.from >= phasePaused && r.to <= phasePausedStale
		switch {
		case paused && r.outcome == OutcomeAllow && !r.warm:
			t.Errorf("%s, not cached, allowed while DynamoDB was stopped", r.who)
		case r.from == phasePausedStale && r.to == phasePausedStale && r.outcome == OutcomeAllow:
			t.Errorf("%s allowed after its cache entry expired, DynamoDB stopped", r.who)
		case r.from == phasePaused && r.to == phasePaused && r.warm && r.outcome != OutcomeAllow:
			t.Errorf("%s, cached, refused (%s) within the TTL", r.who, r.reason)
		case paused && r.outcome != OutcomeAllow && (r.outcome != OutcomeError || r.reason != ReasonMappingUnavailable || !r.beforeDeadline):
			t.Errorf("%s while paused: %s/%s, answered before the deadline %v; want error/%s within the mapping timeout",
				r.who, r.outcome, r.reason, r.beforeDeadline, ReasonMappingUnavailable)
		}
	}
	t.Logf("%d decisions under load", len(records))

	// Kill and restart: moto comes back empty.
	if err := moto.Restart(); err != nil {
		t.Fatal(err)
	}
	newPart()
	clock.Advance(cacheTTL + time.Second)
	for _, who := range all {
		if d, _ := decide(who); d.Outcome != OutcomeError {
			t.Errorf("%s with the table gone: %s/%s, want an error", who, d.Outcome, d.Reason)
		}
	}
	provision()
	for _, who := range []string{"alice", "m2m", "carol", "narrow"} {
		if d, _ := decide(who); d.Outcome != OutcomeAllow {
			t.Errorf("%s after re-provisioning: %s/%s", who, d.Outcome, d.Reason)
		}
	}

	// The key endpoint hangs. Fresh tokens (not in the token cache) signed
	// with the published key still verify; a token naming another kid
	// waits at most the JWKS timeout once, then is refused without a fetch.
	newPart()
	jwksHang.Store(true)
	if d, _ := decide2(a, testCtx, is.IDToken("alice", webClient, cognitotest.WithExpiry(2*time.Hour)), time.Minute); d.Outcome != OutcomeAllow {
		t.Errorf("known kid during the key outage: %s/%s", d.Outcome, d.Reason)
	}
	unknown := is.IDToken("alice", webClient, cognitotest.WithKID("rotated-in"))
	before := jwksRequests.Load()
	if d, inTime := decide2(a, testCtx, unknown, jwksTO+slack); d.Reason != ReasonKeysUnavailable || !inTime {
		t.Errorf("unknown kid, first: %s/%s (in time: %v), want keys_unavailable within the JWKS timeout", d.Outcome, d.Reason, inTime)
	}
	// Far less than the JWKS timeout: only an answer without a fetch fits.
	if d, inTime := decide2(a, testCtx, unknown, jwksTO/3); d.Reason != ReasonKeysUnavailable || !inTime {
		t.Errorf("unknown kid, again: %s/%s (in time: %v), want keys_unavailable at once", d.Outcome, d.Reason, inTime)
	}
	if n := jwksRequests.Load() - before; n != 1 {
		t.Errorf("%d JWKS fetches for two unknown-kid decisions, want 1", n)
	}
}

// decide2 decides on token with a deadline of its own and reports whether
// the answer came before it.
func decide2(a *Authorizer, parent context.Context, token string, within time.Duration) (Decision, bool) {
	ctx, cancel := context.WithTimeout(parent, within)
	defer cancel()
	d := a.Decide(ctx, Request{Authorization: "Bearer " + token, Method: "GET", Path: "/profile"})
	return d, ctx.Err() == nil
}
