package forwardauth_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// e2eRoutes: reading orders needs orders/read, deleting one orders/admin.
const e2eRoutes = `[
  {"method": "GET", "path": "/orders*", "scopes": ["orders/read"]},
  {"method": "DELETE", "path": "/orders/*", "scopes": ["orders/admin"]}
]`

// e2eWorld is a user pool, a mapping table on moto with one person (alice)
// who owns one live client and one deleted client, and the real authorizer
// built from GATEHOUSE_* settings exactly as gatehouse serve builds it.
type e2eWorld struct {
	iss     *cognitotest.Issuer
	az      *authorizer.Authorizer
	admin   *mapping.Store
	aliceID string
	web     string
	cli     string
	// spareClients are not mapped yet (and, as clients people create at
	// run time, not configured anywhere): a test adds one, sees it work,
	// and deletes it.
	spareClients []string
}

func newE2EWorld(t *testing.T) *e2eWorld {
	t.Helper()
	return newE2EWorldWithRoutes(t, e2eRoutes)
}

func newE2EWorldWithRoutes(t *testing.T, routes string) *e2eWorld {
	t.Helper()
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)

	localservices.Require(t, localservices.DynamoDB)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(awsCfg)
	table := "serve-" + strings.ToLower(rand.Text()[:12])
	if err := mapping.CreateTable(ctx, ddb, table, true); err != nil {
		t.Fatal(err)
	}
	// The administrator's store, as `gatehouse users` in another process
	// would use it: its writes do not touch the authorizer's cache.
	admin, err := mapping.New(mapping.Config{Table: table, DynamoDB: ddb})
	if err != nil {
		t.Fatal(err)
	}
	w := &e2eWorld{iss: iss, admin: admin, web: "web-client", cli: "alice-cli", spareClients: []string{"spare-1", "spare-2", "spare-3"}}
	alice, err := admin.CreateUser(ctx, "", iss.UserPoolID(), "alice", iss.Sub("alice"), mapping.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	w.aliceID = alice.InternalID
	if _, err := admin.AddClient(ctx, alice.InternalID, mapping.Client{ClientID: w.cli, Label: "alice's program"}); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{
		awsenv.EnvUserPoolID:   iss.UserPoolID(),
		awsenv.EnvClientIDs:    w.web, // user tokens' clients only: client-credentials clients come from the mapping
		awsenv.EnvIssuer:       iss.IssuerURL(),
		awsenv.EnvJWKSURL:      iss.JWKSURL(),
		awsenv.EnvInsecureHTTP: "true",
		awsenv.EnvTable:        table,
		awsenv.EnvRoutes:       routes,
		// The revocation delay is the mapping cache's TTL; keep it short
		// so a removal made elsewhere shows at once.
		awsenv.EnvMappingCacheTTL: "1ms",
		awsenv.EnvMetrics:         "false",
	}
	ec, err := awsenv.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if w.az, err = ec.Build(actx); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestEndToEnd is the list, through real nginx and real Caddy
// configured by the files in examples/, to gatehouse's handler with the
// real authorizer, in front of an upstream that echoes what it receives.
func TestEndToEnd(t *testing.T) {
	w := newE2EWorld(t)
	personToken := w.iss.AccessToken("alice", w.web, cognitotest.WithScopes("aws.cognito.signin.user.admin", "orders/read"))
	clientToken := w.iss.ClientCredentialsToken(w.cli, []string{"orders/read"})
	badToken := w.iss.AccessToken("alice", w.web, cognitotest.SignWithUnknownKey())

	for i, px := range []struct {
		name  string
		conv  forwardauth.RequestHeaders
		start func(t *testing.T, gatehouse, upstream string) string
	}{
		{"nginx", forwardauth.HeadersOriginal, startNginx},
		{"caddy", forwardauth.HeadersForwarded, startCaddy},
	} {
		t.Run(px.name, func(t *testing.T) {
			h, err := forwardauth.New(forwardauth.Config{Decider: w.az, RequestHeaders: px.conv})
			if err != nil {
				t.Fatal(err)
			}
			upstream, upstreamCalls := startEchoUpstream(t)
			base := px.start(t, serveHandler(t, h), upstream)

			denied := []struct {
				name, method, path, token string
				code                      int
				challenge                 string
			}{
				{"no token", "GET", "/orders", "", 401, "Bearer"},
				{"bad token", "GET", "/orders", "Bearer " + badToken, 401, `Bearer error="invalid_token"`},
				{"missing scope", "DELETE", "/orders/1", "Bearer " + personToken, 403, `Bearer error="insufficient_scope"`},
			}
			for _, c := range denied {
				t.Run(c.name, func(t *testing.T) {
					before := upstreamCalls()
					res := callProxy(t, c.method, base+c.path, c.token, nil)
					if res.code != c.code {
						t.Fatalf("status %d, want %d", res.code, c.code)
					}
					if len(res.challenge) != 1 || res.challenge[0] != c.challenge {
						t.Errorf("WWW-Authenticate %q, want %q", res.challenge, c.challenge)
					}
					if upstreamCalls() != before {
						t.Error("the upstream was reached")
					}
				})
			}

			t.Run("deleted client", func(t *testing.T) {
				ctx := context.Background()
				spare := w.spareClients[i]
				if _, err := w.admin.AddClient(ctx, w.aliceID, mapping.Client{ClientID: spare}); err != nil {
					t.Fatal(err)
				}
				token := "Bearer " + w.iss.ClientCredentialsToken(spare, []string{"orders/read"})
				if res := callProxy(t, "GET", base+"/orders", token, nil); res.code != 200 {
					t.Fatalf("before the deletion: status %d", res.code)
				}
				if err := w.admin.RemoveClient(ctx, w.aliceID, spare); err != nil {
					t.Fatal(err)
				}
				before := upstreamCalls()
				res := callProxy(t, "GET", base+"/orders", token, nil)
				if res.code != 401 || len(res.challenge) != 1 || res.challenge[0] != `Bearer error="invalid_token"` {
					t.Errorf("after the deletion: status %d, WWW-Authenticate %q; want 401 invalid_token", res.code, res.challenge)
				}
				if upstreamCalls() != before {
					t.Error("the upstream was reached")
				}
			})

			allowed := []struct {
				name, token, kind, username string
			}{
				{"a person's token", personToken, "user", "alice"},
				{"the client-credentials token of the person's client", clientToken, "client", ""},
			}
			for _, c := range allowed {
				t.Run(c.name, func(t *testing.T) {
					// Every identity header is also sent by the client:
					// none of its values may reach the upstream.
					spoof := map[string]string{}
					for _, name := range forwardauth.IdentityHeaders {
						spoof[name] = "spoofed"
					}
					if px.name == "nginx" {
						// nginx passes them to gatehouse, which refuses
						// the request (nginx: 500); Caddy removes them.
						before := upstreamCalls()
						if res := callProxy(t, "GET", base+"/orders/42?page=2", "Bearer "+c.token, spoof); res.code != 500 || upstreamCalls() != before {
							t.Errorf("spoofed identity headers: status %d", res.code)
						}
						spoof = nil
					}
					res := callProxy(t, "GET", base+"/orders/42?page=2", "Bearer "+c.token, spoof)
					if res.code != 200 || res.seen == nil {
						t.Fatalf("status %d", res.code)
					}
					got := identitySeen(t, res.seen, px.name == "nginx")
					if got[forwardauth.HeaderUserID] != w.aliceID {
						t.Errorf("upstream saw user id %q, want alice's %q", got[forwardauth.HeaderUserID], w.aliceID)
					}
					if got[forwardauth.HeaderCallerKind] != c.kind {
						t.Errorf("caller kind %q, want %q", got[forwardauth.HeaderCallerKind], c.kind)
					}
					for name, v := range got {
						if v == "spoofed" {
							t.Errorf("the client's %s reached the upstream", name)
						}
					}
					if u := got[forwardauth.HeaderUsername]; c.username != "" && u != c.username {
						t.Errorf("username %q, want %q", u, c.username)
					} else if c.username == "" && u != "" && u != "<absent>" {
						t.Errorf("username %q for a client-credentials token", u)
					}
					if res.seen.URI != "/orders/42?page=2" {
						t.Errorf("upstream got %s", res.seen.URI)
					}
				})
			}
		})
	}
}

// TestEndToEndProxyMode: gatehouse serve --upstream, with the real
// authorizer, is itself the proxy.
func TestEndToEndProxyMode(t *testing.T) {
	w := newE2EWorld(t)
	upstream, upstreamCalls := startEchoUpstream(t)
	u, err := url.Parse("http://" + upstream)
	if err != nil {
		t.Fatal(err)
	}
	h, err := forwardauth.New(forwardauth.Config{Decider: w.az, Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + serveHandler(t, h)
	clientToken := "Bearer " + w.iss.ClientCredentialsToken(w.cli, []string{"orders/read"})

	res := callProxy(t, "GET", base+"/orders/1", clientToken, map[string]string{
		forwardauth.HeaderUserID: "spoofed", forwardauth.HeaderUsername: "spoofed", "X-Gatehouse-Admin": "true",
		// Proxy mode decides on the request itself, not on these.
		forwardauth.HeaderOriginalURI: "/elsewhere", forwardauth.HeaderForwardedURI: "/elsewhere",
	})
	if res.code != 200 || res.seen == nil {
		t.Fatalf("status %d", res.code)
	}
	got := identitySeen(t, res.seen, false)
	want := map[string]string{
		forwardauth.HeaderUserID: w.aliceID, forwardauth.HeaderCallerKind: "client", forwardauth.HeaderUsername: "",
		forwardauth.HeaderClientID: w.cli, forwardauth.HeaderTokenUse: "access", forwardauth.HeaderScopes: "orders/read",
		forwardauth.HeaderGroups: "",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("upstream saw %s = %q, want %q", name, got[name], v)
		}
	}

	before := upstreamCalls()
	for token, code := range map[string]int{"": 401, "Bearer x.y.z": 401, clientToken: 403} {
		method := "GET"
		if code == 403 {
			method = "DELETE"
		}
		if res := callProxy(t, method, base+"/orders/1", token, nil); res.code != code {
			t.Errorf("status %d, want %d", res.code, code)
		}
	}
	if upstreamCalls() != before {
		t.Error("a denied request reached the upstream")
	}
}
