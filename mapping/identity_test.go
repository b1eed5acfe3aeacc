package mapping_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TestSignOutSecond: the recorded second is the sign-out rounded up, so a
// token issued in that second (iat truncated) is refused with the earlier
// ones.
func TestSignOutSecond(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		want int64
	}{
		{time.Unix(100, 0), 100},
		{time.Unix(100, 1), 101},
		{time.Unix(100, 999_999_999), 101},
	} {
		if got := mapping.SignOutSecond(tt.at); got != tt.want {
			t.Errorf("SignOutSecond(%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
}

// TestSignOutAfter: a sign-out known to follow a time on Cognito's clock
// (a token's iat, the Date of Cognito's answer) refuses every token
// issued up to that time even when this clock runs behind Cognito's.
func TestSignOutAfter(t *testing.T) {
	for _, tt := range []struct {
		now, cognito time.Time
		want         int64 // SignOutSecond of the result
	}{
		{time.Unix(100, 500), time.Unix(100, 0), 101}, // this clock is ahead: now
		{time.Unix(130, 0), time.Unix(100, 0), 130},
		{time.Unix(100, 0), time.Unix(100, 0), 101}, // same instant: after it
		{time.Unix(70, 0), time.Unix(100, 0), 101},  // 30 s behind Cognito
		{time.Unix(99, 900), time.Unix(100, 0), 101},
	} {
		got := mapping.SignOutSecond(mapping.SignOutAfter(tt.now, tt.cognito))
		if got != tt.want {
			t.Errorf("SignOutAfter(%v, %v) records %d, want %d", tt.now, tt.cognito, got, tt.want)
		}
		u := mapping.User{Sub: "s", SignedOut: got}
		if err := u.Admits("s", tt.cognito); !errors.Is(err, mapping.ErrSignedOut) {
			t.Errorf("a token issued at %v passes a sign-out recorded after it: %v", tt.cognito, err)
		}
	}
}

// TestAdmits is the rule the authorizer applies to a user name item.
func TestAdmits(t *testing.T) {
	at := time.Unix(1000, 0)
	for _, tt := range []struct {
		name      string
		user      mapping.User
		sub       string
		iat       time.Time
		wantError error
	}{
		{"bound, never signed out", mapping.User{Sub: "s1"}, "s1", at, nil},
		{"rebound", mapping.User{Sub: "s1"}, "s2", at, mapping.ErrRebound},
		{"token without sub", mapping.User{Sub: "s1"}, "", at, mapping.ErrRebound},
		{"unbound", mapping.User{}, "s1", at, mapping.ErrUnbound},
		{"unbound, empty token sub", mapping.User{}, "", at, mapping.ErrUnbound},
		{"issued before sign-out", mapping.User{Sub: "s1", SignedOut: 1001}, "s1", at, mapping.ErrSignedOut},
		{"issued in the sign-out's second", mapping.User{Sub: "s1", SignedOut: 1000}, "s1", at, nil},
		{"issued after sign-out", mapping.User{Sub: "s1", SignedOut: 999}, "s1", at, nil},
		{"no iat and signed out", mapping.User{Sub: "s1", SignedOut: 1}, "s1", time.Time{}, mapping.ErrSignedOut},
	} {
		if err := tt.user.Admits(tt.sub, tt.iat); !errors.Is(err, tt.wantError) || (err == nil) != (tt.wantError == nil) {
			t.Errorf("%s: Admits = %v, want %v", tt.name, err, tt.wantError)
		}
	}
}

// TestSignOut records sign-outs on the user name item: rounded up, never
// moved back, idempotent, refused for unknown or malformed names, and seen
// at once by the Store that wrote it (its cache entry is dropped).
func TestSignOut(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	alice := mustCreateUser(t, st, "alice", "")
	if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil { // cached now
		t.Fatal(err)
	}
	base := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name     string
		pool     string
		username string
		at       time.Time
		want     int64 // recorded afterwards
		wantErr  error
	}{
		{"first", testPool, "alice", base.Add(300 * time.Millisecond), base.Unix() + 1, nil},
		{"retry", testPool, "alice", base.Add(300 * time.Millisecond), base.Unix() + 1, nil},
		{"older: kept", testPool, "alice", base.Add(-time.Hour), base.Unix() + 1, nil},
		{"later", testPool, "alice", base.Add(10 * time.Second), base.Unix() + 10, nil},
		{"unknown name", testPool, "nobody", base, base.Unix() + 10, mapping.ErrNotFound},
		{"other pool", otherPool, "alice", base, base.Unix() + 10, mapping.ErrNotFound},
		{"bad pool", "pool#x", "alice", base, base.Unix() + 10, mapping.ErrInvalid},
		{"empty name", testPool, "", base, base.Unix() + 10, mapping.ErrInvalid},
		{"before 1970", testPool, "alice", time.Unix(-5, 0), base.Unix() + 10, mapping.ErrInvalid},
	}
	for _, tt := range tests {
		err := st.SignOut(ctx, tt.pool, tt.username, tt.at)
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Fatalf("%s: SignOut = %v, want %v", tt.name, err, tt.wantErr)
		}
		u, err := st.UserByUsername(ctx, testPool, "alice")
		if err != nil || u.SignedOut != tt.want || u.Sub != alice.Sub || u.InternalID != alice.InternalID {
			t.Fatalf("%s: alice = %+v, %v; want signedOut %d", tt.name, u, err, tt.want)
		}
	}
	if _, ok := scan(t, table)["USERNAME#"+otherPool+"#alice|USERNAME"]; ok {
		t.Error("a sign-out of an unknown name created an item")
	}
	checkTable(t, table)
}

