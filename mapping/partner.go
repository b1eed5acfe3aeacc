package mapping

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// Purpose of the one secret the Store seals, part of its encryption context.
const PurposePartnerRefreshToken = "partner-refresh-token"

// PartnerTokenBinding is what a partner's refresh token is sealed to: this
// table, the partner's record key and PurposePartnerRefreshToken. A token
// sealed for one partner does not open as another's.
func (s *Store) PartnerTokenBinding(partnerID string) Binding {
	return Binding{Table: s.table, Record: prefixPartner + partnerID, Purpose: PurposePartnerRefreshToken}
}

// SealPartnerToken seals a refresh token for the partner record partnerID.
func (s *Store) SealPartnerToken(ctx context.Context, partnerID string, refreshToken []byte) (Sealed, error) {
	if err := checkName("partner id", partnerID); err != nil {
		return nil, err
	}
	sealer, err := s.Sealer()
	if err != nil {
		return nil, err
	}
	return sealer.Seal(ctx, refreshToken, s.PartnerTokenBinding(partnerID))
}

// OpenPartnerToken opens p's sealed refresh token. The caller must not log
// or keep the result longer than it needs it.
func (s *Store) OpenPartnerToken(ctx context.Context, p Partner) ([]byte, error) {
	if len(p.SealedRefreshToken) == 0 {
		return nil, notFoundf("partner %q holds no refresh token (revoked?)", p.PartnerID)
	}
	sealer, err := s.Sealer()
	if err != nil {
		return nil, err
	}
	return sealer.Open(ctx, p.SealedRefreshToken, s.PartnerTokenBinding(p.PartnerID))
}

// PutPartner records a new partner credential for an existing user of
// KindPartner. p.PartnerID may be empty (a random one is made);
// p.SealedRefreshToken must be sealed with PartnerTokenBinding(p.PartnerID)
// (see SealPartnerToken) and p.CredentialFingerprint must be unused. With
// p.AdminUsername (and p.AdminPool and p.AdminSub) set, the administrator's item
// (PARTNERADMIN#<pool>#<name>) is written in the same transaction; a name
// that already administers a partner is ErrConflict. Status, Version and
// the times are set here; the stored record is returned.
func (s *Store) PutPartner(ctx context.Context, p Partner) (Partner, error) {
	if p.PartnerID == "" {
		p.PartnerID = NewID()
	}
	for _, f := range []struct{ what, v string }{
		{"partner id", p.PartnerID}, {"internal id", p.InternalID},
		{"Cognito user name", p.CognitoUsername}, {"app client id", p.AppClientID},
	} {
		if err := checkName(f.what, f.v); err != nil {
			return Partner{}, err
		}
	}
	if err := checkFingerprint(p.CredentialFingerprint); err != nil {
		return Partner{}, err
	}
	admin := poolName{p.AdminPool, p.AdminUsername}
	if p.AdminUsername != "" || p.AdminPool != "" || p.AdminSub != "" {
		if err := checkPoolName(admin); err != nil {
			return Partner{}, err
		}
		if err := checkName("administrator's sub", p.AdminSub); err != nil {
			return Partner{}, err
		}
	}
	if _, err := parseSealed(p.SealedRefreshToken); err != nil {
		return Partner{}, err
	}
	p.Status = PartnerActive
	p.Version = 1
	p.Created = s.nowUTC()
	p.Rotated, p.Revoked = time.Time{}, time.Time{}

	it := partnerKey(p.PartnerID)
	it[attrType] = str("partner")
	it[attrPartnerID] = str(p.PartnerID)
	it[attrInternalID] = str(p.InternalID)
	it[attrCognitoUsername] = str(p.CognitoUsername)
	it[attrAppClientID] = str(p.AppClientID)
	it[attrSealedToken] = &types.AttributeValueMemberB{Value: p.SealedRefreshToken}
	it[attrFingerprint] = str(p.CredentialFingerprint)
	it[attrStatus] = str(string(p.Status))
	it[attrVersion] = num(p.Version)
	it[attrCreated] = timeAttr(p.Created)
	if p.AdminUsername != "" {
		it[attrAdminUsername] = str(p.AdminUsername)
		it[attrAdminPool] = str(p.AdminPool)
		it[attrAdminSub] = str(p.AdminSub)
	}

	marker := userPartnerKey(p.InternalID, p.PartnerID)
	marker[attrType] = str("user-partner")
	marker[attrPartnerID] = str(p.PartnerID)

	notExists := expr{names: map[string]string{"#pk": attrPK}}
	internalID := p.InternalID
	writes := []write{
		s.update(userKey(internalID), "SET #rev = #rev + :one, #n = #n + :one",
			"attribute_exists(#pk) AND #kind = :partner AND #n < :max", expr{
				names:  map[string]string{"#pk": attrPK, "#rev": attrRev, "#n": attrPartners, "#kind": attrKind},
				values: item{":one": num(1), ":max": num(MaxPartnersPerUser), ":partner": str(string(KindPartner))},
			}, func(old item) error {
				switch {
				case len(old) == 0:
					return notFoundf("no user with internal id %q", internalID)
				case getOptS(old, attrKind) != string(KindPartner):
					return conflictf("user %q is not of kind %q", internalID, KindPartner)
				}
				return fmt.Errorf("%w: user %q already has the maximum of %d partner credentials", ErrLimit, internalID, MaxPartnersPerUser)
			}),
		s.put(it, "attribute_not_exists(#pk)", notExists, always(conflictf("partner id %q is taken", p.PartnerID))),
		s.put(fingerprintItem(p.CredentialFingerprint, p.PartnerID), "attribute_not_exists(#pk)", notExists,
			always(conflictf("the credential fingerprint is already in use"))),
		s.put(marker, "attribute_not_exists(#pk)", notExists, always(conflictf("partner id %q is taken", p.PartnerID))),
	}
	if p.AdminUsername != "" {
		a := partnerAdminKey(admin)
		a[attrType] = str("partner-admin")
		a[attrPartnerID] = str(p.PartnerID)
		a[attrUserPool] = str(admin.pool)
		a[attrUsername] = str(admin.username)
		a[attrCreated] = timeAttr(p.Created)
		writes = append(writes, s.put(a, "attribute_not_exists(#pk)", notExists,
			always(conflictf("user name %q already administers a partner", p.AdminUsername))))
	}
	if err := s.transact(ctx, "PutPartner", writes); err != nil {
		return Partner{}, err
	}
	return p, nil
}

