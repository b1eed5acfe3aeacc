package refresh_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// TestMisconfiguration: a KMS key disabled or pending deletion, or a
// missing table, is classified from the error AWS returns as a
// configuration error: 500 configuration_error (not a retryable 503) and
// one error log line naming the key or table. The key's state is moto's
// (DisableKey, ScheduleKeyDeletion); moto 5.2.1 does not refuse
// cryptographic operations on such a key, so KMS is reached through
// localservices.KMSWithAWSErrors, which answers as AWS does.
func TestMisconfiguration(t *testing.T) {
	e := testEnv(t)
	srv := localservices.KMSWithAWSErrors(t)
	awsKMS := kms.NewFromConfig(e.cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx := context.Background()

	for _, tc := range []struct {
		name   string
		break_ func(keyID string) error
	}{
		{"disabled key", func(keyID string) error {
			_, err := e.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &keyID})
			return err
		}},
		{"key pending deletion", func(keyID string) error {
			_, err := e.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &keyID, PendingWindowInDays: aws.Int32(7)})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := e.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gatehouse refresh misconfiguration test")})
			if err != nil {
				t.Fatal(err)
			}
			keyID := *key.KeyMetadata.KeyId
			table := newStore(t).Table()
			store, err := mapping.New(mapping.Config{Table: table, DynamoDB: e.ddb, Keys: keysOf(t, awsKMS, keyID), CacheTTL: -1})
			if err != nil {
				t.Fatal(err)
			}
			f, admin := misconfigFixture(t, store)
			cred := f.register(t, admin, "initech")
			if err := tc.break_(keyID); err != nil {
				t.Fatal(err)
			}
			assertConfigurationError(t, f, func() *httptest.ResponseRecorder { return f.exchange(t, cred.RefreshToken) }, keyID)
			assertConfigurationError(t, f, func() *httptest.ResponseRecorder {
				return f.call(t, "POST", "/partners", admin, `{"partner_id":"hooli"}`)
			}, keyID)
			assertNoSecrets(t, f.logs.String(), cred.RefreshToken, admin)
		})
	}

	t.Run("missing table", func(t *testing.T) {
		table := "refresh-missing-" + strings.ToLower(rand.Text()[:8])
		store, err := mapping.New(mapping.Config{Table: table, DynamoDB: e.ddb, Keys: keysOf(t, e.kms, e.keyID), CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		f, admin := misconfigFixture(t, store)
		assertConfigurationError(t, f, func() *httptest.ResponseRecorder { return f.exchange(t, "some-refresh-token") }, table)
		assertConfigurationError(t, f, func() *httptest.ResponseRecorder { return f.call(t, "GET", "/partners/initech", admin, "") }, table)
	})
}

func misconfigFixture(t *testing.T, store *mapping.Store) (*fixture, string) {
	fc := newFakeCognito(t)
	is, admins := newIssuerVerifier(t, "admin-web")
	f := newFixture(t, fixtureOptions{
		idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID, secret: fc.secret,
		admins: admins, store: store,
	})
	return f, is.IDToken("olga-admin", "admin-web", withGroups(adminGroup))
}

// assertConfigurationError runs one request and checks its answer, and
// that it wrote exactly one error line, naming the resource.
func assertConfigurationError(t *testing.T, f *fixture, do func() *httptest.ResponseRecorder, resource string) {
	t.Helper()
	mark := len(f.logs.String())
	rec := do()
	code, _ := errorCode(t, rec)
	if rec.Code != http.StatusInternalServerError || code != refresh.CodeMisconfigured {
		t.Fatalf("%d %s, want 500 %s", rec.Code, rec.Body, refresh.CodeMisconfigured)
	}
	var errorLines []string
	for line := range strings.SplitSeq(f.logs.String()[mark:], "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			errorLines = append(errorLines, line)
		}
	}
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], resource) {
		t.Fatalf("want one error line naming %s; got %q", resource, errorLines)
	}
}
