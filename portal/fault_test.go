package portal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

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
	failAdd, afterAdd, failReplace, afterReplace, failRemove error
	// cancel, when set, is called before AddClient fails: the request is
	// gone while the compensation has yet to run.
	cancel func()
}

func (d *faultyDirectory) AddClient(ctx context.Context, internalID string, c mapping.Client) (mapping.Client, error) {
	if d.cancel != nil {
		d.cancel()
		return mapping.Client{}, fmt.Errorf("%w: %w", mapping.ErrUnavailable, ctx.Err())
	}
	if d.failAdd != nil {
		return mapping.Client{}, d.failAdd
	}
	out, err := d.Store.AddClient(ctx, internalID, c)
	if err == nil && d.afterAdd != nil {
		return mapping.Client{}, d.afterAdd
	}
	return out, err
}

func (d *faultyDirectory) ReplaceClient(ctx context.Context, internalID, oldID string, c mapping.Client) (mapping.Client, error) {
	if d.failReplace != nil {
		return mapping.Client{}, d.failReplace
	}
	out, err := d.Store.ReplaceClient(ctx, internalID, oldID, c)
	if err == nil && d.afterReplace != nil {
		return mapping.Client{}, d.afterReplace
	}
	return out, err
}

func (d *faultyDirectory) RemoveClient(ctx context.Context, internalID, clientID string) error {
	if d.failRemove != nil {
		return d.failRemove
	}
	return d.Store.RemoveClient(ctx, internalID, clientID)
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
// authenticate and that the compensation cleaned up.
func TestFailurePoints(t *testing.T) {
	unavailable := fmt.Errorf("%w: %w", mapping.ErrUnavailable, errInjected)
	conflict := fmt.Errorf("%w: %w", mapping.ErrConflict, errInjected)
	type state struct {
		cognito, bound []string
		works          []string // the client ids that authenticate
	}
	tests := []struct {
		name   string
		op     string // create, reset, delete
		cog    faultyCognito
		dir    faultyDirectory
		status int
		// want is the state after the operation; "old" is the client that
		// existed before it (reset, delete).
		want func(old string) state
	}{
		{"create: Cognito fails", "create", faultyCognito{failCreate: true}, faultyDirectory{}, 503,
			func(string) state { return state{} }},
		{"create: bind fails, Cognito client deleted", "create", faultyCognito{}, faultyDirectory{failAdd: unavailable}, 503,
			func(string) state { return state{} }},
		{"create: bind done but reported failed, undone", "create", faultyCognito{}, faultyDirectory{afterAdd: unavailable}, 503,
			func(string) state { return state{} }},
		{"create: bind fails, and so does the deletion", "create", faultyCognito{failDelete: true}, faultyDirectory{failAdd: unavailable}, 503,
			func(string) state { return state{cognito: []string{"*"}} }}, // an unbound client that cannot pass the authorizer
		{"reset: Cognito create fails, old intact", "reset", faultyCognito{failCreate: true}, faultyDirectory{}, 503,
			func(old string) state { return state{[]string{old}, []string{old}, []string{old}} }},
		{"reset: replace conflicts, new deleted, old intact", "reset", faultyCognito{}, faultyDirectory{failReplace: conflict}, 409,
			func(old string) state { return state{[]string{old}, []string{old}, []string{old}} }},
		{"reset: replace unavailable, new deleted, old intact", "reset", faultyCognito{}, faultyDirectory{failReplace: unavailable}, 503,
			func(old string) state { return state{[]string{old}, []string{old}, []string{old}} }},
		{"reset: replace done but reported failed, nothing authenticates", "reset", faultyCognito{}, faultyDirectory{afterReplace: unavailable}, 503,
			func(old string) state { return state{cognito: []string{old}} }}, // old unbound: refused
		{"reset: old not deleted in Cognito, still refused", "reset", faultyCognito{failDelete: true}, faultyDirectory{}, 200,
			func(old string) state { return state{[]string{old, "new"}, []string{"new"}, []string{"new"}} }},
		{"delete: unbind fails, client intact", "delete", faultyCognito{}, faultyDirectory{failRemove: unavailable}, 503,
			func(old string) state { return state{[]string{old}, []string{old}, []string{old}} }},
		{"delete: Cognito deletion fails, unbound and refused", "delete", faultyCognito{failDelete: true}, faultyDirectory{}, 204,
			func(old string) state { return state{cognito: []string{old}} }},
	}
	f := newFixture(t)
	f.person("dana", group)
	token := f.signIn("dana").IDToken
	// Record dana and learn her internal id.
	if r := f.do(f.handler(nil), "GET", "/clients", token, ""); r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	dana, err := f.store.UserByUsername(f.ctx, "dana")
	must(t, err)

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			// Start from a clean slate: no clients anywhere.
			clean := f.handler(nil)
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
			want := tc.want(old)
			resolve := func(ids []string) []string {
				var out []string
				for _, id := range ids {
					switch id {
					case "new":
						out = append(out, newID)
					case "*": // any one client, checked below
					default:
						out = append(out, id)
					}
				}
				slices.Sort(out)
				return out
			}
			gotCognito, gotBound := f.cognitoClients(), f.boundClients(dana.InternalID)
			slices.Sort(gotCognito)
			slices.Sort(gotBound)
			if len(want.cognito) == 1 && want.cognito[0] == "*" {
				if len(gotCognito) != 1 {
					t.Fatalf("Cognito clients %v, want one leftover", gotCognito)
				}
			} else if !slices.Equal(gotCognito, resolve(want.cognito)) {
				t.Errorf("Cognito clients %v, want %v", gotCognito, resolve(want.cognito))
			}
			if !slices.Equal(gotBound, resolve(want.bound)) {
				t.Errorf("bound clients %v, want %v", gotBound, resolve(want.bound))
			}
			// Whatever exists anywhere authenticates only if wanted.
			for _, id := range append(gotCognito, gotBound...) {
				ok, who := f.authenticates(id)
				wantOK := slices.Contains(resolve(want.works), id)
				if ok != wantOK || (ok && who != dana.InternalID) {
					t.Errorf("client %s authenticates: %v (as %q), want %v", id, ok, who, wantOK)
				}
			}
		})
	}
	f.t = t
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
}