// PartnerOfAdmin returns the partner whose administrator is the person
// username of user pool pool with subject sub (take all three from a
// verified token): two strongly consistent GetItems, the administrator's
// item then the partner record, which must name this administrator too.
// Anything else — no item, a partner removed or re-registered with
// another administrator — is ErrNotFound, so a stale item grants nothing.
// The record's AdminSub must be sub (record.SameSub, the rule user names
// follow): another is ErrRebound (the administrator's Cognito user was
// deleted and the name created again: another person), none ErrUnbound.
func (s *Store) PartnerOfAdmin(ctx context.Context, pool, username, sub string) (Partner, error) {
	n := poolName{pool, username}
	if err := checkPoolName(n); err != nil {
		return Partner{}, err
	}
	it, err := s.getItem(ctx, "GetItem (partner administrator)", partnerAdminKey(n))
	if err != nil {
		return Partner{}, err
	}
	if it == nil {
		return Partner{}, notFoundf("user name %q of pool %s administers no partner", username, pool)
	}
	partnerID, err := getS(it, attrPartnerID)
	if err != nil {
		return Partner{}, err
	}
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return Partner{}, err
	}
	if p.AdminUsername != username || p.AdminPool != pool {
		return Partner{}, notFoundf("user name %q of pool %s administers no partner (partner %q names another)", username, pool, partnerID)
	}
	if err := record.SameSub(p.AdminSub, sub); err != nil {
		return Partner{}, fmt.Errorf("%w: administrator %q of partner %q", err, username, partnerID)
	}
	return p, nil
}

func fingerprintItem(fp, partnerID string) item {
	it := fingerprintKey(fp)
	it[attrType] = str("fingerprint")
	it[attrFingerprint] = str(fp)
	it[attrPartnerID] = str(partnerID)
	return it
}

// Partner returns the partner credential partnerID, read strongly
// consistently.
func (s *Store) Partner(ctx context.Context, partnerID string) (Partner, error) {
	if err := checkName("partner id", partnerID); err != nil {
		return Partner{}, err
	}
	it, err := s.getItem(ctx, "GetItem (partner)", partnerKey(partnerID))
	if err != nil {
		return Partner{}, err
	}
	if it == nil {
		return Partner{}, notFoundf("no partner %q", partnerID)
	}
	p, err := decodePartner(it)
	if err != nil {
		return Partner{}, err
	}
	if p.PartnerID != partnerID {
		return Partner{}, fmt.Errorf("mapping: malformed item: partner %q holds partner id %q", partnerID, p.PartnerID)
	}
	return p, nil
}

