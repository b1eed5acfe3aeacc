package authorizer

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// TestIdentityChecks: a user name admits only tokens of the Cognito user
// (sub) it was bound to, issued since its last sign-out, for people and
// partners alike; client-credentials tokens are bound through their client
// id and unaffected. Real mapping on moto, no cache.
func TestIdentityChecks(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	store := newStore(t, -1)
	pool := is.UserPoolID()
	for _, u := range []struct {
		id, name, sub string
		kind          mapping.Kind
	}{
		{"u-alice", "alice", is.Sub("alice"), mapping.KindUser},
		{"u-zoe", "zoe", "sub-of-the-zoe-deleted-in-cognito", mapping.KindUser},
		{"p-bob", "partner-bob", "sub-of-an-earlier-partner-bob", mapping.KindPartner},
		{"u-leo", "leo", is.Sub("leo"), mapping.KindUser},
		{"u-sam", "sam", is.Sub("sam"), mapping.KindUser},
	} {
		if _, err := store.CreateUser(ctx, u.id, pool, u.name, u.sub, u.kind); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.AddClient(ctx, "u-sam", mapping.Client{ClientID: m2mClient}); err != nil {
		t.Fatal(err)
	}
	// leo was recorded before subs were: no sub on his items.
	for _, k := range []string{"USERNAME#" + pool + "#leo|USERNAME", "USER#u-leo|PROFILE"} {
		pk, sk, _ := strings.Cut(k, "|")
		if _, err := dynamo(t).UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        aws.String(store.Table()),
			Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
			UpdateExpression: aws.String("REMOVE #s"), ExpressionAttributeNames: map[string]string{"#s": "sub"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	// sam signed out everywhere a minute ago.
	now := time.Now()
	if err := store.SignOut(ctx, pool, "sam", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	signedOut := time.Unix(mapping.SignOutSecond(now.Add(-time.Minute)), 0)

	a, err := New(Config{Verifier: newVerifier(t, is, 100), Directory: store})
	if err != nil {
		t.Fatal(err)
	}
	noSub := cognitotest.WithClaims(map[string]any{"sub": nil})
	for _, tt := range []struct {
		name       string
		token      string
		outcome    Outcome
		reason     string
		internalID string
	}{
		{"bound id token", is.IDToken("alice", webClient), OutcomeAllow, ReasonOK, "u-alice"},
		{"bound access token", is.AccessToken("alice", webClient), OutcomeAllow, ReasonOK, "u-alice"},
		{"another sub", is.IDToken("alice", webClient, cognitotest.WithClaims(map[string]any{"sub": is.Sub("mallory")})), OutcomeUnauthorized, ReasonIdentityRebound, ""},
		{"no sub", is.AccessToken("alice", webClient, noSub), OutcomeUnauthorized, "malformed", ""}, // jwtverify requires it
		{"name re-created in Cognito", is.IDToken("zoe", webClient), OutcomeUnauthorized, ReasonIdentityRebound, ""},
		{"partner re-created in Cognito", is.IDToken("partner-bob", partnerClient), OutcomeUnauthorized, ReasonIdentityRebound, ""},
		{"recorded before subs", is.IDToken("leo", webClient), OutcomeUnauthorized, ReasonIdentityUnbound, ""},
		{"issued before sign-out", is.IDToken("sam", webClient, cognitotest.WithTimes(signedOut.Add(-time.Second), time.Hour)), OutcomeUnauthorized, ReasonSignedOut, ""},
		{"access token before sign-out", is.AccessToken("sam", webClient, cognitotest.WithTimes(signedOut.Add(-time.Second), time.Hour)), OutcomeUnauthorized, ReasonSignedOut, ""},
		{"issued in the sign-out's second", is.IDToken("sam", webClient, cognitotest.WithTimes(signedOut, time.Hour)), OutcomeAllow, ReasonOK, "u-sam"},
		{"issued after sign-out", is.IDToken("sam", webClient), OutcomeAllow, ReasonOK, "u-sam"},
		{"no iat after sign-out", is.IDToken("sam", webClient, cognitotest.WithClaims(map[string]any{"iat": nil})), OutcomeUnauthorized, ReasonSignedOut, ""},
		{"a signed-out person's API client", is.ClientCredentialsToken(m2mClient, []string{"orders/read"}), OutcomeAllow, ReasonOK, "u-sam"},
	} {
		d := a.Decide(ctx, Request{Authorization: "Bearer " + tt.token, Method: "GET", Path: "/x"})
		got := ""
		if d.Identity != nil && d.Outcome == OutcomeAllow {
			got = d.Identity.InternalID
		}
		if d.Outcome != tt.outcome || d.Reason != tt.reason || got != tt.internalID {
			t.Errorf("%s: %v %q %q, want %v %q %q", tt.name, d.Outcome, d.Reason, got, tt.outcome, tt.reason, tt.internalID)
		}
	}
}

// fakeClock is the mapping cache's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestSignOutReachesAuthorizer: a sign-out recorded by another process
// (an operator's `gatehouse users sign-out`, the portal) reaches an
// authorizer within its mapping cache's TTL, shown with an injected clock:
// with the cache off it refuses at once; with a 60 s TTL it still admits
// at 59 s and refuses at 61 s. A token issued from the next whole second
// on is admitted.
func TestSignOutReachesAuthorizer(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	writer := newStore(t, -1) // the other process: its writes do not touch the authorizer's cache
	pool := is.UserPoolID()

	for _, tt := range []struct {
		name     string
		ttl      time.Duration
		at       []time.Duration // clock offsets after the sign-out
		outcomes []Outcome
	}{
		{"cache off", -1, []time.Duration{0}, []Outcome{OutcomeUnauthorized}},
		{"60 s TTL", time.Minute, []time.Duration{0, 59 * time.Second, 61 * time.Second}, []Outcome{OutcomeAllow, OutcomeAllow, OutcomeUnauthorized}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "alice-" + strings.ReplaceAll(tt.name, " ", "-")
			if _, err := writer.CreateUser(ctx, "", pool, name, is.Sub(name), mapping.KindUser); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			old := is.IDToken(name, webClient, cognitotest.WithTimes(start.Add(-time.Minute), time.Hour))
			clock := &fakeClock{t: start}
			reader, err := mapping.New(mapping.Config{Table: writer.Table(), DynamoDB: dynamo(t), CacheTTL: tt.ttl, Now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(Config{Verifier: newVerifier(t, is, 100), Directory: reader})
			if err != nil {
				t.Fatal(err)
			}
			if d := a.Decide(ctx, Request{Authorization: old}); d.Outcome != OutcomeAllow {
				t.Fatalf("before the sign-out: %v %s", d.Outcome, d.Reason)
			}
			at := time.Now()
			if err := writer.SignOut(ctx, pool, name, at); err != nil {
				t.Fatal(err)
			}
			for i, off := range tt.at {
				clock.set(start.Add(off))
				d := a.Decide(ctx, Request{Authorization: old})
				if d.Outcome != tt.outcomes[i] || (d.Outcome != OutcomeAllow && d.Reason != ReasonSignedOut) {
					t.Errorf("%v after the sign-out: %v %s, want %v", off, d.Outcome, d.Reason, tt.outcomes[i])
				}
			}
			fresh := is.IDToken(name, webClient, cognitotest.WithTimes(time.Unix(mapping.SignOutSecond(at), 0), time.Hour))
			if d := a.Decide(ctx, Request{Authorization: fresh}); d.Outcome != OutcomeAllow {
				t.Errorf("a sign-in after the sign-out: %v %s", d.Outcome, d.Reason)
			}
		})
	}
}
