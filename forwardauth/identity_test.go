package forwardauth_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// The documentation and the proxy examples list the identity fields; these
// tests hold every such list to authorizer.IdentityFields, the one table, so
// that a field added there and forgotten here fails (and the example
// configurations, which the real-proxy tests also run, copy every header).

// docRow is one field as a documentation table or list states it.
type docRow struct {
	key, header string // "" when the list has no such column
	list        bool   // the row says "space-separated"
}

// checkRows compares documented rows with the table: every field once, no
// other; key and header of the same field; lists, and only lists, said to be
// space-separated (when checkList).
func checkRows(t *testing.T, where string, rows []docRow, checkList bool) {
	t.Helper()
	fields := authorizer.IdentityFields()
	if len(rows) == 0 {
		t.Errorf("%s: no list of identity fields found", where)
		return
	}
	seen := map[string]bool{}
	for _, r := range rows {
		i := -1
		for j, f := range fields {
			if (r.key == "" || r.key == f.ContextKey) && (r.header == "" || r.header == f.Header) {
				i = j
				break
			}
		}
		if i < 0 {
			t.Errorf("%s: %q %q is no identity field (or key and header of two)", where, r.key, r.header)
			continue
		}
		f := fields[i]
		if seen[f.Header] {
			t.Errorf("%s: %s listed twice", where, f.Header)
		}
		seen[f.Header] = true
		if checkList && r.list != f.List {
			t.Errorf("%s: %s: says space-separated %v, but List is %v", where, f.Header, r.list, f.List)
		}
	}
	for _, f := range fields {
		if !seen[f.Header] {
			t.Errorf("%s: %s (%s) missing", where, f.Header, f.ContextKey)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docTable returns the lines of the tab-indented table in a Go doc comment
// headed by heading.
func docTable(t *testing.T, file, heading string) (rows []string) {
	t.Helper()
	_, table, ok := strings.Cut(readFile(t, file), "//\t"+heading+"\n")
	if !ok {
		t.Fatalf("%s: no table headed %q", file, heading)
	}
	for l := range strings.Lines(table) {
		l, ok := strings.CutPrefix(l, "//\t")
		if !ok {
			break
		}
		rows = append(rows, l)
	}
	return rows
}

func TestIdentityFieldsDocumented(t *testing.T) {
	t.Run("IdentityFields' documentation", func(t *testing.T) {
		var rows []docRow
		for _, l := range docTable(t, "../authorizer/identity.go", "context key  header                   value") {
			f := strings.Fields(l)
			if len(f) < 3 {
				t.Fatalf("row %q", l)
			}
			rows = append(rows, docRow{key: f[0], header: f[1], list: strings.Contains(l, "space-separated")})
		}
		checkRows(t, "authorizer/identity.go", rows, true)
	})
	t.Run("README.md", func(t *testing.T) {
		const heading = "| context key | header | value |\n|---|---|---|\n"
		_, table, ok := strings.Cut(readFile(t, "../README.md"), heading)
		if !ok {
			t.Fatalf("no table headed %q", heading)
		}
		var rows []docRow
		for l := range strings.Lines(table) {
			cells := strings.Split(strings.TrimSpace(l), "|")
			if len(cells) != 5 {
				break
			}
			rows = append(rows, docRow{
				key:    strings.Trim(strings.TrimSpace(cells[1]), "`"),
				header: strings.Trim(strings.TrimSpace(cells[2]), "`"),
				list:   strings.Contains(cells[3], "space-separated"),
			})
		}
		checkRows(t, "README.md", rows, true)
	})
	t.Run("examples/README.md Traefik", func(t *testing.T) {
		_, s, ok := strings.Cut(readFile(t, "../examples/README.md"), "- `authResponseHeaders`:")
		if !ok {
			t.Fatal("no authResponseHeaders")
		}
		s, _, _ = strings.Cut(s, "\n- ")
		var rows []docRow
		for _, m := range regexp.MustCompile("`(X-Gatehouse-[A-Za-z-]+)`").FindAllStringSubmatch(s, -1) {
			rows = append(rows, docRow{header: m[1]})
		}
		checkRows(t, "examples/README.md", rows, false)
	})
}

// TestExampleConfigsCopyIdentityHeaders: the nginx example picks up every
// identity header from gatehouse's answer and sends it upstream under the
// same name; the Caddy example copies every one and sets it again after
// reverse_proxy's Connection handling. The real-proxy tests run
// these files; this one needs no proxy installed.
func TestExampleConfigsCopyIdentityHeaders(t *testing.T) {
	t.Run("nginx", func(t *testing.T) {
		conf := readFile(t, "../examples/nginx/gatehouse.conf")
		picked := map[string]string{} // variable -> gatehouse's response header, folded
		for _, m := range regexp.MustCompile(`(?m)^\s*auth_request_set\s+\$(\w+)\s+\$upstream_http_(\w+);`).FindAllStringSubmatch(conf, -1) {
			picked[m[1]] = strings.ReplaceAll(m[2], "_", "-")
		}
		var rows []docRow
		for _, m := range regexp.MustCompile(`(?m)^\s*proxy_set_header\s+(\S+)\s+\$(\w+);`).FindAllStringSubmatch(conf, -1) {
			name, variable := m[1], m[2]
			if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(forwardauth.IdentityHeaderPrefix)) {
				continue
			}
			if picked[variable] != strings.ToLower(name) {
				t.Errorf("proxy_set_header %s $%s: the variable holds gatehouse's %q", name, variable, picked[variable])
			}
			rows = append(rows, docRow{header: name})
		}
		checkRows(t, "examples/nginx/gatehouse.conf", rows, false)
	})
	t.Run("caddy", func(t *testing.T) {
		m := regexp.MustCompile(`(?m)^\s*copy_headers\s+(.+)$`).FindAllStringSubmatch(readFile(t, "../examples/caddy/Caddyfile"), -1)
		if len(m) != 1 {
			t.Fatalf("%d copy_headers lines, want 1", len(m))
		}
		var rows []docRow
		for _, h := range strings.Fields(m[0][1]) {
			rows = append(rows, docRow{header: h})
		}
		checkRows(t, "examples/caddy/Caddyfile", rows, false)

		// header_up sets each identity header again from the value
		// copy_headers put on the request (a client-named Connection
		// header would otherwise remove it).
		rows = nil
		for _, m := range regexp.MustCompile(`(?m)^\s*header_up\s+(X-Gatehouse-\S+)\s+\{http\.request\.header\.(\S+)\}\s*$`).FindAllStringSubmatch(readFile(t, "../examples/caddy/Caddyfile"), -1) {
			if m[1] != m[2] {
				t.Errorf("header_up %s takes the value of %s", m[1], m[2])
			}
			rows = append(rows, docRow{header: m[1]})
		}
		checkRows(t, "examples/caddy/Caddyfile header_up", rows, false)
	})
}
