package portal_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// TestCleanerStaleSlots: slots a crashed request left in state creating
// are taken over once older than portal.StaleAfter — the recorded Cognito
// client deleted, the slot released — while a fresh one (a request under
// way) is left alone. Real services; the stale slots are written by a
// store whose clock is an hour behind.
func TestCleanerStaleSlots(t *testing.T) {
	f := newFixture(t)
	u, err := f.store.CreateUser(f.ctx, "", f.poolID, "frank", "sub-frank", mapping.KindUser)
	must(t, err)
	past, err := mapping.New(mapping.Config{Table: f.store.Table(), DynamoDB: f.ddb, CacheSize: -1,
		Now: func() time.Time { return time.Now().Add(-portal.StaleAfter - time.Minute) }})
	must(t, err)

	withID, err := past.ReserveClient(f.ctx, u.InternalID, 3)
	must(t, err)
	id, _, err := f.pool.Client(f.ctx, "crashed-create", true)
	must(t, err)
	_, err = past.RecordPendingClient(f.ctx, withID, id)
	must(t, err)
	_, err = past.ReserveClient(f.ctx, u.InternalID, 3) // crashed before CreateUserPoolClient answered
	must(t, err)
	fresh, err := f.store.ReserveClient(f.ctx, u.InternalID, 3)
	must(t, err)

	c, err := portal.NewCleaner(portal.CleanerConfig{Cognito: f.idp, UserPoolID: f.poolID, Directory: f.store, Logger: f.logger})
	must(t, err)
	res, err := c.Clean(f.ctx, u.InternalID)
	must(t, err)
	if !slices.Equal(res.Deleted, []string{id}) || res.Released != 2 || res.Left != 1 {
		t.Fatalf("Clean = %+v; want %s deleted, 2 released, 1 left", res, id)
	}
	if f.cognitoClientExists(id) {
		t.Error("the stale slot's Cognito client still exists")
	}
	slots, err := f.store.ClientSlots(f.ctx, u.InternalID)
	must(t, err)
	if len(slots.Pending) != 1 || slots.Pending[0].ReservationID != fresh.ReservationID || slots.Pending[0].State != mapping.PendingCreating {
		t.Fatalf("pending after the clean-up: %+v; want only the fresh slot, untouched", slots.Pending)
	}
	f.checkCounter(u.InternalID)

	if res, err := c.Clean(f.ctx, "nobody"); err != nil || len(res.Deleted)+res.Released+res.Left != 0 {
		t.Fatalf("Clean(nobody) = %+v, %v", res, err)
	}
	if _, err := portal.NewCleaner(portal.CleanerConfig{}); err == nil {
		t.Fatal("NewCleaner accepted an empty config")
	}
}
