package kmskeys_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/mapping/kmskeys"
)

// What KMS answers, and how its errors are classified, is tested through
// mapping's Sealer against moto (mapping: TestSeal, TestFaultsOnKMS,
// TestMisconfiguration), the way the services use it.
func TestNew(t *testing.T) {
	client := kms.NewFromConfig(aws.Config{Region: "us-east-1"})
	for _, tt := range []struct {
		name  string
		api   kmskeys.KMSAPI
		keyID string
		ok    bool
	}{
		{"client and key", client, "alias/gatehouse", true},
		{"no key", client, "", false},
		{"no client", nil, "alias/gatehouse", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := kmskeys.New(tt.api, tt.keyID)
			if (err == nil) != tt.ok || (k != nil) != tt.ok {
				t.Fatalf("New = %v, %v; want ok = %v", k, err, tt.ok)
			}
		})
	}
}
