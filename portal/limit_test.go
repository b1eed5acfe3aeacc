package portal_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/mapping"
	"github.com/gatehouse-auth/gatehouse/portal"
)

// TestClientLimitUnderConcurrency sends 50 concurrent mixed requests
// (creates, resets, deletes) for one person, several rounds, through the
// portal against moto_server and cognito-local, with a limit of 5. After
// each round: at most 5 clients in the mapping and in Cognito, the same
// set in both (ListUserPoolClients against the mapping), no slot left
// taken and the counter equal to what it counts.
//
// moto does not isolate concurrent TransactWriteItems calls (see
// localservices.SerialHTTP), so when the endpoint is moto the portal's
// DynamoDB requests queue at the endpoint, as the mapping package's race
// tests do; the requests, the portal and the SDK still run concurrently,
// and the limit is held by DynamoDB's conditions, not by the queue.
func TestClientLimitUnderConcurrency(t *testing.T) {
	const limit, requests, rounds = 5, 50, 4
	f := newFixture(t)
	ddb := f.ddb
	if localservices.IsMoto(localservices.DynamoDB) {
		ddb = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
			o.HTTPClient = &localservices.SerialHTTP{Next: awshttp.NewBuildableClient()}
		})
	}
	store, err := mapping.New(mapping.Config{Table: f.store.Table(), DynamoDB: ddb, CacheSize: -1, Timeout: 30 * time.Second})
	must(t, err)
	// Generous timeouts: on a busy machine, with requests queued at moto,
	// compensation that times out is left for the next request to finish
	// (checked below), which is correct but not what this test is about.
	h := f.handler(func(c *portal.Config) {
		c.Directory, c.MaxClientsPerUser = store, limit
		c.CognitoTimeout, c.CompensationTimeout = 30*time.Second, 30*time.Second
	})
	f.person("erin", group)
	token := f.signIn("erin").IDToken
	if r := f.do(h, "GET", "/clients", token, ""); r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	erin, err := f.store.UserByUsername(f.ctx, f.poolID, "erin")
	must(t, err)

	// send is f.do without the bookkeeping that is not safe for
	// concurrent use; the OpenAPI checks are covered elsewhere.
	send := func(method, path string) int {
		req := httptest.NewRequestWithContext(f.ctx, method, path, http.NoBody)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	allowed := map[string][]int{
		"create": {http.StatusCreated, http.StatusConflict}, // 409 client_limit
		"reset":  {http.StatusOK, http.StatusNotFound, http.StatusConflict},
		"delete": {http.StatusNoContent, http.StatusNotFound, http.StatusConflict},
	}
	for range 3 {
		if code := send("POST", "/clients"); code != http.StatusCreated {
			t.Fatalf("setup: create answered %d", code)
		}
	}
	for round := range rounds {
		ids := f.boundClients(erin.InternalID)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var mu sync.Mutex
		tally := map[string]int{}
		for i := range requests {
			op := [...]string{"create", "reset", "create", "reset", "delete"}[i%5]
			// Deletes go to the first of the clients, resets to the others
			// (and to the first when it is the only one), so that not
			// every reset loses to a delete.
			target := "unknown"
			switch {
			case len(ids) == 0:
			case op == "delete" || len(ids) == 1:
				target = ids[0]
			default:
				target = ids[1+rand.IntN(len(ids)-1)]
			}
			wg.Go(func() {
				<-start
				var code int
				switch op {
				case "create":
					code = send("POST", "/clients")
				case "reset":
					code = send("POST", "/clients/"+target+"/reset")
				case "delete":
					code = send("DELETE", "/clients/"+target)
				}
				mu.Lock()
				defer mu.Unlock()
				tally[fmt.Sprintf("%s %d", op, code)]++
				if !slices.Contains(allowed[op], code) {
					t.Errorf("round %d: %s answered %d", round, op, code)
				}
			})
		}
		close(start)
		wg.Wait()
		t.Logf("round %d: %v", round, tally)
		// A slot whose compensation failed (a timeout) is recorded, and
		// the person's next request finishes it.
		if slots, err := f.store.ClientSlots(f.ctx, erin.InternalID); err == nil && len(slots.Pending) > 0 {
			t.Logf("round %d: %d slots recorded for clean-up", round, len(slots.Pending))
			send("GET", "/clients")
		}

		bound, inCognito := f.boundClients(erin.InternalID), f.cognitoClients()
		slices.Sort(bound)
		slices.Sort(inCognito)
		if len(bound) > limit {
			t.Errorf("round %d: %d clients bound, limit %d", round, len(bound), limit)
		}
		if !slices.Equal(bound, inCognito) {
			t.Errorf("round %d: mapping %v, Cognito %v", round, bound, inCognito)
		}
		slots, err := f.store.ClientSlots(f.ctx, erin.InternalID)
		must(t, err)
		if len(slots.Pending) != 0 {
			t.Errorf("round %d: slots still taken: %+v", round, slots.Pending)
		}
		f.checkCounter(erin.InternalID)
		if t.Failed() {
			t.FailNow()
		}
	}
}
