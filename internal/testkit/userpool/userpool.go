// Package userpool provisions what the tests and the demo need on a local
// Cognito user-pools endpoint (cognito-local, or moto_server): a pool, app
// clients with the password and refresh flows, groups, confirmed users, and
// a direct sign-in. Secrets and passwords are the caller's; nothing is
// logged.
package userpool

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
)

// Pool is a user pool on the endpoint API points at.
type Pool struct {
	API *cip.Client
	ID  string
}

// Create makes a pool named name.
func Create(ctx context.Context, api *cip.Client, name string) (Pool, error) {
	out, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
	if err != nil {
		return Pool{}, fmt.Errorf("create user pool %s: %w", name, err)
	}
	return Pool{API: api, ID: *out.UserPool.Id}, nil
}

// OnCognitoLocal makes pool name on the test package's cognito-local
// (localservices.Require(tb, localservices.CognitoIDP)), reached through
// the SDK's standard variables like the code under test; tb fails on any
// error.
func OnCognitoLocal(ctx context.Context, tb testing.TB, name string) Pool {
	tb.Helper()
	localservices.Require(tb, localservices.CognitoIDP)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Create(ctx, cip.NewFromConfig(cfg), name)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// LocalIssuer is the "iss" of cognito-local's tokens for the pool, where it
// also serves the pool's JWKS: http://<host>:<port>/<pool id>. (moto_server
// issues under Cognito's real issuer instead.)
func (p Pool) LocalIssuer() string {
	return strings.TrimRight(localservices.Endpoint(localservices.CognitoIDP), "/") + "/" + p.ID
}

// Client makes an app client with the admin password and refresh flows,
// with a generated secret when withSecret; secret is "" otherwise.
func (p Pool) Client(ctx context.Context, name string, withSecret bool) (id, secret string, err error) {
	return p.client(ctx, name, withSecret, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth)
}

// SignInClient makes an app client for people signing in with the public
// calls (USER_PASSWORD_AUTH, as cognitoauth.Config.Public uses) and
// refreshing, with a generated secret when withSecret.
func (p Pool) SignInClient(ctx context.Context, name string, withSecret bool) (id, secret string, err error) {
	return p.client(ctx, name, withSecret, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth)
}

func (p Pool) client(ctx context.Context, name string, withSecret bool, flow types.ExplicitAuthFlowsType) (id, secret string, err error) {
	out, err := p.API.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(p.ID), ClientName: aws.String(name), GenerateSecret: withSecret,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{flow, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		return "", "", fmt.Errorf("create app client %s: %w", name, err)
	}
	if withSecret && aws.ToString(out.UserPoolClient.ClientSecret) == "" {
		return "", "", fmt.Errorf("create app client %s: no secret was generated", name)
	}
	return *out.UserPoolClient.ClientId, aws.ToString(out.UserPoolClient.ClientSecret), nil
}

// Group makes a group.
func (p Pool) Group(ctx context.Context, name string) error {
	if _, err := p.API.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(p.ID), GroupName: aws.String(name)}); err != nil {
		return fmt.Errorf("create group %s: %w", name, err)
	}
	return nil
}

// User makes a confirmed user with a permanent password, in groups (which
// must exist).
func (p Pool) User(ctx context.Context, username, password string, groups ...string) error {
	if _, err := p.API.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(p.ID), Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		return fmt.Errorf("create user %s: %w", username, err)
	}
	if _, err := p.API.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(p.ID), Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return fmt.Errorf("set the password of %s: %w", username, err)
	}
	return p.addToGroups(ctx, username, groups)
}

// InvitedUser makes a user as an invitation does: with a temporary
// password and no permanent one, so it is in FORCE_CHANGE_PASSWORD and its
// first sign-in answers NEW_PASSWORD_REQUIRED.
func (p Pool) InvitedUser(ctx context.Context, username, temporaryPassword string, groups ...string) error {
	if _, err := p.API.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(p.ID), Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String(temporaryPassword),
	}); err != nil {
		return fmt.Errorf("create user %s: %w", username, err)
	}
	return p.addToGroups(ctx, username, groups)
}

// addToGroups adds username to groups (which must exist).
func (p Pool) addToGroups(ctx context.Context, username string, groups []string) error {
	for _, g := range groups {
		if _, err := p.API.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(p.ID), Username: aws.String(username), GroupName: aws.String(g),
		}); err != nil {
			return fmt.Errorf("add %s to %s: %w", username, g, err)
		}
	}
	return nil
}

// SignIn signs username in through app client clientID (one without a
// secret) with ADMIN_USER_PASSWORD_AUTH.
func (p Pool) SignIn(ctx context.Context, clientID, username, password string) (*types.AuthenticationResultType, error) {
	out, err := p.API.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(p.ID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	if err != nil {
		return nil, fmt.Errorf("sign %s in: %w", username, err)
	}
	if out.AuthenticationResult == nil {
		return nil, fmt.Errorf("sign %s in: challenge %q instead of tokens", username, out.ChallengeName)
	}
	return out.AuthenticationResult, nil
}

// Sub returns the Cognito "sub" of username (AdminGetUser).
func (p Pool) Sub(ctx context.Context, username string) (string, error) {
	out, err := p.API.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(p.ID), Username: aws.String(username)})
	if err != nil {
		return "", err
	}
	sub := cognitoauth.SubAttribute(out.UserAttributes)
	if sub == "" {
		return "", fmt.Errorf("user %q has no sub", username)
	}
	return sub, nil
}

// MustSub is Sub, failing tb on an error.
func (p Pool) MustSub(tb testing.TB, username string) string {
	tb.Helper()
	sub, err := p.Sub(context.Background(), username)
	if err != nil {
		tb.Fatal(err)
	}
	return sub
}

// WaitForSecond returns once the clock reads Unix second sec or later. A
// token issued in the second of a sign-out is refused with the earlier
// ones ("iat" has whole seconds, the sign-out is recorded rounded up), so
// a test that signs in again after a sign-out waits for the boundary by
// reading the clock.
func WaitForSecond(sec int64) {
	for target := time.Unix(sec, 0); time.Now().Before(target); {
		time.Sleep(time.Until(target))
	}
}
