package portal_test

import (
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// The client life cycle without HTTP, through the Handler's
// ClientService, against the real services: each refusal is one of the
// service's sentinels.
func TestClientServiceWithoutHTTP(t *testing.T) {
	f := newFixture(t)
	u, err := f.store.CreateUser(f.ctx, "", f.poolID, "hana", "sub-hana", mapping.KindUser)
	must(t, err)
	svc := f.handler(func(c *portal.Config) { c.MaxClientsPerUser = 1 }).Clients()

	created, err := svc.Create(f.ctx, u.InternalID, "cron")
	if err != nil || created.Secret == "" || created.Client.Label != "cron" {
		t.Fatalf("Create = %+v, %v", created.Client, err)
	}
	if ok, who := f.authenticates(created.Client.ClientID); !ok || who != u.InternalID {
		t.Fatalf("the created client authenticates: %v as %q", ok, who)
	}
	reset, err := svc.Reset(f.ctx, u.InternalID, created.Client.ClientID)
	if err != nil || reset.ReplacedClientID != created.Client.ClientID || !reset.ReplacedClientDeleted || reset.Client.Label != "cron" {
		t.Fatalf("Reset = %+v, %v", reset, err)
	}
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"create past the limit", func() error { _, err := svc.Create(f.ctx, u.InternalID, ""); return err }, portal.ErrClientLimit},
		{"reset of the replaced client", func() error {
			_, err := svc.Reset(f.ctx, u.InternalID, created.Client.ClientID)
			return err
		}, portal.ErrClientNotFound},
		{"delete of another person's client", func() error { _, err := svc.Delete(f.ctx, "someone-else", reset.Client.ClientID); return err }, portal.ErrClientNotFound},
	} {
		if err := tc.do(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if deleted, err := svc.Delete(f.ctx, u.InternalID, reset.Client.ClientID); err != nil || !deleted {
		t.Fatalf("Delete = %v, %v", deleted, err)
	}
	if clients, err := svc.List(f.ctx, u.InternalID); err != nil || len(clients) != 0 {
		t.Fatalf("List = %+v, %v", clients, err)
	}
	if ids := f.cognitoClients(); len(ids) != 0 {
		t.Fatalf("Cognito still has %v", ids)
	}
	f.checkCounter(u.InternalID)
}
