package mapping_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// interleave runs hook once, just before the first TransactWriteItems call
// goes out: a way to put a concurrent writer between a read and a write.
type interleave struct {
	mapping.DynamoDBAPI
	once sync.Once
	hook func()
}

func (i *interleave) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	i.once.Do(i.hook)
	return i.DynamoDBAPI.TransactWriteItems(ctx, in, opts...)
}

func TestDeleteUserRacingAddClient(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	u := mustCreateUser(t, st, "alice", "")
	if _, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: "c-1"}); err != nil {
		t.Fatal(err)
	}
	racer := &interleave{DynamoDBAPI: testEnv(t).ddb, hook: func() {
		if _, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: "c-late"}); err != nil {
			t.Errorf("concurrent AddClient: %v", err)
		}
	}}
	deleter, err := mapping.New(mapping.Config{Table: table, DynamoDB: racer})
	if err != nil {
		t.Fatal(err)
	}
	if err := deleter.DeleteUser(ctx, u.InternalID); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("DeleteUser racing AddClient: err = %v, want ErrConflict", err)
	}
	// Nothing was removed, and nothing is orphaned.
	cs, err := st.Clients(ctx, u.InternalID)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Clients = %+v, %v; want both", cs, err)
	}
	checkTable(t, table)
	if err := deleter.DeleteUser(ctx, u.InternalID); err != nil {
		t.Fatalf("DeleteUser retried: %v", err)
	}
	if items := scan(t, table); len(items) != 0 {
		t.Fatalf("%d items left", len(items))
	}
}

// race runs do in n goroutines released together and returns their errors.
func race(n int, do func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = do(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// oneWins checks that exactly one error is nil and every other one is
// among want.
func oneWins(t *testing.T, errs []error, want ...error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("goroutines %d and %d both won", winner, i)
			}
			winner = i
			continue
		}
		if !slices.ContainsFunc(want, func(w error) bool { return errors.Is(err, w) }) {
			t.Fatalf("goroutine %d: err = %v, want one of %v", i, err, want)
		}
	}
	if winner < 0 {
		t.Fatalf("no goroutine won: %v", errs)
	}
	return winner
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	const n = 10
	ctx := ctxT(t)

	racing := func(c *mapping.Config) { c.DynamoDB = raceClient(t) }

	t.Run("same user name", func(t *testing.T) {
		t.Parallel()
		st, table := newStore(t, racing)
		errs := race(n, func(i int) error {
			_, err := st.CreateUser(ctx, fmt.Sprintf("id-%d", i), testPool, "alice", "sub-alice", "")
			return err
		})
		w := oneWins(t, errs, mapping.ErrConflict)
		if u, err := st.UserByUsername(ctx, testPool, "alice"); err != nil || u.InternalID != fmt.Sprintf("id-%d", w) {
			t.Fatalf("UserByUsername = %+v, %v; want the winner id-%d", u, err, w)
		}
		checkTable(t, table)
	})

	t.Run("same client id", func(t *testing.T) {
		t.Parallel()
		st, table := newStore(t, racing)
		ids := make([]string, n)
		for i := range ids {
			u, err := st.CreateUser(ctx, "", testPool, fmt.Sprintf("user-%d", i), "sub-"+fmt.Sprintf("user-%d", i), "")
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = u.InternalID
		}
		errs := race(n, func(i int) error {
			_, err := st.AddClient(ctx, ids[i], mapping.Client{ClientID: "shared"})
			return err
		})
		w := oneWins(t, errs, mapping.ErrConflict)
		if c, err := st.ClientByID(ctx, "shared"); err != nil || c.InternalID != ids[w] {
			t.Fatalf("ClientByID = %+v, %v; want the winner's", c, err)
		}
		checkTable(t, table)
	})

	t.Run("resets of one client", func(t *testing.T) {
		t.Parallel()
		st, table := newStore(t, racing)
		u := mustCreateUser(t, st, "alice", "")
		if _, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: "old"}); err != nil {
			t.Fatal(err)
		}
		errs := race(n, func(i int) error {
			_, err := st.ReplaceClient(ctx, u.InternalID, "old", mapping.Client{ClientID: fmt.Sprintf("new-%d", i)})
			return err
		})
		// The losers find the old client gone (ErrNotFound) or lose a
		// condition or a transaction conflict (ErrConflict).
		w := oneWins(t, errs, mapping.ErrConflict, mapping.ErrNotFound)
		cs, err := st.Clients(ctx, u.InternalID)
		if err != nil || len(cs) != 1 || cs[0].ClientID != fmt.Sprintf("new-%d", w) {
			t.Fatalf("Clients = %+v, %v; want only new-%d", cs, err, w)
		}
		checkTable(t, table)
	})
}
