package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// SameSub is the one rule for a token's sub against a recorded one, and
// User.Admits applies it before the sign-out time.
func TestSameSub(t *testing.T) {
	iat := time.Unix(1_000, 0)
	for _, tc := range []struct {
		name, bound, sub string
		signedOut        int64
		wantErr          error
	}{
		{"same", "s-1", "s-1", 0, nil},
		{"another", "s-1", "s-2", 0, record.ErrRebound},
		{"token without sub", "s-1", "", 0, record.ErrRebound},
		{"none bound", "", "s-1", 0, record.ErrUnbound},
		{"none bound, none in the token", "", "", 0, record.ErrUnbound},
		{"case differs", "s-a", "S-A", 0, record.ErrRebound},
		{"another sub and signed out", "s-1", "s-2", 2_000, record.ErrRebound},
		{"signed out", "s-1", "s-1", 2_000, record.ErrSignedOut},
	} {
		if tc.signedOut == 0 {
			if err := record.SameSub(tc.bound, tc.sub); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("%s: SameSub = %v, want %v", tc.name, err, tc.wantErr)
			}
		}
		u := record.User{Sub: tc.bound, SignedOut: tc.signedOut}
		if err := u.Admits(tc.sub, iat); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: Admits = %v, want %v", tc.name, err, tc.wantErr)
		}
	}
}
