package mapping

import (
	"errors"
	"fmt"
)

// The reasons a mapping operation fails. Callers decide with errors.Is.
var (
	// ErrNotFound: no such user, client or partner. For the authorizer this
	// means "not authenticated".
	ErrNotFound = errors.New("mapping: not found")
	// ErrConflict: a conditional write lost (the name or id is taken, or the
	// record changed since it was read). Nothing was written.
	ErrConflict = errors.New("mapping: conflict")
	// ErrUnavailable: DynamoDB or KMS could not answer (throttling, timeout,
	// 5xx) within the bounded retries. The answer is unknown: fail closed.
	ErrUnavailable = errors.New("mapping: store unavailable")
	// ErrMisconfigured: AWS answered that the deployment is wrong — the
	// table does not exist, the KMS key is missing, disabled or pending
	// deletion, access is denied. No retry cures it (so it is not
	// ErrUnavailable); the error names the table or key. Fail closed and
	// tell an operator.
	ErrMisconfigured = errors.New("mapping: misconfigured")

	// ErrLimit: the write would exceed a per-user limit (the caller's client
	// limit in ReserveClient, MaxClientsPerUser, MaxPartnersPerUser, or the
	// 100 items of one transaction). It is also
	// an ErrConflict: nothing was written.
	ErrLimit = fmt.Errorf("%w: limit reached", ErrConflict)
	// ErrInvalid: an argument is malformed (empty or over-long id, control
	// characters, unknown kind, bad fingerprint). Nothing was sent anywhere.
	ErrInvalid = errors.New("mapping: invalid argument")
	// ErrSealBroken: a sealed value does not open with the binding it was
	// offered: it was sealed for another record or purpose or under another
	// key, or it was altered. Never retry; treat it as an attack or a bug.
	ErrSealBroken = errors.New("mapping: sealed value does not open")
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
