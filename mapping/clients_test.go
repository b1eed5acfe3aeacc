package mapping_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The life cycle of client slots: reserve against the caller's limit,
// record, bind (not counted twice), replace, unbind, claim and release;
// each step's refusals; and the counter invariant after every step.
func TestClientSlots(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	alice := mustCreateUser(t, st, "alice", "")
	id := alice.InternalID

	for _, limit := range []int{0, -1, mapping.MaxClientsPerUser + 1} {
		if _, err := st.ReserveClient(ctx, id, limit); !errors.Is(err, mapping.ErrInvalid) {
			t.Fatalf("ReserveClient(limit %d): err = %v, want ErrInvalid", limit, err)
		}
	}
	if _, err := st.ReserveClient(ctx, "nobody", 2); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("ReserveClient(nobody): err = %v, want ErrNotFound", err)
	}

	// Two slots of a limit of 2: the third is refused while both are held.
	p1, err := st.ReserveClient(ctx, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := st.ReserveClient(ctx, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReserveClient(ctx, id, 2); !errors.Is(err, mapping.ErrLimit) {
		t.Fatalf("third ReserveClient: err = %v, want ErrLimit", err)
	}
	checkTable(t, table)

	// Binding needs the client recorded first, and that exact client.
	if _, err := st.BindPending(ctx, p1, mapping.Client{ClientID: "c-1"}); !errors.Is(err, mapping.ErrInvalid) {
		t.Fatalf("BindPending before RecordPendingClient: err = %v, want ErrInvalid", err)
	}
	p1, err = st.RecordPendingClient(ctx, p1, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordPendingClient(ctx, p1, "c-other"); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("RecordPendingClient twice: err = %v, want ErrConflict", err)
	}
	c1, err := st.BindPending(ctx, p1, mapping.Client{ClientID: "c-1", Label: "cron"})
	if err != nil {
		t.Fatal(err)
	}
	if c1.InternalID != id {
		t.Fatalf("BindPending = %+v", c1)
	}
	if _, err := st.BindPending(ctx, p1, mapping.Client{ClientID: "c-1"}); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("BindPending of a used slot: err = %v, want ErrNotFound", err)
	}
	checkTable(t, table) // bound once, counted once
	if got, _ := st.ClientByID(ctx, "c-1"); got.InternalID != id {
		t.Fatalf("c-1 not bound: %+v", got)
	}

	// A claimed slot can no longer be bound; its releaser frees it.
	p2, err = st.RecordPendingClient(ctx, p2, "c-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimPending(ctx, mapping.PendingClient{InternalID: id, ReservationID: p2.ReservationID}); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("ClaimPending with a stale view (no client id): err = %v, want ErrConflict", err)
	}
	claimed, err := st.ClaimPending(ctx, p2)
	if err != nil || claimed.State != mapping.PendingOrphan {
		t.Fatalf("ClaimPending = %+v, %v", claimed, err)
	}
	if _, err := st.BindPending(ctx, p2, mapping.Client{ClientID: "c-2"}); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("BindPending of a claimed slot: err = %v, want ErrConflict", err)
	}
	if _, err := st.ClaimPending(ctx, p2); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("ClaimPending twice: err = %v, want ErrConflict", err)
	}
	slots, err := st.ClientSlots(ctx, id)
	if err != nil || len(slots.Clients) != 1 || len(slots.Pending) != 1 || slots.Pending[0].ClientID != "c-2" || slots.Pending[0].State != mapping.PendingOrphan {
		t.Fatalf("ClientSlots = %+v, %v", slots, err)
	}
	if err := st.DeleteUser(ctx, id); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("DeleteUser with a pending slot: err = %v, want ErrConflict", err)
	}
	if err := st.ReleasePending(ctx, claimed); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleasePending(ctx, claimed); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("ReleasePending twice: err = %v, want ErrNotFound", err)
	}
	checkTable(t, table)

	// A reset: a slot beside the limit, tied to a bound client.
	if _, err := st.ReserveReplacement(ctx, id, "c-9"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("ReserveReplacement of an unknown client: err = %v, want ErrNotFound", err)
	}
	if _, err := st.ReserveClient(ctx, id, 1); !errors.Is(err, mapping.ErrLimit) {
		t.Fatalf("ReserveClient at the limit: err = %v, want ErrLimit", err)
	}
	r, err := st.ReserveReplacement(ctx, id, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReserveReplacement(ctx, id, "c-1"); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("a second reset of c-1 under way: err = %v, want ErrConflict", err)
	}
	if r, err = st.RecordPendingClient(ctx, r, "c-3"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplacePending(ctx, r, "c-1", mapping.Client{ClientID: "c-3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClientByID(ctx, "c-1"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("c-1 after the reset: err = %v", err)
	}
	slots, err = st.ClientSlots(ctx, id)
	if err != nil || len(slots.Clients) != 1 || slots.Clients[0].ClientID != "c-3" ||
		len(slots.Pending) != 1 || slots.Pending[0].ClientID != "c-1" || slots.Pending[0].State != mapping.PendingOrphan {
		t.Fatalf("ClientSlots after the reset = %+v, %v", slots, err)
	}
	checkTable(t, table)
	if err := st.ReleasePending(ctx, slots.Pending[0]); err != nil {
		t.Fatal(err)
	}

	// A delete: unbound and recorded in one step.
	o, err := st.UnbindClient(ctx, id, "c-3")
	if err != nil || o.ClientID != "c-3" || o.State != mapping.PendingOrphan {
		t.Fatalf("UnbindClient = %+v, %v", o, err)
	}
	if _, err := st.UnbindClient(ctx, id, "c-3"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("UnbindClient twice: err = %v, want ErrNotFound", err)
	}
	checkTable(t, table)
	if err := st.ReleasePending(ctx, o); err != nil {
		t.Fatal(err)
	}
	if slots, err = st.ClientSlots(ctx, id); err != nil || len(slots.Clients)+len(slots.Pending) != 0 {
		t.Fatalf("ClientSlots at the end = %+v, %v", slots, err)
	}
	checkTable(t, table)
	if err := st.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// Concurrent reservations against a configured limit: exactly limit of
// them win, whatever their number. (With moto the requests queue at the
// endpoint, see raceClient; the conditional counter is what decides.)
func TestReserveClientConcurrently(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, func(c *mapping.Config) { c.DynamoDB = raceClient(t) })
	ctx := ctxT(t)
	u := mustCreateUser(t, st, "alice", "")
	const limit, n = 5, 20
	errs := race(n, func(i int) error {
		p, err := st.ReserveClient(ctx, u.InternalID, limit)
		if err != nil {
			return err
		}
		if p, err = st.RecordPendingClient(ctx, p, fmt.Sprintf("c-%02d", i)); err != nil {
			return err
		}
		_, err = st.BindPending(ctx, p, mapping.Client{ClientID: p.ClientID})
		return err
	})
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, mapping.ErrLimit):
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	if won != limit {
		t.Fatalf("%d of %d won, want the limit %d", won, n, limit)
	}
	checkTable(t, table)
}
