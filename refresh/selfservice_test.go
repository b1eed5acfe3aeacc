package refresh_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/openapicheck"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// selfServiceFixture is the partner service on cognito-local (both pools)
// and moto_server, with partner administrators' sign-in: a client for
// people in the partners' pool (with a secret, USER_PASSWORD_AUTH), signed
// in with the public pair, which cognito-local implements (it has no
// AdminRespondToAuthChallenge).
type selfServiceFixture struct {
	*fixture
	lp          localPool
	adminClient string // the partners' pool's client for people
	doc         *openapicheck.Doc
}

func newSelfServiceFixture(t *testing.T) *selfServiceFixture {
	t.Helper()
	ctx := context.Background()
	lp := newLocalPool(t)
	clientID, secret, err := lp.partners.SignInClient(ctx, "partner-people", true)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := cognitoauth.New(cognitoauth.Config{
		API: testEnv(t).idp, Public: testEnv(t).idp, UserPoolID: lp.id, ClientID: clientID, ClientSecret: secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc := lp.partnersConfig(clientID)
	pc.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess}
	f := newFixture(t, fixtureOptions{
		poolID: lp.id, partnerClient: lp.partnerClient, secret: lp.partnerSecret,
		admins:        newVerifier(t, lp.peopleConfig(lp.adminClient)),
		partnerAdmins: &refresh.PartnerAdmins{Auth: auth, Verifier: newVerifier(t, pc)},
	})
	doc, err := openapicheck.LoadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	return &selfServiceFixture{fixture: f, lp: lp, adminClient: clientID, doc: doc}
}

// do runs a request and checks it and its answer against openapi.json.
func (f *selfServiceFixture) do(t *testing.T, method, path, bearer, body string, want int) *httptest.ResponseRecorder {
	t.Helper()
	op, ok := f.doc.FindOperation(method, path)
	if !ok {
		t.Fatalf("%s %s is not documented", method, path)
	}
	ctype := ""
	if body != "" {
		ctype = "application/json"
		if err := f.doc.CheckRequest(method, op.Path, ctype, []byte(body)); err != nil && want < 400 {
			t.Errorf("request %s %s: %v", method, path, err)
		}
	}
	rec := f.call(t, method, path, bearer, body)
	if err := f.doc.CheckResponse(method, op.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
		t.Errorf("response %s %s: %v\n%s", method, path, err, rec.Body)
	}
	if rec.Code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	return rec
}

// registerWithAdmin registers partnerID with administrator admin, whose
// temporary password is temporary.
func (f *selfServiceFixture) registerWithAdmin(t *testing.T, partnerID, admin, temporary string) refresh.CredentialView {
	t.Helper()
	body, _ := json.Marshal(map[string]string{
		"partner_id": partnerID, "admin_username": admin, "admin_email": admin + "@example.com",
		"admin_temporary_password": temporary,
	})
	rec := f.do(t, "POST", "/partners", f.lp.adminToken, string(body), http.StatusCreated)
	var v refresh.CredentialView
	decodeBody(t, rec, &v)
	if v.AdminUsername != admin {
		t.Fatalf("registered administrator %q, want %q", v.AdminUsername, admin)
	}
	return v
}

type signInAnswer struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Username     string `json:"username"`
	Challenge    *struct {
		Name, Session, Username string
	} `json:"challenge"`
}

