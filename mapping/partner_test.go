package mapping_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

func putPartner(t *testing.T, st *mapping.Store, internalID, partnerID, token string) mapping.Partner {
	t.Helper()
	ctx := ctxT(t)
	sealed, err := st.SealPartnerToken(ctx, partnerID, []byte(token))
	if err != nil {
		t.Fatalf("SealPartnerToken: %v", err)
	}
	p, err := st.PutPartner(ctx, mapping.Partner{
		PartnerID: partnerID, InternalID: internalID, CognitoUsername: "cognito-" + partnerID,
		AppClientID: "app-client", SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte(token)),
	})
	if err != nil {
		t.Fatalf("PutPartner: %v", err)
	}
	return p
}

func TestPartners(t *testing.T) {
	t.Parallel()
	// The test ends with concurrent rotations.
	st, table := newStore(t, func(c *mapping.Config) { c.DynamoDB = raceClient(t) })
	ctx := ctxT(t)
	acme, err := st.CreateUser(ctx, "", testPool, "acme", "sub-acme", mapping.KindPartner)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	person, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", mapping.KindUser)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}

	p := putPartner(t, st, acme.InternalID, "p-1", "refresh-1")
	if p.Status != mapping.PartnerActive || p.Version != 1 || p.Created.IsZero() {
		t.Fatalf("PutPartner returned %+v", p)
	}
	got, err := st.PartnerByFingerprint(ctx, mapping.Fingerprint([]byte("refresh-1")))
	if err != nil || got.PartnerID != "p-1" || got.InternalID != acme.InternalID || got.CognitoUsername != "cognito-p-1" {
		t.Fatalf("PartnerByFingerprint = %+v, %v", got, err)
	}
	plain, err := st.OpenPartnerToken(ctx, got)
	if err != nil || string(plain) != "refresh-1" {
		t.Fatalf("OpenPartnerToken = %q, %v", plain, err)
	}
	// The plaintext never reaches the table.
	for k, it := range scan(t, table) {
		for name, v := range it {
			if b, ok := v.(*types.AttributeValueMemberB); ok && bytes.Contains(b.Value, []byte("refresh-1")) {
				t.Fatalf("item %s attribute %s holds the plaintext", k, name)
			}
			if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, "refresh-1") {
				t.Fatalf("item %s attribute %s holds the plaintext", k, name)
			}
		}
	}

	sealed := p.SealedRefreshToken
	fp := mapping.Fingerprint([]byte("other"))
	puts := []struct {
		name    string
		p       mapping.Partner
		wantErr error
	}{
		{"partner id taken", mapping.Partner{PartnerID: "p-1", InternalID: acme.InternalID, CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: fp}, mapping.ErrConflict},
		{"fingerprint taken", mapping.Partner{PartnerID: "p-2", InternalID: acme.InternalID, CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: p.CredentialFingerprint}, mapping.ErrConflict},
		{"user is not a partner", mapping.Partner{PartnerID: "p-2", InternalID: person.InternalID, CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: fp}, mapping.ErrConflict},
		{"no such user", mapping.Partner{PartnerID: "p-2", InternalID: "nobody", CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: fp}, mapping.ErrNotFound},
		{"bad fingerprint", mapping.Partner{PartnerID: "p-2", InternalID: acme.InternalID, CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: "abc"}, mapping.ErrInvalid},
		{"not sealed", mapping.Partner{PartnerID: "p-2", InternalID: acme.InternalID, CognitoUsername: "c", AppClientID: "a", SealedRefreshToken: mapping.Sealed("refresh-2"), CredentialFingerprint: fp}, mapping.ErrSealBroken},
		{"no Cognito user name", mapping.Partner{PartnerID: "p-2", InternalID: acme.InternalID, AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: fp}, mapping.ErrInvalid},
	}
	for _, tt := range puts {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := st.PutPartner(ctx, tt.p); !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutPartner: err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	checkTable(t, table)

	// Rotation: conditional on the version; the old fingerprint stops
	// working in the same transaction.
	newSealed, err := st.SealPartnerToken(ctx, "p-1", []byte("refresh-2"))
	if err != nil {
		t.Fatal(err)
	}
	newFP := mapping.Fingerprint([]byte("refresh-2"))
	if _, err := st.UpdatePartnerToken(ctx, "p-1", 7, newSealed, newFP); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("UpdatePartnerToken with a stale version: err = %v, want ErrConflict", err)
	}
	rotated, err := st.UpdatePartnerToken(ctx, "p-1", 1, newSealed, newFP)
	if err != nil || rotated.Version != 2 || rotated.Rotated.IsZero() {
		t.Fatalf("UpdatePartnerToken = %+v, %v", rotated, err)
	}
	if _, err := st.PartnerByFingerprint(ctx, p.CredentialFingerprint); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("old fingerprint after rotation: err = %v, want ErrNotFound", err)
	}
	got, err = st.PartnerByFingerprint(ctx, newFP)
	if err != nil || got.Version != 2 {
		t.Fatalf("new fingerprint after rotation = %+v, %v", got, err)
	}
	if plain, err := st.OpenPartnerToken(ctx, got); err != nil || string(plain) != "refresh-2" {
		t.Fatalf("OpenPartnerToken after rotation = %q, %v", plain, err)
	}
	checkTable(t, table)

	// Concurrent rotations from the same version: exactly one wins.
	errs := race(5, func(i int) error {
		token := []byte{'r', byte('a' + i)}
		sl, err := st.SealPartnerToken(ctx, "p-1", token)
		if err != nil {
			return err
		}
		_, err = st.UpdatePartnerToken(ctx, "p-1", 2, sl, mapping.Fingerprint(token))
		return err
	})
	oneWins(t, errs, mapping.ErrConflict)
	checkTable(t, table)

	// Revocation: the fingerprint no longer finds it at once, the sealed
	// token stays (for a retried revocation at Cognito) until dropped, and
	// a revoked partner cannot be rotated.
	if err := st.DropPartnerToken(ctx, "p-1"); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("DropPartnerToken of an active partner: err = %v, want ErrConflict", err)
	}
	if err := st.RevokePartner(ctx, "p-1"); err != nil {
		t.Fatalf("RevokePartner: %v", err)
	}
	if err := st.RevokePartner(ctx, "p-1"); err != nil {
		t.Fatalf("RevokePartner again: %v", err)
	}
	got, err = st.Partner(ctx, "p-1")
	if err != nil || got.Status != mapping.PartnerRevoked || got.Revoked.IsZero() || len(got.SealedRefreshToken) == 0 || got.CredentialFingerprint != "" {
		t.Fatalf("Partner after revoke = %+v, %v", got, err)
	}
	if _, err := st.PartnerByFingerprint(ctx, fpOf(t, st, got)); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("PartnerByFingerprint after revoke: err = %v, want ErrNotFound", err)
	}
	if _, err := st.OpenPartnerToken(ctx, got); err != nil {
		t.Fatalf("OpenPartnerToken after revoke, before the drop: %v", err)
	}
	for range 2 { // idempotent
		if err := st.DropPartnerToken(ctx, "p-1"); err != nil {
			t.Fatalf("DropPartnerToken: %v", err)
		}
	}
	if err := st.DropPartnerToken(ctx, "nobody"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("DropPartnerToken of nobody: err = %v, want ErrNotFound", err)
	}
	got, err = st.Partner(ctx, "p-1")
	if err != nil || got.Status != mapping.PartnerRevoked || len(got.SealedRefreshToken) != 0 {
		t.Fatalf("Partner after the drop = %+v, %v", got, err)
	}
	if _, err := st.OpenPartnerToken(ctx, got); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("OpenPartnerToken after the drop: err = %v", err)
	}
	if _, err := st.UpdatePartnerToken(ctx, "p-1", got.Version, newSealed, mapping.Fingerprint([]byte("x"))); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("UpdatePartnerToken after revoke: err = %v, want ErrConflict", err)
	}
	checkTable(t, table)

	if err := st.RemovePartner(ctx, "p-1"); err != nil {
		t.Fatalf("RemovePartner: %v", err)
	}
	if _, err := st.Partner(ctx, "p-1"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("Partner after remove: err = %v", err)
	}
	checkTable(t, table)
}

