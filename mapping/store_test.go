package mapping_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

func TestNewConfig(t *testing.T) {
	e := testEnv(t)
	tests := []struct {
		name string
		cfg  mapping.Config
		ok   bool
	}{
		{"minimal", mapping.Config{Table: "gatehouse", DynamoDB: e.ddb}, true},
		{"with KMS", mapping.Config{Table: "gatehouse", DynamoDB: e.ddb, Keys: keysOf(t, e.kms, "alias/x")}, true},
		{"no table", mapping.Config{DynamoDB: e.ddb}, false},
		{"bad table name", mapping.Config{Table: "a b", DynamoDB: e.ddb}, false},
		{"no client", mapping.Config{Table: "gatehouse"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapping.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New: err = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)

	u, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", "")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u.InternalID == "" || u.Kind != mapping.KindUser || u.Username != "alice" || u.Created.IsZero() {
		t.Fatalf("CreateUser returned %+v", u)
	}
	got, err := st.UserByUsername(ctx, testPool, "alice")
	if err != nil || got.InternalID != u.InternalID || got.Kind != u.Kind || !got.Created.Equal(u.Created) {
		t.Fatalf("UserByUsername = %+v, %v; want %+v", got, err, u)
	}
	got, err = st.User(ctx, u.InternalID)
	if err != nil || got.Username != "alice" {
		t.Fatalf("User = %+v, %v", got, err)
	}
	cs, err := st.Clients(ctx, u.InternalID)
	if err != nil || len(cs) != 0 {
		t.Fatalf("Clients = %v, %v; want none", cs, err)
	}
	if _, err := st.CreateUser(ctx, "fixed-id", testPool, "bob", "sub-bob", mapping.KindPartner); err != nil {
		t.Fatalf("CreateUser with id: %v", err)
	}

	tests := []struct {
		name     string
		id, user string
		kind     mapping.Kind
		wantErr  error
	}{
		{"user name taken", "", "alice", "", mapping.ErrConflict},
		{"internal id taken", "fixed-id", "carol", "", mapping.ErrConflict},
		{"unknown kind", "", "dave", "robot", mapping.ErrInvalid},
		{"empty user name", "", "", "", mapping.ErrInvalid},
		{"control character", "", "eve\n", "", mapping.ErrInvalid},
		{"invalid UTF-8", "", "\xff", "", mapping.ErrInvalid},
		{"too long", "", strings.Repeat("x", 257), "", mapping.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := st.CreateUser(ctx, tt.id, testPool, tt.user, "sub-"+tt.user, tt.kind); !errors.Is(err, tt.wantErr) {
				t.Fatalf("CreateUser: err = %v, want %v", err, tt.wantErr)
			}
		})
	}

	lookups := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"unknown user name", func() error { _, err := st.UserByUsername(ctx, testPool, "nobody"); return err }, mapping.ErrNotFound},
		{"unknown internal id", func() error { _, err := st.User(ctx, "nobody"); return err }, mapping.ErrNotFound},
		{"clients of unknown user", func() error { _, err := st.Clients(ctx, "nobody"); return err }, mapping.ErrNotFound},
		{"unknown client", func() error { _, err := st.ClientByID(ctx, "nobody"); return err }, mapping.ErrNotFound},
		{"empty user name", func() error { _, err := st.UserByUsername(ctx, testPool, ""); return err }, mapping.ErrInvalid},
		{"empty client id", func() error { _, err := st.ClientByID(ctx, ""); return err }, mapping.ErrInvalid},
	}
	for _, tt := range lookups {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	checkTable(t, table)
}