// TestBindSub binds a user recorded before subs were: refused by Admits
// until bound, bound once (again with the same sub is a no-op), never
// re-bound to another sub.
func TestBindSub(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	e := testEnv(t)
	bob := mustCreateUser(t, st, "bob", "")
	// Make bob a user from before subs were recorded.
	for _, k := range []map[string]types.AttributeValue{
		{"PK": &types.AttributeValueMemberS{Value: "USER#" + bob.InternalID}, "SK": &types.AttributeValueMemberS{Value: "PROFILE"}},
		{"PK": &types.AttributeValueMemberS{Value: "USERNAME#" + testPool + "#bob"}, "SK": &types.AttributeValueMemberS{Value: "USERNAME"}},
	} {
		if _, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &table, Key: k, UpdateExpression: ptr("REMOVE #s"), ExpressionAttributeNames: map[string]string{"#s": "sub"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := st.Unbound(ctx, e.ddb, testPool); err != nil || len(l) != 1 || l[0].Username != "bob" {
		t.Fatalf("Unbound = %+v, %v", l, err)
	}
	if u, err := st.UserByUsername(ctx, testPool, "bob"); err != nil || u.Sub != "" || !errors.Is(u.Admits("sub-bob", time.Now()), mapping.ErrUnbound) {
		t.Fatalf("legacy bob: %+v, %v", u, err)
	}
	tests := []struct {
		name, username, sub string
		wantErr             error
	}{
		{"bind", "bob", "sub-bob", nil},
		{"again", "bob", "sub-bob", nil},
		{"another sub", "bob", "sub-new-bob", mapping.ErrConflict},
		{"unknown", "nobody", "sub-x", mapping.ErrNotFound},
		{"empty sub", "bob", "", mapping.ErrInvalid},
		{"control character", "bob", "sub\x00", mapping.ErrInvalid},
	}
	for _, tt := range tests {
		_, err := st.BindSub(ctx, testPool, tt.username, tt.sub)
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Fatalf("%s: BindSub = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	u, err := st.UserByUsername(ctx, testPool, "bob")
	if err != nil || u.Sub != "sub-bob" || u.Admits("sub-bob", time.Now()) != nil {
		t.Fatalf("bound bob: %+v, %v", u, err)
	}
	if l, err := st.Unbound(ctx, e.ddb, testPool); err != nil || len(l) != 0 {
		t.Fatalf("Unbound after binding = %+v, %v", l, err)
	}
	if p, err := st.User(ctx, bob.InternalID); err != nil || p.Sub != "sub-bob" {
		t.Fatalf("bob's profile: %+v, %v", p, err)
	}
	checkTable(t, table)
}

// TestCreateUserNeedsSub: a binding always records a sub.
func TestCreateUserNeedsSub(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	if _, err := st.CreateUser(ctxT(t), "", testPool, "carl", "", ""); !errors.Is(err, mapping.ErrInvalid) {
		t.Fatalf("CreateUser without sub = %v", err)
	}
	u := mustCreateUser(t, st, "carl", "")
	if it := scan(t, table)["USERNAME#"+testPool+"#carl|USERNAME"]; s(it, "sub") != u.Sub || n(it, "signedOut") != "" {
		t.Errorf("user name item: sub %q signedOut %q", s(it, "sub"), n(it, "signedOut"))
	}
	if err := st.SignOut(ctxT(t), testPool, "carl", time.Unix(42, 5)); err != nil {
		t.Fatal(err)
	}
	if it := scan(t, table)["USERNAME#"+testPool+"#carl|USERNAME"]; n(it, "signedOut") != strconv.Itoa(43) {
		t.Errorf("signedOut = %q, want 43", n(it, "signedOut"))
	}
}

// BenchmarkAdmits is what the sub and sign-out checks add to a warm
// decision: one call on the user the cache already returned.
func BenchmarkAdmits(b *testing.B) {
	u := mapping.User{Sub: "6f1c2d9a-3b4e-4f5a-8c7d-0e1f2a3b4c5d", SignedOut: 1_800_000_000}
	sub, iat := "6f1c2d9a-3b4e-4f5a-8c7d-0e1f2a3b4c5d", time.Unix(1_800_000_100, 0)
	for b.Loop() {
		if err := u.Admits(sub, iat); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSignOutConcurrent: sign-outs racing on one user name (an operator
// and the person at once, retries) leave the latest one recorded, never an
// earlier one. Conditional writes that lose to a later time succeed and
// change nothing; a TransactionConflict is retried as a caller would.
func TestSignOutConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t, nil)
	ctx := ctxT(t)
	mustCreateUser(t, st, "alice", "")
	base := time.Unix(1_800_000_000, 0)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := base.Add(time.Duration(i) * time.Second)
			for {
				err := st.SignOut(ctx, testPool, "alice", at)
				if !errors.Is(err, mapping.ErrConflict) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if u, err := st.UserByUsername(ctx, testPool, "alice"); err != nil || u.SignedOut != base.Unix()+n-1 {
		t.Fatalf("after concurrent sign-outs: %+v, %v; want %d", u, err, base.Unix()+n-1)
	}
}
