package localservices_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}

// The SDK finds every stand-in through the standard endpoint variables alone.
func TestServicesAnswerThroughStandardEndpoints(t *testing.T) {
	localservices.Require(t, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []localservices.Service{localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP} {
		if localservices.Endpoint(s) == "" {
			t.Fatalf("no endpoint set for %v", s)
		}
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("DynamoDB: %v", err)
	}
	if _, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Errorf("KMS: %v", err)
	}
	max := int32(10)
	if _, err := cognitoidentityprovider.NewFromConfig(cfg).ListUserPools(ctx, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: &max}); err != nil {
		t.Errorf("Cognito: %v", err)
	}
}
