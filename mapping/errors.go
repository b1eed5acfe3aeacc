package mapping

import (
	"fmt"

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
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func conflictf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConflict}, args...)...)
}

func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}