// adminSignIn is an invited administrator's first sign-in: the temporary
// password, NEW_PASSWORD_REQUIRED, a new password. It returns the tokens.
func (f *selfServiceFixture) adminSignIn(t *testing.T, admin, temporary, permanent string) signInAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": admin, "password": temporary})
	var ch signInAnswer
	decodeBody(t, f.do(t, "POST", "/partners/auth/sign-in", "", string(body), http.StatusOK), &ch)
	if ch.Challenge == nil || ch.Challenge.Name != "NEW_PASSWORD_REQUIRED" || ch.Challenge.Session == "" || ch.IDToken != "" {
		t.Fatalf("first sign-in of %s: %+v", admin, ch)
	}
	body, _ = json.Marshal(map[string]any{
		"username": ch.Challenge.Username, "challenge": ch.Challenge.Name, "session": ch.Challenge.Session,
		"responses": map[string]string{"NEW_PASSWORD": permanent},
	})
	var tokens signInAnswer
	decodeBody(t, f.do(t, "POST", "/partners/auth/respond", "", string(body), http.StatusOK), &tokens)
	if tokens.IDToken == "" || tokens.AccessToken == "" || tokens.Username != admin || tokens.Challenge != nil {
		t.Fatalf("respond for %s: username %q challenge %+v", admin, tokens.Username, tokens.Challenge)
	}
	return tokens
}

