package portal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// faultyCognito wraps the real Cognito client (cognito-local) and fails
// the calls it is told to.
type faultyCognito struct {
	portal.CognitoAdmin
	// Set before use, read only afterwards.
	failCreate, failDelete bool
}

var errInjected = errors.New("injected failure")

func (c *faultyCognito) CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, opts ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error) {
	if c.failCreate {
		return nil, errInjected
	}
	return c.CognitoAdmin.CreateUserPoolClient(ctx, in, opts...)
}

func (c *faultyCognito) DeleteUserPoolClient(ctx context.Context, in *cip.DeleteUserPoolClientInput, opts ...func(*cip.Options)) (*cip.DeleteUserPoolClientOutput, error) {
	if c.failDelete {
		return nil, errInjected
	}
	return c.CognitoAdmin.DeleteUserPoolClient(ctx, in, opts...)
}

// faultyDirectory wraps the real mapping store (moto_server). A fail*
// error is returned instead of writing; an after* error is returned after
// the real write succeeded (a timeout that hid a success).
type faultyDirectory struct {
	*mapping.Store
	failRecord, failBind, afterBind, failReplace, afterReplace, failUnbind, failSignOut error
	// cancel, when set, is called before BindPending fails: the request is
	// gone while the compensation has yet to run.
	cancel func()
}

func (d *faultyDirectory) SignOut(ctx context.Context, pool, username string, at time.Time) error {
	if d.failSignOut != nil {
		return d.failSignOut
	}
	return d.Store.SignOut(ctx, pool, username, at)
}

func (d *faultyDirectory) RecordPendingClient(ctx context.Context, p mapping.PendingClient, id string) (mapping.PendingClient, error) {
	if d.failRecord != nil {
		return mapping.PendingClient{}, d.failRecord
	}
	return d.Store.RecordPendingClient(ctx, p, id)
}

func (d *faultyDirectory) BindPending(ctx context.Context, p mapping.PendingClient, c mapping.Client) (mapping.Client, error) {
	if d.cancel != nil {
		d.cancel()
		return mapping.Client{}, fmt.Errorf("%w: %w", mapping.ErrUnavailable, ctx.Err())
	}
	if d.failBind != nil {
		return mapping.Client{}, d.failBind
	}
	out, err := d.Store.BindPending(ctx, p, c)
	if err == nil && d.afterBind != nil {
		return mapping.Client{}, d.afterBind
	}
	return out, err
}

func (d *faultyDirectory) ReplacePending(ctx context.Context, p mapping.PendingClient, oldID string, c mapping.Client) (mapping.Client, error) {
	if d.failReplace != nil {
		return mapping.Client{}, d.failReplace
	}
	out, err := d.Store.ReplacePending(ctx, p, oldID, c)
	if err == nil && d.afterReplace != nil {
		return mapping.Client{}, d.afterReplace
	}
	return out, err
}

func (d *faultyDirectory) UnbindClient(ctx context.Context, internalID, clientID string) (mapping.PendingClient, error) {
	if d.failUnbind != nil {
		return mapping.PendingClient{}, d.failUnbind
	}
	return d.Store.UnbindClient(ctx, internalID, clientID)
}