func TestClients(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	alice := mustCreateUser(t, st, "alice", "")
	bob := mustCreateUser(t, st, "bob", "")

	c, err := st.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-2", Label: "cron", Scopes: []string{"api/read"}})
	if err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	if c.InternalID != alice.InternalID || c.Created.IsZero() {
		t.Fatalf("AddClient returned %+v", c)
	}
	if _, err := st.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-1"}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	got, err := st.ClientByID(ctx, "c-2")
	if err != nil || got.InternalID != alice.InternalID || got.Label != "cron" || !slices.Equal(got.Scopes, []string{"api/read"}) {
		t.Fatalf("ClientByID = %+v, %v", got, err)
	}
	got.Scopes[0] = "changed by caller"
	if again, _ := st.ClientByID(ctx, "c-2"); again.Scopes[0] != "api/read" {
		t.Fatalf("a caller's change reached the cache: %v", again.Scopes)
	}
	cs, err := st.Clients(ctx, alice.InternalID)
	if err != nil || len(cs) != 2 || cs[0].ClientID != "c-1" || cs[1].ClientID != "c-2" {
		t.Fatalf("Clients = %+v, %v; want c-1, c-2", cs, err)
	}

	writes := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"add: client id taken by another user", func() error {
			_, err := st.AddClient(ctx, bob.InternalID, mapping.Client{ClientID: "c-1"})
			return err
		}, mapping.ErrConflict},
		{"add: client id taken by the same user", func() error {
			_, err := st.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-1"})
			return err
		}, mapping.ErrConflict},
		{"add: no such user", func() error {
			_, err := st.AddClient(ctx, "nobody", mapping.Client{ClientID: "c-9"})
			return err
		}, mapping.ErrNotFound},
		{"add: bad scope", func() error {
			_, err := st.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-9", Scopes: []string{"a b"}})
			return err
		}, mapping.ErrInvalid},
		{"replace: old is someone else's", func() error {
			_, err := st.ReplaceClient(ctx, bob.InternalID, "c-1", mapping.Client{ClientID: "c-9"})
			return err
		}, mapping.ErrNotFound},
		{"replace: new is taken", func() error {
			_, err := st.ReplaceClient(ctx, alice.InternalID, "c-1", mapping.Client{ClientID: "c-2"})
			return err
		}, mapping.ErrConflict},
		{"replace: same id", func() error {
			_, err := st.ReplaceClient(ctx, alice.InternalID, "c-1", mapping.Client{ClientID: "c-1"})
			return err
		}, mapping.ErrInvalid},
		{"remove: someone else's", func() error { return st.RemoveClient(ctx, bob.InternalID, "c-1") }, mapping.ErrNotFound},
		{"remove: unknown", func() error { return st.RemoveClient(ctx, alice.InternalID, "c-9") }, mapping.ErrNotFound},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := st.ClientByID(ctx, "c-9"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("a failed write left client c-9 behind: %v", err)
	}
	checkTable(t, table)

	// A reset: the old id stops working and the new one works, at once,
	// for this Store (its cache is invalidated) and for any other reader
	// (reads are strongly consistent).
	other, err := mapping.New(mapping.Config{Table: table, DynamoDB: testEnv(t).ddb, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplaceClient(ctx, alice.InternalID, "c-1", mapping.Client{ClientID: "c-3", Label: "new"}); err != nil {
		t.Fatalf("ReplaceClient: %v", err)
	}
	for _, r := range []*mapping.Store{st, other} {
		if _, err := r.ClientByID(ctx, "c-1"); !errors.Is(err, mapping.ErrNotFound) {
			t.Fatalf("old client after reset: err = %v, want ErrNotFound", err)
		}
		if c, err := r.ClientByID(ctx, "c-3"); err != nil || c.InternalID != alice.InternalID {
			t.Fatalf("new client after reset = %+v, %v", c, err)
		}
	}
	if err := st.RemoveClient(ctx, alice.InternalID, "c-3"); err != nil {
		t.Fatalf("RemoveClient: %v", err)
	}
	if _, err := st.ClientByID(ctx, "c-3"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("removed client: err = %v, want ErrNotFound", err)
	}
	cs, _ = st.Clients(ctx, alice.InternalID)
	if len(cs) != 1 || cs[0].ClientID != "c-2" {
		t.Fatalf("Clients = %+v, want only c-2", cs)
	}
	checkTable(t, table)
}

func TestClientLimit(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	u := mustCreateUser(t, st, "alice", "")
	for i := range mapping.MaxClientsPerUser {
		if _, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: fmt.Sprintf("c-%02d", i)}); err != nil {
			t.Fatalf("AddClient %d: %v", i, err)
		}
	}
	_, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: "one-too-many"})
	if !errors.Is(err, mapping.ErrLimit) || !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("AddClient over the limit: err = %v, want ErrLimit (an ErrConflict)", err)
	}
	// A full user still deletes in one transaction.
	if err := st.DeleteUser(ctx, u.InternalID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if items := scan(t, table); len(items) != 0 {
		t.Fatalf("%d items left after DeleteUser", len(items))
	}
}