// PartnerByFingerprint returns the active partner credential whose
// credential has this fingerprint (see Fingerprint): two strongly consistent
// GetItems, the fingerprint item then the partner record, which must still
// carry this fingerprint and be active. A revoked or rotated-away credential
// is ErrNotFound.
func (s *Store) PartnerByFingerprint(ctx context.Context, fingerprint string) (Partner, error) {
	if err := checkFingerprint(fingerprint); err != nil {
		return Partner{}, err
	}
	it, err := s.getItem(ctx, "GetItem (fingerprint)", fingerprintKey(fingerprint))
	if err != nil {
		return Partner{}, err
	}
	if it == nil {
		return Partner{}, notFoundf("no partner with this credential")
	}
	id, err := getS(it, attrPartnerID)
	if err != nil {
		return Partner{}, err
	}
	p, err := s.Partner(ctx, id)
	if err != nil {
		return Partner{}, err
	}
	if !FingerprintEqual(p.CredentialFingerprint, fingerprint) || p.Status != PartnerActive {
		return Partner{}, notFoundf("no partner with this credential")
	}
	return p, nil
}

// UpdatePartnerToken stores a new sealed refresh token and credential
// fingerprint for an active partner, if its version is still
// expectedVersion (ErrConflict otherwise: someone else rotated first). The
// old fingerprint stops finding the partner in the same transaction. The
// updated record is returned.
func (s *Store) UpdatePartnerToken(ctx context.Context, partnerID string, expectedVersion int64, newSealed Sealed, newFingerprint string) (Partner, error) {
	if err := checkFingerprint(newFingerprint); err != nil {
		return Partner{}, err
	}
	if _, err := parseSealed(newSealed); err != nil {
		return Partner{}, err
	}
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return Partner{}, err
	}
	if p.Version != expectedVersion {
		return Partner{}, conflictf("partner %q is at version %d, not %d", partnerID, p.Version, expectedVersion)
	}
	if p.Status != PartnerActive {
		return Partner{}, conflictf("partner %q is %s", partnerID, p.Status)
	}
	now := s.nowUTC()
	writes := []write{
		s.update(partnerKey(partnerID), "SET #tok = :tok, #fp = :fp, #ver = :next, #rot = :now",
			"#ver = :ver AND #st = :active", expr{
				names: map[string]string{"#tok": attrSealedToken, "#fp": attrFingerprint, "#ver": attrVersion,
					"#rot": attrRotated, "#st": attrStatus},
				values: item{":tok": &types.AttributeValueMemberB{Value: newSealed}, ":fp": str(newFingerprint),
					":next": num(expectedVersion + 1), ":ver": num(expectedVersion), ":now": timeAttr(now),
					":active": str(string(PartnerActive))},
			}, s.partnerChanged(partnerID)),
	}
	if newFingerprint != p.CredentialFingerprint {
		writes = append(writes,
			s.del(fingerprintKey(p.CredentialFingerprint), "#pid = :pid", expr{
				names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(partnerID)},
			}, always(conflictf("partner %q changed; read it again", partnerID))),
			s.put(fingerprintItem(newFingerprint, partnerID), "attribute_not_exists(#pk)",
				expr{names: map[string]string{"#pk": attrPK}},
				always(conflictf("the new credential fingerprint is already in use"))))
	}
	if err := s.transact(ctx, "UpdatePartnerToken", writes); err != nil {
		return Partner{}, err
	}
	p.SealedRefreshToken = newSealed
	p.CredentialFingerprint = newFingerprint
	p.Version = expectedVersion + 1
	p.Rotated = now
	return p, nil
}

func (s *Store) partnerChanged(partnerID string) func(item) error {
	return func(old item) error {
		if len(old) == 0 {
			return notFoundf("no partner %q", partnerID)
		}
		return conflictf("partner %q changed; read it again", partnerID)
	}
}

// RevokePartner marks a partner credential revoked and removes its
// fingerprint, in one transaction: the next PartnerByFingerprint no longer
// finds it. The sealed refresh token stays, so that the caller can revoke
// it at Cognito (OpenPartnerToken, RevokeToken) and retry that until
// Cognito confirms; then DropPartnerToken removes it. Revoking a revoked
// partner is not an error.
func (s *Store) RevokePartner(ctx context.Context, partnerID string) error {
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	if p.Status == PartnerRevoked {
		return nil
	}
	writes := []write{
		s.update(partnerKey(partnerID), "SET #st = :revoked, #ver = :next, #rvk = :now REMOVE #fp",
			"#ver = :ver", expr{
				names: map[string]string{"#st": attrStatus, "#ver": attrVersion, "#rvk": attrRevoked,
					"#fp": attrFingerprint},
				values: item{":revoked": str(string(PartnerRevoked)), ":next": num(p.Version + 1),
					":ver": num(p.Version), ":now": timeAttr(s.nowUTC())},
			}, s.partnerChanged(partnerID)),
	}
	if p.CredentialFingerprint != "" {
		writes = append(writes, s.del(fingerprintKey(p.CredentialFingerprint), "#pid = :pid", expr{
			names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(partnerID)},
		}, always(conflictf("partner %q changed; read it again", partnerID))))
	}
	return s.transact(ctx, "RevokePartner", writes)
}

