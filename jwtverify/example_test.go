package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// A verifier for one pool's access tokens, with the keys given up front (as
// in tests or air-gapped use). Without KeySet, New fetches the pool's JWKS.
func ExampleNew() {
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

	claims, err := v.Verify(ctx, iss.AccessToken("alice", "web-client", cognitotest.WithGroups("admins")))
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Username, claims.ClientID, claims.TokenUse, claims.Groups, claims.Scopes)
	// Output: alice web-client access [admins] [aws.cognito.signin.user.admin]
}

// Errors wrap one sentinel each: decide with errors.Is, log the stable Code.
func ExampleCode() {
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

	for _, token := range []string{
		iss.AccessToken("alice", "web-client", cognitotest.WithExpiry(-time.Minute)),
		iss.AccessToken("alice", "other-client"),
		iss.IDToken("alice", "web-client"),
		iss.AccessToken("alice", "web-client", cognitotest.SignWithUnknownKey()),
		"Bearer " + iss.AccessToken("alice", "web-client"),
	} {
		_, err := v.Verify(ctx, token)
		fmt.Println(jwtverify.Code(err), errors.Is(err, jwtverify.ErrExpired))
	}
	// Output:
	// expired true
	// client_id false
	// token_use false
	// bad_signature false
	// malformed false
}

// A client-credentials (machine-to-machine) token is an access token without
// a user.
func ExampleClaims_IsClientCredentials() {
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
	pool.SkipClientIDCheck = true
	pool.Scopes = []string{"orders/read"}
	pool.KeySet = keys
	v, err := jwtverify.New(ctx, jwtverify.Config{Pools: []jwtverify.PoolConfig{pool}})
	if err != nil {
		panic(err)
	}

	m2m, err := v.Verify(ctx, iss.ClientCredentialsToken("batch-job", []string{"orders/read"}))
	if err != nil {
		panic(err)
	}
	user, err := v.Verify(ctx, iss.AccessToken("alice", "web-client", cognitotest.WithScopes("orders/read")))
	if err != nil {
		panic(err)
	}
	fmt.Println(m2m.IsClientCredentials(), m2m.ClientID, m2m.HasScope("orders/read"))
	fmt.Println(user.IsClientCredentials(), user.Username)
	// Output:
	// true batch-job true
	// false alice
}
