package mapping

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// SignOut records a sign-out everywhere of the user name of pool pool at
// time at: tokens of that user issued before SignOutSecond(at) are refused
// from then on (within the lookup caches' TTL in other processes). Call it
// after Cognito confirmed the sign-out (GlobalSignOut,
// AdminUserGlobalSignOut, or a partner credential's revocation). It is one
// conditional write on the user name item the authorizer reads, so the
// check costs no extra read per request. The recorded time only moves
// forward: a sign-out older than the one recorded succeeds and changes
// nothing, so a retry is always safe. An unknown user name is ErrNotFound.
func (s *Store) SignOut(ctx context.Context, pool, username string, at time.Time) error {
	n := poolName{pool, username}
	if err := checkPoolName(n); err != nil {
		return err
	}
	sec := SignOutSecond(at)
	if sec <= 0 {
		return invalidf("sign-out time %v is not after 1970", at)
	}
	err := s.transact(ctx, "SignOut", []write{
		s.update(usernameKey(n), "SET #so = :t",
			"attribute_exists(#pk) AND (attribute_not_exists(#so) OR #so < :t)", expr{
				names:  map[string]string{"#pk": attrPK, "#so": attrSignedOut},
				values: item{":t": num(sec)},
			}, func(old item) error {
				if len(old) == 0 {
					return notFoundf("no user with user name %q in pool %s", username, pool)
				}
				return nil // a later sign-out is already recorded
			}),
	})
	s.users.invalidate(n)
	return err
}

// BindSub binds the user name of pool pool to the Cognito sub sub, for a
// user recorded before subs were (gatehouse users bind-subs): the user name
// item and the profile record it in one transaction, conditional on no sub
// or this same sub being recorded, so it can be run again. A user name
// bound to another sub is ErrConflict (the Cognito user was re-created
// meanwhile: an operator decides), an unknown one ErrNotFound. Read sub
// from Cognito (AdminGetUser), never from a caller.
func (s *Store) BindSub(ctx context.Context, pool, username, sub string) (User, error) {
	n := poolName{pool, username}
	if err := checkPoolName(n); err != nil {
		return User{}, err
	}
	if err := checkName("sub", sub); err != nil {
		return User{}, err
	}
	u, err := s.fetchUserByUsername(ctx, n)
	if err != nil {
		return User{}, err
	}
	switch u.Sub {
	case sub:
		return u, nil
	case "":
	default:
		return User{}, conflictf("user name %q in pool %s is bound to another sub", username, pool)
	}
	bind := expr{
		names:  map[string]string{"#iid": attrInternalID, "#sub": attrSub},
		values: item{":iid": str(u.InternalID), ":sub": str(sub)},
	}
	cond := "#iid = :iid AND (attribute_not_exists(#sub) OR #sub = :sub)"
	changed := func(old item) error {
		if len(old) == 0 {
			return notFoundf("user name %q in pool %s is gone", username, pool)
		}
		return conflictf("user name %q in pool %s changed while being bound; run again", username, pool)
	}
	err = s.transact(ctx, "BindSub", []write{
		s.update(usernameKey(n), "SET #sub = :sub", cond, bind, changed),
		s.update(userKey(u.InternalID), "SET #sub = :sub", cond, bind, changed),
	})
	s.users.invalidate(n)
	if err != nil {
		return User{}, err
	}
	u.Sub = sub
	return u, nil
}

// Unbound returns the users of pool pool whose user name item records no
// sub (recorded before subs were), through strongly consistent Scans by
// scan (an operator's credentials: gatehouse users bind-subs). The
// authorizer refuses them until BindSub binds them.
func (s *Store) Unbound(ctx context.Context, scan ScanAPI, pool string) ([]User, error) {
	if err := checkPool(pool); err != nil {
		return nil, err
	}
	in := &dynamodb.ScanInput{
		TableName:                aws.String(s.table),
		ConsistentRead:           aws.Bool(true),
		FilterExpression:         aws.String("begins_with(#pk, :prefix) AND #sk = :sk AND attribute_not_exists(#sub)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK, "#sub": attrSub},
		ExpressionAttributeValues: item{
			":prefix": str(prefixUsername + pool + "#"), ":sk": str(skUsername),
		},
	}
	var out []User
	for p := dynamodb.NewScanPaginator(scan, in); p.HasMorePages(); {
		sctx, cancel := s.withTimeout(ctx)
		page, err := p.NextPage(sctx, s.ddbOpts...)
		cancel()
		if err != nil {
			return nil, classify("DynamoDB", s.table, "Scan (unbound user names)", err)
		}
		for _, it := range page.Items {
			u, err := decodeUser(it)
			if err != nil {
				return nil, err
			}
			if u.Pool != pool { // the key alone is not trusted
				continue
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// CheckUserName reports (ErrInvalid) whether username of pool pool could
// be recorded, without any I/O: for callers that ask elsewhere first.
func CheckUserName(pool, username string) error { return checkPoolName(poolName{pool, username}) }
