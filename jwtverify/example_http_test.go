package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// A RemoteKeySet fetches a JWKS on first use and keeps it fresh; any KeySet
// can be used on its own, here to look a key up by kid.
func ExampleRemoteKeySet() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()

	keys, err := jwtverify.NewRemoteKeySet(ctx, iss.JWKSURL(), jwtverify.RemoteKeySetOptions{})
	if err != nil {
		panic(err)
	}
	k, err := keys.Key(ctx, iss.KID())
	fmt.Println(k.Algorithm, err)
	_, err = keys.Key(ctx, "no-such-kid")
	fmt.Println(jwtverify.Code(err))
	// Output:
	// RS256 <nil>
	// key_not_found
}

// Hydrate loads every pool's keys at start-up, so a service can refuse to
// start (or report itself unready) rather than fail its first requests.
func ExampleVerifier_Hydrate() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	pool := iss.PoolConfig(jwtverify.TokenUseAccess) // keys from iss.JWKSURL()
	pool.ClientIDs = []string{"web-client"}
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Hydrate(ctx))

	// A pool whose JWKS cannot be fetched.
	iss.Close()
	v, err = jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}
	err = v.Hydrate(ctx)
	fmt.Println(errors.Is(err, jwtverify.ErrKeysUnavailable), jwtverify.Code(err))
	// Output:
	// <nil>
	// true keys_unavailable
}

// PoolConfig.Check runs last, on every call, to refuse what only the caller
// knows about: here a revoked refresh-token family ("origin_jti").
func ExamplePoolConfig_check() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	keys, err := jwtverify.NewStaticKeySet(iss.JWKS())
	if err != nil {
		panic(err)
	}
	errRevoked := errors.New("revoked")
	revoked := map[string]bool{}

	pool := iss.PoolConfig(jwtverify.TokenUseAccess)
	pool.ClientIDs = []string{"web-client"}
	pool.KeySet = keys
	pool.Check = func(_ context.Context, c *jwtverify.Claims) error {
		if revoked[c.OriginJTI] {
			return errRevoked
		}
		return nil
	}
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}

	token := iss.AccessToken("alice", "web-client")
	c, err := v.Verify(ctx, token)
	fmt.Println(c.Username, err)
	revoked[c.OriginJTI] = true
	_, err = v.Verify(ctx, token)
	fmt.Println(errors.Is(err, errRevoked), jwtverify.Code(err))
	// Output:
	// alice <nil>
	// true error
}

// Middleware guards net/http handlers; each handler states what it needs.
func ExampleVerifier_Middleware() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	keys, err := jwtverify.NewStaticKeySet(iss.JWKS())
	if err != nil {
		panic(err)
	}
	pool := iss.PoolConfig(jwtverify.TokenUseAccess)
	pool.ClientIDs = []string{"web-client"}
	pool.KeySet = keys
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}

	readOrders, err := v.Middleware(jwtverify.RequireAnyScope("orders/read"))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", readOrders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", c.Username)
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, authorization := range []string{
		"Bearer " + iss.AccessToken("alice", "web-client", cognitotest.WithScopes("orders/read")),
		"Bearer " + iss.AccessToken("bob", "web-client"),
		"Bearer " + iss.AccessToken("alice", "web-client", cognitotest.WithExpiry(-time.Minute)),
		"",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/orders", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, string(body))
		} else {
			fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 orders of alice
	// 403 Bearer error="insufficient_scope", scope="orders/read"
	// 401 Bearer error="invalid_token"
	// 401 Bearer
}

// Decode reads claims that Claims has no field for, such as a Cognito custom
// attribute in an ID token.
func ExampleClaims_Decode() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	keys, err := jwtverify.NewStaticKeySet(iss.JWKS())
	if err != nil {
		panic(err)
	}
	pool := iss.PoolConfig(jwtverify.TokenUseID)
	pool.ClientIDs = []string{"web-client"}
	pool.KeySet = keys
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}
	c, err := v.Verify(ctx, iss.IDToken("alice", "web-client",
		cognitotest.WithClaims(map[string]any{"custom:tenant": "acme", "email_verified": true})))
	if err != nil {
		panic(err)
	}
	var custom struct {
		Tenant        string `json:"custom:tenant"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := c.Decode(&custom); err != nil {
		panic(err)
	}
	fmt.Println(custom.Tenant, custom.EmailVerified)
	// Output: acme true
}
