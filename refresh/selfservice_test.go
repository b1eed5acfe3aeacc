package refresh_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
