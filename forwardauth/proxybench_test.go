package forwardauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// upstreamStub answers every proxied request at once, so the benchmark
// measures the proxy mode's own cost (decision, Rewrite, header work),
// not a network hop.
type upstreamStub struct{}

func (upstreamStub) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
}

// BenchmarkProxyMode is proxy mode's own cost per allowed request around a
// decider that answers at once and an upstream that answers in process.
func BenchmarkProxyMode(b *testing.B) {
	fd := &fakeDecider{}
	up, _ := url.Parse("http://upstream.invalid")
	h, err := forwardauth.New(forwardauth.Config{Upstream: up, Transport: upstreamStub{}, Decider: deciderFunc(func(ctx context.Context, r authorizer.Request) authorizer.Decision {
		return fd.decideOnly(ctx, r)
	})})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/orders/42?page=2", nil)
	r.Header.Set("Authorization", "Bearer allow")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
