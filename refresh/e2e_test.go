package refresh_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// TestPartnerLifecycleCognitoLocal runs the whole partner story against
// cognito-local (two pools, the people's and the partners', a secret app
// client, users, REFRESH_TOKEN_AUTH, RevokeToken) and moto_server
// (DynamoDB, KMS): register → exchange → the authorizer accepts the ID
// token as the partner's internal id, and a person of the same user name
// as another → rotate → revoke → the exchange refuses. Then the captured
// logs are scanned for every secret that went by.
func TestPartnerLifecycleCognitoLocal(t *testing.T) {
	ctx := context.Background()
	lp := newLocalPool(t)
	f := newFixture(t, fixtureOptions{
		poolID: lp.id, partnerClient: lp.partnerClient, secret: lp.partnerSecret,
		admins: newVerifier(t, lp.peopleConfig(lp.adminClient)),
	})
	// A client of the partners' pool without a secret, for a user the
	// service did not register (signed in directly below).
	probeClient, _, err := lp.partners.Client(ctx, "probe", false)
	if err != nil {
		t.Fatal(err)
	}
	// The authorizer as deployed: both pools, ID tokens only from the
	// partners' pool.
	authz, err := authorizer.New(authorizer.Config{
		Verifier:  newVerifier(t, lp.peopleConfig(lp.adminClient), lp.partnersConfig(lp.partnerClient, probeClient)),
		Directory: f.store,
	})
	if err != nil {
		t.Fatal(err)
	}
	// peter-person and olga-admin are people, mapped in the people's pool.
	for _, n := range []string{"peter-person", "olga-admin"} {
		if _, err := f.store.CreateUser(ctx, "u-"+n, lp.people.ID, n, lp.people.MustSub(t, n), mapping.KindUser); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string // every token that went by, for the log scan
	seen = append(seen, lp.adminToken, lp.plainTok, lp.partnerSecret)

	// Administrators only.
	if rec := f.call(t, "POST", "/partners", "", `{"partner_id":"acme"}`); rec.Code != http.StatusUnauthorized {
		t.Fatalf("register without a token: %d", rec.Code)
	}
	if rec := f.call(t, "POST", "/partners", lp.plainTok, `{"partner_id":"acme"}`); rec.Code != http.StatusForbidden {
		t.Fatalf("register by a non-admin: %d", rec.Code)
	}

	cred := f.register(t, lp.adminToken, "acme")
	seen = append(seen, cred.RefreshToken)
	if cred.CognitoUsername != "partner-acme" || cred.AppClientID != lp.partnerClient || cred.InternalID == "" {
		t.Fatalf("registered %+v", cred.PartnerView)
	}
	if rec := f.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"acme"}`); rec.Code != http.StatusConflict {
		t.Fatalf("second registration of acme: %d %s", rec.Code, rec.Body)
	}
	// An existing Cognito user of the partners' pool is never taken over.
	probePassword := refresh.RandomPassword()
	if err := lp.partners.User(ctx, "olga-admin", probePassword); err != nil {
		t.Fatal(err)
	}
	if rec := f.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"olga","username":"olga-admin"}`); rec.Code != http.StatusConflict {
		t.Fatalf("registration over an existing user: %d %s", rec.Code, rec.Body)
	}
	// A partners' pool token whose user name is mapped only in the
	// people's pool is refused: the name means nobody in the partners' pool.
	probe, err := lp.partners.SignIn(ctx, probeClient, "olga-admin", probePassword)
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, *probe.IdToken, probePassword)
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + *probe.IdToken, Method: "GET", Path: "/orders"}); d.Reason != authorizer.ReasonUnmapped || d.Identity != nil {
		t.Fatalf("partners' token of a people's name: %v/%s", d.Outcome, d.Reason)
	}
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + lp.adminToken, Method: "GET", Path: "/orders"}); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != "u-olga-admin" {
		t.Fatalf("the people's olga-admin: %v/%s %+v", d.Outcome, d.Reason, d.Identity)
	}

	// A partner and a person of the same user name are two callers.
	rec := f.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"peter","username":"peter-person"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register peter-person in the partners' pool: %d %s", rec.Code, rec.Body)
	}
	var same refresh.CredentialView
	decodeBody(t, rec, &same)
	seen = append(seen, same.RefreshToken)
	sameTokens := f.exchange(t, same.RefreshToken)
	if sameTokens.Code != http.StatusOK {
		t.Fatalf("exchange for peter: %d %s", sameTokens.Code, sameTokens.Body)
	}
	var st refresh.TokenResponse
	decodeBody(t, sameTokens, &st)
	seen = append(seen, st.IDToken, st.AccessToken)
	for _, c := range []struct {
		token, id string
		kind      authorizer.CallerKind
	}{{st.IDToken, same.InternalID, authorizer.CallerPartner}, {lp.plainTok, "u-peter-person", authorizer.CallerUser}} {
		d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + c.token, Method: "GET", Path: "/orders"})
		if d.Outcome != authorizer.OutcomeAllow || d.Identity.Username != "peter-person" || d.Identity.InternalID != c.id || d.Identity.Kind != c.kind {
			t.Fatalf("peter-person: %v/%s %+v, want %s %s", d.Outcome, d.Reason, d.Identity, c.kind, c.id)
		}
	}
	if same.InternalID == "u-peter-person" {
		t.Fatal("the partner got the person's internal id")
	}

	exchange := func(token string) refresh.TokenResponse {
		t.Helper()
		rec := f.exchange(t, token)
		if rec.Code != http.StatusOK {
			t.Fatalf("exchange: %d %s", rec.Code, rec.Body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Error("exchange answer is cacheable")
		}
		var tr refresh.TokenResponse
		decodeBody(t, rec, &tr)
		if tr.IDToken == "" || tr.AccessToken == "" || tr.ExpiresIn <= 0 || tr.RefreshToken != "" {
			t.Fatalf("exchange answer: expires %d, refresh token returned %v", tr.ExpiresIn, tr.RefreshToken != "")
		}
		seen = append(seen, tr.IDToken, tr.AccessToken)
		return tr
	}
	tr := exchange(cred.RefreshToken)
	d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tr.IDToken, Method: "GET", Path: "/orders"})
	if d.Outcome != authorizer.OutcomeAllow {
		t.Fatalf("authorizer: %v/%s", d.Outcome, d.Reason)
	}
	if d.Identity.InternalID != cred.InternalID || d.Identity.Kind != authorizer.CallerPartner {
		t.Fatalf("authorizer identity %+v, want internal id %s kind partner", d.Identity, cred.InternalID)
	}
	// Token uses are per pool: the partners' pool admits ID tokens only.
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tr.AccessToken, Method: "GET", Path: "/orders"}); d.Reason != "token_use" {
		t.Fatalf("partner's access token: %v/%s", d.Outcome, d.Reason)
	}

	// Wrong, unknown, tampered credentials: one answer.
	var msgs []string
	for _, bad := range []string{"not-a-token", cred.RefreshToken + "x", strings.ToUpper(cred.RefreshToken), "a\u00e9b"} {
		rec := f.exchange(t, bad)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("exchange of a wrong token: %d %s", rec.Code, rec.Body)
		}
		_, msg := errorCode(t, rec)
		msgs = append(msgs, msg)
	}

	// Rotate: the old token stops working, the new one works; ID tokens
	// of earlier exchanges are signed out, those of the new one pass once
	// the sign-out's second is over.
	rec = f.call(t, "POST", "/partners/acme/rotate", lp.adminToken, "")
	rotatedAt := time.Now()
	if rec.Code != http.StatusOK {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	var rotated refresh.CredentialView
	decodeBody(t, rec, &rotated)
	seen = append(seen, rotated.RefreshToken)
	if rotated.RefreshToken == cred.RefreshToken || rotated.Version != cred.Version+1 || rotated.PreviousTokenRevoked == nil || !*rotated.PreviousTokenRevoked ||
		rotated.PreviousTokensSignedOut == nil || !*rotated.PreviousTokensSignedOut {
		t.Fatalf("rotated: version %d, previous revoked %v, signed out %v", rotated.Version, rotated.PreviousTokenRevoked, rotated.PreviousTokensSignedOut)
	}
	if rec := f.exchange(t, cred.RefreshToken); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange of the rotated-away token: %d", rec.Code)
	}
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + tr.IDToken, Method: "GET", Path: "/orders"}); d.Reason != authorizer.ReasonSignedOut || d.Identity != nil {
		t.Fatalf("ID token from before the rotation: %v/%s", d.Outcome, d.Reason)
	}
	userpool.WaitForSecond(mapping.SignOutSecond(rotatedAt)) // rotatedAt is after the sign-out
	fresh := exchange(rotated.RefreshToken)
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + fresh.IDToken, Method: "GET", Path: "/orders"}); d.Outcome != authorizer.OutcomeAllow || d.Identity.InternalID != cred.InternalID {
		t.Fatalf("ID token from after the rotation: %v/%s", d.Outcome, d.Reason)
	}

	// Show: no secret.
	rec = f.call(t, "GET", "/partners/acme", lp.adminToken, "")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), rotated.RefreshToken) || strings.Contains(rec.Body.String(), "ingerprint") {
		t.Fatalf("show: %d %s", rec.Code, rec.Body)
	}

	// Revoke: RevokeToken at cognito-local and revoked in the store.
	rec = f.call(t, "DELETE", "/partners/acme", lp.adminToken, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	var revoked refresh.PartnerView
	decodeBody(t, rec, &revoked)
	if revoked.Status != "revoked" || revoked.Revoked == nil {
		t.Fatalf("revoked: %+v", revoked)
	}
	rec = f.exchange(t, rotated.RefreshToken)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange after revoke: %d %s", rec.Code, rec.Body)
	}
	// The README's promise: a revoked partner stops working at the API.
	if d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + fresh.IDToken, Method: "GET", Path: "/orders"}); d.Reason != authorizer.ReasonSignedOut || d.Identity != nil {
		t.Fatalf("ID token of a revoked partner: %v/%s", d.Outcome, d.Reason)
	}
	_, msg := errorCode(t, rec)
	msgs = append(msgs, msg)
	for _, m := range msgs {
		if m != refresh.MessageInvalidCredential {
			t.Errorf("401 message %q, want the one message %q", m, refresh.MessageInvalidCredential)
		}
	}
	// Cognito itself refuses the revoked token too.
	if _, err := f.idp.AdminInitiateAuth(ctx, refreshInput(lp, "partner-acme", rotated.RefreshToken)); err == nil {
		t.Error("cognito-local still refreshes the revoked token")
	}
	if rec := f.call(t, "DELETE", "/partners/acme", lp.adminToken, ""); rec.Code != http.StatusOK {
		t.Fatalf("second revoke: %d", rec.Code)
	}
	if rec := f.call(t, "POST", "/partners/acme/rotate", lp.adminToken, ""); rec.Code != http.StatusConflict {
		t.Fatalf("rotate a revoked partner: %d", rec.Code)
	}

	seen = append(seen, f.passwords.all()...)
	if len(f.passwords.all()) < 2 {
		t.Fatal("no partner password recorded")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"partner_id":"acme"`) {
		t.Fatalf("the logs do not name the partner: %s", logs)
	}
	assertNoSecrets(t, logs, seen...)
}
