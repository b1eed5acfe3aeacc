package mapping_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// keyRecorder is SDK middleware that records the partition key of every
// item a DynamoDB request names, as IAM's dynamodb:LeadingKeys sees it,
// and the IAM action that authorises it (each item of a
// TransactWriteItems is authorised as its own action). A request of a
// kind it does not know is an error: the test must learn it rather than
// let it pass unchecked.
type keyRecorder struct {
	mu      sync.Mutex
	pks     []string
	actions map[string]bool
	errs    []error
}

func (r *keyRecorder) add(action string, key map[string]types.AttributeValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.actions == nil {
		r.actions = map[string]bool{}
	}
	r.actions[action] = true
	v, ok := key["PK"].(*types.AttributeValueMemberS)
	if !ok {
		r.errs = append(r.errs, fmt.Errorf("%s without a string PK", action))
		return
	}
	r.pks = append(r.pks, v.Value)
}

func (r *keyRecorder) record(params any) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		r.add("dynamodb:GetItem", in.Key)
	case *dynamodb.PutItemInput:
		r.add("dynamodb:PutItem", in.Item)
	case *dynamodb.UpdateItemInput:
		r.add("dynamodb:UpdateItem", in.Key)
	case *dynamodb.DeleteItemInput:
		r.add("dynamodb:DeleteItem", in.Key)
	case *dynamodb.QueryInput:
		// The store queries one partition: "#pk = :pk".
		if name := in.ExpressionAttributeNames["#pk"]; name != "PK" || in.KeyConditionExpression == nil || *in.KeyConditionExpression != "#pk = :pk" {
			r.mu.Lock()
			r.errs = append(r.errs, fmt.Errorf("Query with key condition %v: teach the recorder", in.KeyConditionExpression))
			r.mu.Unlock()
			return
		}
		r.add("dynamodb:Query", map[string]types.AttributeValue{"PK": in.ExpressionAttributeValues[":pk"]})
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				r.add("dynamodb:PutItem", it.Put.Item)
			case it.Update != nil:
				r.add("dynamodb:UpdateItem", it.Update.Key)
			case it.Delete != nil:
				r.add("dynamodb:DeleteItem", it.Delete.Key)
			case it.ConditionCheck != nil:
				r.add("dynamodb:ConditionCheckItem", it.ConditionCheck.Key)
			default:
				r.mu.Lock()
				r.errs = append(r.errs, fmt.Errorf("TransactWriteItems item %+v: teach the recorder", it))
				r.mu.Unlock()
			}
		}
	default:
		r.mu.Lock()
		r.errs = append(r.errs, fmt.Errorf("unrecorded DynamoDB request %T", params))
		r.mu.Unlock()
	}
}

func (r *keyRecorder) client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	return dynamodb.New(testEnv(tb).ddb.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordLeadingKeys",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					r.record(in.Parameters)
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
}

// calls records which methods of a service's store interface a scenario
// used, so that a method added to the interface fails the test until the
// scenario runs it.
type calls map[string]bool

func (c calls) check(t *testing.T, iface reflect.Type) {
	t.Helper()
	for i := range iface.NumMethod() {
		if name := iface.Method(i).Name; !c[name] {
			t.Errorf("%s.%s is not exercised: add it to the scenario", iface, name)
		}
	}
}

func must[T any](t *testing.T, c calls, name string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		c[name] = true
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
}

