package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	// missing, or either changed during the write; each is described.
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
			u, err := decodeUser(it)
			if err != nil {
				return m, err
			}
			if pk, _ := getS(it, attrPK); pk != prefixUsername+u.Username {
				return m, fmt.Errorf("mapping: malformed item: legacy user name item %q holds user name %q", pk, u.Username)
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
