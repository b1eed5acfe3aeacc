package authorizer

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// TestDecisionTable covers every outcome for every kind of caller, with
// cognitotest tokens and the real mapping on moto_server.
func TestDecisionTable(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	store := newStore(t, -1) // no mapping cache: revocation shows at once
	populate(t, store)
	a, err := New(Config{Verifier: newVerifier(t, is, 100), Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}

	other := newIssuer(t) // a pool the verifier does not know
	revoked := is.ClientCredentialsToken(m2mClient, []string{"orders/write"})
	type want struct {
		outcome  Outcome
		reason   string
		kind     CallerKind
		internal string
	}
	allow := func(kind CallerKind, id string) want { return want{OutcomeAllow, ReasonOK, kind, id} }
	cases := []struct {
		name       string
		auth       string
		method     string
		path       string
		before     func(t *testing.T)
		want       want
		username   string
		tokenUse   string
		wantScopes []string
	}{
		// No or unusable credential: 401.
		{name: "missing", auth: "", want: want{OutcomeUnauthorized, ReasonMissing, "", ""}},
		{name: "blank", auth: "   ", want: want{OutcomeUnauthorized, ReasonMissing, "", ""}},
		{name: "bearer without token", auth: "Bearer ", want: want{OutcomeUnauthorized, ReasonMissing, "", ""}},
		{name: "basic scheme", auth: "Basic YWxpY2U6c2VjcmV0", want: want{OutcomeUnauthorized, ReasonBadScheme, "", ""}},
		{name: "malformed", auth: "Bearer not-a-jwt", want: want{OutcomeUnauthorized, "malformed", "", ""}},
		{name: "expired", auth: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithExpiry(-time.Minute)), want: want{OutcomeUnauthorized, "expired", "", ""}},
		{name: "bad signature", auth: "Bearer " + is.IDToken("alice", webClient, cognitotest.SignWithUnknownKey()), want: want{OutcomeUnauthorized, "bad_signature", "", ""}},
		{name: "unknown kid", auth: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithKID("nope")), want: want{OutcomeUnauthorized, "key_not_found", "", ""}},
		{name: "other pool", auth: "Bearer " + other.IDToken("alice", webClient), want: want{OutcomeUnauthorized, "issuer", "", ""}},
		{name: "other app client", auth: "Bearer " + is.IDToken("alice", "someone-elses-client"), want: want{OutcomeUnauthorized, "client_id", "", ""}},
		{name: "id token without user name", auth: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithClaims(map[string]any{"cognito:username": nil})), want: want{OutcomeUnauthorized, ReasonNoUsername, "", ""}},
		{name: "unmapped user", auth: "Bearer " + is.IDToken("mallory", webClient), want: want{OutcomeUnauthorized, ReasonUnmapped, "", ""}},
		{name: "unmapped user access token", auth: "Bearer " + is.AccessToken("mallory", webClient), want: want{OutcomeUnauthorized, ReasonUnmapped, "", ""}},
		{name: "unmapped client", auth: "Bearer " + is.ClientCredentialsToken(unknownClient, []string{"orders/write"}), want: want{OutcomeUnauthorized, ReasonUnmapped, "", ""}},
		{name: "revoked client", auth: "Bearer " + revoked,
			before: func(t *testing.T) {
				if err := store.RemoveClient(ctx, "u-alice", m2mClient); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if _, err := store.AddClient(ctx, "u-alice", mapping.Client{ClientID: m2mClient}); err != nil {
						t.Fatal(err)
					}
				})
			},
			want: want{OutcomeUnauthorized, ReasonUnmapped, "", ""}},

		// People: ID and access tokens, any case of Bearer, or bare.
		{name: "user id token", auth: "Bearer " + is.IDToken("alice", webClient), method: "GET", path: "/profile",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},
		{name: "user id token lower-case bearer", auth: "bearer " + is.IDToken("alice", webClient), method: "GET", path: "/profile",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},
		{name: "user id token odd-case bearer", auth: "bEaReR   " + is.IDToken("alice", webClient), method: "GET", path: "/",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},
		{name: "user bare id token", auth: is.IDToken("alice", webClient), method: "GET", path: "/profile",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},
		{name: "user access token", auth: "Bearer " + is.AccessToken("alice", webClient), method: "DELETE", path: "/profile",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "access", wantScopes: []string{cognitotest.DefaultAccessScope}},
		{name: "user in admins on admin route", auth: "Bearer " + is.AccessToken("alice", webClient, cognitotest.WithGroups("admins")), method: "POST", path: "/admin/users",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "access", wantScopes: []string{cognitotest.DefaultAccessScope}},
		{name: "user not in admins on admin route", auth: "Bearer " + is.IDToken("alice", webClient, cognitotest.WithGroups("staff")), method: "GET", path: "/admin/users",
			want: want{OutcomeForbidden, ReasonMissingGroup, CallerUser, "u-alice"}, username: "alice", tokenUse: "id"},
		{name: "user id token on scoped route", auth: "Bearer " + is.IDToken("alice", webClient), method: "POST", path: "/orders",
			want: want{OutcomeForbidden, ReasonMissingScope, CallerUser, "u-alice"}, username: "alice", tokenUse: "id"},
		{name: "user access token with scope", auth: "Bearer " + is.AccessToken("alice", webClient, cognitotest.WithScopes("orders/write")), method: "POST", path: "/orders",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "access", wantScopes: []string{"orders/write"}},
		{name: "lower-case method is the same route", auth: "Bearer " + is.IDToken("alice", webClient), method: "post", path: "/orders",
			want: want{OutcomeForbidden, ReasonMissingScope, CallerUser, "u-alice"}, username: "alice", tokenUse: "id"},
		{name: "open rule", auth: "Bearer " + is.IDToken("alice", webClient), method: "GET", path: "/health",
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},
		{name: "unknown route with universal rules only", auth: "Bearer " + is.IDToken("alice", webClient),
			want: allow(CallerUser, "u-alice"), username: "alice", tokenUse: "id"},

		// Programs: client-credentials tokens.
		{name: "client with scope", auth: "Bearer " + is.ClientCredentialsToken(m2mClient, []string{"orders/write"}), method: "POST", path: "/orders",
			want: allow(CallerClient, "u-alice"), tokenUse: "access", wantScopes: []string{"orders/write"}},
		{name: "client on open route", auth: "Bearer " + is.ClientCredentialsToken(m2mClient, nil), method: "GET", path: "/profile",
			want: allow(CallerClient, "u-alice"), tokenUse: "access"},
		{name: "client without scope", auth: "Bearer " + is.ClientCredentialsToken(m2mClient, []string{"orders/read"}), method: "POST", path: "/orders",
			want: want{OutcomeForbidden, ReasonMissingScope, CallerClient, "u-alice"}, tokenUse: "access", wantScopes: []string{"orders/read"}},
		{name: "client narrowed by mapping", auth: "Bearer " + is.ClientCredentialsToken(narrowClient, []string{"orders/read", "orders/write"}), method: "POST", path: "/orders",
			want: want{OutcomeForbidden, ReasonMissingScope, CallerClient, "u-carol"}, tokenUse: "access", wantScopes: []string{"orders/read"}},
		{name: "client narrowed still reads", auth: "Bearer " + is.ClientCredentialsToken(narrowClient, []string{"orders/read", "orders/write"}), method: "GET", path: "/orders/42",
			want: allow(CallerClient, "u-carol"), tokenUse: "access", wantScopes: []string{"orders/read"}},

		// Partners.
		{name: "partner id token", auth: "Bearer " + is.IDToken("partner-bob", partnerClient), method: "GET", path: "/catalog",
			want: allow(CallerPartner, "p-bob"), username: "partner-bob", tokenUse: "id"},
		{name: "partner with scope and group", auth: "Bearer " + is.AccessToken("partner-bob", partnerClient, cognitotest.WithScopes("reports/read"), cognitotest.WithGroups("analysts")), method: "GET", path: "/reports/q3",
			want: allow(CallerPartner, "p-bob"), username: "partner-bob", tokenUse: "access", wantScopes: []string{"reports/read"}},
		{name: "partner with scope, not group", auth: "Bearer " + is.AccessToken("partner-bob", partnerClient, cognitotest.WithScopes("reports/read")), method: "GET", path: "/reports/q3",
			want: want{OutcomeForbidden, ReasonMissingGroup, CallerPartner, "p-bob"}, username: "partner-bob", tokenUse: "access", wantScopes: []string{"reports/read"}},
		{name: "partner with group, not scope", auth: "Bearer " + is.IDToken("partner-bob", partnerClient, cognitotest.WithGroups("analysts")), method: "GET", path: "/reports/q3",
			want: want{OutcomeForbidden, ReasonMissingScope, CallerPartner, "p-bob"}, username: "partner-bob", tokenUse: "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			d := a.Decide(ctx, Request{Authorization: tc.auth, Method: tc.method, Path: tc.path})
			if d.Outcome != tc.want.outcome || d.Reason != tc.want.reason {
				t.Fatalf("Decide = %v/%q, want %v/%q", d.Outcome, d.Reason, tc.want.outcome, tc.want.reason)
			}
			authenticated := tc.want.outcome == OutcomeAllow || tc.want.outcome == OutcomeForbidden
			if !authenticated {
				if d.Identity != nil || d.Grants != nil {
					t.Fatalf("unauthenticated decision carries identity %+v / grants %+v", d.Identity, d.Grants)
				}
				return
			}
			id := d.Identity
			if id == nil || d.Grants == nil {
				t.Fatalf("authenticated decision without identity or grants: %+v", d)
			}
			if id.Kind != tc.want.kind || id.InternalID != tc.want.internal || id.Username != tc.username || id.TokenUse != tc.tokenUse {
				t.Fatalf("identity = %+v, want kind %s, internal %s, username %q, token use %q", id, tc.want.kind, tc.want.internal, tc.username, tc.tokenUse)
			}
			if len(tc.wantScopes) > 0 && !slices.Equal(id.Scopes, tc.wantScopes) {
				t.Fatalf("scopes = %q, want %q", id.Scopes, tc.wantScopes)
			}
			if !slices.Equal(d.Grants.Allowed, everything) {
				t.Fatalf("Allowed = %v", d.Grants.Allowed)
			}
		})
	}
}