func TestDeleteUser(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	alice := mustCreateUser(t, st, "alice", mapping.KindPartner)
	bob := mustCreateUser(t, st, "bob", "")
	for _, id := range []string{"a-1", "a-2"} {
		if _, err := st.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddClient(ctx, bob.InternalID, mapping.Client{ClientID: "b-1"}); err != nil {
		t.Fatal(err)
	}
	putPartner(t, st, alice.InternalID, "p-1", "token-1")
	revoked := putPartner(t, st, alice.InternalID, "p-2", "token-2")
	if err := st.RevokePartner(ctx, revoked.PartnerID); err != nil {
		t.Fatal(err)
	}
	// Warm the cache, so the test also shows the delete reaching it.
	if _, err := st.ClientByID(ctx, "a-1"); err != nil {
		t.Fatal(err)
	}
	checkTable(t, table)

	if err := st.DeleteUser(ctx, alice.InternalID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	for key := range scan(t, table) {
		if !strings.Contains(key, "bob") && !strings.Contains(key, bob.InternalID) && !strings.Contains(key, "b-1") {
			t.Errorf("item %s survived DeleteUser", key)
		}
	}
	if _, err := st.UserByUsername(ctx, testPool, "alice"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("UserByUsername after delete: %v", err)
	}
	if _, err := st.ClientByID(ctx, "a-1"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("ClientByID after delete: %v", err)
	}
	if _, err := st.PartnerByFingerprint(ctx, mapping.Fingerprint([]byte("token-1"))); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("PartnerByFingerprint after delete: %v", err)
	}
	if err := st.DeleteUser(ctx, alice.InternalID); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("second DeleteUser: err = %v, want ErrNotFound", err)
	}
	// The name is free again, for a new internal id.
	if u, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", ""); err != nil || u.InternalID == alice.InternalID {
		t.Errorf("CreateUser after delete = %+v, %v", u, err)
	}
	checkTable(t, table)
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// What another process changes reaches this one's cache within CacheTTL
// (found entries) and NegativeCacheTTL (not found): the bound stated in the
// package documentation.
func TestCacheDelayForOtherWriters(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	clock := &testClock{t: time.Now()}
	reader, table := newStore(t, func(c *mapping.Config) {
		c.Now = clock.Now
		c.CacheTTL = time.Minute
		c.NegativeCacheTTL = 5 * time.Second
	})
	writer, err := mapping.New(mapping.Config{Table: table, DynamoDB: testEnv(t).ddb})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := writer.CreateUser(ctx, "", testPool, "alice", "sub-alice", "")
	if _, err := writer.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: "c-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ClientByID(ctx, "c-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.UserByUsername(ctx, testPool, "bob"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatal(err)
	}

	if err := writer.RemoveClient(ctx, alice.InternalID, "c-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.CreateUser(ctx, "", testPool, "bob", "sub-bob", ""); err != nil {
		t.Fatal(err)
	}

	clock.Add(4 * time.Second)
	if _, err := reader.ClientByID(ctx, "c-1"); err != nil {
		t.Fatalf("within CacheTTL the reader still serves its entry: err = %v", err)
	}
	if _, err := reader.UserByUsername(ctx, testPool, "bob"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("within NegativeCacheTTL the reader still serves not found: err = %v", err)
	}
	clock.Add(2 * time.Second)
	if _, err := reader.UserByUsername(ctx, testPool, "bob"); err != nil {
		t.Fatalf("after NegativeCacheTTL: err = %v", err)
	}
	clock.Add(55 * time.Second)
	if _, err := reader.ClientByID(ctx, "c-1"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("after CacheTTL the removal must show: err = %v", err)
	}
}
