package localservices

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// moto 5.2.1 does not isolate concurrent TransactWriteItems calls: it
// deep-copies its tables, checks and applies the items one by one, and on a
// failed condition puts the copy back — which can let two conflicting
// transactions both succeed, or wipe a concurrent winner's items, even
// another test's in another table. DynamoDB serializes conflicting
// transactions. Tests of concurrent writes therefore send their DynamoDB
// requests through SerialHTTP when (and only when) the endpoint is moto:
// the goroutines, the stores and the SDK still run concurrently; only
// moto sees one request at a time.

var (
	motoMu sync.Mutex
	motoIs = map[string]bool{} // by endpoint
)

// IsMoto reports whether s's endpoint answers like moto_server (its
// /moto-api/data.json). It asks once per endpoint and process; call it
// after Require.
func IsMoto(s Service) bool {
	endpoint := Endpoint(s)
	motoMu.Lock()
	defer motoMu.Unlock()
	if is, ok := motoIs[endpoint]; ok {
		return is
	}
	motoIs[endpoint] = askMoto(endpoint)
	return motoIs[endpoint]
}

func askMoto(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	resp, err := http.Get(strings.TrimRight(endpoint, "/") + "/moto-api/data.json")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var v map[string]any
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&v) == nil
}

// SerialHTTP sends one request at a time through Next: Do holds the lock
// until the answer arrives, and moto answers only after it has applied the
// request. Share one SerialHTTP among every client of a test process that
// writes to moto.
type SerialHTTP struct {
	mu   sync.Mutex
	Next aws.HTTPClient
}

// Do sends r once every earlier request has been answered.
func (s *SerialHTTP) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Next.Do(r)
}