// TestDecisionDependencyFailures: no usable key or no mapping answer is an
// error, never an allow (and never a 401 that would hide the outage).
func TestDecisionDependencyFailures(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	store := newStore(t, 0)
	populate(t, store)
	token := "Bearer " + is.IDToken("alice", webClient)

	t.Run("keys unavailable", func(t *testing.T) {
		down := newIssuer(t)
		pc := down.PoolConfig()
		pc.ClientIDs = []string{webClient}
		down.Close() // the JWKS endpoint no longer answers
		v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(Config{Verifier: v, Directory: store})
		if err != nil {
			t.Fatal(err)
		}
		d := a.Decide(ctx, Request{Authorization: "Bearer " + down.IDToken("alice", webClient), Method: "GET", Path: "/"})
		if d.Outcome != OutcomeError || d.Reason != ReasonKeysUnavailable || d.Identity != nil {
			t.Fatalf("Decide = %+v, want error/keys_unavailable", d)
		}
	})

	t.Run("mapping unavailable", func(t *testing.T) {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A port nothing listens on: DynamoDB cannot answer.
		ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:9") })
		down, err := mapping.New(mapping.Config{Table: newTableName(), DynamoDB: ddb, MaxAttempts: 1, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(Config{Verifier: newVerifier(t, is, 0), Directory: down})
		if err != nil {
			t.Fatal(err)
		}
		for _, auth := range []string{token, "Bearer " + is.ClientCredentialsToken(m2mClient, nil)} {
			d := a.Decide(ctx, Request{Authorization: auth, Method: "GET", Path: "/"})
			if d.Outcome != OutcomeError || d.Reason != ReasonMappingUnavailable {
				t.Fatalf("Decide = %+v, want error/mapping_unavailable", d)
			}
		}
	})

	t.Run("mapping table missing", func(t *testing.T) {
		missing, err := mapping.New(mapping.Config{Table: newTableName(), DynamoDB: dynamo(t), MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(Config{Verifier: newVerifier(t, is, 0), Directory: missing})
		if err != nil {
			t.Fatal(err)
		}
		if d := a.Decide(ctx, Request{Authorization: token}); d.Outcome != OutcomeError {
			t.Fatalf("Decide = %+v, want an error", d)
		}
	})

	t.Run("unknown mapping error", func(t *testing.T) {
		a, err := New(Config{Verifier: newVerifier(t, is, 0), Directory: failingDirectory{errStrange}})
		if err != nil {
			t.Fatal(err)
		}
		if d := a.Decide(ctx, Request{Authorization: token}); d.Outcome != OutcomeError || d.Reason != ReasonMappingError {
			t.Fatalf("Decide = %+v, want error/mapping_error", d)
		}
	})
}

func TestNewFailsClosed(t *testing.T) {
	is := newIssuer(t)
	v := newVerifier(t, is, 0)
	dir := failingDirectory{record.ErrNotFound}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no verifier", Config{Directory: dir}},
		{"no directory", Config{Verifier: v}},
		{"bad rule", Config{Verifier: v, Directory: dir, Rules: []Rule{{Method: "GET", Path: "orders"}}}},
		{"negative budget", Config{Verifier: v, Directory: dir, ResponseBudget: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a, err := New(tc.cfg); err == nil || a != nil {
				t.Fatalf("New = %v, %v; want an error", a, err)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		in, token, why string
	}{
		{"", "", ReasonMissing},
		{"Bearer", "", ReasonMissing},
		{"bearer  ", "", ReasonMissing},
		{"Bearer abc", "abc", ""},
		{"BEARER abc", "abc", ""},
		{" bearer \tabc ", "abc", ""},
		{"abc.def.ghi", "abc.def.ghi", ""},
		{"Token abc", "", ReasonBadScheme},
		{"Bearer a b", "a b", ""},
		{AmbiguousAuthorization, "", ReasonAmbiguous},
	} {
		token, why := bearerToken(tc.in)
		if token != tc.token || why != tc.why {
			t.Errorf("bearerToken(%q) = %q, %q; want %q, %q", tc.in, token, why, tc.token, tc.why)
		}
	}
}

// TestDecisionTwoPools: with the people's and the partners' pools, a user
// name means a caller only within the pool whose token names it. The same
// name in both pools is two internal ids; a token of one pool is never
// mapped through the other pool's item.
func TestDecisionTwoPools(t *testing.T) {
	ctx := context.Background()
	people := newIssuer(t)
	partners, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID("us-east-1_Partners"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(partners.Close)
	pp := people.PoolConfig()
	pp.ClientIDs = []string{webClient}
	pc := partners.PoolConfig(jwtverify.TokenUseID)
	pc.ClientIDs = []string{partnerClient}
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pp, pc}, TokenCacheSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(t, 0) // the mapping cache on: its key must carry the pool too
	for _, u := range []struct {
		id, pool, name string
		kind           mapping.Kind
	}{
		{"u-acme", people.UserPoolID(), "acme", mapping.KindUser},
		{"p-acme", partners.UserPoolID(), "acme", mapping.KindPartner},
		{"u-alice", people.UserPoolID(), "alice", mapping.KindUser},
		{"u-hash", people.UserPoolID(), partners.UserPoolID() + "#zed", mapping.KindUser},
	} {
		if _, err := store.CreateUser(ctx, u.id, u.pool, u.name, cognitotest.Sub(u.pool, u.name), u.kind); err != nil {
			t.Fatal(err)
		}
	}
	a, err := New(Config{Verifier: v, Directory: store, Rules: testRules})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		token      string
		wantReason string
		wantKind   CallerKind
		wantID     string
	}{
		{"person", people.IDToken("acme", webClient), ReasonOK, CallerUser, "u-acme"},
		{"partner with the same name", partners.IDToken("acme", partnerClient), ReasonOK, CallerPartner, "p-acme"},
		// Twice each, so that the second answers come from the caches.
		{"person again", people.AccessToken("acme", webClient), ReasonOK, CallerUser, "u-acme"},
		{"partner again", partners.IDToken("acme", partnerClient), ReasonOK, CallerPartner, "p-acme"},
		{"partners' token, name only in the people's pool", partners.IDToken("alice", partnerClient), ReasonUnmapped, "", ""},
		{"partners' token, name reads like a qualified key", partners.IDToken("zed", partnerClient), ReasonUnmapped, "", ""},
		{"partners' access token refused (token uses per pool)", partners.AccessToken("acme", partnerClient), "token_use", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := a.Decide(ctx, Request{Authorization: "Bearer " + tt.token, Method: "GET", Path: "/anything"})
			if d.Reason != tt.wantReason {
				t.Fatalf("Decide = %v/%q, want %q", d.Outcome, d.Reason, tt.wantReason)
			}
			if tt.wantID == "" {
				if d.Identity != nil {
					t.Fatalf("refused decision carries %+v", d.Identity)
				}
				return
			}
			if d.Identity == nil || d.Identity.InternalID != tt.wantID || d.Identity.Kind != tt.wantKind {
				t.Fatalf("identity %+v, want %s %s", d.Identity, tt.wantKind, tt.wantID)
			}
		})
	}
}
