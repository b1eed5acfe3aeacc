package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// legacyUsernameKey is a user name item's key from before user names were
// qualified by their pool. No lookup reads it: only DeleteUser (of a user
// not yet migrated) and MigrateUsernames touch it.
func legacyUsernameKey(username string) item { return key(prefixUsername+username, skUsername) }

// usernameItemKey is the key of u's user name item, the legacy one when
// u's profile records no pool yet.
func usernameItemKey(u User) item {
	if u.Pool == "" {
		return legacyUsernameKey(u.Username)
	}
	return usernameKey(poolName{u.Pool, u.Username})
}

// ScanAPI is the part of the DynamoDB API MigrateUsernames uses besides the
// Store's own (a *dynamodb.Client satisfies it). It is separate so that the
// services' Stores never need dynamodb:Scan.
type ScanAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Migration counts what MigrateUsernames did (or, in a dry run, would do).
type Migration struct {
	// Found is the number of legacy user name items read.
	Found int `json:"found"`
	// Migrated is the number re-keyed (in a dry run: that would be).
	Migrated int `json:"migrated"`
	// Conflicts are the items left as they were because the qualified key
	// is taken (the person was recorded anew meanwhile), the profile is
	// missing, either changed during the write, or the item is malformed;
	// each is described.
	Conflicts []string `json:"conflicts,omitempty"`
}

// MigrateUsernames re-keys every user name item written before user names
// were qualified by their pool (key USERNAME#<username>, no userPool
// attribute) to USERNAME#<pool>#<username>, and records pool on the user's
// profile. Each user is one transaction: the new item is created only if
// its key is free, the old one deleted only if it is unchanged, the profile
// updated only if it still names this user and no pool. A user already
// migrated is no longer found, so a run that stopped can be run again; a
// conflict is counted and left alone. Until a user is migrated, lookups
// refuse them (no lookup reads a legacy key). Reads are strongly
// consistent Scans through scan (the deployer's credentials, not a
// service's); dryRun writes nothing.
func (s *Store) MigrateUsernames(ctx context.Context, scan ScanAPI, pool string, dryRun bool) (Migration, error) {
	var m Migration
	if err := checkPool(pool); err != nil {
		return m, err
	}
	in := &dynamodb.ScanInput{
		TableName:                aws.String(s.table),
		ConsistentRead:           aws.Bool(true),
		FilterExpression:         aws.String("begins_with(#pk, :prefix) AND #sk = :sk AND attribute_not_exists(#up)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK, "#up": attrUserPool},
		ExpressionAttributeValues: item{
			":prefix": str(prefixUsername), ":sk": str(skUsername),
		},
	}
	for p := dynamodb.NewScanPaginator(scan, in); p.HasMorePages(); {
		sctx, cancel := s.withTimeout(ctx)
		page, err := p.NextPage(sctx, s.ddbOpts...)
		cancel()
		if err != nil {
			return m, classify("DynamoDB", s.table, "Scan (legacy user names)", err)
		}
		for _, it := range page.Items {
			m.Found++
			// A malformed item is listed and left alone, not the end of the
			// run: the scan meets it at the same place every time.
			pk, _ := getS(it, attrPK)
			u, err := decodeUser(it)
			if err != nil {
				m.Conflicts = append(m.Conflicts, fmt.Sprintf("legacy user name item %q left unmigrated: %v", pk, err))
				continue
			}
			if pk != prefixUsername+u.Username {
				m.Conflicts = append(m.Conflicts, fmt.Sprintf("malformed item: legacy user name item %q holds user name %q; left unmigrated", pk, u.Username))
				continue
			}
			if dryRun {
				m.Migrated++
				continue
			}
			switch err := s.migrateUser(ctx, pool, u); {
			case err == nil:
				m.Migrated++
			case errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound):
				m.Conflicts = append(m.Conflicts, err.Error())
			default:
				return m, err
			}
		}
	}
	return m, nil
}

