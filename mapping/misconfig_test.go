package mapping_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// A missing table, or a KMS key that is missing, disabled or pending
// deletion, is ErrMisconfigured naming the table or key, read from the
// error AWS returns — not ErrUnavailable, which a caller would retry. The
// table and the keys are moto's (DisableKey, ScheduleKeyDeletion); moto
// 5.2.1 does not refuse cryptographic operations on such keys, so KMS is
// reached through localservices.KMSWithAWSErrors, which adds AWS's answers.
func TestMisconfiguration(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	e := testEnv(t)
	kmsSrv := localservices.KMSWithAWSErrors(t)
	awsKMS := kmsAt(t, kmsSrv.URL)

	t.Run("missing table", func(t *testing.T) {
		t.Parallel()
		st, err := mapping.New(mapping.Config{Table: "gatehouse-test-no-such-table", DynamoDB: e.ddb, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.UserByUsername(ctx, testPool, "alice")
		assertMisconfigured(t, err, `table "gatehouse-test-no-such-table"`)
		_, err = st.CreateUser(ctx, "", testPool, "alice", "sub-alice", mapping.KindUser)
		assertMisconfigured(t, err, `table "gatehouse-test-no-such-table"`)
	})

	for _, tc := range []struct {
		name   string
		break_ func(ctx context.Context, keyID string) error
	}{
		{"disabled key", func(ctx context.Context, keyID string) error {
			_, err := e.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &keyID})
			return err
		}},
		{"key pending deletion", func(ctx context.Context, keyID string) error {
			_, err := e.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &keyID, PendingWindowInDays: aws.Int32(7)})
			return err
		}},
		{"missing key", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keyID := "alias/gatehouse-test-no-such-key"
			var sealed mapping.Sealed
			if tc.break_ != nil {
				key, err := e.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gatehouse misconfiguration test")})
				if err != nil {
					t.Fatal(err)
				}
				keyID = *key.KeyMetadata.KeyId
				good, _ := newStore(t, func(c *mapping.Config) { c.Keys = keysOf(t, e.kms, keyID) })
				if sealed, err = good.SealPartnerToken(ctx, "p-1", []byte("refresh-token")); err != nil {
					t.Fatal(err)
				}
				if err := tc.break_(ctx, keyID); err != nil {
					t.Fatal(err)
				}
			}
			st, _ := newStore(t, func(c *mapping.Config) { c.Keys = keysOf(t, awsKMS, keyID) })
			s, err := st.SealPartnerToken(ctx, "p-1", []byte("refresh-token"))
			if s != nil {
				t.Fatal("sealed with a broken key")
			}
			assertMisconfigured(t, err, keyID)
			if sealed != nil {
				plain, err := st.OpenPartnerToken(ctx, mapping.Partner{PartnerID: "p-1", SealedRefreshToken: sealed})
				if plain != nil {
					t.Fatal("opened with a broken key")
				}
				assertMisconfigured(t, err, keyID)
			}
		})
	}
}

func assertMisconfigured(t *testing.T, err error, names string) {
	t.Helper()
	if !errors.Is(err, mapping.ErrMisconfigured) || errors.Is(err, mapping.ErrUnavailable) || !strings.Contains(err.Error(), names) {
		t.Fatalf("err = %v; want ErrMisconfigured (not ErrUnavailable) naming %s", err, names)
	}
}
