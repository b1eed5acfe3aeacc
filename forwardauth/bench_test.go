package forwardauth_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

// BenchmarkForwardAuth is the handler's own cost per request (header
// conventions, canonical path, metrics, identity headers) around a decider
// that answers at once. The decider's cost is the authorizer's benchmarks';
// the end-to-end figures come from scripts/bench-serve.sh.
func BenchmarkForwardAuth(b *testing.B) {
	for _, c := range []struct{ name, authz string }{{"allow", "Bearer allow"}, {"unauthorized", "Bearer nope"}} {
		b.Run(c.name, func(b *testing.B) {
			fd := &fakeDecider{}
			// Not fd itself: it records every request.
			h, err := forwardauth.New(forwardauth.Config{RequestHeaders: forwardauth.HeadersOriginal, Decider: deciderFunc(func(ctx context.Context, r authorizer.Request) authorizer.Decision {
				return fd.decideOnly(ctx, r)
			})})
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/_gatehouse", nil)
			r.Header.Set(forwardauth.HeaderOriginalMethod, "GET")
			r.Header.Set(forwardauth.HeaderOriginalURI, "/orders/42?page=2")
			r.Header.Set("Authorization", c.authz)
			// A cancelable context, as net/http's server gives each request
			// (httptest's is Background, which nothing can cancel).
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r = r.WithContext(ctx)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 && w.Code != 401 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
