package forwardauth_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// The authorizer hands every warm decision of a token the same *Identity
// (and *Grants): its per-token memo. Neither mode may write to them, nor
// append into their lists' spare capacity (proxy mode: with client-sent
// identity headers to replace).
func TestSharedIdentityNotModified(t *testing.T) {
	// Lists with room to grow: an append by a reader would land there.
	scopes := append(make([]string, 0, 4), "orders/read", "orders/write")
	groups := append(make([]string, 0, 4), "admins")
	id := &authorizer.Identity{
		InternalID: "u-123", Kind: authorizer.CallerUser, Username: "alice", ClientID: "web",
		TokenUse: "access", Scopes: scopes, Groups: groups,
	}
	grants := &authorizer.Grants{Allowed: []authorizer.Route{{Method: "GET", Path: "/orders/*"}}, Denied: []authorizer.Route{{Method: "*", Path: "/admin/*"}}}
	snapshot := func() (authorizer.Identity, []string, []string, authorizer.Grants) {
		c := *id
		c.Scopes, c.Groups = slices.Clone(id.Scopes), slices.Clone(id.Groups)
		g := authorizer.Grants{Allowed: slices.Clone(grants.Allowed), Denied: slices.Clone(grants.Denied)}
		return c, slices.Clone(scopes[:cap(scopes)]), slices.Clone(groups[:cap(groups)]), g
	}
	wantID, wantScopes, wantGroups, wantGrants := snapshot()
	shared := func(_ context.Context, r authorizer.Request) authorizer.Decision {
		d := authorizer.Decision{Outcome: authorizer.OutcomeAllow, Reason: "ok", Identity: id, Grants: grants}
		if r.Authorization == "Bearer forbid" {
			d.Outcome, d.Reason = authorizer.OutcomeForbidden, "missing_scope"
		}
		return d
	}

	up := httptest.NewServer(&echoUpstream{})
	defer up.Close()
	upURL, _ := url.Parse(up.URL)
	for _, mode := range []struct {
		name string
		cfg  forwardauth.Config
	}{
		{"forward-auth", forwardauth.Config{}},
		{"proxy", forwardauth.Config{Upstream: upURL}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg := mode.cfg
			cfg.Decider = deciderFunc(shared)
			h, _ := newHandler(t, cfg)
			for range 3 {
				for _, authz := range []string{"Bearer allow", "Bearer forbid"} {
					req := httptest.NewRequest("GET", "/orders/1", nil)
					req.Header.Set("Authorization", authz)
					if mode.cfg.Upstream != nil { // forward-auth refuses these (400)
						req.Header.Set("X-Gatehouse-Scopes", "admin/all")
						req.Header.Set("X-Gatehouse-Groups", "root")
						req.Header.Add("X-Gatehouse-User-Id", "mallory")
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if authz == "Bearer allow" && rec.Code/100 != 2 {
						t.Fatalf("%s: status %d", authz, rec.Code)
					}
					if got := rec.Header().Get(forwardauth.HeaderUserID); authz == "Bearer allow" && mode.cfg.Upstream == nil && got != "u-123" {
						t.Fatalf("%s: user id header %q", authz, got)
					}
				}
			}
			gotID, gotScopes, gotGroups, gotGrants := snapshot()
			if !reflect.DeepEqual(gotID, wantID) || !slices.Equal(gotScopes, wantScopes) || !slices.Equal(gotGroups, wantGroups) {
				t.Errorf("identity modified: %+v (lists %q %q), was %+v (%q %q)", gotID, gotScopes, gotGroups, wantID, wantScopes, wantGroups)
			}
			if !reflect.DeepEqual(gotGrants, wantGrants) {
				t.Errorf("grants modified: %+v, was %+v", gotGrants, wantGrants)
			}
		})
	}
}
