package jwtverify_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// scopeGrammar is RFC 6749 §3.3 written independently of ParseScope, as a
// regular expression: scope = scope-token *( SP scope-token ), scope-token =
// 1*( %x21 / %x23-5B / %x5D-7E ). The empty claim is allowed (no scopes).
var scopeGrammar = regexp.MustCompile(`^(?:[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*)?$`)

func TestParseScope(t *testing.T) {
	malformed := jwtverify.ErrMalformed
	for _, tc := range []struct {
		name    string
		claim   string
		want    []string
		wantErr error
	}{
		// Valid claims.
		{"empty: no scopes", "", nil, nil},
		{"one", "orders/read", []string{"orders/read"}, nil},
		{"Cognito user access token", "aws.cognito.signin.user.admin", []string{"aws.cognito.signin.user.admin"}, nil},
		{"several", "openid profile rs/a rs/b", []string{"openid", "profile", "rs/a", "rs/b"}, nil},
		{"every allowed punctuation", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", []string{"!#$%&'()*+,-./:;<=>?@[]^_`{|}~"}, nil},
		{"the range edges", "\x21 \x23 \x5b \x5d \x7e", []string{"!", "#", "[", "]", "~"}, nil},
		{"a duplicate is kept", "a a", []string{"a", "a"}, nil},

		// Separators other than one space.
		{"tab", "rs/a\trs/b", nil, malformed},
		{"double space", "rs/a  rs/b", nil, malformed},
		{"leading space", " rs/a", nil, malformed},
		{"trailing space", "rs/a ", nil, malformed},
		{"only a space", " ", nil, malformed},
		{"newline", "rs/a\nrs/b", nil, malformed},
		{"carriage return", "rs/a\rrs/b", nil, malformed},
		{"vertical tab", "rs/a\vrs/b", nil, malformed},
		{"form feed", "rs/a\frs/b", nil, malformed},
		{"NEL (strings.Fields splits on it)", "rs/a\u0085rs/b", nil, malformed},
		{"no-break space", "rs/a\u00a0rs/b", nil, malformed},
		{"em space", "rs/a\u2003rs/b", nil, malformed},
		{"ideographic space", "rs/a\u3000rs/b", nil, malformed},

		// Characters outside scope-token.
		{"double quote", `rs/"a"`, nil, malformed},
		{"backslash", `rs\a`, nil, malformed},
		{"DEL", "rs/a\x7f", nil, malformed},
		{"NUL", "rs/a\x00", nil, malformed},
		{"control character", "rs/\x01a", nil, malformed},
		{"non-ASCII letter", "rs/é", nil, malformed},
		{"fullwidth solidus", "rs\uff0fa", nil, malformed},
		{"invalid UTF-8", "rs/\xff", nil, malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jwtverify.ParseScope(tc.claim)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("ParseScope(%q) err = %v, want %v", tc.claim, err, tc.wantErr)
			}
			if err != nil {
				if got != nil {
					t.Errorf("ParseScope(%q) = %q with an error", tc.claim, got)
				}
				if jwtverify.Code(err) != "malformed" {
					t.Errorf("Code = %q, want malformed", jwtverify.Code(err))
				}
				if strings.Contains(err.Error(), "rs") {
					t.Errorf("the error quotes token material: %v", err)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ParseScope(%q) = %q, want %q", tc.claim, got, tc.want)
			}
			if ok := scopeGrammar.MatchString(tc.claim); ok != (err == nil) {
				t.Fatalf("the table disagrees with the grammar on %q", tc.claim)
			}
			if one := jwtverify.IsScopeToken(tc.claim); one != (len(tc.want) == 1) {
				t.Fatalf("IsScopeToken(%q) = %v", tc.claim, one)
			}
		})
	}
}

// FuzzParseScope: ParseScope accepts exactly the RFC 6749 grammar, and an
// accepted claim is read as aws-jwt-verify reads it (split on single
// spaces), so no scope can mean one thing here and another there;
// IsScopeToken agrees with it.
func FuzzParseScope(f *testing.F) {
	for _, seed := range []string{"", "a", "a b", "a\tb", "a  b", " a", "a ", `"`, `\`, "\x7f", "é", "a\u00a0b", "rs/a rs/b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, claim string) {
		got, err := jwtverify.ParseScope(claim)
		if ok := scopeGrammar.MatchString(claim); ok != (err == nil) {
			t.Fatalf("ParseScope(%q) err = %v; the grammar says valid = %v", claim, err, ok)
		}
		if one := jwtverify.IsScopeToken(claim); one != (err == nil && len(got) == 1) {
			t.Fatalf("IsScopeToken(%q) = %v, but ParseScope gives %q, %v", claim, one, got, err)
		}
		if err != nil {
			if !errors.Is(err, jwtverify.ErrMalformed) || got != nil {
				t.Fatalf("ParseScope(%q) = %q, %v; want nil and ErrMalformed", claim, got, err)
			}
			return
		}
		if claim == "" {
			if got != nil {
				t.Fatalf("ParseScope(\"\") = %q, want nil", got)
			}
			return
		}
		if want := strings.Split(claim, " "); !slices.Equal(got, want) {
			t.Fatalf("ParseScope(%q) = %q; splitting on spaces gives %q", claim, got, want)
		}
	})
}

// BenchmarkParseScope: a Cognito client-credentials token's scopes.
func BenchmarkParseScope(b *testing.B) {
	const claim = "orders/read orders/write reports/read aws.cognito.signin.user.admin"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwtverify.ParseScope(claim); err != nil {
			b.Fatal(err)
		}
	}
}
