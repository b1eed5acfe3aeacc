package authorizer

import (
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

func TestIdentityFieldsTable(t *testing.T) {
	keys, headers := map[string]bool{}, map[string]bool{}
	for _, f := range identityFields {
		if f.ContextKey == "" || keys[f.ContextKey] {
			t.Errorf("context key %q empty or repeated", f.ContextKey)
		}
		keys[f.ContextKey] = true
		// Folded as the most lenient server reads a name: two headers one
		// server could confuse are one.
		folded := strings.ToLower(strings.ReplaceAll(f.Header, "_", "-"))
		if headers[folded] {
			t.Errorf("header %q repeated", f.Header)
		}
		headers[folded] = true
		// Set by map assignment, so it must be canonical already; and under
		// the prefix forwardauth strips and refuses.
		if textproto.CanonicalMIMEHeaderKey(f.Header) != f.Header || !strings.HasPrefix(f.Header, "X-Gatehouse-") || strings.Contains(f.Header, "_") {
			t.Errorf("header %q: not canonical, or not under X-Gatehouse-", f.Header)
		}
		if (f.str == nil) != f.List || (f.items == nil) != !f.List {
			t.Errorf("%s: List is %v but the row reads the other kind", f.ContextKey, f.List)
		}
	}
	fields := IdentityFields()
	if len(ContextKeys) != len(fields) {
		t.Fatalf("ContextKeys %v, table %d rows", ContextKeys, len(fields))
	}
	for i, f := range fields {
		if ContextKeys[i] != f.ContextKey {
			t.Errorf("ContextKeys %v not in table order", ContextKeys)
		}
	}
	fields[0].ContextKey = "changed"
	if identityFields[0].ContextKey == "changed" {
		t.Error("IdentityFields shares the table")
	}
}

// TestIdentityFieldsCoverIdentity fails when Identity gains a field that no
// row sends, or a row sends something else: every field is set to a value
// of its own and must come out under exactly one key.
func TestIdentityFieldsCoverIdentity(t *testing.T) {
	var id Identity
	v := reflect.ValueOf(&id).Elem()
	want := map[string]string{}
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			fv.SetString("s-" + name)
			want["s-"+name] = name
		case reflect.Slice:
			fv.Set(reflect.ValueOf([]string{"a-" + name, "b-" + name}))
			want["a-"+name+" b-"+name] = name
		default:
			t.Fatalf("Identity.%s: a %s; teach IdentityField how to send it", name, fv.Kind())
		}
	}
	ctx := Context(&id)
	if len(ctx) != len(identityFields) {
		t.Fatalf("context has %d keys, table %d rows", len(ctx), len(identityFields))
	}
	for _, f := range identityFields {
		got := f.Value(&id)
		if ctx[f.ContextKey] != got {
			t.Errorf("context %s = %v, Value %q", f.ContextKey, ctx[f.ContextKey], got)
		}
		if f.List && strings.Join(f.Items(&id), " ") != got || !f.List && f.Items(&id) != nil {
			t.Errorf("%s: Items disagrees with Value %q", f.ContextKey, got)
		}
		if _, ok := want[got]; !ok {
			t.Errorf("%s sends %q, no Identity field's value", f.ContextKey, got)
		}
		delete(want, got)
	}
	for _, name := range want {
		t.Errorf("Identity.%s is sent under no context key or header: add a row to identityFields", name)
	}
}
