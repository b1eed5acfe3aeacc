package jwtv5_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/jwtverify/jwtv5"
)

// Plain jwt.ParseWithClaims with the pool's Keyfunc, claims and options.
func Example() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()

	pc := iss.PoolConfig(jwtverify.TokenUseAccess) // JWKSURL: the issuer's test server
	pc.ClientIDs = []string{"web-client"}
	pool, err := jwtv5.NewPool(ctx, pc, jwtv5.Options{})
	if err != nil {
		panic(err)
	}

	claims := pool.NewClaims()
	token := iss.AccessToken("alice", "web-client", cognitotest.WithScopes("orders/read"))
	if _, err := jwt.ParseWithClaims(token, claims, pool.Keyfunc(ctx), pool.ParserOptions()...); err != nil {
		panic(err)
	}
	fmt.Println(claims.Username, claims.ClientID, claims.Scope)

	// Refusals match golang-jwt's sentinels and jwtverify's.
	_, err = jwt.ParseWithClaims(iss.IDToken("alice", "web-client"), pool.NewClaims(), pool.Keyfunc(ctx), pool.ParserOptions()...)
	err = jwtv5.MapError(err)
	fmt.Println(errors.Is(err, jwt.ErrTokenInvalidClaims), errors.Is(err, jwtverify.ErrTokenUse), jwtverify.Code(err))
	// Output:
	// alice web-client orders/read
	// true true token_use
}

// keyfuncMiddleware has the shape of the golang-jwt middlewares of echo, gin
// and chi: it takes a jwt.Keyfunc and parser options, and knows nothing of
// Cognito.
func keyfuncMiddleware(keyfunc jwt.Keyfunc, newClaims func() jwt.Claims, opts []jwt.ParserOption, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		parsed, err := jwt.ParseWithClaims(token, newClaims(), keyfunc, opts...)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, parsed.Claims)))
	})
}

type claimsKey struct{}

// A middleware that takes a jwt.Keyfunc gets the pool's.
func ExamplePool_Keyfunc() {
	ctx := context.Background()
	iss, err := cognitotest.NewIssuer()
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	pc := iss.PoolConfig(jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{"web-client"}
	pool, err := jwtv5.NewPool(ctx, pc, jwtv5.Options{})
	if err != nil {
		panic(err)
	}

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(claimsKey{}).(*jwtv5.Claims)
		fmt.Fprintf(w, "hello %s", c.Username)
	})
	h := keyfuncMiddleware(pool.Keyfunc(ctx), func() jwt.Claims { return pool.NewClaims() }, pool.ParserOptions(), hello)

	for _, token := range []string{
		iss.AccessToken("alice", "web-client"),
		iss.AccessToken("mallory", "other-client"),
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 hello alice
	// 401 unauthorized
}
