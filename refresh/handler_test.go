package refresh_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

func TestAdminAuthentication(t *testing.T) {
	fc := newFakeCognito(t)
	is, admins := newIssuerVerifier(t, "admin-web", fc.clientID)
	f := newFixture(t, fixtureOptions{
		idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID, secret: fc.secret,
		rotation: true, admins: admins,
	})
	admin := is.IDToken("olga", "admin-web", cognitotest.WithGroups(adminGroup))
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"basic scheme", "Basic b2xnYTpwdw==", http.StatusUnauthorized},
		{"garbage token", "Bearer not.a.jwt", http.StatusUnauthorized},
		{"expired", "Bearer " + is.IDToken("olga", "admin-web", cognitotest.WithGroups(adminGroup), cognitotest.WithExpiry(-1)), http.StatusUnauthorized},
		{"other pool", "Bearer " + fc.issuer.IDToken("olga", "admin-web", cognitotest.WithGroups(adminGroup)), http.StatusUnauthorized},
		{"not in the group", "Bearer " + is.IDToken("peter", "admin-web"), http.StatusForbidden},
		{"other group", "Bearer " + is.IDToken("peter", "admin-web", cognitotest.WithGroups("staff")), http.StatusForbidden},
		{"client credentials", "Bearer " + is.ClientCredentialsToken("admin-web", []string{"x/y"}), http.StatusForbidden},
		{"partner client token", "Bearer " + is.IDToken("olga", fc.clientID, cognitotest.WithGroups(adminGroup)), http.StatusForbidden},
		{"admin ID token", "Bearer " + admin, http.StatusNotFound},
		{"admin access token", "bearer " + is.AccessToken("olga", "admin-web", cognitotest.WithGroups(adminGroup)), http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []struct{ method, path string }{
				{"GET", "/partners/nobody"}, {"DELETE", "/partners/nobody"}, {"POST", "/partners/nobody/rotate"},
			} {
				req := httptest.NewRequest(route.method, route.path, nil)
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				rec := httptest.NewRecorder()
				f.handler.ServeHTTP(rec, req)
				if rec.Code != tc.want {
					t.Errorf("%s %s: %d %s, want %d", route.method, route.path, rec.Code, rec.Body, tc.want)
				}
				if tc.want == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
		})
	}
	// Two Authorization headers are ambiguous.
	req := httptest.NewRequest("GET", "/partners/nobody", nil)
	req.Header.Add("Authorization", "Bearer "+admin)
	req.Header.Add("Authorization", "Bearer "+admin)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("two Authorization headers: %d", rec.Code)
	}
	assertNoSecrets(t, f.logs.String(), admin)
}