func TestPartnerLimit(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t, nil)
	ctx := ctxT(t)
	acme := mustCreateUser(t, st, "acme", mapping.KindPartner)
	for i := range mapping.MaxPartnersPerUser {
		putPartner(t, st, acme.InternalID, string(rune('a'+i)), "token-"+string(rune('a'+i)))
	}
	sealed, _ := st.SealPartnerToken(ctx, "z", []byte("token-z"))
	_, err := st.PutPartner(ctx, mapping.Partner{PartnerID: "z", InternalID: acme.InternalID, CognitoUsername: "c",
		AppClientID: "a", SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte("token-z"))})
	if !errors.Is(err, mapping.ErrLimit) {
		t.Fatalf("PutPartner over the limit: err = %v, want ErrLimit", err)
	}
}

// A sealed token copied into another partner's record does not open there.
func TestSealedTokenMovedToAnotherRecord(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	acme := mustCreateUser(t, st, "acme", mapping.KindPartner)
	a := putPartner(t, st, acme.InternalID, "p-a", "token-a")
	putPartner(t, st, acme.InternalID, "p-b", "token-b")

	_, err := testEnv(t).ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &table,
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "PARTNER#p-b"}, "SK": &types.AttributeValueMemberS{Value: "PARTNER"}},
		UpdateExpression:          ptr("SET #t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": "sealedRefreshToken"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberB{Value: a.SealedRefreshToken}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Partner(ctx, "p-b")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := st.OpenPartnerToken(ctx, b)
	if !errors.Is(err, mapping.ErrSealBroken) || plain != nil {
		t.Fatalf("OpenPartnerToken of a moved token = %q, %v; want ErrSealBroken", plain, err)
	}
}

func ptr[T any](v T) *T { return &v }

