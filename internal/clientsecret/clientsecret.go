// Package clientsecret reads an app client's secret from AWS Secrets
// Manager at cold start, for the services that hold a confidential client
// (the portal's sign-in client, the refresh service's partner client), and
// holds it as a Secret, which never prints.
package clientsecret

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
)

// API is the Secrets Manager call Fetch makes; *secretsmanager.Client
// satisfies it.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Timeout bounds one Fetch.
const Timeout = 5 * time.Second

// Fetch returns the secret secretID holds: its string, or the
// "client_secret" member when the string is a JSON object (as CDK stores
// it). Errors name the secret, never its value, and keep only the AWS error
// code of a failed call.
func Fetch(ctx context.Context, api API, secretID string) (Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return Secret{}, fmt.Errorf("reading %s from Secrets Manager: %s", secretID, awserr.Code(err))
	}
	v := aws.ToString(out.SecretString)
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		var obj struct {
			ClientSecret string `json:"client_secret"`
		}
		if json.Unmarshal([]byte(v), &obj) != nil || obj.ClientSecret == "" {
			return Secret{}, fmt.Errorf("secret %s is a JSON object without a string \"client_secret\"", secretID)
		}
		v = obj.ClientSecret
	}
	if strings.TrimSpace(v) == "" {
		return Secret{}, fmt.Errorf("secret %s holds no string value", secretID)
	}
	return New(v), nil
}
