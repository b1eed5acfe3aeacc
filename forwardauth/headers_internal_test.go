package forwardauth

import (
	"bufio"
	"errors"
	"net/http"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

var goodIdentity = authorizer.Identity{
	InternalID: "u-1", Kind: authorizer.CallerUser, Username: "alice", ClientID: "web",
	TokenUse: "access", Scopes: []string{"orders/read", "orders/write"}, Groups: []string{"admins"},
}

// TestIdentityValuesCheckEveryField puts a value no header can carry
// faithfully into each field of Identity in turn, whatever its position in
// the table: every one must be refused, not only those the check once
// listed by position.
func TestIdentityValuesCheckEveryField(t *testing.T) {
	good := goodIdentity
	v, err := identityValues(&good)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range identityFields {
		if v[i] != f.Value(&good) {
			t.Errorf("%s = %q, want %q", f.Header, v[i], f.Value(&good))
		}
	}
	badStrings := []string{"a\r\nX-Evil: 1", "a\x00", "a\x7f", " a", "a\t", "\x1b"}
	badLists := [][]string{{""}, {"a b"}, {"a", "b\n"}, {" a"}, {"a\x01"}, {"a", ""}}
	typ := reflect.TypeFor[authorizer.Identity]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		switch typ.Field(i).Type.Kind() {
		case reflect.String:
			for _, bad := range badStrings {
				id := good
				reflect.ValueOf(&id).Elem().Field(i).SetString(bad)
				if _, err := identityValues(&id); !errors.Is(err, errUnsafeIdentity) {
					t.Errorf("%s = %q: got %v, want errUnsafeIdentity", name, bad, err)
				}
			}
		case reflect.Slice:
			for _, bad := range badLists {
				id := good
				reflect.ValueOf(&id).Elem().Field(i).Set(reflect.ValueOf(bad))
				if _, err := identityValues(&id); !errors.Is(err, errUnsafeIdentity) {
					t.Errorf("%s = %q: got %v, want errUnsafeIdentity", name, bad, err)
				}
			}
		default:
			t.Errorf("Identity.%s: no unsafe values known for a %s", name, typ.Field(i).Type)
		}
	}
}

// TestIdentityHeadersGuarded: every identity header, in every spelling a
// server could fold into it, is one the strip removes and forward-auth mode
// refuses from a client.
func TestIdentityHeadersGuarded(t *testing.T) {
	for _, f := range identityFields {
		for _, name := range []string{f.Header, strings.ToLower(f.Header), strings.ToUpper(f.Header), strings.ReplaceAll(f.Header, "-", "_")} {
			if !isGuardedHeader(name) {
				t.Errorf("%s (of %s) not guarded", name, f.Header)
			}
		}
	}
}

// FuzzIdentityValues puts token-derived text into each field of Identity in
// turn (lists split at ','): whatever identityValues accepts, a header
// parser (Go's) reads back unchanged, and a list splits back at spaces into
// exactly its items.
func FuzzIdentityValues(f *testing.F) {
	for _, s := range []string{"alice", "a b", " a", "a\r\nX: 1", "a,,b", "caf\xc3\xa9", "a\x00", "a\tb", ""} {
		f.Add(s)
	}
	typ := reflect.TypeFor[authorizer.Identity]()
	f.Fuzz(func(t *testing.T, s string) {
		for i := range typ.NumField() {
			id := goodIdentity
			fv := reflect.ValueOf(&id).Elem().Field(i)
			if fv.Kind() == reflect.Slice {
				fv.Set(reflect.ValueOf(strings.Split(s, ",")))
			} else {
				fv.SetString(s)
			}
			v, err := identityValues(&id)
			if err != nil {
				continue
			}
			var wire strings.Builder
			for j, f := range identityFields {
				wire.WriteString(f.Header + ": " + v[j] + "\r\n")
			}
			h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(wire.String() + "\r\n"))).ReadMIMEHeader()
			if err != nil {
				t.Fatalf("%s = %q accepted, but the headers do not parse: %v", typ.Field(i).Name, s, err)
			}
			for j, f := range identityFields {
				if got := h.Values(f.Header); len(got) != 1 || got[0] != v[j] {
					t.Errorf("%s = %q: %s read back as %q, sent %q", typ.Field(i).Name, s, f.Header, got, v[j])
				}
				if items := f.Items(&id); f.List && len(items) > 0 && !slices.Equal(strings.Split(v[j], " "), items) {
					t.Errorf("%s = %q: %s %q does not split into %q", typ.Field(i).Name, s, f.Header, v[j], items)
				}
			}
		}
	})
}

// canonicalKey finds what Header.Values finds, for the conventions' names
// (precomputed) and any other.
func TestCanonicalKey(t *testing.T) {
	for _, n := range []string{HeaderOriginalMethod, HeaderOriginalURI, HeaderOriginalURL, HeaderForwardedMethod, HeaderForwardedURI, "x-other-header", "Authorization"} {
		if got, want := canonicalKey(n), http.CanonicalHeaderKey(n); got != want {
			t.Errorf("canonicalKey(%q) = %q, want %q", n, got, want)
		}
	}
}