// DropPartnerToken removes the sealed refresh token of a revoked partner
// (once Cognito confirmed its revocation). An active partner is
// ErrConflict; a revoked one without a token is not an error.
func (s *Store) DropPartnerToken(ctx context.Context, partnerID string) error {
	if err := checkName("partner id", partnerID); err != nil {
		return err
	}
	return s.transact(ctx, "DropPartnerToken", []write{
		s.update(partnerKey(partnerID), "REMOVE #tok", "#st = :revoked", expr{
			names:  map[string]string{"#st": attrStatus, "#tok": attrSealedToken},
			values: item{":revoked": str(string(PartnerRevoked))},
		}, func(old item) error {
			if len(old) == 0 {
				return notFoundf("no partner %q", partnerID)
			}
			return conflictf("partner %q is not revoked", partnerID)
		}),
	})
}

// RemovePartner deletes a partner credential (active or revoked), its
// fingerprint and its place in the user's partition, freeing one of the
// user's MaxPartnersPerUser slots.
func (s *Store) RemovePartner(ctx context.Context, partnerID string) error {
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	writes := []write{
		s.update(userKey(p.InternalID), "SET #rev = #rev + :one, #n = #n - :one", "attribute_exists(#pk)", expr{
			names:  map[string]string{"#pk": attrPK, "#rev": attrRev, "#n": attrPartners},
			values: item{":one": num(1)},
		}, always(conflictf("user %q changed; retry", p.InternalID))),
		s.del(partnerKey(partnerID), "#ver = :ver", expr{
			names: map[string]string{"#ver": attrVersion}, values: item{":ver": num(p.Version)},
		}, s.partnerChanged(partnerID)),
		s.del(userPartnerKey(p.InternalID, partnerID), "attribute_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(conflictf("partner %q changed; retry", partnerID))),
	}
	if p.CredentialFingerprint != "" {
		writes = append(writes, s.del(fingerprintKey(p.CredentialFingerprint), "#pid = :pid", expr{
			names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(partnerID)},
		}, always(conflictf("partner %q changed; retry", partnerID))))
	}
	if p.AdminUsername != "" {
		writes = append(writes, s.del(partnerAdminKey(poolName{p.AdminPool, p.AdminUsername}), "#pid = :pid", expr{
			names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(partnerID)},
		}, always(conflictf("partner %q changed; retry", partnerID))))
	}
	return s.transact(ctx, "RemovePartner", writes)
}

func decodePartner(it item) (Partner, error) {
	var p Partner
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{attrPartnerID, &p.PartnerID}, {attrInternalID, &p.InternalID},
		{attrCognitoUsername, &p.CognitoUsername}, {attrAppClientID, &p.AppClientID},
	} {
		if *f.dst, err = getS(it, f.name); err != nil {
			return Partner{}, err
		}
	}
	st, err := getS(it, attrStatus)
	if err != nil {
		return Partner{}, err
	}
	p.Status = PartnerStatus(st)
	if p.Status != PartnerActive && p.Status != PartnerRevoked {
		return Partner{}, fmt.Errorf("mapping: malformed item: unknown partner status %q", st)
	}
	if p.Version, err = getN(it, attrVersion); err != nil {
		return Partner{}, err
	}
	p.CredentialFingerprint = getOptS(it, attrFingerprint)
	p.AdminUsername, p.AdminPool, p.AdminSub = getOptS(it, attrAdminUsername), getOptS(it, attrAdminPool), getOptS(it, attrAdminSub)
	if (p.AdminUsername == "") != (p.AdminPool == "") {
		return Partner{}, fmt.Errorf("mapping: malformed item: partner %q has an administrator without a pool or the reverse", p.PartnerID)
	}
	if b, ok := it[attrSealedToken].(*types.AttributeValueMemberB); ok {
		p.SealedRefreshToken = Sealed(b.Value)
	}
	if p.Status == PartnerActive && (len(p.SealedRefreshToken) == 0 || p.CredentialFingerprint == "") {
		return Partner{}, fmt.Errorf("mapping: malformed item: active partner %q without token or fingerprint", p.PartnerID)
	}
	if p.Created, err = getTime(it, attrCreated); err != nil {
		return Partner{}, err
	}
	if p.Rotated, err = getOptTime(it, attrRotated); err != nil {
		return Partner{}, err
	}
	if p.Revoked, err = getOptTime(it, attrRevoked); err != nil {
		return Partner{}, err
	}
	return p, nil
}
