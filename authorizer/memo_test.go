package authorizer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// What awsenv wires together turns the memo on.
var (
	_ leasingDirectory = (*mapping.Store)(nil)
)

// The memo's tests: one clock for the issuer, the verifiers and the
// mapping caches; a key set the test rotates; real mapping on moto.

type memoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *memoClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *memoClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// issuerKeys is a KeySet holding what the issuer publishes when last
// refreshed (a JWKS fetch, without HTTP).
type issuerKeys struct {
	is  *cognitotest.Issuer
	set atomic.Pointer[jwtverify.StaticKeySet]
}

func (k *issuerKeys) refresh(t testing.TB) {
	s, err := jwtverify.NewStaticKeySet(k.is.JWKS())
	if err != nil {
		t.Error(err)
		return
	}
	k.set.Store(s)
}

func (k *issuerKeys) Key(ctx context.Context, kid string) (jwtverify.Key, error) {
	return k.set.Load().Key(ctx, kid)
}

// rotate publishes a new signing key, then retires the old ones: tokens
// signed before are refused from then on.
func (k *issuerKeys) rotate(t testing.TB) {
	k.is.Rotate()
	k.refresh(t)
	k.is.RetireOldKeys()
	k.refresh(t)
}

// countingDirectory counts lookups (plainDirectory hides its leases,
// which turns the memo off).
type countingDirectory struct {
	*mapping.Store
	n atomic.Int64
}

func (d *countingDirectory) UserByUsername(ctx context.Context, pool, username string) (record.User, error) {
	d.n.Add(1)
	return d.Store.UserByUsername(ctx, pool, username)
}

func (d *countingDirectory) ClientByID(ctx context.Context, clientID string) (record.Client, error) {
	d.n.Add(1)
	return d.Store.ClientByID(ctx, clientID)
}

func (d *countingDirectory) UserByUsernameLease(ctx context.Context, pool, username string) (record.User, record.Lease, error) {
	d.n.Add(1)
	return d.Store.UserByUsernameLease(ctx, pool, username)
}

// LeaseSource: d defines every lookup itself, the lease methods included.
func (d *countingDirectory) LeaseSource() any { return d }

func (d *countingDirectory) ClientByIDLease(ctx context.Context, clientID string) (record.Client, record.Lease, error) {
	d.n.Add(1)
	return d.Store.ClientByIDLease(ctx, clientID)
}

// plainDirectory is a Directory only (no leases: no memo).
type plainDirectory struct{ d *countingDirectory }

func (p plainDirectory) UserByUsername(ctx context.Context, pool, username string) (record.User, error) {
	return p.d.UserByUsername(ctx, pool, username)
}

func (p plainDirectory) ClientByID(ctx context.Context, clientID string) (record.Client, error) {
	return p.d.ClientByID(ctx, clientID)
}

const memoTTL = time.Minute

type memoRig struct {
	clk   *memoClock
	is    *cognitotest.Issuer
	keys  *issuerKeys
	store *mapping.Store // this process's, with its cache
	other *mapping.Store // another process's on the same table
}

