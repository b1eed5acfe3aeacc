package portal_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// TestOneReadingOfABody: a body whose members encoding/json would match to
// one field under case folding is refused before anything happens (the
// issue's attack: {"username":"bob","USERNAME":"alice",...} signed in as
// alice), and so is a folded spelling on its own.
func TestOneReadingOfABody(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(nil)
	dana := f.signIn("dana").IDToken
	for _, tc := range []struct {
		name, path, token, body string
		code, field             string
	}{
		{"sign-in username twice by case", "/auth/sign-in", "", `{"username":"nobody","USERNAME":"dana","password":"` + password + `"}`, "duplicate_field", "USERNAME"},
		{"sign-in long s", "/auth/sign-in", "", `{"username":"nobody","uſername":"dana","password":"` + password + `"}`, "duplicate_field", "uſername"},
		{"sign-in folded spelling alone", "/auth/sign-in", "", `{"USERNAME":"dana","password":"` + password + `"}`, "invalid_request", "USERNAME"},
		{"refresh token twice by case", "/auth/refresh", "", `{"username":"dana","refresh_token":"junk","REFRESH_TOKEN":"x"}`, "duplicate_field", "REFRESH_TOKEN"},
		{"name twice by case", "/clients", dana, `{"name":"a","NAME":"b"}`, "duplicate_field", "NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(h, "POST", tc.path, tc.token, tc.body)
			e, _ := r.json["error"].(map[string]any)
			if r.status != http.StatusBadRequest || r.errorCode() != tc.code || e["field"] != tc.field {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if n := len(f.cognitoClients()); n != 0 {
		t.Fatalf("refused bodies created %d clients", n)
	}
}

// TestContentType: a present body must be application/json (415
// otherwise), as in the partner service; an absent one needs none.
func TestContentType(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	h := f.handler(nil)
	dana := f.signIn("dana").IDToken
	signIn := `{"username":"dana","password":"` + password + `"}`
	for _, tc := range []struct {
		name, path, token, ctype, body string
		status                         int
	}{
		{"sign-in without type", "/auth/sign-in", "", "", signIn, 415},
		{"sign-in as text", "/auth/sign-in", "", "text/plain", signIn, 415},
		{"sign-in +json suffix", "/auth/sign-in", "", "application/vnd.x+json", signIn, 415},
		{"sign-in latin-1", "/auth/sign-in", "", "application/json; charset=iso-8859-1", signIn, 415},
		{"sign-in upper case, utf-8", "/auth/sign-in", "", "Application/JSON; charset=UTF-8", signIn, 200},
		{"sign-in without body", "/auth/sign-in", "", "", "", 400},
		{"create without type", "/clients", dana, "", `{"name":"x"}`, 415},
		{"reset with a form", "/clients/abc/reset", dana, "application/x-www-form-urlencoded", `a=b`, 415},
		{"create without body or type", "/clients", dana, "", "", 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(f.ctx, "POST", tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if tc.status == 415 && !strings.Contains(rec.Body.String(), `"unsupported_media_type"`) {
				t.Fatalf("%s", rec.Body)
			}
			d := openAPI(t)
			op, _ := d.FindOperation("POST", tc.path)
			if err := d.CheckResponse("POST", op.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMisconfiguredTable: a missing table is classified from the error
// DynamoDB (moto) returns as a configuration error — 500
// configuration_error, not a retryable 503 — with one error log line
// naming the table.
func TestMisconfiguredTable(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	const table = "portal-test-no-such-table"
	missing, err := mapping.New(mapping.Config{Table: table, DynamoDB: f.ddb, CacheSize: -1})
	must(t, err)
	h := f.handler(func(c *portal.Config) { c.Directory = missing })
	dana := f.signIn("dana").IDToken
	mark := len(f.logs.String())
	r := f.do(h, "GET", "/clients", dana, "")
	if r.status != http.StatusInternalServerError || r.errorCode() != "configuration_error" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var errorLines []string
	for line := range strings.SplitSeq(f.logs.String()[mark:], "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			errorLines = append(errorLines, line)
		}
	}
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], table) {
		t.Fatalf("want one error line naming the table; got %q", errorLines)
	}
}
