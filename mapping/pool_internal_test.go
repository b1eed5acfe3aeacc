package mapping

import (
	"errors"
	"testing"
)

// FuzzUsernameKey checks that the user name key is injective over what the
// Store accepts: two different (pool, user name) pairs never share a key,
// whatever '#' the user names hold.
func FuzzUsernameKey(f *testing.F) {
	f.Add("eu-west-1_A", "b#c", "eu-west-1_A#b", "c")
	f.Add("eu-west-1_A", "x", "eu-west-1_A", "x")
	f.Add("eu-west-1_A", "#", "eu-west-1_", "A##")
	f.Fuzz(func(t *testing.T, p1, u1, p2, u2 string) {
		a, b := poolName{p1, u1}, poolName{p2, u2}
		if checkPoolName(a) != nil || checkPoolName(b) != nil {
			return
		}
		ka, kb := getOptS(usernameKey(a), attrPK), getOptS(usernameKey(b), attrPK)
		if (ka == kb) != (a == b) {
			t.Fatalf("%+v and %+v: keys %q and %q", a, b, ka, kb)
		}
	})
}

func TestCheckPool(t *testing.T) {
	tests := []struct {
		pool    string
		wantErr error
	}{
		{"eu-west-1_AbCdEf123", nil},
		{"local_1a2B", nil},
		{"", ErrInvalid},
		{"eu-west-1", ErrInvalid},
		{"eu-west-1_A#", ErrInvalid},
		{"eu-west-1_A b", ErrInvalid},
		{"eu-west-1_A\x00", ErrInvalid},
		{"eu-west-1_" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ErrInvalid},
	}
	for _, tt := range tests {
		if err := checkPool(tt.pool); !errors.Is(err, tt.wantErr) {
			t.Errorf("checkPool(%q) = %v, want %v", tt.pool, err, tt.wantErr)
		}
	}
}