// authenticates reports whether a client-credentials token for the client
// passes the authorizer (and for whom). The secret is read from the pool,
// so clients whose secret was never shown can be tried too.
func (f *fixture) authenticates(id string) (bool, string) {
	f.t.Helper()
	out, err := f.idp.DescribeUserPoolClient(f.ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	if err != nil {
		return false, "" // gone from Cognito: no token at all
	}
	tok, _ := f.clientToken(id, aws.ToString(out.UserPoolClient.ClientSecret))
	if tok == "" {
		return false, ""
	}
	d := f.decide(tok)
	if d.Outcome != authorizer.OutcomeAllow {
		return false, ""
	}
	return true, d.Identity.InternalID
}

// TestFailurePoints injects a failure at each step of create, reset and
// delete, against the real services, and checks that nothing half-done can
// authenticate, that the compensation cleaned up or recorded what it could
// not, and that the person's next request (with the services working
// again) finishes it: Cognito and the mapping then hold the same clients,
// and no slot stays taken.
func TestFailurePoints(t *testing.T) {
	unavailable := fmt.Errorf("%w: %w", mapping.ErrUnavailable, errInjected)
	conflict := fmt.Errorf("%w: %w", mapping.ErrConflict, errInjected)
	tests := []struct {
		name   string
		op     string // create, reset, delete
		cog    faultyCognito
		dir    faultyDirectory
		status int
		// want is the state after the operation; "old" is the client that
		// existed before it (reset, delete), "new" the one the answer names,
		// "*" any one client.
		want func(old string) wantState
	}{
		{"create: Cognito fails", "create", faultyCognito{failCreate: true}, faultyDirectory{}, 503,
			func(string) wantState { return wantState{} }},
		{"create: recording fails, Cognito client deleted", "create", faultyCognito{}, faultyDirectory{failRecord: unavailable}, 503,
			func(string) wantState { return wantState{} }},
		{"create: recording fails, and so does the deletion: recorded by the claim", "create", faultyCognito{failDelete: true}, faultyDirectory{failRecord: unavailable}, 503,
			func(string) wantState { return wantState{cognito: []string{"*"}, pending: []string{"*"}} }},
		{"create: bind fails, Cognito client deleted", "create", faultyCognito{}, faultyDirectory{failBind: unavailable}, 503,
			func(string) wantState { return wantState{} }},
		{"create: bind done but reported failed, found bound", "create", faultyCognito{}, faultyDirectory{afterBind: unavailable}, 201,
			func(string) wantState { return wantState{[]string{"new"}, []string{"new"}, []string{"new"}, nil} }},
		{"create: bind fails, and so does the deletion: recorded", "create", faultyCognito{failDelete: true}, faultyDirectory{failBind: unavailable}, 503,
			func(string) wantState { return wantState{cognito: []string{"*"}, pending: []string{"*"}} }}, // unbound: cannot pass the authorizer
		{"reset: Cognito create fails, old intact", "reset", faultyCognito{failCreate: true}, faultyDirectory{}, 503,
			func(old string) wantState { return wantState{[]string{old}, []string{old}, []string{old}, nil} }},
		{"reset: replace conflicts, new deleted, old intact", "reset", faultyCognito{}, faultyDirectory{failReplace: conflict}, 409,
			func(old string) wantState { return wantState{[]string{old}, []string{old}, []string{old}, nil} }},
		{"reset: replace unavailable, new deleted, old intact", "reset", faultyCognito{}, faultyDirectory{failReplace: unavailable}, 503,
			func(old string) wantState { return wantState{[]string{old}, []string{old}, []string{old}, nil} }},
		{"reset: replace done but reported failed, found done", "reset", faultyCognito{}, faultyDirectory{afterReplace: unavailable}, 200,
			func(old string) wantState { return wantState{[]string{"new"}, []string{"new"}, []string{"new"}, nil} }},
		{"reset: old not deleted in Cognito, refused and recorded", "reset", faultyCognito{failDelete: true}, faultyDirectory{}, 200,
			func(old string) wantState {
				return wantState{[]string{old, "new"}, []string{"new"}, []string{"new"}, []string{old}}
			}},
		{"delete: unbind fails, client intact", "delete", faultyCognito{}, faultyDirectory{failUnbind: unavailable}, 503,
			func(old string) wantState { return wantState{[]string{old}, []string{old}, []string{old}, nil} }},
		{"delete: Cognito deletion fails, unbound, refused and recorded", "delete", faultyCognito{failDelete: true}, faultyDirectory{}, 204,
			func(old string) wantState { return wantState{cognito: []string{old}, pending: []string{old}} }},
	}
	f := newFixture(t)
	f.person("dana", group)
	token := f.signIn("dana").IDToken
	// Record dana and learn her internal id.
	if r := f.do(f.handler(nil), "GET", "/clients", token, ""); r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	dana, err := f.store.UserByUsername(f.ctx, f.poolID, "dana")
	must(t, err)

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			// Start from a clean slate: no clients anywhere.
			clean := f.handler(nil)
			f.do(clean, "GET", "/clients", token, "") // finishes what the last case left
			for _, id := range f.boundClients(dana.InternalID) {
				f.do(clean, "DELETE", "/clients/"+id, token, "")
			}
			for _, id := range f.cognitoClients() {
				_, err := f.idp.DeleteUserPoolClient(f.ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
				must(t, err)
			}
			old := ""
			if tc.op != "create" {
				r := f.do(clean, "POST", "/clients", token, "")
				if r.status != http.StatusCreated {
					t.Fatalf("setup: %d %s", r.status, r.body)
				}
				old = r.str("client_id")
			}
			cog, dir := tc.cog, tc.dir
			cog.CognitoAdmin, dir.Store = f.idp, f.store
			h := f.handler(func(c *portal.Config) { c.Cognito, c.Directory = &cog, &dir })
			var r response
			switch tc.op {
			case "create":
				r = f.do(h, "POST", "/clients", token, "")
			case "reset":
				r = f.do(h, "POST", "/clients/"+old+"/reset", token, "")
			case "delete":
				r = f.do(h, "DELETE", "/clients/"+old, token, "")
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			newID := r.str("client_id")
			f.checkState(dana.InternalID, newID, tc.want(old))

			// The next request with working services finishes the rest.
			f.do(clean, "GET", "/clients", token, "")
			bound := f.boundClients(dana.InternalID)
			f.checkState(dana.InternalID, newID, wantState{bound, bound, bound, nil})
		})
	}
	f.t = t
}