// migrateUser moves one legacy user name item of u (u.Pool empty) to pool.
func (s *Store) migrateUser(ctx context.Context, pool string, u User) error {
	n := poolName{pool, u.Username}
	legacy := u
	u.Pool = pool
	byName := userAttrs(usernameKey(n), u)
	byName[attrType] = str("username")
	same := expr{
		names:  map[string]string{"#iid": attrInternalID, "#un": attrUsername, "#up": attrUserPool},
		values: item{":iid": str(u.InternalID), ":un": str(u.Username)},
	}
	setPool := expr{names: same.names, values: item{":iid": same.values[":iid"], ":un": same.values[":un"], ":pool": str(pool)}}
	changed := always(conflictf("user %q (user name %q) changed while being migrated; run again", u.InternalID, u.Username))
	err := s.transact(ctx, "MigrateUsernames", []write{
		s.put(byName, "attribute_not_exists(#pk)", expr{names: map[string]string{"#pk": attrPK}},
			always(conflictf("user name %q is already recorded in pool %s (user %q left unmigrated)", u.Username, pool, u.InternalID))),
		s.del(legacyUsernameKey(legacy.Username), "#iid = :iid AND #un = :un AND attribute_not_exists(#up)", same, changed),
		s.update(userKey(u.InternalID), "SET #up = :pool", "#iid = :iid AND #un = :un AND attribute_not_exists(#up)", setPool,
			func(old item) error {
				if len(old) == 0 {
					return notFoundf("user %q (user name %q) has no profile; left unmigrated", u.InternalID, u.Username)
				}
				return conflictf("user %q (user name %q) changed while being migrated; run again", u.InternalID, u.Username)
			}),
	})
	s.users.invalidate(n)
	return err
}

// Partners returns every partner record, through strongly consistent
// Scans by scan (an operator's credentials: gatehouse partners reissue).
func (s *Store) Partners(ctx context.Context, scan ScanAPI) ([]Partner, error) {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("begins_with(#pk, :prefix) AND #sk = :sk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: item{":prefix": str(prefixPartner), ":sk": str(skPartner)},
	}
	var out []Partner
	for p := dynamodb.NewScanPaginator(scan, in); p.HasMorePages(); {
		sctx, cancel := s.withTimeout(ctx)
		page, err := p.NextPage(sctx, s.ddbOpts...)
		cancel()
		if err != nil {
			return nil, classify("DynamoDB", s.table, "Scan (partners)", err)
		}
		for _, it := range page.Items {
			pt, err := decodePartner(it)
			if err != nil {
				return nil, err
			}
			out = append(out, pt)
		}
	}
	return out, nil
}

// PartnerMove is where MovePartner moves a partner credential: the user
// pool, the user name the partner signs in with there and its Cognito sub,
// the app client its refresh token belongs to, and that token, sealed for
// this partner, with its (unused) fingerprint.
type PartnerMove struct {
	Pool, CognitoUsername, Sub, AppClientID string
	SealedRefreshToken                      Sealed
	CredentialFingerprint                   string
}

