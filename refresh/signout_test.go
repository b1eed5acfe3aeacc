package refresh_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// signOutFailing is moto's DynamoDB failing half way through a revocation:
// every write goes through except the sign-out's (the one update that
// sets signedOut), which gets a 500.
type signOutFailing struct{ *dynamodb.Client }

func (d signOutFailing) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		if it.Update != nil && strings.Contains(aws.ToString(it.Update.UpdateExpression), "#so") {
			return nil, &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected"}
		}
	}
	return d.Client.TransactWriteItems(ctx, in, opts...)
}

// TestRevokeSignOutNotRecorded: DynamoDB fails after the partner was
// marked revoked, when its sign-out is recorded: 503
// sign_out_not_recorded, the exchange refuses the partner all the same,
// the sealed copy stays; the retried revoke records the sign-out, revokes
// at Cognito and drops the copy.
func TestRevokeSignOutNotRecorded(t *testing.T) {
	ctx := context.Background()
	f, fc, admin := newRotationFixture(t)
	cred := f.register(t, admin, "initech")
	e := testEnv(t)
	broken, err := mapping.New(mapping.Config{
		Table: f.store.Table(), DynamoDB: signOutFailing{e.ddb}, Keys: keysOf(t, e.kms, e.keyID), CacheTTL: -1, MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	is, admins := newIssuerVerifier(t, "admin-web")
	g := newFixture(t, fixtureOptions{idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID,
		secret: fc.secret, rotation: true, admins: admins, store: broken})

	rec := g.call(t, "DELETE", "/partners/initech", is.IDToken("olga-admin", "admin-web", withGroups(adminGroup)), "")
	if code, _ := errorCode(t, rec); rec.Code != http.StatusServiceUnavailable || code != refresh.CodeNotSignedOut {
		t.Fatalf("revoke with the sign-out failing: %d %s", rec.Code, rec.Body)
	}
	if rec := f.exchange(t, cred.RefreshToken); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange after a half revoke: %d", rec.Code)
	}
	p, err := f.store.Partner(ctx, "initech")
	if err != nil || p.Status != mapping.PartnerRevoked || len(p.SealedRefreshToken) == 0 {
		t.Fatalf("after a half revoke: %+v, %v; want revoked, sealed copy kept", p, err)
	}
	u, err := f.store.User(ctx, p.InternalID)
	if err != nil {
		t.Fatal(err)
	}
	if byName, err := f.store.UserByUsername(ctx, u.Pool, u.Username); err != nil || byName.SignedOut != 0 {
		t.Fatalf("a failed sign-out was recorded: %+v, %v", byName, err)
	}
	if rec := f.call(t, "DELETE", "/partners/initech", admin, ""); rec.Code != http.StatusOK {
		t.Fatalf("retried revoke: %d %s", rec.Code, rec.Body)
	}
	if byName, err := f.store.UserByUsername(ctx, u.Pool, u.Username); err != nil || byName.SignedOut == 0 {
		t.Fatalf("the retried revoke recorded no sign-out: %+v, %v", byName, err)
	}
	if p, _ := f.store.Partner(ctx, "initech"); len(p.SealedRefreshToken) != 0 {
		t.Error("the retried revoke kept the sealed copy")
	}
	assertNoSecrets(t, f.logs.String()+g.logs.String(), cred.RefreshToken, fc.secret)
}
