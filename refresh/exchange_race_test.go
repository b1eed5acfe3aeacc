package refresh_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

// racingTokens runs during once, inside the first Refresh, before Cognito
// answers it: an operator's revocation (or rotation) landing while an
// exchange that already passed its checks waits for Cognito. Cognito's
// revocation is refused while during runs: Cognito has not processed it
// yet when it mints the exchange's tokens.
type racingTokens struct {
	refresh.TokenService
	once    sync.Once
	during  func()
	mu      sync.Mutex
	holding bool
}

func (r *racingTokens) Refresh(ctx context.Context, username, token string) (*cognitoauth.Tokens, error) {
	r.once.Do(func() {
		r.set(true)
		defer r.set(false)
		r.during()
	})
	return r.TokenService.Refresh(ctx, username, token)
}

func (r *racingTokens) Revoke(ctx context.Context, token string) error {
	r.mu.Lock()
	holding := r.holding
	r.mu.Unlock()
	if holding {
		return errors.New("injected: Cognito has not processed the revocation yet")
	}
	return r.TokenService.Revoke(ctx, token)
}

func (r *racingTokens) set(v bool) {
	r.mu.Lock()
	r.holding = v
	r.mu.Unlock()
}

// TestExchangeRacingRevoke: a partner revoked while its exchange waits for
// Cognito. Cognito mints the tokens after the revocation's sign-out
// second, so the authorizer's iat check would admit them for their whole
// lifetime: the exchange must notice that the credential it checked is no
// longer active and hand out nothing. Same for a rotation. cognito-local's
// Cognito, moto's DynamoDB and KMS.
func TestExchangeRacingRevoke(t *testing.T) {
	for _, op := range []string{"revoke", "rotate"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			lp := newLocalPool(t)
			store := newStore(t)
			tokens, err := cognitoauth.New(cognitoauth.Config{API: testEnv(t).idp, UserPoolID: lp.id, ClientID: lp.partnerClient, ClientSecret: lp.partnerSecret})
			if err != nil {
				t.Fatal(err)
			}
			racing := &racingTokens{TokenService: tokens}
			svc, err := refresh.New(refresh.Config{
				Store: store, Tokens: racing, UserPool: testEnv(t).idp, UserPoolID: lp.id, PartnerClientID: lp.partnerClient,
			})
			if err != nil {
				t.Fatal(err)
			}
			cred, err := svc.Register(ctx, refresh.RegisterInput{PartnerID: "globex"})
			if err != nil {
				t.Fatal(err)
			}
			racing.during = func() {
				switch op {
				case "revoke":
					if _, err := svc.Revoke(ctx, "globex"); !errors.Is(err, refresh.ErrCognitoNotRevoked) {
						t.Errorf("revoke during the exchange: %v", err)
					}
				default:
					if _, err := svc.Rotate(ctx, "globex"); err != nil {
						t.Errorf("rotate during the exchange: %v", err)
					}
				}
				u, err := store.UserByUsername(ctx, lp.id, cred.Partner.CognitoUsername)
				if err != nil || u.SignedOut == 0 {
					t.Fatalf("no sign-out recorded: %+v, %v", u, err)
				}
				// Cognito answers in a later second than the sign-out's.
				userpool.WaitForSecond(u.SignedOut)
			}
			out, err := svc.Exchange(ctx, cred.RefreshToken)
			if !errors.Is(err, refresh.ErrInvalidCredential) {
				t.Fatalf("exchange across a %s: %v, tokens handed out: %t", op, err, out.IDToken != "")
			}
			if p, err := store.Partner(ctx, "globex"); err != nil || (op == "revoke") != (p.Status == mapping.PartnerRevoked) {
				t.Fatalf("partner after the %s: %+v, %v", op, p, err)
			}
		})
	}
}
