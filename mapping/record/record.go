// Package record holds the mapping's record types that its readers name
// (User, Client, Kind) and its error sentinels, with nothing but the
// standard library: the decision core (package authorizer) declares the
// Directory it consumes in these terms without linking the AWS SDK that
// package mapping's DynamoDB store needs. Package mapping re-exports every
// name here; use those names unless you must stay clear of the SDK.
package record

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what sort of principal a user record stands for.
type Kind string

const (
	// KindUser is a person (or a person's own programs, through clients).
	KindUser Kind = "user"
	// KindPartner is a B2B partner: a user-like principal with its own
	// internal id and partner credentials.
	KindPartner Kind = "partner"
)

// User is the mapping between an internal user id and a Cognito user name
// in one user pool, bound to the Cognito user's sub. All four are fixed for
// the record's lifetime (a migration from before pools or subs were
// recorded sets Pool or Sub once).
type User struct {
	InternalID string `json:"internalId"`
	// Pool is the id of the user pool that issued Username: the same name
	// in another pool is another caller. "" only on the profile of a user
	// recorded before pools were (see gatehouse users migrate).
	Pool     string `json:"userPool,omitempty"`
	Username string `json:"username"`
	// Sub is the Cognito "sub" the user name was bound to: a user name
	// deleted and created again in Cognito gets a new sub, and tokens
	// with another sub are not this user's. "" only on a user recorded
	// before subs were (see gatehouse users bind-subs); the authorizer
	// refuses such a user.
	Sub string `json:"sub,omitempty"`
	// SignedOut is the last sign-out everywhere, in whole seconds of Unix
	// time, rounded up (SignOutSecond): tokens issued ("iat") before it
	// are refused. 0: never signed out.
	SignedOut int64     `json:"signedOut,omitempty"`
	Kind      Kind      `json:"kind"`
	Created   time.Time `json:"created"`
}

// SignOutSecond is the sign-out time a sign-out at t records: t rounded up
// to the next whole second of Unix time. Token "iat" has whole seconds, so
// a token issued in the second of the sign-out cannot be told from one
// issued just before it: both are refused, and a sign-in within that second
// must be retried.
func SignOutSecond(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// SignOutAfter is the time to record for a sign-out at now (this clock)
// known to follow t on Cognito's clock (the presented token's "iat", the
// Date of Cognito's answer confirming the sign-out): now, or just after t
// when this clock runs behind Cognito's, so that every token issued up to
// t is refused all the same.
func SignOutAfter(now, t time.Time) time.Time {
	if !now.After(t) {
		return t.Add(time.Nanosecond) // SignOutSecond: t's next whole second
	}
	return now
}

// Admits reports whether a token of u's user name with subject sub issued
// at iat may act for u, and the reason when not: a sub other than the one
// bound (ErrRebound), no sub bound (ErrUnbound), or issued before the last
// sign-out (ErrSignedOut). Comparing whole seconds as Cognito's "iat" has
// them, iat == SignedOut is admitted (SignedOut was rounded up).
func (u *User) Admits(sub string, iat time.Time) error {
	if err := SameSub(u.Sub, sub); err != nil {
		return err
	}
	if u.SignedOut != 0 && iat.Unix() < u.SignedOut {
		return ErrSignedOut
	}
	return nil
}

// SameSub is the one rule binding a name to a Cognito user: a token with
// subject sub may act for a name bound to bound only when both are equal,
// and a name bound to none ("") admits nobody (ErrUnbound; a token always
// carries a sub, but "" must never match ""). Every check of a token's sub
// against a recorded one (User.Admits, a partner's administrator) is this.
func SameSub(bound, sub string) error {
	switch {
	case bound == "":
		return ErrUnbound
	case sub != bound:
		return ErrRebound
	}
	return nil
}

// Client is an app client (Cognito client id) that acts for a user.
type Client struct {
	ClientID   string    `json:"clientId"`
	InternalID string    `json:"internalId"`
	Label      string    `json:"label,omitempty"`
	Scopes     []string  `json:"scopes,omitempty"`
	Created    time.Time `json:"created"`
}

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

// Why User.Admits (or SameSub, for a partner's administrator) refuses a
// token. They are not errors of the store.
var (
	// ErrUnbound: the user records no sub (recorded before subs were and
	// not yet bound: gatehouse users bind-subs), or a partner record no
	// administrator's sub. Fail closed.
	ErrUnbound = errors.New("mapping: user name not bound to a sub")
	// ErrRebound: the token's sub is not the one the user name was bound
	// to: the Cognito user was deleted and a new one took its name.
	ErrRebound = errors.New("mapping: token sub differs from the bound sub")
	// ErrSignedOut: the token was issued before the user's last sign-out
	// everywhere.
	ErrSignedOut = errors.New("mapping: token issued before sign-out")
)

// CacheStats counts the lookups answered from the mapping's lookup caches
// (hits) and those that read DynamoDB or waited for a read under way
// (misses). All zero when caching is off.
type CacheStats struct {
	UserHits, UserMisses     uint64
	ClientHits, ClientMisses uint64
}

// Lease is a cached answer's hold on the cache entry it came from. Live
// reports whether that entry still answers for its key: it has neither
// expired (its own fetch time plus the cache TTL) nor left the cache (a
// write through the store that drops the key, a newer answer, eviction).
// A caller may keep something derived from the answer for as long as its
// lease is live without lengthening the revocation delay the cache sets.
// Safe for concurrent use.
type Lease interface {
	Live() bool
}
