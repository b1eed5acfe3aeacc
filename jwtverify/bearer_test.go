package jwtverify_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

func TestBearerToken(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	var (
		none = jwtverify.ErrNoBearerToken
		bad  = jwtverify.ErrBearerMalformed
	)
	for _, tc := range []struct {
		name   string
		values []string // nil: no header
		want   string
		err    error
	}{
		{"bearer", []string{"Bearer " + jwt}, jwt, nil},
		{"scheme lower case", []string{"bearer " + jwt}, jwt, nil},
		{"scheme mixed case", []string{"BeArEr " + jwt}, jwt, nil},
		{"token68 with every character class and padding", []string{"Bearer aZ09-._~+/=="}, "aZ09-._~+/==", nil},
		{"no header", nil, "", none},
		{"empty header", []string{""}, "", none},
		{"another scheme", []string{"Basic dXNlcjpwYXNz"}, "", none},
		{"bare token", []string{jwt}, "", none},
		{"scheme with a longer name", []string{"Bearerx " + jwt}, "", none},
		{"two headers", []string{"Bearer " + jwt, "Bearer " + jwt}, "", bad},
		{"two headers, one empty", []string{"Bearer " + jwt, ""}, "", bad},
		{"scheme alone", []string{"Bearer"}, "", bad},
		{"scheme and a space", []string{"Bearer "}, "", bad},
		{"two spaces", []string{"Bearer  " + jwt}, "", bad},
		{"tab", []string{"Bearer\t" + jwt}, "", bad},
		{"trailing space", []string{"Bearer " + jwt + " "}, "", bad},
		{"two tokens", []string{"Bearer " + jwt + " " + jwt}, "", bad},
		{"comma-joined credentials", []string{"Bearer " + jwt + ", Bearer " + jwt}, "", bad},
		{"auth-param form", []string{`Bearer token="` + jwt + `"`}, "", bad},
		{"padding inside", []string{"Bearer ab=cd"}, "", bad},
		{"only padding", []string{"Bearer =="}, "", bad},
		{"non-ASCII", []string{"Bearer abc\u00e9"}, "", bad},
		{"NUL", []string{"Bearer abc\x00"}, "", bad},
		{"line break", []string{"Bearer abc\r\ndef"}, "", bad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Authorization", v)
			}
			got, err := jwtverify.BearerToken(h)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("BearerToken = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "eyJ") {
				t.Errorf("error %q quotes the header", err)
			}
		})
	}
}

// FuzzBearerToken checks BearerToken against the grammar it implements,
// written out independently: a token comes back only from a value that is
// "Bearer" in some case, one space and a token68, and is then exactly the
// rest of the value.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Bearer  x", "Basic x", "Bearer a=b", "Bearer ==", "Bearer\tx", ""} {
		f.Add(s, false)
	}
	f.Add("Bearer x", true)
	f.Fuzz(func(t *testing.T, v string, twice bool) {
		h := http.Header{"Authorization": {v}}
		if twice {
			h.Add("Authorization", v)
		}
		tok, err := jwtverify.BearerToken(h)
		n := 0
		for _, s := range []error{jwtverify.ErrNoBearerToken, jwtverify.ErrBearerMalformed} {
			if errors.Is(err, s) {
				n++
			}
		}
		if (err == nil) == (n == 1) {
			t.Fatalf("BearerToken(%q) = %q, %v: want a token or exactly one reason", v, tok, err)
		}
		if err != nil {
			if tok != "" || len(v) >= 16 && strings.Contains(err.Error(), v[7:]) {
				t.Fatalf("BearerToken(%q) = %q, %v", v, tok, err)
			}
			return
		}
		if twice || len(v) < 8 || !strings.EqualFold(v[:7], "bearer ") || tok != v[7:] {
			t.Fatalf("BearerToken(%q) = %q without an error", v, tok)
		}
		body := strings.TrimRight(tok, "=")
		if body == "" {
			t.Fatalf("BearerToken(%q): token68 of padding only", v)
		}
		for _, c := range body {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/", c) {
				t.Fatalf("BearerToken(%q) = %q: %q is not token68", v, tok, c)
			}
		}
	})
}
