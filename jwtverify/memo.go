package jwtverify

import (
	"context"
	"sync/atomic"
)

// Memo is room for one value a caller derives from a token's claims, kept
// in the token cache's entry for that token (see VerifyMemo). It lives as
// long as the entry: it is gone when the token is evicted or forgotten
// (expired, its key gone or changed), and a token cached again starts with
// an empty Memo. Safe for concurrent use.
type Memo struct {
	v atomic.Pointer[any]
}

// Load returns the value last stored, or nil.
func (m *Memo) Load() any {
	if p := m.v.Load(); p != nil {
		return *p
	}
	return nil
}

// Store replaces the value. Callers sharing a Verifier share its memos:
// store a value that says who stored it.
func (m *Memo) Store(x any) { m.v.Store(&x) }

// VerifyMemo is Verify for a caller that derives something costly from the
// claims of tokens it sees again. With the token cache on, when err is nil
// and the token is in the cache (found there or just added), it also
// returns the token's Memo, and held, the value the memo held. When held is
// not nil, claims may be nil: the caller has what it derived from them, and
// not copying them is most of what a memo saves (call Verify for them).
// Otherwise it returns what Verify returns, and a nil memo.
//
// The memo and its value are handed out only after every check Verify
// makes, on a cache hit too: the key still in its pool's set and the same,
// "exp" and "nbf" against the clock and leeway. A token of a pool with a
// PoolConfig.Check gets no memo: Check may change the claims it is given,
// from more than the claims, so nothing derived from an earlier call's may
// be reused. What the caller keeps in a Memo must depend on the claims
// alone, or carry its own validity: the Memo knows nothing of what else the
// value was derived from.
func (v *Verifier) VerifyMemo(ctx context.Context, token string) (claims *Claims, memo *Memo, held any, err error) {
	c, e, held, err := v.verify(ctx, token, true)
	if e == nil {
		return c, nil, nil, err
	}
	m := e.memoSlot()
	if m == nil {
		return c, nil, nil, err
	}
	return c, m, held, err
}

// memoSlot is the entry's Memo, or nil for a pool with a Check: the one
// place that rule lives, for handing memos out (VerifyMemo) and for
// reading them on a hit (verifyCached, which must then copy the claims
// and run the Check).
func (e *cacheEntry) memoSlot() *Memo {
	if e.pool.check != nil {
		return nil
	}
	return &e.memo
}
