package refresh_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// Rotation tests run against fakeCognito (an in-process issuer): no local
// stand-in implements GetTokensFromRefreshToken. DynamoDB and KMS are
// moto_server's.

func newRotationFixture(t *testing.T) (*fixture, *fakeCognito, string) {
	t.Helper()
	fc := newFakeCognito(t)
	is, admins := newIssuerVerifier(t, "admin-web")
	f := newFixture(t, fixtureOptions{
		idp: fc.client(), poolID: fc.issuer.UserPoolID(), partnerClient: fc.clientID, secret: fc.secret,
		rotation: true, admins: admins,
	})
	f.adminIssuer = is
	return f, fc, is.IDToken("olga-admin", "admin-web", withGroups(adminGroup))
}

func storedToken(t *testing.T, s *mapping.Store, partnerID string) (mapping.Partner, string) {
	t.Helper()
	p, err := s.Partner(context.Background(), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.OpenPartnerToken(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return p, string(tok)
}

func TestRotatingExchange(t *testing.T) {
	f, fc, admin := newRotationFixture(t)
	cred := f.register(t, admin, "globex")
	seen := []string{cred.RefreshToken, fc.secret, admin}

	token := cred.RefreshToken
	for i := range 3 {
		rec := f.exchange(t, token)
		if rec.Code != http.StatusOK {
			t.Fatalf("exchange %d: %d %s", i, rec.Code, rec.Body)
		}
		var tr refresh.TokenResponse
		decodeBody(t, rec, &tr)
		if tr.RefreshToken == "" || tr.RefreshToken == token || tr.IDToken == "" {
			t.Fatalf("exchange %d returned no new refresh token", i)
		}
		seen = append(seen, tr.RefreshToken, tr.IDToken, tr.AccessToken)
		if rec := f.exchange(t, token); rec.Code != http.StatusUnauthorized {
			t.Fatalf("the rotated-away token: %d", rec.Code)
		}
		p, stored := storedToken(t, f.store, "globex")
		if stored != tr.RefreshToken || p.Version != int64(i+2) {
			t.Fatalf("store holds version %d and another token", p.Version)
		}
		token = tr.RefreshToken
	}

	// Rotate (administrators) in rotation mode: a new sign-in, the old
	// token revoked at Cognito.
	rec := f.call(t, "POST", "/partners/globex/rotate", admin, "{}")
	if rec.Code != http.StatusOK {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	var rotated refresh.CredentialView
	decodeBody(t, rec, &rotated)
	seen = append(seen, rotated.RefreshToken)
	if !slices.Contains(fc.revokedTokens(), token) {
		t.Error("the previous token was not revoked at Cognito")
	}
	if rec := f.exchange(t, token); rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange of the token before rotation: %d", rec.Code)
	}
	if rec := f.exchange(t, rotated.RefreshToken); rec.Code != http.StatusOK {
		t.Fatalf("exchange after rotation: %d %s", rec.Code, rec.Body)
	}
	seen = append(seen, f.passwords.all()...)
	assertNoSecrets(t, f.logs.String(), seen...)
}

// TestRotatingReuse: Cognito says the stored copy was already used. 401,
// a warning, and the partner stays active (see the package documentation
// for why it is not marked compromised).
func TestRotatingReuse(t *testing.T) {
	f, fc, admin := newRotationFixture(t)
	cred := f.register(t, admin, "initech")
	fc.useOutOfBand(cred.RefreshToken)
	rec := f.exchange(t, cred.RefreshToken)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("exchange of a reused token: %d %s", rec.Code, rec.Body)
	}
	if _, msg := errorCode(t, rec); msg != refresh.MessageInvalidCredential {
		t.Errorf("message %q", msg)
	}
	if !strings.Contains(f.logs.String(), "reuse") {
		t.Error("no warning about the reuse in the logs")
	}
	if p, _ := storedToken(t, f.store, "initech"); p.Status != mapping.PartnerActive {
		t.Errorf("status %s", p.Status)
	}
	assertNoSecrets(t, f.logs.String(), cred.RefreshToken, fc.secret)
}

// TestConcurrentExchanges: N exchanges of one token at once. Exactly one
// succeeds with a new token, the others get 401, and the store holds
// exactly the winner's token. With a grace period every exchange gets a
// new token from Cognito and the version check decides (the losers' tokens
// are revoked); without, Cognito refuses all but the first.
func TestConcurrentExchanges(t *testing.T) {
	const n = 6
	for _, grace := range []bool{true, false} {
		name := map[bool]string{true: "grace period", false: "strict reuse"}[grace]
		t.Run(name, func(t *testing.T) {
			f, fc, admin := newRotationFixture(t)
			fc.grace = grace
			cred := f.register(t, admin, "umbrella")
			fc.holdRefreshes(n)

			var wg sync.WaitGroup
			codes := make([]int, n)
			winners := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rec := f.exchange(t, cred.RefreshToken)
					codes[i] = rec.Code
					if rec.Code == http.StatusOK {
						var tr refresh.TokenResponse
						decodeBody(t, rec, &tr)
						winners[i] = tr.RefreshToken
					}
				}()
			}
			wg.Wait()
			var ok []string
			for i, c := range codes {
				switch c {
				case http.StatusOK:
					ok = append(ok, winners[i])
				case http.StatusUnauthorized:
				default:
					t.Errorf("exchange %d: status %d\n%s", i, c, f.logs)
				}
			}
			if len(ok) != 1 || ok[0] == "" {
				t.Fatalf("%d exchanges succeeded (codes %v), want exactly 1\n%s", len(ok), codes, f.logs)
			}
			_, stored := storedToken(t, f.store, "umbrella")
			if stored != ok[0] {
				t.Fatal("the store does not hold the winner's token")
			}
			revoked := fc.revokedTokens()
			if slices.Contains(revoked, ok[0]) {
				t.Fatal("the winner's token was revoked")
			}
			if grace && len(revoked) != n-1 {
				t.Errorf("%d losers' tokens revoked, want %d", len(revoked), n-1)
			}
			if rec := f.exchange(t, ok[0]); rec.Code != http.StatusOK {
				t.Fatalf("the winner's token: %d %s", rec.Code, rec.Body)
			}
			assertNoSecrets(t, f.logs.String(), append(revoked, cred.RefreshToken, ok[0], fc.secret)...)
		})
	}
}

// TestRegisterCleanup: a registration failing after the Cognito user was
// created (the internal id is taken) leaves nothing behind: the user is
// deleted, its refresh token revoked, no partner record.
func TestRegisterCleanup(t *testing.T) {
	f, fc, admin := newRotationFixture(t)
	f.register(t, admin, "first")
	p, _ := storedToken(t, f.store, "first")
	rec := f.call(t, "POST", "/partners", admin, `{"partner_id":"second","internal_id":"`+p.InternalID+`"}`)
	if rec.Code != http.StatusConflict {
		t.Fatalf("register over a taken internal id: %d %s", rec.Code, rec.Body)
	}
	fc.mu.Lock()
	_, exists := fc.users["partner-second"]
	fc.mu.Unlock()
	if exists {
		t.Error("the Cognito user of the failed registration remains")
	}
	if len(fc.revokedTokens()) != 1 {
		t.Errorf("%d tokens revoked, want the failed registration's", len(fc.revokedTokens()))
	}
	if _, err := f.store.Partner(context.Background(), "second"); err == nil {
		t.Error("a partner record remains")
	}
	// The name is free again.
	f.register(t, admin, "second")
}
