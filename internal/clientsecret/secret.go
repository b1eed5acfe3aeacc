package clientsecret

import (
	"fmt"
	"log/slog"
)

// Redacted is how a Secret shows everywhere but Reveal.
const Redacted = "[redacted]"

// Secret holds a client secret that never prints: every fmt verb
// (%v, %+v, %#v, %s, %q, %x, ...), encoding/json, encoding.TextMarshaler
// users and slog show Redacted. Only Reveal returns the value. The value
// sits behind a pointer, so even a Secret in an unexported field of a
// struct printed with %v shows an address, not the value (fmt cannot call
// methods there). The zero Secret is empty.
type Secret struct{ value *string }

// New wraps v; an empty v gives the zero (empty) Secret.
func New(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{&v}
}

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == nil }

// Format makes every fmt verb print Redacted (%q quoted).
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	fmt.Fprint(f, Redacted)
}

func (Secret) String() string               { return Redacted }
func (Secret) GoString() string             { return Redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