func newMemoRig(t testing.TB, cacheTTL time.Duration) *memoRig {
	t.Helper()
	clk := &memoClock{t: time.Now().Truncate(time.Second)}
	is, err := cognitotest.NewIssuer(cognitotest.WithNow(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	keys := &issuerKeys{is: is}
	keys.refresh(t)
	table := newTableName()
	if err := mapping.CreateTable(context.Background(), dynamo(t), table, true); err != nil {
		t.Fatal(err)
	}
	newStore := func(ttl time.Duration) *mapping.Store {
		s, err := mapping.New(mapping.Config{Table: table, DynamoDB: dynamo(t), CacheTTL: ttl, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	r := &memoRig{clk: clk, is: is, keys: keys, store: newStore(cacheTTL), other: newStore(-1)}
	populate(t, r.store)
	return r
}

func (r *memoRig) verifier(t testing.TB) *jwtverify.Verifier {
	t.Helper()
	pc := r.is.PoolConfig()
	pc.ClientIDs = []string{webClient, m2mClient, narrowClient, unknownClient, partnerClient}
	pc.KeySet = r.keys
	v, err := jwtverify.New(context.Background(), jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, TokenCacheSize: 100, Now: r.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// authorizer returns an authorizer of its own verifier over r's store,
// with the memo on or off, and its lookup counter.
func (r *memoRig) authorizer(t testing.TB, memo bool) (*Authorizer, *countingDirectory) {
	t.Helper()
	cd := &countingDirectory{Store: r.store}
	var dir Directory = cd
	if !memo {
		dir = plainDirectory{cd}
	}
	a, err := New(Config{Verifier: r.verifier(t), Directory: dir, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	return a, cd
}

// setSub rewrites the sub a user name is bound to, as another process
// (or an operator) would: this process's cache learns of it at expiry.
func (r *memoRig) setSub(t testing.TB, username, sub string) {
	t.Helper()
	if _, err := dynamo(t).UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(r.store.Table()),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "USERNAME#" + r.is.UserPoolID() + "#" + username},
			"SK": &types.AttributeValueMemberS{Value: "USERNAME"},
		},
		UpdateExpression:          aws.String("SET #s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "sub"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: sub}},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestMemo: what a warm decision skips (the lookup) and what it still
// does (every token check, the route), and that a memo never outlives the
// mapping cache entry it came from.
func TestMemo(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	a, dir := r.authorizer(t, true)
	alice := r.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read"), cognitotest.WithExpiry(3*time.Hour))
	var aliceLater string
	m2m := r.is.ClientCredentialsToken(m2mClient, []string{"orders/read"}, cognitotest.WithExpiry(3*time.Hour))
	narrow := r.is.ClientCredentialsToken(narrowClient, []string{"orders/read", "orders/write"}, cognitotest.WithExpiry(3*time.Hour))
	var oldKey string
	orders := func(tok string) Request {
		return Request{Authorization: "Bearer " + tok, Method: "GET", Path: "/orders/1"}
	}
	for _, st := range []struct {
		name    string
		do      func()
		req     func() Request
		outcome Outcome
		reason  string
		lookup  bool // the directory was asked
		scopes  []string
	}{
		{"first sight", nil, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, true, []string{"orders/read"}},
		{"warm: no lookup", nil, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, false, []string{"orders/read"}},
		{"the route stays per request", nil, func() Request { return Request{Authorization: "Bearer " + alice, Method: "POST", Path: "/orders"} }, OutcomeForbidden, ReasonMissingScope, false, nil},
		{"another route", nil, func() Request { return Request{Authorization: "Bearer " + alice, Method: "GET", Path: "/admin/x"} }, OutcomeForbidden, ReasonMissingGroup, false, nil},
		{"just before the mapping entry expires", func() { r.clk.add(memoTTL - time.Second) }, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, false, nil},
		{"at its expiry: looked up again", func() { r.clk.add(time.Second) }, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, true, nil},
		{"rebound elsewhere: still cached", func() { r.setSub(t, "alice", "sub-of-a-new-alice"); r.clk.add(memoTTL - time.Second) }, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, false, nil},
		{"rebound elsewhere: seen at expiry", func() { r.clk.add(time.Second) }, func() Request { return orders(alice) }, OutcomeUnauthorized, ReasonIdentityRebound, true, nil},
		{"refusals are not memoised", nil, func() Request { return orders(alice) }, OutcomeUnauthorized, ReasonIdentityRebound, true, nil},
		{"bound back", func() { r.setSub(t, "alice", r.is.Sub("alice")); r.clk.add(memoTTL) }, func() Request { return orders(alice) }, OutcomeAllow, ReasonOK, true, nil},
		{"signed out here: at once", func() {
			if err := r.store.SignOut(ctx, r.is.UserPoolID(), "alice", r.clk.now()); err != nil {
				t.Fatal(err)
			}
		}, func() Request { return orders(alice) }, OutcomeUnauthorized, ReasonSignedOut, true, nil},
		{"a token issued since", func() {
			r.clk.add(2 * time.Second)
			aliceLater = r.is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/read"))
		}, func() Request { return orders(aliceLater) }, OutcomeAllow, ReasonOK, true, nil},
		{"it, warm", nil, func() Request { return orders(aliceLater) }, OutcomeAllow, ReasonOK, false, nil},
		{"signed out elsewhere: still cached", func() {
			r.clk.add(time.Second) // past the token's iat second
			if err := r.other.SignOut(ctx, r.is.UserPoolID(), "alice", r.clk.now()); err != nil {
				t.Fatal(err)
			}
		}, func() Request { return orders(aliceLater) }, OutcomeAllow, ReasonOK, false, nil},
		{"signed out elsewhere: seen at expiry", func() { r.clk.add(memoTTL) }, func() Request { return orders(aliceLater) }, OutcomeUnauthorized, ReasonSignedOut, true, nil},
		{"client", nil, func() Request { return orders(m2m) }, OutcomeAllow, ReasonOK, true, []string{"orders/read"}},
		{"client, warm", nil, func() Request { return orders(m2m) }, OutcomeAllow, ReasonOK, false, []string{"orders/read"}},
		{"narrowed client", nil, func() Request { return orders(narrow) }, OutcomeAllow, ReasonOK, true, []string{"orders/read"}},
		{"narrowed client, warm: still narrowed", nil, func() Request { return Request{Authorization: "Bearer " + narrow, Method: "POST", Path: "/orders"} }, OutcomeForbidden, ReasonMissingScope, false, []string{"orders/read"}},
		{"client removed here: at once", func() {
			if err := r.store.RemoveClient(ctx, "u-alice", m2mClient); err != nil {
				t.Fatal(err)
			}
		}, func() Request { return orders(m2m) }, OutcomeUnauthorized, ReasonUnmapped, true, nil},
		{"client back", func() {
			if _, err := r.store.AddClient(ctx, "u-alice", mapping.Client{ClientID: m2mClient}); err != nil {
				t.Fatal(err)
			}
		}, func() Request { return orders(m2m) }, OutcomeAllow, ReasonOK, true, nil},
		{"key retired: refused by the token cache hit", func() { oldKey = r.is.KID(); r.keys.rotate(t) }, func() Request { return orders(m2m) }, OutcomeUnauthorized, jwtverify.Code(jwtverify.ErrKeyNotFound), false, nil},
		{"token expired: refused by the hit", func() { r.clk.add(3 * time.Hour) }, func() Request {
			return orders(r.is.ClientCredentialsToken(m2mClient, nil, cognitotest.WithTimes(r.clk.now().Add(-2*time.Hour), time.Hour)))
		}, OutcomeUnauthorized, jwtverify.Code(jwtverify.ErrExpired), false, nil},
	} {
		if st.do != nil {
			st.do()
		}
		before := dir.n.Load()
		d := a.Decide(ctx, st.req())
		if d.Outcome != st.outcome || d.Reason != st.reason {
			t.Fatalf("%s: %v/%s, want %v/%s", st.name, d.Outcome, d.Reason, st.outcome, st.reason)
		}
		if looked := dir.n.Load() != before; looked != st.lookup {
			t.Errorf("%s: looked up: %v, want %v", st.name, looked, st.lookup)
		}
		if st.scopes != nil && !reflect.DeepEqual(d.Identity.Scopes, st.scopes) {
			t.Errorf("%s: scopes %q, want %q", st.name, d.Identity.Scopes, st.scopes)
		}
	}
	if oldKey == r.is.KID() {
		t.Error("the key did not rotate")
	}
}

// TestMemoOffWithoutMappingCache: with the mapping cache off there is no
// lease, so no memo: every decision reads the mapping.
func TestMemoOffWithoutMappingCache(t *testing.T) {
	r := newMemoRig(t, -1)
	a, dir := r.authorizer(t, true)
	tok := r.is.AccessToken("alice", webClient)
	for i := range 3 {
		before := dir.n.Load()
		if d := a.Decide(context.Background(), Request{Authorization: tok}); d.Outcome != OutcomeAllow {
			t.Fatalf("decision %d: %v/%s", i, d.Outcome, d.Reason)
		}
		if dir.n.Load() == before {
			t.Fatalf("decision %d made no lookup", i)
		}
	}
}

// TestMemoDifferential runs random sequences of decisions, clock advances,
// mapping changes (here and in another process) and key rotations against
// two authorizers over the same mapping store and key set, memo on and
// memo off (token cache on in both), and requires the same decision at
// every step.
func TestMemoDifferential(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { memoDifferential(t, seed, 300) })
	}
}

func memoDifferential(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 17))
	r := newMemoRig(t, memoTTL)
	on, onDir := r.authorizer(t, true)
	off, _ := r.authorizer(t, false)
	pool := r.is.UserPoolID()

	var tokens []string
	mint := func() {
		life := time.Duration(5+rng.IntN(60)) * time.Minute
		exp := cognitotest.WithExpiry(life)
		var tok string
		switch rng.IntN(6) {
		case 0:
			tok = r.is.AccessToken("alice", webClient, exp, cognitotest.WithScopes("orders/read"))
		case 1:
			tok = r.is.IDToken("carol", webClient, exp, cognitotest.WithGroups("admins"))
		case 2:
			tok = r.is.IDToken("partner-bob", partnerClient, exp)
		case 3:
			tok = r.is.ClientCredentialsToken(m2mClient, []string{"orders/read", "reports/read"}, exp)
		case 4:
			tok = r.is.ClientCredentialsToken(narrowClient, []string{"orders/read", "orders/write"}, exp)
		default:
			tok = r.is.AccessToken("alice", webClient, exp, cognitotest.WithScopes("orders/write"), cognitotest.WithGroups("analysts"))
		}
		tokens = append(tokens, tok)
	}
	for range 4 {
		mint()
	}
	routes := []struct{ method, path string }{
		{"GET", "/orders/1"}, {"POST", "/orders"}, {"GET", "/admin/x"}, {"GET", "/reports/q"}, {"GET", "/health"}, {"", ""},
	}
	users := []string{"alice", "carol", "partner-bob"}
	clientOwner := map[string]string{m2mClient: "u-alice", narrowClient: "u-carol"}
	bound := map[string]bool{m2mClient: true, narrowClient: true}
	var log []string
	for step := range steps {
		var what string
		switch op := rng.IntN(20); {
		case op < 11:
			tok := tokens[rng.IntN(len(tokens))]
			rt := routes[rng.IntN(len(routes))]
			req := Request{Authorization: "Bearer " + tok, Method: rt.method, Path: rt.path}
			dOn, dOff := on.Decide(ctx, req), off.Decide(ctx, req)
			what = fmt.Sprintf("decide %s %s%s: %v/%s", tokenName(tok), rt.method, rt.path, dOff.Outcome, dOff.Reason)
			if !sameDecision(dOn, dOff) {
				t.Fatalf("step %d: memo on %v/%s %+v, off %v/%s %+v\nsteps:\n%s", step, dOn.Outcome, dOn.Reason, dOn.Identity, dOff.Outcome, dOff.Reason, dOff.Identity, joinLines(log))
			}
		case op < 14:
			d := []time.Duration{time.Second, 10 * time.Second, 30 * time.Second, memoTTL - time.Second, memoTTL, 10 * time.Minute}[rng.IntN(6)]
			r.clk.add(d)
			what = fmt.Sprint("advance ", d)
		case op < 15:
			mint()
			what = "mint"
		case op < 16:
			u := users[rng.IntN(len(users))]
			s := r.store
			where := "here"
			if rng.IntN(2) == 0 {
				s, where = r.other, "elsewhere"
			}
			if err := s.SignOut(ctx, pool, u, r.clk.now()); err != nil {
				t.Fatal(err)
			}
			what = fmt.Sprintf("sign out %s %s", u, where)
		case op < 17:
			u := users[rng.IntN(len(users))]
			sub := r.is.Sub(u)
			if rng.IntN(2) == 0 {
				sub = "a-re-created-" + u
			}
			r.setSub(t, u, sub) // another process: seen at expiry
			what = fmt.Sprintf("rebind %s elsewhere", u)
		case op < 19:
			c := []string{m2mClient, narrowClient}[rng.IntN(2)]
			var err error
			if bound[c] {
				err = r.store.RemoveClient(ctx, clientOwner[c], c)
			} else {
				_, err = r.store.AddClient(ctx, clientOwner[c], mapping.Client{ClientID: c, Scopes: map[string][]string{narrowClient: {"orders/read"}}[c]})
			}
			if err != nil {
				t.Fatal(err)
			}
			bound[c] = !bound[c]
			what = fmt.Sprintf("client %s bound: %v", c, bound[c])
		default:
			if rng.IntN(4) == 0 { // a new RSA key is slow to make
				r.keys.rotate(t)
				what = "rotate keys"
			} else {
				what = "no rotation"
			}
		}
		log = append(log, fmt.Sprintf("%d %s", step, what))
	}
	// The memo was used (the off authorizer looked up every time).
	if n := onDir.n.Load(); n == 0 || n*3 > int64(steps) {
		t.Errorf("memo on: %d lookups in %d steps", n, steps)
	}
}

func sameDecision(a, b Decision) bool {
	return a.Outcome == b.Outcome && a.Reason == b.Reason &&
		reflect.DeepEqual(a.Identity, b.Identity) && reflect.DeepEqual(a.Grants, b.Grants)
}

// tokenName is a token's tail, to tell tokens apart in a log.
func tokenName(tok string) string { return tok[len(tok)-6:] }

func joinLines(l []string) string {
	s := ""
	for _, x := range l {
		s += x + "\n"
	}
	return s
}

// TestMemoRace: real goroutines decide while the clock advances, users sign
// out and are re-bound, a client is removed, and keys rotate. Every allow
// is for the token's own user, and nothing a change refuses (sign-out and
// removal through this store, key retirement) is allowed by a decision
// that started after the change.
func TestMemoRace(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	a, _ := r.authorizer(t, true)
	type tok struct {
		s, who, internalID string
	}
	exp := cognitotest.WithExpiry(3 * time.Hour)
	toks := []tok{
		{r.is.AccessToken("alice", webClient, exp), "alice", "u-alice"},
		{r.is.IDToken("carol", webClient, exp), "carol", "u-carol"},
		{r.is.IDToken("partner-bob", partnerClient, exp), "partner-bob", "p-bob"},
		{r.is.ClientCredentialsToken(m2mClient, nil, exp), m2mClient, "u-alice"},
	}
	var carolOut, clientGone, keyRetired atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var allows atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := toks[(g+i)%len(toks)]
				refused := keyRetired.Load() || (k.who == "carol" && carolOut.Load()) || (k.who == m2mClient && clientGone.Load())
				d := a.Decide(ctx, Request{Authorization: k.s, Method: "GET", Path: "/profile"})
				if d.Outcome == OutcomeAllow {
					allows.Add(1)
					if d.Identity.InternalID != k.internalID {
						t.Errorf("%s allowed as %s", k.who, d.Identity.InternalID)
					}
					if refused {
						t.Errorf("%s allowed after its refusal", k.who)
					}
				}
			}
		})
	}
	waitAllows := func(n int64) {
		for target := allows.Load() + n; allows.Load() < target; {
			runtime.Gosched() // the loop waits for decisions, not for time
		}
	}
	wg.Go(func() {
		defer close(stop)
		for range 20 {
			waitAllows(20)
			r.clk.add(7 * time.Second)
			r.setSub(t, "partner-bob", "a-re-created-partner-bob")
			waitAllows(5)
			r.setSub(t, "partner-bob", r.is.Sub("partner-bob"))
		}
		if err := r.store.SignOut(ctx, r.is.UserPoolID(), "carol", r.clk.now()); err != nil {
			t.Error(err)
		}
		carolOut.Store(true)
		waitAllows(50)
		if err := r.store.RemoveClient(ctx, "u-alice", m2mClient); err != nil {
			t.Error(err)
		}
		clientGone.Store(true)
		waitAllows(50)
		r.keys.rotate(t)
		keyRetired.Store(true)
		for range 200 {
			if d := a.Decide(ctx, Request{Authorization: toks[0].s}); d.Outcome == OutcomeAllow {
				t.Error("allowed after key retirement")
			}
		}
	})
	wg.Wait()
}

// TestMemoCheckChangesClaims: a pool's Check may change the claims it is
// given (here it withdraws a group, from a flag it reads), and a decision
// is made on the claims as Check left them. A warm decision must not
// reuse what an earlier Check left: memo on decides as memo off.
func TestMemoCheckChangesClaims(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	var demoted atomic.Bool
	newAuthorizer := func(memo bool) *Authorizer {
		pc := r.is.PoolConfig()
		pc.ClientIDs = []string{webClient}
		pc.KeySet = r.keys
		pc.Check = func(_ context.Context, c *jwtverify.Claims) error {
			if demoted.Load() {
				c.Groups = slices.DeleteFunc(slices.Clone(c.Groups), func(g string) bool { return g == "admins" })
			}
			return nil
		}
		v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, TokenCacheSize: 100, Now: r.clk.now})
		if err != nil {
			t.Fatal(err)
		}
		var dir Directory = &countingDirectory{Store: r.store}
		if !memo {
			dir = plainDirectory{&countingDirectory{Store: r.store}}
		}
		a, err := New(Config{Verifier: v, Directory: dir, Rules: testRules})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	on, off := newAuthorizer(true), newAuthorizer(false)
	req := Request{Authorization: "Bearer " + r.is.IDToken("carol", webClient, cognitotest.WithGroups("admins")), Method: "GET", Path: "/admin/x"}
	for _, step := range []struct {
		demoted bool
		want    Outcome
	}{{false, OutcomeAllow}, {false, OutcomeAllow}, {true, OutcomeForbidden}, {true, OutcomeForbidden}, {false, OutcomeAllow}} {
		demoted.Store(step.demoted)
		dOn, dOff := on.Decide(ctx, req), off.Decide(ctx, req)
		if dOff.Outcome != step.want {
			t.Fatalf("demoted %v, memo off: %v/%s, want %v", step.demoted, dOff.Outcome, dOff.Reason, step.want)
		}
		if !sameDecision(dOn, dOff) {
			t.Errorf("demoted %v: memo on %v/%s %v, off %v/%s %v", step.demoted, dOn.Outcome, dOn.Reason, dOn.Identity.Groups, dOff.Outcome, dOff.Reason, dOff.Identity.Groups)
		}
	}
}

