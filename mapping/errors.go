package mapping

import (
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// The reasons a mapping operation fails (defined in package record, which
// documents each). Callers decide with errors.Is.
var (
	ErrNotFound      = record.ErrNotFound
	ErrConflict      = record.ErrConflict
	ErrUnavailable   = record.ErrUnavailable
	ErrMisconfigured = record.ErrMisconfigured
	ErrLimit         = record.ErrLimit
	ErrInvalid       = record.ErrInvalid
	ErrSealBroken    = record.ErrSealBroken

	// Why User.Admits refuses a token.
	ErrUnbound   = record.ErrUnbound
	ErrRebound   = record.ErrRebound
	ErrSignedOut = record.ErrSignedOut
)

// SignOutSecond is the sign-out time a sign-out at t records (see
// record.SignOutSecond).
func SignOutSecond(t time.Time) int64 { return record.SignOutSecond(t) }

// SignOutAfter is the time to record for a sign-out at now that follows t
// on Cognito's clock (see record.SignOutAfter).
func SignOutAfter(now, t time.Time) time.Time { return record.SignOutAfter(now, t) }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func conflictf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConflict}, args...)...)
}

func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}
