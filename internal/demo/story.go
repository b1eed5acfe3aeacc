package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/localservices"
)

// run walks the story, printing each step and what came back. The first
// failing step ends it with an error that names the step.
func run(ctx context.Context, gatehouse string, out io.Writer) error {
	step := func(n int, title string) { fmt.Fprintf(out, "\n== step %d: %s\n", n, title) }

	step(1, "start a local Cognito (cognito-local) on loopback")
	if err := localservices.Start(localservices.CognitoIDP); err != nil {
		return fmt.Errorf("step 1: %w", err)
	}
	endpoint := localservices.Endpoint(localservices.CognitoIDP)
	fmt.Fprintln(out, "   Cognito user-pools API at", endpoint)

	step(2, "create a user pool, an app client and a person")
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("step 2: %w", err)
	}
	idp := cip.NewFromConfig(cfg)
	password := "Demo-" + rand.Text() + "1!" // throwaway, lives only in this process
	pool, client, err := provision(ctx, idp, "alice", password)
	if err != nil {
		return fmt.Errorf("step 2: %w", err)
	}
	fmt.Fprintf(out, "   pool %s, app client %s, user alice\n", pool, client)

	step(3, "alice signs in")
	tokens, err := signIn(ctx, idp, pool, client, "alice", password)
	if err != nil {
		return fmt.Errorf("step 3: %w", err)
	}
	fmt.Fprintln(out, "   received an ID token and an access token")

	issuer := strings.TrimRight(endpoint, "/") + "/" + pool
	flags := []string{"--user-pool-id", pool, "--client-id", client, "--issuer", issuer, "--insecure-http", "--token-use"}
	for i, tc := range []struct {
		name, use, token string
		wantValid        bool
	}{
		{"verify alice's ID token", "id", *tokens.IdToken, true},
		{"verify alice's access token", "access", *tokens.AccessToken, true},
		{"verify a forged ID token (user name changed to mallory)", "id", tamper(*tokens.IdToken), false},
		{"verify the access token where only ID tokens are accepted", "id", *tokens.AccessToken, false},
	} {
		n := 4 + i
		step(n, tc.name)
		args := append(append([]string{"verify"}, flags...), tc.use, "-")
		fmt.Fprintf(out, "   $ %s %s <token\n", gatehouse, strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, gatehouse, args...)
		cmd.Stdin = strings.NewReader(tc.token)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		fmt.Fprint(out, indent(summarise(stdout.Bytes())))
		valid := runErr == nil
		if valid != tc.wantValid {
			return fmt.Errorf("step %d (%s): valid=%v, want %v (%v) %s", n, tc.name, valid, tc.wantValid, runErr, stderr.String())
		}
		if !valid && cmd.ProcessState.ExitCode() != 1 {
			return fmt.Errorf("step %d (%s): exit status %d, want 1 (invalid): %s", n, tc.name, cmd.ProcessState.ExitCode(), stderr.String())
		}
	}
	return nil
}

func provision(ctx context.Context, idp *cip.Client, username, password string) (pool, client string, err error) {
	p, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("gatehouse-demo")})
	if err != nil {
		return "", "", fmt.Errorf("create user pool: %w", err)
	}
	pool = *p.UserPool.Id
	c, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:        aws.String(pool),
		ClientName:        aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		return "", "", fmt.Errorf("create app client: %w", err)
	}
	client = *c.UserPoolClient.ClientId
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(pool), Username: aws.String(username),
		MessageAction: types.MessageActionTypeSuppress,
	}); err != nil {
		return "", "", fmt.Errorf("create user: %w", err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(pool), Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return "", "", fmt.Errorf("set password: %w", err)
	}
	return pool, client, nil
}

func signIn(ctx context.Context, idp *cip.Client, pool, client, username, password string) (*types.AuthenticationResultType, error) {
	res, err := idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(pool),
		ClientId:   aws.String(client),
		AuthFlow:   types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{
			"USERNAME": username,
			"PASSWORD": password,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if res.AuthenticationResult == nil {
		return nil, fmt.Errorf("sign in: challenge %q instead of tokens", res.ChallengeName)
	}
	return res.AuthenticationResult, nil
}

// tamper rewrites the user name in the claims and keeps the signature: what
// a forger would try.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return token
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(bytes.ReplaceAll(claims, []byte(`"alice"`), []byte(`"mallory"`)))
	return strings.Join(parts, ".")
}

// summarise keeps the verdict and the claims a reader cares about.
func summarise(out []byte) string {
	var v struct {
		Valid  bool `json:"valid"`
		Error  *struct{ Code, Message string }
		Claims *struct {
			Username string `json:"username"`
			ClientID string `json:"client_id"`
			TokenUse string `json:"token_use"`
		}
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return string(out)
	}
	s := fmt.Sprintf("valid: %v", v.Valid)
	if v.Error != nil {
		s += fmt.Sprintf(", error: %s (%s)", v.Error.Code, v.Error.Message)
	}
	if v.Valid && v.Claims != nil {
		s += fmt.Sprintf(", username: %s, client_id: %s, token_use: %s", v.Claims.Username, v.Claims.ClientID, v.Claims.TokenUse)
	}
	return s + "\n"
}

func indent(s string) string {
	return "   " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n   ") + "\n"
}