// blockingDirectory is how a deployment adds a check to the mapping: it
// embeds the Store and overrides one lookup (here: a user name it blocks).
// It inherits the Store's lease methods, which do not know of the
// override.
type blockingDirectory struct {
	*mapping.Store
	blocked string
}

func (b blockingDirectory) UserByUsername(ctx context.Context, pool, username string) (record.User, error) {
	if username == b.blocked {
		return record.User{}, fmt.Errorf("blocked: %w", record.ErrNotFound)
	}
	return b.Store.UserByUsername(ctx, pool, username)
}

// TestMemoRespectsWrappedDirectory: a Directory embedding a *mapping.Store
// has its own lookups used, cold and warm: the promoted lease methods must
// not turn the memo on past the override.
func TestMemoRespectsWrappedDirectory(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	a, err := New(Config{Verifier: r.verifier(t), Directory: blockingDirectory{r.store, "carol"}, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	tok := r.is.IDToken("carol", webClient, cognitotest.WithGroups("admins"))
	for i := range 2 {
		if d := a.Decide(ctx, Request{Authorization: "Bearer " + tok}); d.Outcome != OutcomeUnauthorized || d.Reason != ReasonUnmapped {
			t.Errorf("decision %d for a user the directory blocks: %v/%s", i, d.Outcome, d.Reason)
		}
	}
}

// refusingVerifier adds a check to the verifier the same way: it embeds
// it and overrides Verify, and inherits VerifyMemo.
type refusingVerifier struct {
	*jwtverify.Verifier
	refused string
}

func (v refusingVerifier) Verify(ctx context.Context, token string) (*jwtverify.Claims, error) {
	if token == v.refused {
		return nil, fmt.Errorf("revoked token: %w", jwtverify.ErrMalformed)
	}
	return v.Verifier.Verify(ctx, token)
}

// TestMemoRespectsWrappedVerifier: a TokenVerifier embedding a
// *jwtverify.Verifier has its own Verify used, cold and warm.
func TestMemoRespectsWrappedVerifier(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	tok := r.is.AccessToken("alice", webClient)
	a, err := New(Config{Verifier: refusingVerifier{r.verifier(t), tok}, Directory: r.store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if d := a.Decide(ctx, Request{Authorization: "Bearer " + tok}); d.Outcome != OutcomeUnauthorized {
			t.Errorf("decision %d for a token the verifier refuses: %v/%s", i, d.Outcome, d.Reason)
		}
	}
}

// TestMemoSharedVerifier: two authorizers over one verifier (so one token
// cache and its memos) with different rules and directories each decide
// by their own, warm or not: the one without rules decides first, and its
// memo (no pattern failed) must not serve the one with rules.
func TestMemoSharedVerifier(t *testing.T) {
	ctx := context.Background()
	r := newMemoRig(t, memoTTL)
	v := r.verifier(t)
	strict, err := New(Config{Verifier: v, Directory: r.store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	blocking, err := New(Config{Verifier: v, Directory: blockingDirectory{r.store, "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	open, err := New(Config{Verifier: v, Directory: r.store})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Authorization: "Bearer " + r.is.AccessToken("alice", webClient), Method: "GET", Path: "/admin/x"}
	for i := range 3 {
		for _, c := range []struct {
			name string
			a    *Authorizer
			want Outcome
		}{{"no rules", open, OutcomeAllow}, {"rules", strict, OutcomeForbidden}, {"blocking directory", blocking, OutcomeUnauthorized}} {
			if d := c.a.Decide(ctx, req); d.Outcome != c.want {
				t.Errorf("round %d, %s: %v/%s, want %v", i, c.name, d.Outcome, d.Reason, c.want)
			}
		}
	}
}
