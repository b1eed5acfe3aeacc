package mapping_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TestUserPools checks that a user name is one caller per pool: the same
// name in two pools is two users, and a lookup in the wrong pool finds
// nothing, whatever the name holds.
func TestUserPools(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	person, err := st.CreateUser(ctx, "", testPool, "acme", "sub-acme", mapping.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	partner, err := st.CreateUser(ctx, "", otherPool, "acme", "sub-acme", mapping.KindPartner)
	if err != nil {
		t.Fatalf("same name in another pool: %v", err)
	}
	if person.InternalID == partner.InternalID || person.Pool != testPool || partner.Pool != otherPool {
		t.Fatalf("person %+v, partner %+v", person, partner)
	}
	// A user name holding '#' and the other pool's id must not reach the
	// other pool's item.
	hashed, err := st.CreateUser(ctx, "", testPool, otherPool+"#acme", "sub-"+otherPool+"#acme", mapping.KindUser)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		pool, user string
		wantID     string
		wantErr    error
	}{
		{"person", testPool, "acme", person.InternalID, nil},
		{"partner", otherPool, "acme", partner.InternalID, nil},
		{"name with #", testPool, otherPool + "#acme", hashed.InternalID, nil},
		{"name with # in the other pool", otherPool, otherPool + "#acme", "", mapping.ErrNotFound},
		{"wrong pool", otherPool, "alice", "", mapping.ErrNotFound},
		{"unknown pool", "eu-west-1_Nobody", "acme", "", mapping.ErrNotFound},
		{"pool id with #", testPool + "#acme", "x", "", mapping.ErrInvalid},
		{"pool id suffix", "eu-west-1_People#", "acme", "", mapping.ErrInvalid},
		{"empty pool", "", "acme", "", mapping.ErrInvalid},
		{"pool without underscore", "People", "acme", "", mapping.ErrInvalid},
		{"pool too long", "eu-west-1_" + string(make([]byte, 50)), "acme", "", mapping.ErrInvalid},
	}
	if _, err := st.CreateUser(ctx, "", "", "alice", "sub-alice", mapping.KindUser); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("CreateUser without a pool: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := st.UserByUsername(ctx, tt.pool, tt.user)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && (u.InternalID != tt.wantID || u.Pool != tt.pool || u.Username != tt.user)) {
				t.Fatalf("UserByUsername = %+v, %v; want %s, %v", u, err, tt.wantID, tt.wantErr)
			}
		})
	}
	if got, err := st.User(ctx, partner.InternalID); err != nil || got.Pool != otherPool {
		t.Errorf("partner's profile: %+v, %v", got, err)
	}
	if err := st.DeleteUser(ctx, partner.InternalID); err != nil {
		t.Fatal(err)
	}
	if u, err := st.UserByUsername(ctx, testPool, "acme"); err != nil || u.InternalID != person.InternalID {
		t.Errorf("deleting the partner touched the person: %+v, %v", u, err)
	}
	checkTable(t, table)
}

// putLegacyUser writes a user as the store did before user names were
// qualified by their pool: USERNAME#<name> and a profile, no userPool.
func putLegacyUser(t *testing.T, table, id, username string) {
	t.Helper()
	e := testEnv(t)
	attrs := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk},
			"internalId": &types.AttributeValueMemberS{Value: id}, "username": &types.AttributeValueMemberS{Value: username},
			"kind": &types.AttributeValueMemberS{Value: "user"}, "created": &types.AttributeValueMemberS{Value: "2026-01-02T03:04:05Z"},
		}
	}
	profile := attrs("USER#"+id, "PROFILE")
	for _, n := range []string{"clients", "partners", "rev"} {
		profile[n] = &types.AttributeValueMemberN{Value: "0"}
	}
	for _, it := range []map[string]types.AttributeValue{profile, attrs("USERNAME#"+username, "USERNAME")} {
		if _, err := e.ddb.PutItem(ctxT(t), &dynamodb.PutItemInput{TableName: &table, Item: it}); err != nil {
			t.Fatal(err)
		}
	}
}

