package openapicheck

import (
	"strings"
	"testing"
)

const doc = `{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/items": {
      "post": {
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}}},
        "responses": {
          "201": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
          "4XX": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
          "type": "object", "required": ["items"], "additionalProperties": false,
          "properties": {"items": {"type": "array", "maxItems": 2, "items": {"$ref": "#/components/schemas/Item"}}}}}}}}
      }
    },
    "/items/{id}": {
      "delete": {"responses": {"204": {"description": "gone"}, "default": {"$ref": "#/components/responses/Error"}}}
    },
    "/items/special": {
      "delete": {"responses": {"204": {"description": "gone"}}}
    }
  },
  "components": {
    "schemas": {
      "NewItem": {"type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
                       "count": {"type": "integer", "minimum": 1, "maximum": 10},
                       "kind": {"type": "string", "enum": ["a", "b"]},
                       "note": {"type": ["string", "null"]}}},
      "Item": {"type": "object", "required": ["id", "created_at"],
        "properties": {"id": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
                       "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                       "old": {"type": "string", "nullable": true}}},
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
    },
    "responses": {"Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
  }
}`

func mustParse(t *testing.T) *Doc {
	t.Helper()
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCheckRequest(t *testing.T) {
	d := mustParse(t)
	tests := []struct {
		name, method, path, ct, body string
		wantErr                      string
	}{
		{"ok", "POST", "/items", "application/json", `{"name":"ab","count":3,"kind":"a","note":null}`, ""},
		{"ok charset", "post", "/items", "application/json; charset=utf-8", `{"name":"ab"}`, ""},
		{"missing required", "POST", "/items", "application/json", `{"count":3}`, `missing required property "name"`},
		{"extra field", "POST", "/items", "application/json", `{"name":"ab","x":1}`, `property "x" not allowed`},
		{"wrong type", "POST", "/items", "application/json", `{"name":3}`, "/name: expected string, got integer"},
		{"float for integer", "POST", "/items", "application/json", `{"name":"a","count":1.5}`, "expected integer, got number"},
		{"too long", "POST", "/items", "application/json", `{"name":"abcdef"}`, "longer than 5"},
		{"pattern", "POST", "/items", "application/json", `{"name":"AB"}`, "pattern"},
		{"minimum", "POST", "/items", "application/json", `{"name":"a","count":0}`, "below minimum"},
		{"maximum", "POST", "/items", "application/json", `{"name":"a","count":11}`, "above maximum"},
		{"enum", "POST", "/items", "application/json", `{"name":"a","kind":"c"}`, "enum"},
		{"empty required", "POST", "/items", "application/json", ``, "required"},
		{"not json", "POST", "/items", "application/json", `{`, "not JSON"},
		{"trailing", "POST", "/items", "application/json", `{"name":"a"} {}`, "trailing"},
		{"wrong content type", "POST", "/items", "text/plain", `x`, "not documented"},
		{"undocumented op", "PUT", "/items", "application/json", `{}`, "not documented"},
		{"no body documented", "GET", "/items", "application/json", `{}`, "no request body"},
		{"no body ok", "GET", "/items", "", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.CheckRequest(tt.method, tt.path, tt.ct, []byte(tt.body))
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestCheckResponse(t *testing.T) {
	d := mustParse(t)
	tests := []struct {
		name, method, path string
		status             int
		ct, body, wantErr  string
	}{
		{"created", "POST", "/items", 201, "application/json", `{"id":"1","created_at":"2026-11-01T10:00:00Z","tags":{"a":"b"},"old":null}`, ""},
		{"bad date", "POST", "/items", 201, "application/json", `{"id":"1","created_at":"yesterday"}`, "date-time"},
		{"additional schema", "POST", "/items", 201, "application/json", `{"id":"1","created_at":"2026-11-01T10:00:00Z","tags":{"a":1}}`, "/tags/a: expected string"},
		{"range 4XX", "POST", "/items", 409, "application/json", `{"error":{"code":"c","message":"m"}}`, ""},
		{"range bad body", "POST", "/items", 400, "application/json", `{"error":{"code":"c"}}`, `"message"`},
		{"undocumented status", "POST", "/items", 500, "application/json", `{}`, "status not documented"},
		{"list", "GET", "/items", 200, "application/json", `{"items":[{"id":"1","created_at":"2026-11-01T10:00:00+01:00"}]}`, ""},
		{"list too many", "GET", "/items", 200, "application/json", `{"items":[{"id":"1","created_at":"2026-11-01T10:00:00Z"},{"id":"1","created_at":"2026-11-01T10:00:00Z"},{"id":"1","created_at":"2026-11-01T10:00:00Z"}]}`, "more than 2"},
		{"list nested error pointer", "GET", "/items", 200, "application/json", `{"items":[{"id":1,"created_at":"2026-11-01T10:00:00Z"}]}`, "/items/0/id"},
		{"no content ok", "DELETE", "/items/{id}", 204, "", ``, ""},
		{"no content with body", "DELETE", "/items/{id}", 204, "text/plain", `x`, "without content"},
		{"default", "DELETE", "/items/{id}", 503, "application/json", `{"error":{"code":"c","message":"m"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.CheckResponse(tt.method, tt.path, tt.status, tt.ct, []byte(tt.body))
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestOperations(t *testing.T) {
	d := mustParse(t)
	got := d.Operations()
	want := []Operation{{"GET", "/items"}, {"POST", "/items"}, {"DELETE", "/items/special"}, {"DELETE", "/items/{id}"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	for path, want := range map[string]string{"/items/abc": "/items/{id}", "/items/special": "/items/special"} {
		if o, ok := d.FindOperation("delete", path); !ok || o.Path != want {
			t.Errorf("%s -> %v %v", path, o, ok)
		}
	}
	for _, path := range []string{"/items/", "/items/a/b", "/other"} {
		if o, ok := d.FindOperation("DELETE", path); ok {
			t.Errorf("%s matched %v", path, o)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, doc, wantErr string }{
		{"not json", `{`, "not JSON"},
		{"version", `{"openapi":"2.0","paths":{}}`, "not 3.x"},
		{"no paths", `{"openapi":"3.0.3"}`, "no paths"},
		{"unsupported keyword", `{"openapi":"3.0.3","paths":{"/a":{"get":{"responses":{"200":{"description":"x","content":{"application/json":{"schema":{"oneOf":[]}}}}}}}}}`, `"oneOf"`},
		{"dangling ref", `{"openapi":"3.0.3","paths":{"/a":{"get":{"responses":{"200":{"$ref":"#/components/responses/Nope"}}}}}}`, "does not resolve"},
		{"no responses", `{"openapi":"3.0.3","paths":{"/a":{"get":{}}}}`, "no responses"},
		{"bad pattern", `{"openapi":"3.0.3","paths":{"/a":{"get":{"responses":{"200":{"description":"x","content":{"application/json":{"schema":{"type":"string","pattern":"("}}}}}}}}}`, "bad pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			checkErr(t, err, tt.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want containing %q", err, want)
	}
}