func TestRequestErrors(t *testing.T) {
	f, _, admin := newRotationFixture(t)
	big := `{"refresh_token":"` + strings.Repeat("a", refresh.DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name, method, path, body, ctype string
		admin                           bool
		want                            int
		code, mentions                  string
	}{
		{"unknown route", "GET", "/other", "", "", false, 404, refresh.CodeNotFound, ""},
		{"deep route", "GET", "/partners/a/b/c", "", "", false, 404, refresh.CodeNotFound, ""},
		{"exchange by GET", "GET", "/partners/token", "", "", true, 405, refresh.CodeMethodNotAllowed, "POST"},
		{"exchange by PUT", "PUT", "/partners/token", "{}", "application/json", false, 405, refresh.CodeMethodNotAllowed, "POST"},
		{"register by GET", "GET", "/partners", "", "", true, 405, refresh.CodeMethodNotAllowed, ""},
		{"exchange without body", "POST", "/partners/token", "", "application/json", false, 400, refresh.CodeInvalidRequest, "body"},
		{"exchange not JSON", "POST", "/partners/token", "refresh_token=x", "application/json", false, 400, refresh.CodeInvalidRequest, "JSON"},
		{"exchange form type", "POST", "/partners/token", `{"refresh_token":"x"}`, "application/x-www-form-urlencoded", false, 415, refresh.CodeUnsupportedType, ""},
		{"exchange missing field", "POST", "/partners/token", `{}`, "application/json", false, 400, refresh.CodeInvalidRequest, "refresh_token"},
		{"exchange unknown field", "POST", "/partners/token", `{"refresh_token":"x","scope":"all"}`, "application/json", false, 400, refresh.CodeInvalidRequest, `"scope"`},
		{"exchange number", "POST", "/partners/token", `{"refresh_token":5}`, "application/json", false, 400, refresh.CodeInvalidRequest, "refresh_token"},
		{"exchange duplicate", "POST", "/partners/token", `{"refresh_token":"a","refresh_token":"b"}`, "application/json", false, 400, refresh.CodeDuplicateField, "refresh_token"},
		{"exchange duplicate by case", "POST", "/partners/token", `{"refresh_token":"junk","REFRESH_TOKEN":"valid"}`, "application/json", false, 400, refresh.CodeDuplicateField, "REFRESH_TOKEN"},
		{"exchange folded spelling", "POST", "/partners/token", `{"refresh_tokeN":"x"}`, "application/json", false, 400, refresh.CodeInvalidRequest, "case-sensitive"},
		{"exchange no content type", "POST", "/partners/token", `{"refresh_token":"x"}`, "", false, 415, refresh.CodeUnsupportedType, ""},
		{"exchange latin-1", "POST", "/partners/token", `{"refresh_token":"x"}`, "application/json; charset=iso-8859-1", false, 415, refresh.CodeUnsupportedType, ""},
		{"exchange upper-case type", "POST", "/partners/token", `{"refresh_token":"x"}`, "Application/JSON; charset=UTF-8", false, 401, refresh.CodeUnauthorized, ""},
		{"register duplicate by case", "POST", "/partners", `{"partner_id":"dupa","PARTNER_ID":"dupb"}`, "application/json", true, 400, refresh.CodeDuplicateField, "PARTNER_ID"},
		{"register long s", "POST", "/partners", `{"partner_id":"dupa","username":"y","u\u017fername":"x"}`, "application/json", true, 400, refresh.CodeDuplicateField, "uſername"},
		{"exchange array", "POST", "/partners/token", `["x"]`, "application/json", false, 400, refresh.CodeInvalidRequest, "object"},
		{"exchange trailing", "POST", "/partners/token", `{"refresh_token":"x"} {}`, "application/json", false, 400, refresh.CodeInvalidRequest, "after"},
		{"exchange too large", "POST", "/partners/token", big, "application/json", false, 413, refresh.CodeTooLarge, ""},
		{"exchange unknown token", "POST", "/partners/token", `{"refresh_token":"x"}`, "application/json; charset=utf-8", false, 401, refresh.CodeUnauthorized, ""},
		{"register missing id", "POST", "/partners", `{"username":"u"}`, "application/json", true, 400, refresh.CodeInvalidRequest, "partner_id"},
		{"register bad id", "POST", "/partners", `{"partner_id":"a b"}`, "application/json", true, 400, refresh.CodeInvalidRequest, "partner_id"},
		{"register reserved id", "POST", "/partners", `{"partner_id":"token"}`, "application/json", true, 400, refresh.CodeInvalidRequest, "partner_id"},
		{"register bad username", "POST", "/partners", `{"partner_id":"a","username":"x\u0001"}`, "application/json", true, 400, refresh.CodeInvalidRequest, "username"},
		{"register empty internal id", "POST", "/partners", `{"partner_id":"a","internal_id":""}`, "application/json", true, 400, refresh.CodeInvalidRequest, "internal_id"},
		{"register unknown field", "POST", "/partners", `{"partner_id":"a","password":"p"}`, "application/json", true, 400, refresh.CodeInvalidRequest, `"password"`},
		{"rotate with a body", "POST", "/partners/a/rotate", `{"force":true}`, "application/json", true, 400, refresh.CodeInvalidRequest, `"force"`},
		{"rotate unknown", "POST", "/partners/a/rotate", "", "", true, 404, refresh.CodeNotFound, ""},
		{"show bad id", "GET", "/partners/a%20b", "", "", true, 400, refresh.CodeInvalidRequest, "partner_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.admin {
				req.Header.Set("Authorization", "Bearer "+admin)
			}
			rec := httptest.NewRecorder()
			f.handler.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			code, msg := errorCode(t, rec)
			if code != tc.code || !strings.Contains(msg, tc.mentions) {
				t.Errorf("error %s %q, want %s mentioning %q", code, msg, tc.code, tc.mentions)
			}
			if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
}

// TestDependencyFailures: Cognito, KMS or DynamoDB trouble gives 503 (or
// 500 for a sealed value that does not open) with a fixed message.
func TestDependencyFailures(t *testing.T) {
	ctx := context.Background()
	f, fc, admin := newRotationFixture(t)
	cred := f.register(t, admin, "hooli")

	fc.set(true, false)
	rec := f.exchange(t, cred.RefreshToken)
	expectFixed(t, rec, http.StatusServiceUnavailable, refresh.CodeUnavailable)
	rec = f.call(t, "POST", "/partners", admin, `{"partner_id":"pied-piper"}`)
	expectFixed(t, rec, http.StatusServiceUnavailable, refresh.CodeUnavailable)
	fc.set(false, false)
	if _, err := f.store.Partner(ctx, "pied-piper"); err == nil {
		t.Error("a failed registration left a partner")
	}
	if rec := f.exchange(t, cred.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange once Cognito is back: %d %s", rec.Code, rec.Body)
	}

	// KMS unreachable: the same table, a KMS client on a closed port.
	e := testEnv(t)
	closed := closedURL(t)
	p, _ := f.store.Partner(ctx, "hooli")
	token := mustOpen(t, f.store, p)
	brokenKMS, err := mapping.New(mapping.Config{
		Table: f.store.Table(), DynamoDB: e.ddb, CacheTTL: -1, MaxAttempts: 1,
		Keys: keysOf(t, kms.NewFromConfig(e.cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(closed) }), e.keyID,
			func(o *kms.Options) { o.RetryMaxAttempts = 1 }),
	})
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, fixtureOptions{idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID,
		secret: fc.secret, rotation: true, admins: f.handlerAdmins(t), store: brokenKMS})
	expectFixed(t, g.exchange(t, token), http.StatusServiceUnavailable, refresh.CodeUnavailable)

	// Another KMS key: the sealed value does not open. 500, no detail.
	key, err := e.kms.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	// moto answers a Decrypt naming another key AccessDeniedException (in
	// AWS an IAM refusal: configuration_error); AWS answers
	// IncorrectKeyException, which KMSWithAWSErrors gives.
	awsKMS := localservices.KMSWithAWSErrors(t)
	otherKey, err := mapping.New(mapping.Config{Table: f.store.Table(), DynamoDB: e.ddb, CacheTTL: -1,
		Keys: keysOf(t, kms.NewFromConfig(e.cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(awsKMS.URL) }), *key.KeyMetadata.KeyId)})
	if err != nil {
		t.Fatal(err)
	}
	h := newFixture(t, fixtureOptions{idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID,
		secret: fc.secret, rotation: true, admins: f.handlerAdmins(t), store: otherKey})
	expectFixed(t, h.exchange(t, token), http.StatusInternalServerError, refresh.CodeInternal)

	// Revoke while Cognito's RevokeToken fails: revoked in the store all
	// the same (the exchange refuses), and 503 cognito_not_revoked.
	fc.set(false, true)
	rec = f.call(t, "DELETE", "/partners/hooli", admin, "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("revoke with Cognito down: %d %s", rec.Code, rec.Body)
	}
	if code, _ := errorCode(t, rec); code != refresh.CodeNotRevokedAtIdP {
		t.Errorf("code %s", code)
	}
	fc.set(false, false)
	if rec := f.exchange(t, token); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange after a half revoke: %d", rec.Code)
	}
	if p, _ := f.store.Partner(ctx, "hooli"); p.Status != mapping.PartnerRevoked || len(p.SealedRefreshToken) == 0 {
		t.Errorf("after a half revoke: status %s, sealed copy kept %v; want revoked and kept for the retry", p.Status, len(p.SealedRefreshToken) > 0)
	}
	if slices.Contains(fc.revokedTokens(), token) {
		t.Fatal("Cognito recorded a revocation it refused")
	}
	// The retry revokes at Cognito, then drops the sealed copy; once
	// dropped, a further revoke calls Cognito no more.
	if rec := f.call(t, "DELETE", "/partners/hooli", admin, ""); rec.Code != http.StatusOK {
		t.Fatalf("retried revoke: %d %s", rec.Code, rec.Body)
	}
	if !slices.Contains(fc.revokedTokens(), token) {
		t.Error("the retried revoke did not revoke the token at Cognito")
	}
	if p, _ := f.store.Partner(ctx, "hooli"); p.Status != mapping.PartnerRevoked || len(p.SealedRefreshToken) != 0 {
		t.Errorf("after the retry: status %s, sealed copy kept %v; want revoked and dropped", p.Status, len(p.SealedRefreshToken) > 0)
	}
	n := len(fc.revokedTokens())
	if rec := f.call(t, "DELETE", "/partners/hooli", admin, ""); rec.Code != http.StatusOK || len(fc.revokedTokens()) != n {
		t.Fatalf("revoke of a finished revocation: %d, Cognito called again: %v", rec.Code, len(fc.revokedTokens()) != n)
	}
	if rec := f.exchange(t, token); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange after the revocation: %d", rec.Code)
	}
	assertNoSecrets(t, f.logs.String()+g.logs.String()+h.logs.String(), token, cred.RefreshToken, fc.secret)
}

// expectFixed checks status and code and that the message is the fixed one
// (no dependency detail).
func expectFixed(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, status)
	}
	got, msg := errorCode(t, rec)
	if got != code {
		t.Errorf("code %s, want %s", got, code)
	}
	for _, leak := range []string{"kms", "KMS", "dynamo", "Cognito", "cognito", "127.0.0.1", "Exception", "mapping"} {
		if strings.Contains(msg, leak) {
			t.Errorf("message %q leaks %q", msg, leak)
		}
	}
}

func mustOpen(t *testing.T, s *mapping.Store, p mapping.Partner) string {
	t.Helper()
	b, err := s.OpenPartnerToken(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// handlerAdmins is a verifier nobody has a token for.
func (f *fixture) handlerAdmins(t *testing.T) refresh.AdminVerifier {
	_, v := newIssuerVerifier(t, "admin-web")
	return v
}

var _ refresh.AdminVerifier = (*jwtverify.Verifier)(nil)

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}