// setString overwrites one string attribute of the item PK pk, SK sk, as a
// writer from another version (or a corruption) would.
func setString(t *testing.T, table, pk, sk, name, value string) {
	t.Helper()
	if _, err := testEnv(t).ddb.UpdateItem(ctxT(t), &dynamodb.UpdateItemInput{
		TableName: &table, Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
		UpdateExpression: ptr("SET #a = :v"), ExpressionAttributeNames: map[string]string{"#a": name},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateUsernames checks the upgrade of user name items written
// before pools were recorded: refused until migrated (fail closed, even when
// a legacy name looks like a qualified key), then found in the pool given;
// a second run finds nothing; a taken key is a conflict left alone.
func TestMigrateUsernames(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	e := testEnv(t)
	putLegacyUser(t, table, "u-old", "olga")
	// A legacy name that reads like a qualified key of testPool.
	putLegacyUser(t, table, "u-hash", testPool+"#mallory")
	// tom recorded anew, then by a writer from before pools (an old
	// version still running): CreateUser itself refuses a legacy name.
	if _, err := st.CreateUser(ctx, "u-new-tom", testPool, "tom", "sub-tom", ""); err != nil {
		t.Fatal(err)
	}
	putLegacyUser(t, table, "u-taken", "tom")
	putLegacyUser(t, table, "u-del", "dora")

	for _, n := range []string{"olga", "mallory", "dora"} {
		if u, err := st.UserByUsername(ctx, testPool, n); err == nil {
			t.Errorf("legacy user %s found before migration: %+v", n, u)
		}
	}
	// Deleting a user not yet migrated removes the legacy item too.
	if err := st.DeleteUser(ctx, "u-del"); err != nil {
		t.Fatal(err)
	}

	dry, err := st.MigrateUsernames(ctx, e.ddb, testPool, true)
	if err != nil || dry.Found != 3 || dry.Migrated != 3 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := st.UserByUsername(ctx, testPool, "olga"); err == nil {
		t.Fatal("the dry run migrated")
	}
	if _, err := st.MigrateUsernames(ctx, e.ddb, "not a pool", false); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("bad pool: %v", err)
	}
	m, err := st.MigrateUsernames(ctx, e.ddb, testPool, false)
	if err != nil || m.Found != 3 || m.Migrated != 2 || len(m.Conflicts) != 1 {
		t.Fatalf("migration: %+v, %v", m, err)
	}
	for id, n := range map[string]string{"u-old": "olga", "u-hash": testPool + "#mallory", "u-new-tom": "tom"} {
		u, err := st.UserByUsername(ctx, testPool, n)
		if err != nil || u.InternalID != id || u.Pool != testPool {
			t.Errorf("%s after migration: %+v, %v", n, u, err)
		}
		if _, err := st.UserByUsername(ctx, otherPool, n); !errors.Is(err, mapping.ErrNotFound) {
			t.Errorf("%s in the other pool: %v", n, err)
		}
		if p, err := st.User(ctx, id); err != nil || p.Pool != testPool {
			t.Errorf("%s's profile: %+v, %v", n, p, err)
		}
	}
	if _, err := st.UserByUsername(ctx, testPool, "mallory"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("mallory: %v", err)
	}
	again, err := st.MigrateUsernames(ctx, e.ddb, testPool, false)
	if err != nil || again.Found != 1 || again.Migrated != 0 || len(again.Conflicts) != 1 {
		t.Fatalf("second run: %+v, %v", again, err)
	}
	// The conflict's legacy user is untouched; removing it leaves a table
	// with nothing left to migrate.
	if err := st.DeleteUser(ctx, "u-taken"); err != nil {
		t.Fatal(err)
	}
	if m, err := st.MigrateUsernames(ctx, e.ddb, testPool, false); err != nil || m.Found != 0 {
		t.Fatalf("after clean-up: %+v, %v", m, err)
	}
	checkTable(t, table)
}

// TestMovePartner moves a partner credential and its user from a legacy
// user name item into the partners' pool: the old credential and the old
// name stop working, the new ones work, the partner list sees it, and a
// second move is refused.
func TestMovePartner(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	e := testEnv(t)
	putLegacyUser(t, table, "p-acme", "partner-acme")
	// A legacy profile of kind partner: the helper writes kind user.
	setString(t, table, "USER#p-acme", "PROFILE", "kind", "partner")
	old := putPartner(t, st, "p-acme", "acme", "old-token")
	sealed, err := st.SealPartnerToken(ctx, "acme", []byte("new-token"))
	if err != nil {
		t.Fatal(err)
	}
	fp := mapping.Fingerprint([]byte("new-token"))

	tests := []struct {
		name    string
		version int64
		pool    string
		wantErr error
	}{
		{"stale version", old.Version + 1, otherPool, mapping.ErrConflict},
		{"bad pool", old.Version, "partners", mapping.ErrInvalid},
		{"moved", old.Version, otherPool, nil},
		{"again", old.Version + 1, otherPool, mapping.ErrConflict},
	}
	for _, tt := range tests {
		if _, err := st.MovePartner(ctx, "acme", tt.version, mapping.PartnerMove{
			Pool: tt.pool, CognitoUsername: "partner-acme", Sub: "sub-new-acme", AppClientID: "new-client", SealedRefreshToken: sealed, CredentialFingerprint: fp,
		}); !errors.Is(err, tt.wantErr) {
			t.Fatalf("%s: MovePartner = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if _, err := st.PartnerByFingerprint(ctx, old.CredentialFingerprint); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("old credential: %v", err)
	}
	if p, err := st.PartnerByFingerprint(ctx, fp); err != nil || p.Version != old.Version+1 || p.AppClientID != "new-client" {
		t.Errorf("new credential: %+v, %v", p, err)
	}
	if u, err := st.UserByUsername(ctx, otherPool, "partner-acme"); err != nil || u.InternalID != "p-acme" || u.Kind != mapping.KindPartner || u.Sub != "sub-new-acme" {
		t.Errorf("partner in its pool: %+v, %v", u, err)
	}
	if u, err := st.User(ctx, "p-acme"); err != nil || u.Pool != otherPool || u.Sub != "sub-new-acme" {
		t.Errorf("profile: %+v, %v", u, err)
	}
	all, err := st.Partners(ctx, e.ddb)
	if err != nil || len(all) != 1 || all[0].PartnerID != "acme" {
		t.Errorf("Partners = %+v, %v", all, err)
	}
	if m, err := st.MigrateUsernames(ctx, e.ddb, testPool, false); err != nil || m.Found != 0 {
		t.Errorf("a moved partner left a legacy item: %+v, %v", m, err)
	}
	checkTable(t, table)
}

// TestCreateUserRefusesLegacyName checks that a user name still held by an
// item from before pools were recorded cannot be recorded anew: until
// gatehouse users migrate has run, a first-use binding (the portal's
// GATEHOUSE_CREATE_USERS, gatehouse users add) would otherwise give the
// person a second, empty internal id, and migrate could then never give
// them back their own. A qualified item at the same key (a name holding
// '#') does not count as legacy.
func TestCreateUserRefusesLegacyName(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	e := testEnv(t)
	putLegacyUser(t, table, "u-lena", "lena")
	for _, pool := range []string{testPool, otherPool} {
		if u, err := st.CreateUser(ctx, "", pool, "lena", "sub-lena", mapping.KindUser); !errors.Is(err, mapping.ErrConflict) {
			t.Fatalf("CreateUser of a legacy name in %s = %+v, %v; want ErrConflict", pool, u, err)
		}
	}
	if m, err := st.MigrateUsernames(ctx, e.ddb, testPool, false); err != nil || m.Migrated != 1 {
		t.Fatalf("migration: %+v, %v", m, err)
	}
	if u, err := st.UserByUsername(ctx, testPool, "lena"); err != nil || u.InternalID != "u-lena" {
		t.Fatalf("lena after migration: %+v, %v; want her own internal id", u, err)
	}
	if _, err := st.CreateUser(ctx, "", otherPool, "lena", "sub-lena", mapping.KindUser); err != nil {
		t.Errorf("lena in another pool after migration: %v", err)
	}
	// USERNAME#<testPool>#quinn is quinn's qualified item, not a legacy one.
	if _, err := st.CreateUser(ctx, "", testPool, "quinn", "sub-quinn", mapping.KindUser); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "", otherPool, testPool+"#quinn", "sub-quinn2", mapping.KindUser); err != nil {
		t.Errorf("a name that reads like a qualified key: %v", err)
	}
	checkTable(t, table)
}

// TestMigrateUsernamesSkipsMalformed checks that one malformed legacy item
// is listed and left alone rather than ending the run: the scan meets it
// at the same place every run, so stopping there would leave every user
// after it refused for good.
func TestMigrateUsernamesSkipsMalformed(t *testing.T) {
	t.Parallel()
	st, table := newStore(t, nil)
	ctx := ctxT(t)
	e := testEnv(t)
	putLegacyUser(t, table, "u-ok", "oscar")
	putLegacyUser(t, table, "u-bad", "bert")
	// bert's user name item now claims another name.
	setString(t, table, "USERNAME#bert", "USERNAME", "username", "oscar")
	m, err := st.MigrateUsernames(ctx, e.ddb, testPool, false)
	if err != nil || m.Found != 2 || m.Migrated != 1 || len(m.Conflicts) != 1 {
		t.Fatalf("migration: %+v, %v", m, err)
	}
	if u, err := st.UserByUsername(ctx, testPool, "oscar"); err != nil || u.InternalID != "u-ok" {
		t.Errorf("oscar: %+v, %v", u, err)
	}
	if _, err := st.UserByUsername(ctx, testPool, "bert"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("bert: %v", err)
	}
}