// fpOf is the fingerprint of p's sealed refresh token, opened.
func fpOf(t *testing.T, st *mapping.Store, p mapping.Partner) string {
	t.Helper()
	tok, err := st.OpenPartnerToken(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return mapping.Fingerprint(tok)
}

// A partner's administrator: written with the partner, found only while the
// partner names it and the token's sub is the one bound, removed with it,
// never taken twice.
func TestPartnerAdmin(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	acme := mustCreateUser(t, st, "acme", mapping.KindPartner)
	put := func(partnerID, token, pool, admin, sub string) (mapping.Partner, error) {
		sealed, err := st.SealPartnerToken(ctx, partnerID, []byte(token))
		if err != nil {
			t.Fatalf("SealPartnerToken: %v", err)
		}
		return st.PutPartner(ctx, mapping.Partner{
			PartnerID: partnerID, InternalID: acme.InternalID, CognitoUsername: "cognito-" + partnerID,
			AppClientID: "app-client", SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte(token)),
			AdminUsername: admin, AdminPool: pool, AdminSub: sub,
		})
	}
	if _, err := put("p-1", "t-1", testPool, "ann", "sub-ann"); err != nil {
		t.Fatalf("PutPartner with an administrator: %v", err)
	}
	for name, tc := range map[string]struct {
		pool, admin, sub string
		wantErr          error
	}{
		"name taken":          {testPool, "ann", "sub-ann-2", mapping.ErrConflict},
		"pool without a name": {testPool, "", "sub-x", mapping.ErrInvalid},
		"name without a pool": {"", "bob", "sub-bob", mapping.ErrInvalid},
		"pool with a hash":    {"eu-west-1_x#y", "bob", "sub-bob", mapping.ErrInvalid},
		"control in the name": {testPool, "b\x00b", "sub-bob", mapping.ErrInvalid},
		"no sub":              {testPool, "bob", "", mapping.ErrInvalid},
		"control in the sub":  {testPool, "bob", "s\x00b", mapping.ErrInvalid},
		"sub without a name":  {"", "", "sub-bob", mapping.ErrInvalid},
	} {
		if _, err := put("p-x", "t-x-"+name, tc.pool, tc.admin, tc.sub); !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: PutPartner = %v, want %v", name, err, tc.wantErr)
		}
	}
	got, err := st.PartnerOfAdmin(ctx, testPool, "ann", "sub-ann")
	if err != nil || got.PartnerID != "p-1" || got.AdminUsername != "ann" || got.AdminPool != testPool || got.AdminSub != "sub-ann" {
		t.Fatalf("PartnerOfAdmin = %+v, %v", got, err)
	}
	for name, tc := range map[string]struct {
		pool, admin, sub string
		wantErr          error
	}{
		"another pool":          {"eu-west-1_other", "ann", "sub-ann", mapping.ErrNotFound},
		"the machine user name": {testPool, "cognito-p-1", "sub-ann", mapping.ErrNotFound},
		"unknown":               {testPool, "nobody", "sub-ann", mapping.ErrNotFound},
		// The name re-created in Cognito: another person.
		"another sub": {testPool, "ann", "sub-ann-2", mapping.ErrRebound},
		"no sub":      {testPool, "ann", "", mapping.ErrRebound},
	} {
		if _, err := st.PartnerOfAdmin(ctx, tc.pool, tc.admin, tc.sub); !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: PartnerOfAdmin = %v, want %v", name, err, tc.wantErr)
		}
	}
	// A record without the administrator's sub (none is written so; made
	// by hand here) admits nobody, whatever the token's sub.
	if _, err := testEnv(t).ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &table,
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "PARTNER#p-1"}, "SK": &types.AttributeValueMemberS{Value: "PARTNER"}},
		UpdateExpression: ptr("REMOVE adminSub"),
	}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"sub-ann", ""} {
		if _, err := st.PartnerOfAdmin(ctx, testPool, "ann", sub); !errors.Is(err, mapping.ErrUnbound) {
			t.Errorf("PartnerOfAdmin(%q) of a record without adminSub = %v, want ErrUnbound", sub, err)
		}
	}
	// Not a user name: the authorizer's lookup does not find the administrator.
	if _, err := st.UserByUsername(ctx, testPool, "ann"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("UserByUsername(administrator) = %v, want ErrNotFound", err)
	}
	checkTable(t, table)
	if err := st.RemovePartner(ctx, "p-1"); err != nil {
		t.Fatalf("RemovePartner: %v", err)
	}
	if _, err := st.PartnerOfAdmin(ctx, testPool, "ann", "sub-ann"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("PartnerOfAdmin after RemovePartner = %v, want ErrNotFound", err)
	}
	if _, err := put("p-2", "t-2", testPool, "ann", "sub-ann"); err != nil {
		t.Fatalf("the name is free again after RemovePartner: %v", err)
	}
	// DeleteUser leaves the administrator's item, which then grants nothing.
	if err := st.DeleteUser(ctx, acme.InternalID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := st.PartnerOfAdmin(ctx, testPool, "ann", "sub-ann"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("PartnerOfAdmin after DeleteUser = %v, want ErrNotFound", err)
	}
	checkTable(t, table)
}
