package refresh

import (
	"context"
	"fmt"
	"time"
)

// ErrNotSignedOut: Revoke marked the partner revoked (the exchange refuses
// it) but the sign-out time could not be recorded on the partner user's
// user name item, so ID tokens from earlier exchanges still pass the
// authorizer until they expire; retrying Revoke records it. It also wraps
// ErrUnavailable (503 sign_out_not_recorded).
var ErrNotSignedOut = fmt.Errorf("%w: revoked in Gatehouse, but the sign-out of the tokens already issued was not recorded", ErrUnavailable)

// signOutPartner records a sign-out of the partner's user now
// (mapping.Store.SignOut), so that the ID and access tokens issued by
// earlier exchanges stop passing the authorizer (within its caches' TTLs).
// The user is read from the partner's internal id: its pool is the one its
// user name item is keyed by.
func (s *Service) signOutPartner(ctx context.Context, internalID string) error {
	u, err := s.cfg.Store.User(ctx, internalID)
	if err != nil {
		return storeError("reading the partner's user", err)
	}
	if err := s.cfg.Store.SignOut(ctx, u.Pool, u.Username, time.Now()); err != nil {
		return storeError("recording the partner's sign-out", err)
	}
	return nil
}
