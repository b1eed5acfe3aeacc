package portal

import (
	"strings"
	"testing"
	"unicode"
)

// The decoders take untrusted bodies: they must never panic, and what they
// accept must satisfy the documented limits.

func FuzzDecodeCreateClient(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"name":"job"}`, `{"name":5}`, `{"name":"a","name":"b"}`, `{"x":1}`, `[1]`, `{"name":"\u0000"}`, `{} {}`, `{"name":"` + strings.Repeat("é", 40) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeCreateClient(body)
		if err != nil {
			if err.Status != 400 || (err.Code != "invalid_request" && err.Code != "duplicate_field") {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if len(req.Name) > maxNameLen || strings.ContainsFunc(req.Name, unicode.IsControl) || strings.TrimSpace(req.Name) != req.Name {
			t.Fatalf("accepted name %q", req.Name)
		}
	})
}