func mustDo(t *testing.T, c calls, name string, err error) {
	t.Helper()
	c[name] = true
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestLeadingKeyPrefixes runs every operation of the portal's and the
// refresh service's store interfaces (portal.Directory, refresh.Store)
// against a real table and checks that each partition key they name starts
// with one of that service's prefixes in mapping.LeadingKeyPrefixes, the
// list the CDK app puts in each role's dynamodb:LeadingKeys condition. It
// also checks each list holds no prefix the scenario never used, so the
// grant is no wider than the code, and that the IAM actions the requests
// are authorised as are exactly mapping.DynamoDBActions. (The authorizer's list is proved by
// internal/testkit/infrafacts, which probes authorizer.Directory.)
func TestLeadingKeyPrefixes(t *testing.T) {
	t.Parallel()
	lists, actions := mapping.LeadingKeyPrefixes(), mapping.DynamoDBActions()
	for _, svc := range []string{mapping.ServiceAuthorizer, mapping.ServicePortal, mapping.ServiceRefresh} {
		if len(lists[svc]) == 0 {
			t.Fatalf("no prefixes for %s", svc)
		}
		for _, p := range lists[svc] {
			if p == "" || strings.ContainsAny(p, "*?") {
				t.Fatalf("%s: prefix %q is empty or holds an IAM wildcard", svc, p)
			}
		}
	}

	scenarios := []struct {
		service string
		iface   reflect.Type
		run     func(t *testing.T, st *mapping.Store, c calls)
	}{
		{mapping.ServicePortal, reflect.TypeFor[portal.Directory](), portalScenario},
		{mapping.ServiceRefresh, reflect.TypeFor[refresh.Store](), refreshScenario},
	}
	for _, sc := range scenarios {
		t.Run(sc.service, func(t *testing.T) {
			t.Parallel()
			rec := &keyRecorder{}
			st, _ := newStore(t, func(c *mapping.Config) { c.DynamoDB = rec.client(t) })
			c := calls{}
			sc.run(t, st, c)
			c.check(t, sc.iface)

			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, err := range rec.errs {
				t.Error(err)
			}
			allowed := lists[sc.service]
			used := map[string]bool{}
			for _, pk := range rec.pks {
				i := slices.IndexFunc(allowed, func(p string) bool { return strings.HasPrefix(pk, p) })
				if i < 0 {
					t.Errorf("%s named partition key %q, outside its prefixes %v", sc.service, pk, allowed)
					continue
				}
				used[allowed[i]] = true
			}
			for _, p := range allowed {
				if !used[p] {
					t.Errorf("%s's prefix %q was never used: drop it from the grant", sc.service, p)
				}
			}
			// The role's DynamoDB actions: exactly those the scenario's
			// requests are authorised as, nothing missing (AccessDenied on
			// AWS) and nothing more.
			if got, want := slices.Sorted(maps.Keys(rec.actions)), actions[sc.service]; !slices.Equal(got, want) {
				t.Errorf("%s's requests are authorised as %v; mapping.DynamoDBActions lists %v", sc.service, got, want)
			}
		})
	}
}

// portalScenario: a person's first call, then creating, listing, resetting
// and deleting an API client through slots, as portal.ClientService does.
func portalScenario(t *testing.T, st *mapping.Store, c calls) {
	ctx := ctxT(t)
	var dir portal.Directory = st
	u := must[mapping.User](t, c, "CreateUser")(dir.CreateUser(ctx, "", "eu-west-1_People", "alice", "sub-alice", mapping.KindUser))
	must[mapping.User](t, c, "UserByUsername")(dir.UserByUsername(ctx, "eu-west-1_People", "alice"))
	mustDo(t, c, "SignOut", dir.SignOut(ctx, "eu-west-1_People", "alice", time.Now()))
	p := must[mapping.PendingClient](t, c, "ReserveClient")(dir.ReserveClient(ctx, u.InternalID, 5))
	p = must[mapping.PendingClient](t, c, "RecordPendingClient")(dir.RecordPendingClient(ctx, p, "c-1"))
	must[mapping.Client](t, c, "BindPending")(dir.BindPending(ctx, p, mapping.Client{ClientID: "c-1", Label: "cron"}))
	must[mapping.Slots](t, c, "ClientSlots")(dir.ClientSlots(ctx, u.InternalID))
	r := must[mapping.PendingClient](t, c, "ReserveReplacement")(dir.ReserveReplacement(ctx, u.InternalID, "c-1"))
	r = must[mapping.PendingClient](t, c, "RecordPendingClient")(dir.RecordPendingClient(ctx, r, "c-2"))
	must[mapping.Client](t, c, "ReplacePending")(dir.ReplacePending(ctx, r, "c-1", mapping.Client{ClientID: "c-2", Label: "cron"}))
	gone := must[mapping.PendingClient](t, c, "UnbindClient")(dir.UnbindClient(ctx, u.InternalID, "c-2"))
	// A slot left by a crash: claimed by the clean-up, then released.
	o := must[mapping.PendingClient](t, c, "ReserveClient")(dir.ReserveClient(ctx, u.InternalID, 5))
	o = must[mapping.PendingClient](t, c, "RecordPendingClient")(dir.RecordPendingClient(ctx, o, "c-3"))
	o = must[mapping.PendingClient](t, c, "ClaimPending")(dir.ClaimPending(ctx, o))
	mustDo(t, c, "ReleasePending", dir.ReleasePending(ctx, o))
	mustDo(t, c, "ReleasePending", dir.ReleasePending(ctx, gone))
}

// refreshScenario: registering a partner, exchanges and a rotation,
// revocation, and removing the partner user, as refresh.Service does.
func refreshScenario(t *testing.T, st *mapping.Store, c calls) {
	ctx := ctxT(t)
	var store refresh.Store = st
	u := must[mapping.User](t, c, "CreateUser")(store.CreateUser(ctx, "", "eu-west-1_Partners", "acme-1", "sub-acme-1", mapping.KindPartner))
	sealed := must[mapping.Sealed](t, c, "SealPartnerToken")(store.SealPartnerToken(ctx, "acme", []byte("refresh-1")))
	must[mapping.Partner](t, c, "PutPartner")(store.PutPartner(ctx, mapping.Partner{
		PartnerID: "acme", InternalID: u.InternalID, CognitoUsername: "acme-1", AppClientID: "partner-client",
		SealedRefreshToken: sealed, CredentialFingerprint: mapping.Fingerprint([]byte("credential-1")),
		AdminPool: "eu-west-1_Partners", AdminUsername: "acme-admin", AdminSub: "sub-acme-admin",
	}))
	must[mapping.Partner](t, c, "PartnerOfAdmin")(store.PartnerOfAdmin(ctx, "eu-west-1_Partners", "acme-admin", "sub-acme-admin"))
	p := must[mapping.Partner](t, c, "PartnerByFingerprint")(store.PartnerByFingerprint(ctx, mapping.Fingerprint([]byte("credential-1"))))
	must[[]byte](t, c, "OpenPartnerToken")(store.OpenPartnerToken(ctx, p))
	sealed2 := must[mapping.Sealed](t, c, "SealPartnerToken")(store.SealPartnerToken(ctx, "acme", []byte("refresh-2")))
	must[mapping.Partner](t, c, "UpdatePartnerToken")(store.UpdatePartnerToken(ctx, "acme", p.Version, sealed2, mapping.Fingerprint([]byte("credential-2"))))
	p = must[mapping.Partner](t, c, "Partner")(store.Partner(ctx, "acme"))
	must[mapping.User](t, c, "User")(store.User(ctx, u.InternalID))
	must[mapping.User](t, c, "UserByUsername")(store.UserByUsername(ctx, "eu-west-1_Partners", "acme-1"))
	// A re-issue into another pool (gatehouse partners reissue).
	sealed3 := must[mapping.Sealed](t, c, "SealPartnerToken")(store.SealPartnerToken(ctx, "acme", []byte("refresh-3")))
	must[mapping.Partner](t, c, "MovePartner")(store.MovePartner(ctx, "acme", p.Version, mapping.PartnerMove{
		Pool: "eu-west-1_Partners2", CognitoUsername: "acme-2", Sub: "sub-acme-2", AppClientID: "partner-client-2",
		SealedRefreshToken: sealed3, CredentialFingerprint: mapping.Fingerprint([]byte("credential-3")),
	}))
	mustDo(t, c, "SignOut", store.SignOut(ctx, "eu-west-1_Partners2", "acme-2", time.Now()))
	mustDo(t, c, "RevokePartner", store.RevokePartner(ctx, "acme"))
	mustDo(t, c, "DropPartnerToken", store.DropPartnerToken(ctx, "acme"))
	mustDo(t, c, "DeleteUser", store.DeleteUser(ctx, u.InternalID))
}