// MovePartner moves an active partner credential and its user into user
// pool to.Pool, where the partner now signs in as to.CognitoUsername through
// to.AppClientID with a new refresh token. In one
// transaction, conditional on the partner's version being expectedVersion
// and on the user being as read: the partner record takes the new user
// name, app client, token and fingerprint (version up; the old fingerprint stops
// finding it), the user's user name item moves from its old key (legacy,
// or another pool's) to pool, and the profile records pool and the name.
// A user already in pool is ErrConflict.
func (s *Store) MovePartner(ctx context.Context, partnerID string, expectedVersion int64, to PartnerMove) (Partner, error) {
	pool, cognitoUsername, newSealed, newFingerprint := to.Pool, to.CognitoUsername, to.SealedRefreshToken, to.CredentialFingerprint
	n := poolName{pool, cognitoUsername}
	if err := checkPoolName(n); err != nil {
		return Partner{}, err
	}
	if err := checkName("app client id", to.AppClientID); err != nil {
		return Partner{}, err
	}
	if err := checkName("sub", to.Sub); err != nil {
		return Partner{}, err
	}
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
	switch {
	case p.Version != expectedVersion:
		return Partner{}, conflictf("partner %q is at version %d, not %d", partnerID, p.Version, expectedVersion)
	case p.Status != PartnerActive:
		return Partner{}, conflictf("partner %q is %s", partnerID, p.Status)
	}
	u, err := s.User(ctx, p.InternalID)
	if err != nil {
		return Partner{}, err
	}
	switch {
	case u.Pool == pool:
		return Partner{}, conflictf("partner %q's user is already in pool %s", partnerID, pool)
	case p.CredentialFingerprint == newFingerprint:
		return Partner{}, invalidf("the new credential is the old one")
	}
	now := s.nowUTC()
	moved := u
	moved.Pool, moved.Username, moved.Sub, moved.SignedOut = pool, cognitoUsername, to.Sub, 0
	byName := userAttrs(usernameKey(n), moved)
	byName[attrType] = str("username")
	userIs := expr{
		names:  map[string]string{"#iid": attrInternalID, "#un": attrUsername, "#up": attrUserPool, "#sub": attrSub},
		values: item{":iid": str(u.InternalID), ":un": str(u.Username), ":pool": str(pool), ":new": str(cognitoUsername), ":sub": str(to.Sub)},
	}
	samePool := "attribute_not_exists(#up)"
	if u.Pool != "" {
		samePool = "#up = :old"
		userIs.values[":old"] = str(u.Pool)
	}
	changed := always(conflictf("partner %q or its user changed; read it again", partnerID))
	oldName := expr{names: map[string]string{"#iid": attrInternalID}, values: item{":iid": str(u.InternalID)}}
	notExists := expr{names: map[string]string{"#pk": attrPK}}
	err = s.transact(ctx, "MovePartner", []write{
		s.update(partnerKey(partnerID), "SET #tok = :tok, #fp = :fp, #ver = :next, #rot = :now, #cu = :cu, #ac = :ac",
			"#ver = :ver AND #st = :active", expr{
				names: map[string]string{"#tok": attrSealedToken, "#fp": attrFingerprint, "#ver": attrVersion,
					"#rot": attrRotated, "#st": attrStatus, "#cu": attrCognitoUsername, "#ac": attrAppClientID},
				values: item{":tok": &types.AttributeValueMemberB{Value: newSealed}, ":fp": str(newFingerprint),
					":next": num(expectedVersion + 1), ":ver": num(expectedVersion), ":now": timeAttr(now),
					":active": str(string(PartnerActive)), ":cu": str(cognitoUsername), ":ac": str(to.AppClientID)},
			}, s.partnerChanged(partnerID)),
		s.del(fingerprintKey(p.CredentialFingerprint), "#pid = :pid", expr{
			names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(partnerID)},
		}, changed),
		s.put(fingerprintItem(newFingerprint, partnerID), "attribute_not_exists(#pk)", notExists,
			always(conflictf("the new credential fingerprint is already in use"))),
		s.del(usernameItemKey(u), "#iid = :iid", oldName, changed),
		s.put(byName, "attribute_not_exists(#pk)", notExists,
			always(conflictf("user name %q is already recorded in pool %s", cognitoUsername, pool))),
		s.update(userKey(u.InternalID), "SET #up = :pool, #un = :new, #sub = :sub",
			"#iid = :iid AND #un = :un AND "+samePool, userIs, changed),
	})
	s.users.invalidate(poolName{u.Pool, u.Username}, n)
	if err != nil {
		return Partner{}, err
	}
	p.CognitoUsername, p.AppClientID = cognitoUsername, to.AppClientID
	p.SealedRefreshToken, p.CredentialFingerprint = newSealed, newFingerprint
	p.Version, p.Rotated = expectedVersion+1, now
	return p, nil
}
