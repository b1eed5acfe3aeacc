package refresh_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// TestReissueCognitoLocal upgrades a partner registered the old way (its
// user in the people's pool, through a partner client there) into the
// partners' pool on cognito-local and moto_server: a new credential works
// through the new service and maps to the same internal id from a
// partners' pool token; the old credential stops working; a second run
// skips it.
func TestReissueCognitoLocal(t *testing.T) {
	ctx := context.Background()
	lp := newLocalPool(t)
	oldClient, oldSecret, err := lp.people.Client(ctx, "old-partners", true)
	if err != nil {
		t.Fatal(err)
	}
	admins := newVerifier(t, lp.peopleConfig(lp.adminClient))
	before := newFixture(t, fixtureOptions{poolID: lp.people.ID, partnerClient: oldClient, secret: oldSecret, admins: admins})
	after := newFixture(t, fixtureOptions{poolID: lp.id, partnerClient: lp.partnerClient, secret: lp.partnerSecret, admins: admins, store: before.store})
	old := before.register(t, lp.adminToken, "acme")
	if rec := before.exchange(t, old.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange before: %d %s", rec.Code, rec.Body)
	}

	re, err := after.svc.Reissue(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if re.Partner.InternalID != old.InternalID || re.RefreshToken == "" || re.RefreshToken == old.RefreshToken ||
		re.Partner.AppClientID != lp.partnerClient || re.PreviousPool != lp.people.ID || re.PreviousUsername != "partner-acme" {
		t.Fatalf("re-issued %+v (previous %s %s)", re.Partner, re.PreviousPool, re.PreviousUsername)
	}
	for _, f := range []*fixture{before, after} {
		if rec := f.exchange(t, old.RefreshToken); rec.Code != http.StatusUnauthorized {
			t.Fatalf("the old credential still exchanges: %d", rec.Code)
		}
	}
	rec := after.exchange(t, re.RefreshToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("exchange after: %d %s", rec.Code, rec.Body)
	}
	var tr refresh.TokenResponse
	decodeBody(t, rec, &tr)
	authz, err := authorizer.New(authorizer.Config{
		Verifier: newVerifier(t, lp.peopleConfig(lp.adminClient), lp.partnersConfig(lp.partnerClient)), Directory: after.store,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tr.IDToken, Method: "GET", Path: "/x"})
	if d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != old.InternalID || d.Identity.Kind != authorizer.CallerPartner {
		t.Fatalf("authorizer after re-issue: %v/%s %+v", d.Outcome, d.Reason, d.Identity)
	}
	if _, err := after.svc.Reissue(ctx, "acme", ""); !errors.Is(err, refresh.ErrAlreadyReissued) {
		t.Fatalf("second re-issue: %v", err)
	}
	// A user of the same name in the partners' pool that is another
	// partner's is never taken over.
	before.register(t, lp.adminToken, "beta")
	rec = after.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"squatter","username":"partner-beta"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register squatter: %d %s", rec.Code, rec.Body)
	}
	var squatter refresh.CredentialView
	decodeBody(t, rec, &squatter)
	if _, err := after.svc.Reissue(ctx, "beta", ""); !errors.Is(err, refresh.ErrConflict) || errors.Is(err, refresh.ErrAlreadyReissued) {
		t.Fatalf("re-issue onto another partner's user: %v", err)
	}
	if rec := after.exchange(t, squatter.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("the other partner's credential after the refused re-issue: %d", rec.Code)
	}
	// Nor is an unmapped user of that name: a partner administrator (mapped
	// only as an administrator) is a person, whose account a re-issue must
	// never take over.
	rec = after.call(t, "POST", "/partners", lp.adminToken,
		`{"partner_id":"gamma","admin_username":"partner-delta","admin_email":"delta@example.com","admin_temporary_password":"Temp-Passw0rd!"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register gamma with its administrator: %d %s", rec.Code, rec.Body)
	}
	before.register(t, lp.adminToken, "delta")
	if _, err := after.svc.Reissue(ctx, "delta", ""); !errors.Is(err, refresh.ErrConflict) || errors.Is(err, refresh.ErrAlreadyReissued) {
		t.Fatalf("re-issue onto a partner administrator's user: %v", err)
	}
	// Under a new name it moves.
	if _, err := after.svc.Reissue(ctx, "delta", "bad name"); !errors.Is(err, refresh.ErrInvalidInput) {
		t.Fatalf("re-issue under a malformed name: %v", err)
	}
	moved, err := after.svc.Reissue(ctx, "delta", "partner-delta-2")
	if err != nil || moved.Partner.CognitoUsername != "partner-delta-2" || moved.PreviousUsername != "partner-delta" {
		t.Fatalf("re-issue under a new name: %+v, %v", moved, err)
	}
	if rec := after.exchange(t, moved.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange after a re-issue under a new name: %d %s", rec.Code, rec.Body)
	}
	if _, err := after.svc.Reissue(ctx, "nobody", ""); !errors.Is(err, refresh.ErrNotFound) {
		t.Fatalf("re-issue of an unknown partner: %v", err)
	}
	assertNoSecrets(t, after.logs.String(), old.RefreshToken, re.RefreshToken, tr.IDToken, tr.AccessToken, squatter.RefreshToken)
}
