package clientsecret_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/clientsecret"
)

const raw = "s3cr3t-Value"

type exported struct {
	Name   string
	Secret clientsecret.Secret
}

type unexported struct {
	name   string
	secret clientsecret.Secret
}

// TestSecretNeverPrints formats a Secret every way a log line, an error or
// a response could, directly and inside other values, and looks for the
// value in the output.
func TestSecretNeverPrints(t *testing.T) {
	s := clientsecret.New(raw)
	outer := exported{Name: "n", Secret: s}
	inner := unexported{name: "n", secret: s}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-q", "%T"} {
		for _, v := range []any{s, &s, outer, &outer, inner, &inner, []clientsecret.Secret{s}, map[string]clientsecret.Secret{"k": s}} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	outputs = append(outputs, fmt.Sprint(s, outer), fmt.Sprintln(s, inner), s.String(), s.GoString())
	for _, v := range []any{s, &s, outer, map[string]any{"k": s}, []any{s}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	b, err := xml.Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(b))
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("m", "s", s, "p", &s, "outer", outer, "inner", inner, slog.Any("any", s), slog.Group("g", "s", s))
		outputs = append(outputs, buf.String())
	}
	for _, out := range outputs {
		if strings.Contains(out, raw) || strings.Contains(out, fmt.Sprintf("%x", raw)) || strings.Contains(out, fmt.Sprintf("%X", raw)) {
			t.Errorf("secret shown: %s", out)
		}
	}
	for _, want := range []string{fmt.Sprintf("%v", s), fmt.Sprintf("%#v", s), fmt.Sprintf("%s", s)} {
		if want != clientsecret.Redacted {
			t.Errorf("shown as %q, want %q", want, clientsecret.Redacted)
		}
	}
	if got := fmt.Sprintf("%q", s); got != `"`+clientsecret.Redacted+`"` {
		t.Errorf("%%q: %s", got)
	}
	if got, _ := json.Marshal(s); string(got) != `"`+clientsecret.Redacted+`"` {
		t.Errorf("JSON: %s", got)
	}
}

func TestSecretReveal(t *testing.T) {
	tests := []struct {
		in       string
		wantZero bool
	}{
		{in: raw},
		{in: " spaced "},
		{in: "", wantZero: true},
	}
	for _, tt := range tests {
		s := clientsecret.New(tt.in)
		if s.Reveal() != tt.in || s.IsZero() != tt.wantZero {
			t.Errorf("New(%q): Reveal %q, IsZero %v", tt.in, s.Reveal(), s.IsZero())
		}
	}
	var zero clientsecret.Secret
	if !zero.IsZero() || zero.Reveal() != "" || fmt.Sprint(zero) != clientsecret.Redacted {
		t.Error("zero Secret misbehaves")
	}
}