// TestPartnerAdminSelfService: an operator registers two partners with
// their administrators; an administrator signs in (NEW_PASSWORD_REQUIRED
// completed), sees its partner, rotates — the old credential is refused at
// the exchange, the new one works — and revokes; the other partner's
// administrator gets 403 on it, and the authorizer never takes an
// administrator for the partner. Then the logs are scanned for secrets.
func TestPartnerAdminSelfService(t *testing.T) {
	ctx := context.Background()
	f := newSelfServiceFixture(t)
	lp := f.lp
	seen := []string{lp.adminToken, lp.plainTok, lp.partnerSecret}

	tmpAcme, tmpGlobex := "Tmp-"+refresh.RandomPassword(), "Tmp-"+refresh.RandomPassword()
	pwAcme, pwGlobex := refresh.RandomPassword(), refresh.RandomPassword()
	seen = append(seen, tmpAcme, tmpGlobex, pwAcme, pwGlobex)
	acme := f.registerWithAdmin(t, "acme", "acme-admin", tmpAcme)
	globex := f.registerWithAdmin(t, "globex", "globex-admin", tmpGlobex)
	seen = append(seen, acme.RefreshToken, globex.RefreshToken)

	// Sign-in refusals, one answer for an unknown name and a wrong password.
	for _, c := range []struct{ user, password string }{{"nobody", tmpAcme}, {"partner-acme", "wrong-password-1A!"}} {
		body, _ := json.Marshal(map[string]string{"username": c.user, "password": c.password})
		if code, _ := errorCode(t, f.do(t, "POST", "/partners/auth/sign-in", "", string(body), http.StatusUnauthorized)); code != "not_authorized" {
			t.Errorf("sign-in of %s: code %s", c.user, code)
		}
	}
	f.do(t, "POST", "/partners/auth/sign-in", "", `{"username":"acme-admin"}`, http.StatusBadRequest)
	f.do(t, "POST", "/partners/auth/respond", "", `{"username":"acme-admin","challenge":"CUSTOM_CHALLENGE","session":"s","responses":{"ANSWER":"x"}}`, http.StatusBadRequest)
	f.do(t, "POST", "/partners/auth/respond", "", `{"username":"acme-admin","challenge":"NEW_PASSWORD_REQUIRED","session":"s","responses":{"NEW_PASSWORD":"p","USERNAME":"globex-admin"}}`, http.StatusBadRequest)

	acmeAdmin := f.adminSignIn(t, "acme-admin", tmpAcme, pwAcme)
	globexAdmin := f.adminSignIn(t, "globex-admin", tmpGlobex, pwGlobex)
	seen = append(seen, acmeAdmin.IDToken, acmeAdmin.AccessToken, acmeAdmin.RefreshToken, globexAdmin.IDToken, globexAdmin.AccessToken, globexAdmin.RefreshToken)

	// Its own partner: ID and access tokens both.
	for _, tok := range []string{acmeAdmin.IDToken, acmeAdmin.AccessToken} {
		var v refresh.PartnerView
		decodeBody(t, f.do(t, "GET", "/partners/acme", tok, "", http.StatusOK), &v)
		if v.PartnerID != "acme" || v.Status != "active" || v.AdminUsername != "acme-admin" {
			t.Fatalf("show by its administrator: %+v", v)
		}
	}
	// Another partner's, existing or not: 403 forbidden_partner alike.
	for _, c := range []struct{ method, path string }{
		{"GET", "/partners/globex"}, {"POST", "/partners/globex/rotate"}, {"DELETE", "/partners/globex"},
		{"GET", "/partners/nobody"}, {"POST", "/partners/nobody/rotate"}, {"DELETE", "/partners/nobody"},
	} {
		if code, _ := errorCode(t, f.do(t, c.method, c.path, acmeAdmin.IDToken, "", http.StatusForbidden)); code != refresh.CodeForbiddenPartner {
			t.Errorf("%s %s by acme's administrator: code %s", c.method, c.path, code)
		}
	}
	// Operators' operations stay theirs.
	if code, _ := errorCode(t, f.do(t, "POST", "/partners", acmeAdmin.IDToken, `{"partner_id":"evil"}`, http.StatusForbidden)); code != refresh.CodeForbidden {
		t.Errorf("register by a partner administrator: code %s", code)
	}

	// The partner's own credential works before the rotation.
	old := f.exchange(t, acme.RefreshToken)
	if old.Code != http.StatusOK {
		t.Fatalf("exchange: %d %s", old.Code, old.Body)
	}
	var oldTokens refresh.TokenResponse
	decodeBody(t, old, &oldTokens)
	seen = append(seen, oldTokens.IDToken, oldTokens.AccessToken)
	// The machine identity's tokens are not an administrator's (another client).
	f.do(t, "GET", "/partners/acme", oldTokens.IDToken, "", http.StatusUnauthorized)

	// The administrator rotates: the new refresh token is shown once.
	var rotated refresh.CredentialView
	decodeBody(t, f.do(t, "POST", "/partners/acme/rotate", acmeAdmin.AccessToken, "", http.StatusOK), &rotated)
	seen = append(seen, rotated.RefreshToken)
	if rotated.RefreshToken == "" || rotated.RefreshToken == acme.RefreshToken || rotated.Version != acme.Version+1 {
		t.Fatalf("rotated: version %d", rotated.Version)
	}
	if rec := f.exchange(t, acme.RefreshToken); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange of the rotated-away credential: %d", rec.Code)
	}
	if rec := f.exchange(t, rotated.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange of the new credential: %d %s", rec.Code, rec.Body)
	}
	// The other partner's administrator cannot touch it.
	f.do(t, "POST", "/partners/acme/rotate", globexAdmin.IDToken, "", http.StatusForbidden)
	f.do(t, "DELETE", "/partners/acme", globexAdmin.IDToken, "", http.StatusForbidden)
	if rec := f.exchange(t, rotated.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange after the other administrator's attempts: %d", rec.Code)
	}

	// The authorizer as deployed (the partners' pool accepts the machine
	// client only) refuses an administrator's token; and even one that
	// wrongly accepted the people client finds no identity for it: an
	// administrator is not a user name item.
	for _, clients := range [][]string{{lp.partnerClient}, {lp.partnerClient, f.adminClient}} {
		authz, err := authorizer.New(authorizer.Config{
			Verifier:  newVerifier(t, lp.peopleConfig(lp.adminClient), lp.partnersConfig(clients...)),
			Directory: f.store,
		})
		if err != nil {
			t.Fatal(err)
		}
		d := authz.Decide(ctx, authorizer.Request{Authorization: "Bearer " + acmeAdmin.IDToken, Method: "GET", Path: "/orders"})
		if d.Outcome == authorizer.OutcomeAllow || d.Identity != nil {
			t.Fatalf("authorizer (partners' clients %v) admitted the administrator: %v/%s %+v", clients, d.Outcome, d.Reason, d.Identity)
		}
		if _, err := f.store.UserByUsername(ctx, lp.id, "acme-admin"); err == nil {
			t.Fatal("the administrator resolves to a user")
		}
	}

	// The administrator revokes: the exchange refuses the credential.
	var revoked refresh.PartnerView
	decodeBody(t, f.do(t, "DELETE", "/partners/acme", acmeAdmin.IDToken, "", http.StatusOK), &revoked)
	if revoked.Status != "revoked" {
		t.Fatalf("revoked: %+v", revoked)
	}
	if rec := f.exchange(t, rotated.RefreshToken); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange after the administrator's revocation: %d", rec.Code)
	}
	f.do(t, "POST", "/partners/acme/rotate", acmeAdmin.IDToken, "", http.StatusConflict)
	// Operators keep full control over both.
	f.do(t, "GET", "/partners/acme", lp.adminToken, "", http.StatusOK)
	f.do(t, "POST", "/partners/globex/rotate", lp.adminToken, "", http.StatusOK)

	logs := f.logs.String()
	for _, want := range []string{`"op":"rotate"`, `"actor_kind":"partner_admin"`, `"actor":"acme-admin"`, `"actor_kind":"operator"`, `"actor":"olga-admin"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
	assertNoSecrets(t, logs, seen...)
}

// A partner administrator's Cognito user deleted and created again under
// the same name (cognito-local: a new sub) is another person: its tokens
// are refused (401 identity_rebound) on show, rotate and revoke, and the
// credential is untouched. Registration bound the administrator to the
// sub Cognito gave the user it created.
func TestPartnerAdminRecreated(t *testing.T) {
	ctx := context.Background()
	f := newSelfServiceFixture(t)
	lp := f.lp
	tmp, pw := "Tmp-"+refresh.RandomPassword(), refresh.RandomPassword()
	cred := f.registerWithAdmin(t, "initech", "initech-admin", tmp)
	got, err := f.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(lp.id), Username: aws.String("initech-admin")})
	if err != nil {
		t.Fatal(err)
	}
	firstSub := ""
	for _, a := range got.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			firstSub = aws.ToString(a.Value)
		}
	}
	if p, err := f.store.Partner(ctx, "initech"); err != nil || firstSub == "" || p.AdminSub != firstSub {
		t.Fatalf("the administrator is bound to sub %q, Cognito's is %q (%v)", p.AdminSub, firstSub, err)
	}
	first := f.adminSignIn(t, "initech-admin", tmp, pw)
	f.do(t, "GET", "/partners/initech", first.IDToken, "", http.StatusOK)

	if _, err := f.idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(lp.id), Username: aws.String("initech-admin")}); err != nil {
		t.Fatal(err)
	}
	tmp2, pw2 := "Tmp-"+refresh.RandomPassword(), refresh.RandomPassword()
	if _, err := f.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(lp.id), Username: aws.String("initech-admin"),
		TemporaryPassword: aws.String(tmp2), MessageAction: "SUPPRESS",
	}); err != nil {
		t.Fatal(err)
	}
	second := f.adminSignIn(t, "initech-admin", tmp2, pw2)
	for _, c := range []struct{ method, path string }{
		{"GET", "/partners/initech"}, {"POST", "/partners/initech/rotate"}, {"DELETE", "/partners/initech"},
	} {
		for _, tok := range []string{second.IDToken, second.AccessToken} {
			if code, _ := errorCode(t, f.do(t, c.method, c.path, tok, "", http.StatusUnauthorized)); code != refresh.CodeIdentityRebound {
				t.Errorf("%s %s by the re-created administrator: code %s", c.method, c.path, code)
			}
		}
	}
	p, err := f.store.Partner(ctx, "initech")
	if err != nil || p.Status != "active" || p.Version != cred.Version {
		t.Fatalf("the partner after the re-created administrator's attempts: %+v %v", p, err)
	}
	if rec := f.exchange(t, cred.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("the partner's credential after the attempts: %d", rec.Code)
	}
	if !strings.Contains(f.logs.String(), `"reason":"identity_rebound"`) {
		t.Error("the logs lack reason identity_rebound")
	}
	assertNoSecrets(t, f.logs.String(), tmp, pw, tmp2, pw2, cred.RefreshToken, first.IDToken, second.IDToken, second.AccessToken)
}

// Registration with an administrator: bad input refused before anything is
// created; a name taken at Cognito or in the mapping, or Cognito failing
// at the administrator's creation, leaves nothing behind — no partner, no
// mapping user, no Cognito user this registration made, its refresh token
// revoked — and never deletes a user it did not make.
func TestPartnerAdminRegistrationFaults(t *testing.T) {
	ctx := context.Background()
	f := newSelfServiceFixture(t)
	lp := f.lp
	gone := func(t *testing.T, partnerID string, cognitoUsers ...string) {
		t.Helper()
		if _, err := f.store.Partner(ctx, partnerID); err == nil {
			t.Errorf("partner %s remains", partnerID)
		}
		if _, err := f.store.UserByUsername(ctx, lp.id, "partner-"+partnerID); err == nil {
			t.Errorf("the mapping user of %s remains", partnerID)
		}
		for _, u := range cognitoUsers {
			if _, err := f.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(lp.id), Username: aws.String(u)}); err == nil {
				t.Errorf("Cognito user %s remains", u)
			}
		}
	}
	for _, c := range []struct {
		name, body, field string
	}{
		{"name without e-mail", `{"partner_id":"b1","admin_username":"b1-admin"}`, "admin_email"},
		{"e-mail without name", `{"partner_id":"b2","admin_email":"a@example.com"}`, "admin_username"},
		{"not an e-mail", `{"partner_id":"b3","admin_username":"b3-admin","admin_email":"nobody"}`, "admin_email"},
		{"two addresses", `{"partner_id":"b4","admin_username":"b4-admin","admin_email":"a@example.com,b@example.com"}`, "admin_email"},
		{"the partner's own name", `{"partner_id":"b5","admin_username":"partner-b5","admin_email":"a@example.com"}`, "admin_username"},
		{"a space in the name", `{"partner_id":"b6","admin_username":"b6 admin","admin_email":"a@example.com"}`, "admin_username"},
		{"empty name", `{"partner_id":"b7","admin_username":"","admin_email":"a@example.com"}`, "admin_username"},
		{"long password", `{"partner_id":"b8","admin_username":"b8-admin","admin_email":"a@example.com","admin_temporary_password":"` + strings.Repeat("x", 300) + `"}`, "admin_temporary_password"},
		{"password alone", `{"partner_id":"b9","admin_temporary_password":"Tmp-1234567!a"}`, "admin_username"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := f.call(t, "POST", "/partners", lp.adminToken, c.body)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), c.field) {
				t.Fatalf("%d %s, want 400 naming %s", rec.Code, rec.Body, c.field)
			}
			var b struct {
				PartnerID string `json:"partner_id"`
			}
			_ = json.Unmarshal([]byte(c.body), &b)
			gone(t, b.PartnerID, "partner-"+b.PartnerID)
		})
	}

	// A name that exists at Cognito: 409, and that user stays.
	if err := lp.partners.User(ctx, "taken-admin", refresh.RandomPassword()); err != nil {
		t.Fatal(err)
	}
	rec := f.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"c1","admin_username":"taken-admin","admin_email":"a@example.com","admin_temporary_password":"Tmp-1234567!a"}`)
	if rec.Code != http.StatusConflict {
		t.Fatalf("administrator name taken at Cognito: %d %s", rec.Code, rec.Body)
	}
	gone(t, "c1", "partner-c1")
	if _, err := f.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(lp.id), Username: aws.String("taken-admin")}); err != nil {
		t.Fatalf("the registration deleted a user it did not make: %v", err)
	}

	// A name that administers a partner in the mapping (its Cognito user
	// deleted by hand since): the transaction refuses, and the Cognito
	// users this registration made are deleted again.
	first := f.registerWithAdmin(t, "c2", "dup-admin", "Tmp-1234567!a")
	if _, err := f.idp.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(lp.id), Username: aws.String("dup-admin")}); err != nil {
		t.Fatal(err)
	}
	rec = f.call(t, "POST", "/partners", lp.adminToken, `{"partner_id":"c3","admin_username":"dup-admin","admin_email":"a@example.com","admin_temporary_password":"Tmp-1234567!a"}`)
	if rec.Code != http.StatusConflict {
		t.Fatalf("administrator name taken in the mapping: %d %s", rec.Code, rec.Body)
	}
	gone(t, "c3", "partner-c3", "dup-admin")
	if p, err := f.store.Partner(ctx, "c2"); err != nil || p.AdminUsername != "dup-admin" || p.AdminSub == "" {
		t.Fatalf("the first partner's administrator: %+v %v", p, err)
	}
	if rec := f.exchange(t, first.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("the first partner's credential: %d", rec.Code)
	}
	assertNoSecrets(t, f.logs.String(), first.RefreshToken, lp.adminToken, "Tmp-1234567!a")
}

