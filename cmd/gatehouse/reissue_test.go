package main

import (
	"maps"
	"testing"
)

func TestParseRenames(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"acme=partner-acme-2", map[string]string{"acme": "partner-acme-2"}, false},
		{"a=x,b=y", map[string]string{"a": "x", "b": "y"}, false},
		{"a=x,a=y", nil, true},
		{"a", nil, true},
		{"=x", nil, true},
		{"a=", nil, true},
		{"a=x,", nil, true},
	} {
		got, err := parseRenames(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !maps.Equal(got, tc.want)) {
			t.Errorf("parseRenames(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
