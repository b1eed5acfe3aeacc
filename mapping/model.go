package mapping

import (
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// The record types readers name live in package record (no AWS SDK), so
// that the decision core can name them; these are the same types.
type (
	// Kind says what sort of principal a user record stands for.
	Kind = record.Kind
	// User is the mapping between an internal user id and a Cognito user
	// name.
	User = record.User
	// Client is an app client (Cognito client id) that acts for a user.
	Client = record.Client
	// Lease is a cached answer's hold on its cache entry.
	Lease = record.Lease
)

const (
	KindUser    = record.KindUser    // a person
	KindPartner = record.KindPartner // a B2B partner
)

func validKind(k Kind) bool { return k == KindUser || k == KindPartner }

func cloneClient(c Client) Client {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

// PendingState is the state of a client slot that is taken but not bound.
type PendingState string

const (
	// PendingCreating: a create or reset is under way; the app client may
	// not exist yet (ClientID empty) or be about to be bound.
	PendingCreating PendingState = "creating"
	// PendingOrphan: the app client ClientID (if any) is bound to nobody
	// and must be deleted where it lives, then the slot released.
	PendingOrphan PendingState = "orphan"
)

// PendingClient is a client slot taken but not bound (see Store.ReserveClient):
// it counts against the user's limit and records the app client, if one
// was created, so that a clean-up can delete it.
type PendingClient struct {
	ReservationID string       `json:"reservationId"`
	InternalID    string       `json:"internalId"`
	ClientID      string       `json:"clientId,omitempty"`
	State         PendingState `json:"state"`
	// Replaces is, for a reset's slot in state creating, the client the
	// new one will replace.
	Replaces string    `json:"replaces,omitempty"`
	Created  time.Time `json:"created"`
}

// Slots are a user's bound clients and pending client slots; together they
// are what the profile's client counter counts.
type Slots struct {
	Clients []Client        `json:"clients"`
	Pending []PendingClient `json:"pending"`
}

// PartnerStatus is the life-cycle state of a partner credential.
type PartnerStatus string

const (
	// PartnerActive: the exchange may use the credential.
	PartnerActive PartnerStatus = "active"
	// PartnerRevoked: the credential's fingerprint is gone, so the exchange
	// no longer finds it; its sealed token stays until the revocation at
	// Cognito is confirmed (Store.DropPartnerToken). The record stays for
	// audit until RemovePartner or DeleteUser.
	PartnerRevoked PartnerStatus = "revoked"
)

// Partner is a B2B partner credential: the Cognito refresh token the
// exchange uses on the partner's behalf, sealed, and the fingerprint of the
// credential the partner presents.
type Partner struct {
	PartnerID  string `json:"partnerId"`
	InternalID string `json:"internalId"`
	// CognitoUsername is the user name Cognito assigned, needed for
	// SECRET_HASH on refresh (in e-mail-as-username pools it is the sub).
	CognitoUsername string `json:"cognitoUsername"`
	AppClientID     string `json:"appClientId"`
	// AdminUsername is the partner's administrator, a person of pool
	// AdminPool who signs in to manage this credential (see
	// Store.PartnerOfAdmin); both empty when the partner has none.
	AdminUsername string `json:"adminUsername,omitempty"`
	AdminPool     string `json:"adminPool,omitempty"`
	// AdminSub is the Cognito "sub" the administrator was bound to at
	// registration (from Cognito's answer, never from a caller): an
	// administrator user deleted and created again under the name is
	// another person, and PartnerOfAdmin refuses its tokens
	// (ErrRebound). Required with AdminUsername; a record without it
	// admits no administrator (ErrUnbound).
	AdminSub string `json:"adminSub,omitempty"`
	// SealedRefreshToken is the refresh token sealed for this record (see
	// Store.PartnerTokenBinding). Empty once revoked and dropped.
	SealedRefreshToken Sealed `json:"-"`
	// CredentialFingerprint is Fingerprint of the credential the partner
	// presents; it is unique across the table.
	CredentialFingerprint string        `json:"credentialFingerprint,omitempty"`
	Status                PartnerStatus `json:"status"`
	// Version starts at 1 and grows with every change (rotation,
	// revocation); UpdatePartnerToken is conditional on it.
	Version int64     `json:"version"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated,omitzero"`
	Revoked time.Time `json:"revoked,omitzero"`
}