// Cognito failing at the administrator's creation (in-process stand-in:
// no local service can be made to fail one call): 503, and the partner's
// own user, its mapping user and its refresh token are undone.
func TestPartnerAdminCreationFails(t *testing.T) {
	ctx := context.Background()
	f, fc, admin := newRotationFixture(t)
	fc.mu.Lock()
	fc.failCreate = "d1-admin"
	fc.mu.Unlock()
	rec := f.call(t, "POST", "/partners", admin, `{"partner_id":"d1","admin_username":"d1-admin","admin_email":"a@example.com"}`)
	expectFixed(t, rec, http.StatusServiceUnavailable, refresh.CodeUnavailable)
	fc.mu.Lock()
	_, exists := fc.users["partner-d1"]
	fc.mu.Unlock()
	if exists {
		t.Error("the partner's Cognito user remains")
	}
	if len(fc.revokedTokens()) != 1 {
		t.Errorf("%d tokens revoked, want the failed registration's", len(fc.revokedTokens()))
	}
	if _, err := f.store.Partner(ctx, "d1"); err == nil {
		t.Error("a partner record remains")
	}
	if _, err := f.store.UserByUsername(ctx, fc.issuer.UserPoolID(), "partner-d1"); err == nil {
		t.Error("the mapping user remains")
	}
}

// Cognito's answer for the administrator it created naming no sub
// (in-process stand-in: no local service answers so): the administrator
// cannot be bound, so the registration fails with 503 and undoes all of
// it, the administrator's Cognito user included.
func TestPartnerAdminCreatedWithoutSub(t *testing.T) {
	ctx := context.Background()
	f, fc, admin := newRotationFixture(t)
	fc.mu.Lock()
	fc.noSub = "e1-admin"
	fc.mu.Unlock()
	rec := f.call(t, "POST", "/partners", admin, `{"partner_id":"e1","admin_username":"e1-admin","admin_email":"a@example.com"}`)
	expectFixed(t, rec, http.StatusServiceUnavailable, refresh.CodeUnavailable)
	fc.mu.Lock()
	_, partnerUser := fc.users["partner-e1"]
	_, adminUser := fc.users["e1-admin"]
	fc.mu.Unlock()
	if partnerUser || adminUser {
		t.Errorf("Cognito users remain: partner %v, administrator %v", partnerUser, adminUser)
	}
	if _, err := f.store.Partner(ctx, "e1"); err == nil {
		t.Error("a partner record remains")
	}
}
