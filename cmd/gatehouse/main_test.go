package main

import (
	"os"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS, localservices.CognitoIDP))
}
