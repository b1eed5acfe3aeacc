package refresh_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/openapicheck"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// TestOpenAPIDocument runs every documented operation through the handler
// and checks each request and response against openapi.json: the
// successful answers and every error status the document lists that a
// test can provoke. Requests that are malformed on purpose are not checked
// against the document (they are meant not to match), their answers are.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := openapicheck.LoadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	f, fc, admin := newRotationFixture(t)
	is, _ := newIssuerVerifier(t, "admin-web") // another pool: its tokens are refused
	stranger := is.IDToken("olga", "admin-web", cognitotest.WithGroups(adminGroup))
	seen := map[openapicheck.Operation]map[int]bool{}

	call := func(method, path, bearer, ctype, body string, validRequest bool) *httptest.ResponseRecorder {
		t.Helper()
		op, ok := doc.FindOperation(method, path)
		if !ok {
			t.Fatalf("%s %s is not documented", method, path)
		}
		if validRequest {
			if err := doc.CheckRequest(method, op.Path, ctype, []byte(body)); err != nil {
				t.Errorf("request %s %s: %v", method, path, err)
			}
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if err := doc.CheckResponse(method, op.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
			t.Errorf("response %s %s: %v\n%s", method, path, err, rec.Body)
		}
		if seen[op] == nil {
			seen[op] = map[int]bool{}
		}
		seen[op][rec.Code] = true
		return rec
	}
	const js = "application/json"
	expect := func(rec *httptest.ResponseRecorder, status int) {
		t.Helper()
		if rec.Code != status {
			t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
		}
	}

	// Register.
	rec := call("POST", "/partners", admin, js, `{"partner_id":"doc-co","username":"doc-user","internal_id":"p-doc"}`, true)
	expect(rec, http.StatusCreated)
	var cred struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &cred); err != nil {
		t.Fatal(err)
	}
	expect(call("POST", "/partners", admin, js, `{"partner_id":"doc-co"}`, true), http.StatusConflict)
	expect(call("POST", "/partners", admin, js, `{"partner_id":"doc-co","extra":1}`, false), http.StatusBadRequest)
	expect(call("POST", "/partners", "", js, `{"partner_id":"x"}`, true), http.StatusUnauthorized)
	expect(call("POST", "/partners", stranger, js, `{"partner_id":"x"}`, true), http.StatusUnauthorized)
	expect(call("POST", "/partners", f.adminIssuer.IDToken("peter", "admin-web"), js, `{"partner_id":"x"}`, true), http.StatusForbidden)
	expect(call("POST", "/partners", admin, "text/plain", `{"partner_id":"x"}`, false), http.StatusUnsupportedMediaType)
	expect(call("POST", "/partners", admin, js, `{"partner_id":"`+strings.Repeat("x", 20000)+`"}`, false), http.StatusRequestEntityTooLarge)

	// Exchange (rotation on: a new refresh token comes back).
	rec = call("POST", "/partners/token", "", js, `{"refresh_token":"`+cred.RefreshToken+`"}`, true)
	expect(rec, http.StatusOK)
	var tr struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil || tr.RefreshToken == "" {
		t.Fatalf("exchange: %v", err)
	}
	expect(call("POST", "/partners/token", "", js, `{"refresh_token":"`+cred.RefreshToken+`"}`, true), http.StatusUnauthorized)
	expect(call("POST", "/partners/token", "", js, `{"token":"x"}`, false), http.StatusBadRequest)
	expect(call("POST", "/partners/token", "", "text/plain", `x`, false), http.StatusUnsupportedMediaType)
	expect(call("POST", "/partners/token", "", js, `{"refresh_token":"`+strings.Repeat("x", 20000)+`"}`, true), http.StatusRequestEntityTooLarge)
	fc.set(true, false)
	expect(call("POST", "/partners/token", "", js, `{"refresh_token":"`+tr.RefreshToken+`"}`, true), http.StatusServiceUnavailable)
	fc.set(false, false)

	// Show.
	expect(call("GET", "/partners/doc-co", admin, "", "", true), http.StatusOK)
	expect(call("GET", "/partners/nobody", admin, "", "", true), http.StatusNotFound)
	expect(call("GET", "/partners/bad%20id", admin, "", "", false), http.StatusBadRequest)
	expect(call("GET", "/partners/doc-co", "", "", "", true), http.StatusUnauthorized)

	// Rotate.
	expect(call("POST", "/partners/doc-co/rotate", admin, "", "", true), http.StatusOK)
	expect(call("POST", "/partners/doc-co/rotate", admin, js, "{}", true), http.StatusOK)
	expect(call("POST", "/partners/doc-co/rotate", admin, js, `{"x":1}`, false), http.StatusBadRequest)
	expect(call("POST", "/partners/nobody/rotate", admin, "", "", true), http.StatusNotFound)

	// Revoke: Cognito failing first (503 cognito_not_revoked), then again.
	fc.set(false, true)
	expect(call("DELETE", "/partners/doc-co", admin, "", "", true), http.StatusServiceUnavailable)
	fc.set(false, false)
	expect(call("DELETE", "/partners/doc-co", admin, "", "", true), http.StatusOK)
	expect(call("DELETE", "/partners/nobody", admin, "", "", true), http.StatusNotFound)
	expect(call("POST", "/partners/doc-co/rotate", admin, "", "", true), http.StatusConflict)

	// 405s, checked against the documented operations of the same path.
	for _, c := range []struct{ method, path, doc string }{
		{"PUT", "/partners/token", "POST"}, {"GET", "/partners", "POST"}, {"PATCH", "/partners/x", "GET"}, {"GET", "/partners/x/rotate", "POST"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		op, _ := doc.FindOperation(c.doc, c.path)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
			t.Errorf("%s %s: %d, Allow %q", c.method, c.path, rec.Code, rec.Header().Get("Allow"))
		}
		if err := doc.CheckResponse(c.doc, op.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		}
	}

	for _, op := range doc.Operations() {
		if strings.HasPrefix(op.Path, "/partners/auth/") {
			continue // partner administrators' sign-in: TestPartnerAdminSelfService checks it against the document, on cognito-local
		}
		codes := seen[op]
		if !codes[http.StatusOK] && !codes[http.StatusCreated] {
			t.Errorf("operation %s was not exercised successfully", op)
		}
	}
}