// wantState is what checkState expects: the Cognito clients, the bound
// ones, those that authenticate and those recorded on pending slots; "new"
// stands for the client id the answer named, "*" for exactly one client
// of any id.
type wantState struct{ cognito, bound, works, pending []string }

// checkState compares Cognito, the mapping's bindings and pending slots
// and what authenticates with want, and checks the slot counter.
func (f *fixture) checkState(internalID, newID string, want wantState) {
	f.t.Helper()
	resolve := func(ids []string) ([]string, bool) {
		var out []string
		for _, id := range ids {
			switch id {
			case "new":
				out = append(out, newID)
			case "*":
				return nil, true
			default:
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out, false
	}
	slots, err := f.store.ClientSlots(f.ctx, internalID)
	must(f.t, err)
	var gotPending []string
	for _, p := range slots.Pending {
		gotPending = append(gotPending, p.ClientID)
	}
	gotCognito, gotBound := f.cognitoClients(), f.boundClients(internalID)
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"Cognito clients", gotCognito, want.cognito}, {"bound clients", gotBound, want.bound}, {"pending slots", gotPending, want.pending}} {
		slices.Sort(c.got)
		w, any := resolve(c.want)
		if any {
			if len(c.got) != 1 {
				f.t.Errorf("%s %v, want exactly one", c.what, c.got)
			}
		} else if !slices.Equal(c.got, w) {
			f.t.Errorf("%s %v, want %v", c.what, c.got, w)
		}
	}
	// Whatever exists anywhere authenticates only if wanted.
	works, _ := resolve(want.works)
	for _, id := range append(gotCognito, gotBound...) {
		ok, who := f.authenticates(id)
		wantOK := slices.Contains(works, id)
		if ok != wantOK || (ok && who != internalID) {
			f.t.Errorf("client %s authenticates: %v (as %q), want %v", id, ok, who, wantOK)
		}
	}
	f.checkCounter(internalID)
}

// TestCompensationOutlivesTheRequest: the request is cancelled between the
// Cognito create and the binding; the created client is still deleted.
func TestCompensationOutlivesTheRequest(t *testing.T) {
	f := newFixture(t)
	f.person("dana", group)
	token := f.signIn("dana").IDToken
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	dir := &faultyDirectory{Store: f.store, cancel: cancel}
	h := f.handler(func(c *portal.Config) { c.Directory = dir })
	outer := f.ctx
	f.ctx = ctx
	r := f.do(h, "POST", "/clients", token, "")
	f.ctx = outer
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	if ids := f.cognitoClients(); len(ids) != 0 {
		t.Fatalf("Cognito still has %v after a cancelled request", ids)
	}
	dana, err := f.store.UserByUsername(f.ctx, f.poolID, "dana")
	must(t, err)
	if slots, err := f.store.ClientSlots(f.ctx, dana.InternalID); err != nil || len(slots.Pending)+len(slots.Clients) != 0 {
		t.Fatalf("slots after a cancelled request: %+v, %v", slots, err)
	}
	f.checkCounter(dana.InternalID)
}
