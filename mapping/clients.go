package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Clients bound directly (AddClient, ReplaceClient, RemoveClient: callers
// that create nothing elsewhere, such as tests and hand provisioning), and
// the writes every client change is made of.

// AddClient binds a new app client to an existing user. The client id must
// not be bound to anyone (ErrConflict), the user must exist (ErrNotFound)
// and have fewer than MaxClientsPerUser clients (ErrLimit). The Created
// time is set here; the stored client is returned.
func (s *Store) AddClient(ctx context.Context, internalID string, c Client) (Client, error) {
	c, err := s.newClient(internalID, c)
	if err != nil {
		return Client{}, err
	}
	err = s.transact(ctx, "AddClient", []write{
		s.bumpProfile(internalID, attrClients, 1, MaxClientsPerUser),
		s.putClient(c),
		s.putUserClient(c),
	})
	s.clients.invalidate(c.ClientID)
	if err != nil {
		return Client{}, err
	}
	return c, nil
}

// ReplaceClient resets a client: in one transaction the old client id stops
// mapping to the user and the new one starts. oldClientID must belong to
// internalID (ErrNotFound otherwise); the new id must be free (ErrConflict).
func (s *Store) ReplaceClient(ctx context.Context, internalID, oldClientID string, newClient Client) (Client, error) {
	if err := checkName("old client id", oldClientID); err != nil {
		return Client{}, err
	}
	c, err := s.newClient(internalID, newClient)
	if err != nil {
		return Client{}, err
	}
	if c.ClientID == oldClientID {
		return Client{}, invalidf("the new client id is the old one")
	}
	err = s.transact(ctx, "ReplaceClient", []write{
		s.bumpProfile(internalID, attrClients, 0, 0),
		s.deleteClient(internalID, oldClientID),
		s.deleteUserClient(internalID, oldClientID),
		s.putClient(c),
		s.putUserClient(c),
	})
	s.clients.invalidate(oldClientID, c.ClientID)
	if err != nil {
		return Client{}, err
	}
	return c, nil
}

// RemoveClient unbinds a client from its user. It must belong to internalID
// (ErrNotFound otherwise).
func (s *Store) RemoveClient(ctx context.Context, internalID, clientID string) error {
	if err := checkName("internal id", internalID); err != nil {
		return err
	}
	if err := checkName("client id", clientID); err != nil {
		return err
	}
	err := s.transact(ctx, "RemoveClient", []write{
		s.bumpProfile(internalID, attrClients, -1, 0),
		s.deleteClient(internalID, clientID),
		s.deleteUserClient(internalID, clientID),
	})
	s.clients.invalidate(clientID)
	return err
}

func (s *Store) newClient(internalID string, c Client) (Client, error) {
	if err := checkName("internal id", internalID); err != nil {
		return Client{}, err
	}
	if err := checkName("client id", c.ClientID); err != nil {
		return Client{}, err
	}
	if c.InternalID != "" && c.InternalID != internalID {
		return Client{}, invalidf("client names internal id %q, not %q", c.InternalID, internalID)
	}
	if len(c.Label) > maxLabelLen {
		return Client{}, invalidf("label is longer than %d bytes", maxLabelLen)
	}
	if c.Label != "" {
		if err := checkName("label", c.Label); err != nil {
			return Client{}, err
		}
	}
	if len(c.Scopes) > maxScopes {
		return Client{}, invalidf("more than %d scopes", maxScopes)
	}
	for _, sc := range c.Scopes {
		if err := checkName("scope", sc); err != nil {
			return Client{}, err
		}
		if len(sc) > maxScopeLen || strings.ContainsAny(sc, " \t") {
			return Client{}, invalidf("scope %q is too long or contains white space", sc)
		}
	}
	c.InternalID = internalID
	c.Scopes = append([]string(nil), c.Scopes...)
	c.Created = s.nowUTC()
	return c, nil
}

// bumpProfile is the profile's part in a membership change: the user must
// exist; count (attrClients or attrPartners) moves by delta and must stay
// below limit when growing (limit 0: no limit); rev always grows, so that DeleteUser's read is
// invalidated by any change it did not see.
func (s *Store) bumpProfile(internalID, count string, delta int64, limit int) write {
	e := expr{
		names:  map[string]string{"#pk": attrPK, "#rev": attrRev, "#n": count},
		values: item{":one": num(1), ":d": num(delta)},
	}
	cond := "attribute_exists(#pk)"
	if delta > 0 && limit > 0 {
		cond += " AND #n < :max"
		e.values[":max"] = num(int64(limit))
	}
	what := "clients"
	if count == attrPartners {
		what = "partner credentials"
	}
	return s.update(userKey(internalID), "SET #rev = #rev + :one, #n = #n + :d", cond, e, func(old item) error {
		if len(old) == 0 {
			return notFoundf("no user with internal id %q", internalID)
		}
		return fmt.Errorf("%w: user %q already has the maximum of %d %s", ErrLimit, internalID, limit, what)
	})
}

func clientAttrs(it item, c Client) item {
	it[attrClientID] = str(c.ClientID)
	it[attrInternalID] = str(c.InternalID)
	if c.Label != "" {
		it[attrLabel] = str(c.Label)
	}
	if len(c.Scopes) > 0 {
		it[attrScopes] = strList(c.Scopes)
	}
	it[attrCreated] = timeAttr(c.Created)
	return it
}

func (s *Store) putClient(c Client) write {
	it := clientAttrs(clientKey(c.ClientID), c)
	it[attrType] = str("client")
	return s.put(it, "attribute_not_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
		func(old item) error {
			if owner := getOptS(old, attrInternalID); owner == c.InternalID {
				return conflictf("client id %q is already bound to this user", c.ClientID)
			}
			return conflictf("client id %q is bound to another user", c.ClientID)
		})
}

func (s *Store) putUserClient(c Client) write {
	it := clientAttrs(userClientKey(c.InternalID, c.ClientID), c)
	it[attrType] = str("user-client")
	return s.put(it, "attribute_not_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
		always(conflictf("client id %q is already bound to this user", c.ClientID)))
}

func (s *Store) deleteClient(internalID, clientID string) write {
	return s.del(clientKey(clientID), "#iid = :iid", expr{
		names: map[string]string{"#iid": attrInternalID}, values: item{":iid": str(internalID)},
	}, always(notFoundf("user %q has no client %q", internalID, clientID)))
}

func (s *Store) deleteUserClient(internalID, clientID string) write {
	return s.del(userClientKey(internalID, clientID), "attribute_exists(#pk)", expr{
		names: map[string]string{"#pk": attrPK},
	}, always(notFoundf("user %q has no client %q", internalID, clientID)))
}

// Client slots: how a caller that creates app clients elsewhere (the portal,
// in Cognito) keeps a per-user limit under any concurrency and leaves a
// trace of every client that exists there but is not bound here. The
// profile's clients counter counts bound clients plus pending items; a slot
// is taken before the app client is created and given back only once it is
// bound or known to be deleted. See doc.go for the life cycle.

// ReserveClient takes one of the user's client slots for a client about to
// be created: the profile's counter goes up unless it has reached limit
// (ErrLimit), and a PendingClient in state creating records the slot. limit
// is the caller's configured limit, 1 to MaxClientsPerUser.
func (s *Store) ReserveClient(ctx context.Context, internalID string, limit int) (PendingClient, error) {
	if limit < 1 || limit > MaxClientsPerUser {
		return PendingClient{}, invalidf("client limit %d is outside 1 to %d", limit, MaxClientsPerUser)
	}
	return s.reserve(ctx, "ReserveClient", internalID, NewID(), "", s.bumpProfile(internalID, attrClients, 1, limit))
}

// ReserveReplacement takes a slot for the client that will replace
// oldClientID (a reset). It is not held to the limit — the old client gives
// its slot back when the reset completes — but oldClientID must be bound to
// the user (ErrNotFound otherwise), and only one reset of a client can hold
// a slot at a time (ErrConflict), so resets under way add at most one
// client per bound client.
func (s *Store) ReserveReplacement(ctx context.Context, internalID, oldClientID string) (PendingClient, error) {
	if err := checkName("old client id", oldClientID); err != nil {
		return PendingClient{}, err
	}
	return s.reserve(ctx, "ReserveReplacement", internalID, replacementReservation+oldClientID, oldClientID,
		s.bumpProfile(internalID, attrClients, 1, 0),
		s.check(userClientKey(internalID, oldClientID), "attribute_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(notFoundf("user %q has no client %q", internalID, oldClientID))))
}

// replacementReservation starts the reservation id of a reset's slot; the
// old client's id follows, so two resets of one client share one key.
const replacementReservation = "reset-"

func (s *Store) reserve(ctx context.Context, op, internalID, reservationID, replaces string, extra ...write) (PendingClient, error) {
	if err := checkName("internal id", internalID); err != nil {
		return PendingClient{}, err
	}
	p := PendingClient{ReservationID: reservationID, InternalID: internalID, State: PendingCreating, Replaces: replaces, Created: s.nowUTC()}
	err := s.transact(ctx, op, append(extra,
		s.put(pendingItem(p), "attribute_not_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(conflictf("slot %q is taken (a reset of this client is under way)", p.ReservationID)))))
	if err != nil {
		return PendingClient{}, err
	}
	return p, nil
}

// RecordPendingClient notes on a slot in state creating the id of the app
// client just created for it, so that whoever finds the slot later can
// delete that client. It returns p with ClientID set.
func (s *Store) RecordPendingClient(ctx context.Context, p PendingClient, clientID string) (PendingClient, error) {
	if err := checkName("client id", clientID); err != nil {
		return PendingClient{}, err
	}
	if err := checkPending(p); err != nil {
		return PendingClient{}, err
	}
	err := s.transact(ctx, "RecordPendingClient", []write{
		s.update(pendingKey(p.InternalID, p.ReservationID), "SET #cid = :cid",
			"#st = :creating AND attribute_not_exists(#cid)", expr{
				names:  map[string]string{"#cid": attrClientID, "#st": attrStatus},
				values: item{":cid": str(clientID), ":creating": str(string(PendingCreating))},
			}, s.slotGone(p)),
	})
	if err != nil {
		return PendingClient{}, err
	}
	p.ClientID = clientID
	return p, nil
}

// BindPending binds the client recorded on slot p (a ReserveClient slot) to
// the user: the slot item becomes the client's items in one transaction and
// the counter stays, so the client is not counted twice. The slot must
// still be in state creating with c.ClientID recorded (ErrConflict
// otherwise: it was claimed by a clean-up).
func (s *Store) BindPending(ctx context.Context, p PendingClient, c Client) (Client, error) {
	c, err := s.newClient(p.InternalID, c)
	if err != nil {
		return Client{}, err
	}
	if err := s.checkRecorded(p, c.ClientID); err != nil {
		return Client{}, err
	}
	err = s.transact(ctx, "BindPending", []write{
		s.bumpProfile(p.InternalID, attrClients, 0, 0),
		s.del(pendingKey(p.InternalID, p.ReservationID), "#st = :creating AND #cid = :cid", s.creatingWith(c.ClientID), s.slotGone(p)),
		s.putClient(c),
		s.putUserClient(c),
	})
	s.clients.invalidate(c.ClientID)
	if err != nil {
		return Client{}, err
	}
	return c, nil
}

// ReplacePending completes a reset in one transaction: the old client is
// unbound and the new one (recorded on slot p, a ReserveReplacement slot)
// bound; the slot now records the old client, in state orphan, for the
// caller to delete and then release. The old id stops mapping in the same
// instant the new one starts.
func (s *Store) ReplacePending(ctx context.Context, p PendingClient, oldClientID string, newClient Client) (Client, error) {
	if err := checkName("old client id", oldClientID); err != nil {
		return Client{}, err
	}
	c, err := s.newClient(p.InternalID, newClient)
	if err != nil {
		return Client{}, err
	}
	if c.ClientID == oldClientID {
		return Client{}, invalidf("the new client id is the old one")
	}
	if err := s.checkRecorded(p, c.ClientID); err != nil {
		return Client{}, err
	}
	e := s.creatingWith(c.ClientID)
	e.names["#rep"] = attrReplaces
	e.values[":old"] = str(oldClientID)
	e.values[":orphan"] = str(string(PendingOrphan))
	err = s.transact(ctx, "ReplacePending", []write{
		s.bumpProfile(p.InternalID, attrClients, 0, 0),
		s.update(pendingKey(p.InternalID, p.ReservationID), "SET #st = :orphan, #cid = :old REMOVE #rep",
			"#st = :creating AND #cid = :cid", e, s.slotGone(p)),
		s.deleteClient(p.InternalID, oldClientID),
		s.deleteUserClient(p.InternalID, oldClientID),
		s.putClient(c),
		s.putUserClient(c),
	})
	s.clients.invalidate(oldClientID, c.ClientID)
	if err != nil {
		return Client{}, err
	}
	return c, nil
}

// UnbindClient unbinds a client of the user and, in the same transaction,
// records it on a new slot in state orphan, keeping its place in the count
// until the caller has deleted it elsewhere and calls ReleasePending.
func (s *Store) UnbindClient(ctx context.Context, internalID, clientID string) (PendingClient, error) {
	if err := checkName("internal id", internalID); err != nil {
		return PendingClient{}, err
	}
	if err := checkName("client id", clientID); err != nil {
		return PendingClient{}, err
	}
	p := PendingClient{ReservationID: NewID(), InternalID: internalID, ClientID: clientID, State: PendingOrphan, Created: s.nowUTC()}
	err := s.transact(ctx, "UnbindClient", []write{
		s.bumpProfile(internalID, attrClients, 0, 0),
		s.deleteClient(internalID, clientID),
		s.deleteUserClient(internalID, clientID),
		s.put(pendingItem(p), "attribute_not_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(conflictf("reservation %q is taken", p.ReservationID))),
	})
	s.clients.invalidate(clientID)
	if err != nil {
		return PendingClient{}, err
	}
	return p, nil
}

// ClaimPending moves slot p from creating to orphan, if it is still in
// state creating with p's client id or none recorded (p.ClientID empty:
// none recorded). It records p.ClientID, so a claim also covers a
// RecordPendingClient whose outcome was unknown. From then on no
// BindPending or ReplacePending can use the slot; whoever claimed it
// deletes the client it records and releases it. ErrConflict or
// ErrNotFound: the slot moved first (bound, replaced, claimed, released).
func (s *Store) ClaimPending(ctx context.Context, p PendingClient) (PendingClient, error) {
	if err := checkPending(p); err != nil {
		return PendingClient{}, err
	}
	update, cond := "SET #st = :orphan", "#st = :creating AND attribute_not_exists(#cid)"
	e := expr{
		names:  map[string]string{"#st": attrStatus, "#cid": attrClientID},
		values: item{":creating": str(string(PendingCreating)), ":orphan": str(string(PendingOrphan))},
	}
	if p.ClientID != "" {
		update, cond = "SET #st = :orphan, #cid = :cid", "#st = :creating AND (attribute_not_exists(#cid) OR #cid = :cid)"
		e.values[":cid"] = str(p.ClientID)
	}
	err := s.transact(ctx, "ClaimPending", []write{
		s.update(pendingKey(p.InternalID, p.ReservationID), update, cond, e, s.slotGone(p)),
	})
	if err != nil {
		return PendingClient{}, err
	}
	p.State = PendingOrphan
	return p, nil
}

// ReleasePending gives slot p back: the item goes and the counter comes
// down, together. Call it once the client it records is known to be
// deleted (or was never created). A slot already released is ErrNotFound.
func (s *Store) ReleasePending(ctx context.Context, p PendingClient) error {
	if err := checkPending(p); err != nil {
		return err
	}
	return s.transact(ctx, "ReleasePending", []write{
		s.bumpProfile(p.InternalID, attrClients, -1, 0),
		s.del(pendingKey(p.InternalID, p.ReservationID), "attribute_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(notFoundf("no reservation %q for user %q", p.ReservationID, p.InternalID))),
	})
}

// ClientSlots returns the user's bound clients and pending slots (one
// strongly consistent Query of the user's partition). An unknown user is
// ErrNotFound.
func (s *Store) ClientSlots(ctx context.Context, internalID string) (Slots, error) {
	p, err := s.readUser(ctx, internalID)
	if err != nil {
		return Slots{}, err
	}
	return Slots{Clients: p.clients, Pending: p.pending}, nil
}

func (s *Store) creatingWith(clientID string) expr {
	return expr{
		names:  map[string]string{"#st": attrStatus, "#cid": attrClientID},
		values: item{":creating": str(string(PendingCreating)), ":cid": str(clientID)},
	}
}

func (s *Store) slotGone(p PendingClient) func(item) error {
	return func(old item) error {
		if len(old) == 0 {
			return notFoundf("no reservation %q for user %q", p.ReservationID, p.InternalID)
		}
		return conflictf("reservation %q of user %q was claimed or used", p.ReservationID, p.InternalID)
	}
}

func (s *Store) checkRecorded(p PendingClient, clientID string) error {
	if err := checkPending(p); err != nil {
		return err
	}
	if p.ClientID != clientID {
		return invalidf("reservation %q records client %q, not %q", p.ReservationID, p.ClientID, clientID)
	}
	return nil
}

// check is a condition on an item the transaction does not change.
func (s *Store) check(k item, cond string, e expr, onFail func(item) error) write {
	return write{tw: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: k,
		ConditionExpression:                 condPtr(cond),
		ExpressionAttributeNames:            e.names,
		ExpressionAttributeValues:           e.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, onFail: onFail}
}

func checkPending(p PendingClient) error {
	if err := checkName("internal id", p.InternalID); err != nil {
		return err
	}
	return checkName("reservation id", p.ReservationID)
}

func pendingItem(p PendingClient) item {
	it := pendingKey(p.InternalID, p.ReservationID)
	it[attrType] = str("pending-client")
	it[attrReservation] = str(p.ReservationID)
	it[attrInternalID] = str(p.InternalID)
	it[attrStatus] = str(string(p.State))
	it[attrCreated] = timeAttr(p.Created)
	if p.ClientID != "" {
		it[attrClientID] = str(p.ClientID)
	}
	if p.Replaces != "" {
		it[attrReplaces] = str(p.Replaces)
	}
	return it
}

func decodePending(it item) (PendingClient, error) {
	var p PendingClient
	var err error
	if p.ReservationID, err = getS(it, attrReservation); err != nil {
		return PendingClient{}, err
	}
	if p.InternalID, err = getS(it, attrInternalID); err != nil {
		return PendingClient{}, err
	}
	st, err := getS(it, attrStatus)
	if err != nil {
		return PendingClient{}, err
	}
	p.State = PendingState(st)
	if p.State != PendingCreating && p.State != PendingOrphan {
		return PendingClient{}, fmt.Errorf("mapping: malformed item: unknown pending state %q", st)
	}
	p.ClientID = getOptS(it, attrClientID)
	p.Replaces = getOptS(it, attrReplaces)
	if p.Created, err = getTime(it, attrCreated); err != nil {
		return PendingClient{}, err
	}
	return p, nil
}
