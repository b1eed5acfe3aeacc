package apigwproxy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
)

var testRoutes = []apigwproxy.Route{
	{Method: "POST", Resource: "/partners"},
	{Method: "POST", Resource: "/partners/token"},
	{Method: "GET", Resource: "/partners/{id}"},
	{Method: "DELETE", Resource: "/partners/{id}"},
	{Method: "POST", Resource: "/partners/{id}/rotate"},
}

func TestNewTableRejects(t *testing.T) {
	for _, routes := range [][]apigwproxy.Route{
		{{Method: "get", Resource: "/a"}},
		{{Method: "HEAD", Resource: "/a"}},
		{{Method: "GET", Resource: "a"}},
		{{Method: "GET", Resource: "/"}},
		{{Method: "GET", Resource: "/a/"}},
		{{Method: "GET", Resource: "/{proxy+}"}},
		{{Method: "GET", Resource: "/a//b"}},
		{{Method: "GET", Resource: "/{id}/{id}"}},
		{{Method: "GET", Resource: "/a"}, {Method: "GET", Resource: "/a"}},
	} {
		if _, err := apigwproxy.NewTable(routes, ""); err == nil {
			t.Errorf("NewTable(%v) accepted", routes)
		}
	}
	for _, prefix := range []string{"/base/", "base", "/", "/a b", "/{id}", "/a//b"} {
		if _, err := apigwproxy.NewTable(testRoutes, prefix); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
}

// match runs Match as the handler would see it: behind the adapter (ev
// non-nil) or served by net/http.
func match(t *testing.T, tbl *apigwproxy.Table, method, target string, ev *events.APIGatewayProxyRequest) (apigwproxy.Route, string, error) {
	t.Helper()
	var rt apigwproxy.Route
	var id string
	var err error
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		rt, err = tbl.Match(r)
		id = r.PathValue("id")
	})
	if ev == nil {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
		return rt, id, err
	}
	if _, lerr := apigwproxy.Handler(h)(context.Background(), *ev); lerr != nil {
		t.Fatal(lerr)
	}
	return rt, id, err
}

func TestMatchLocal(t *testing.T) {
	tbl, err := apigwproxy.NewTable(testRoutes, "/base")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		want           apigwproxy.Route
		id             string
		err            error
		allow          []string
	}{
		{"POST", "/base/partners/token", testRoutes[1], "", nil, nil},
		{"POST", "/base/partners/%74oken", testRoutes[1], "", nil, nil}, // locally the canonical path decides
		{"GET", "/base/partners/p1", testRoutes[2], "p1", nil, nil},
		{"GET", "/base/partners/a%2Fb", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil}, // as behind API Gateway: a parameter is one segment
		{"POST", "/base/partners/p1/rotate", testRoutes[4], "p1", nil, nil},
		{"GET", "/base/partners/token", apigwproxy.Route{}, "", nil, []string{"POST"}}, // the resource first, as API Gateway does
		{"HEAD", "/base/partners/p1", apigwproxy.Route{}, "", nil, []string{"DELETE", "GET"}},
		{"PUT", "/base/partners", apigwproxy.Route{}, "", nil, []string{"POST"}},
		{"POST", "/partners/token", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"POST", "/base/partners/token/", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"POST", "/base//partners/token", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"POST", "/base/Partners/Token", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"POST", "/base/partners/x/../token", apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rt, id, err := match(t, tbl, tt.method, tt.target, nil)
			checkMatch(t, rt, id, err, tt.want, tt.id, tt.err, tt.allow)
		})
	}
}

func checkMatch(t *testing.T, rt apigwproxy.Route, id string, err error, want apigwproxy.Route, wantID string, wantErr error, allow []string) {
	t.Helper()
	var mna *apigwproxy.MethodNotAllowedError
	switch {
	case allow != nil:
		if !errors.As(err, &mna) || !slices.Equal(mna.Allow, allow) {
			t.Errorf("err %v, want 405 allowing %v", err, allow)
		}
	case wantErr != nil:
		if !errors.Is(err, wantErr) {
			t.Errorf("err %v, want %v", err, wantErr)
		}
	case err != nil || rt != want || id != wantID:
		t.Errorf("got %v id %q err %v, want %v id %q", rt, id, err, want, wantID)
	}
}

// Behind the adapter only httpMethod, requestContext.resourcePath and
// pathParameters decide; the path is never read. (Nothing here emulates
// API Gateway's routing: each event states what API Gateway matched.)
func TestMatchEvent(t *testing.T) {
	tbl, err := apigwproxy.NewTable(testRoutes, "/base")
	if err != nil {
		t.Fatal(err)
	}
	// The table is under the parent resource /base: resourcePath carries it.
	ev := func(method, path, resource string, params map[string]string) *events.APIGatewayProxyRequest {
		if resource != "" {
			resource = "/base" + resource
		}
		return &events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Resource: resource, PathParameters: params,
			RequestContext: events.APIGatewayProxyRequestContext{ResourcePath: resource, HTTPMethod: method}}
	}
	tests := []struct {
		name  string
		ev    *events.APIGatewayProxyRequest
		want  apigwproxy.Route
		id    string
		err   error
		allow []string
	}{
		{"exchange", ev("POST", "/partners/token", "/partners/token", nil), testRoutes[1], "", nil, nil},
		{"not under the prefix", &events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/base/partners/token", Resource: "/partners/token",
			RequestContext: events.APIGatewayProxyRequestContext{ResourcePath: "/partners/token"}}, apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"prefix alone", ev("POST", "/base", "/", nil), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"encoded, to proxy", ev("POST", "/partners/%74oken", "/{proxy+}", map[string]string{"proxy": "partners/%74oken"}), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"exact path, to proxy", ev("POST", "/partners/token", "/{proxy+}", map[string]string{"proxy": "partners/token"}), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"no resourcePath", ev("POST", "/partners/token", "", nil), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"path of another route", ev("GET", "/partners/token", "/partners/{id}", map[string]string{"id": "token"}), testRoutes[2], "token", nil, nil},
		{"param missing", ev("GET", "/partners/x", "/partners/{id}", nil), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"param with slash", ev("GET", "/partners/a/b", "/partners/{id}", map[string]string{"id": "a/b"}), apigwproxy.Route{}, "", apigwproxy.ErrNoRoute, nil},
		{"method", ev("GET", "/partners/token", "/partners/token", nil), apigwproxy.Route{}, "", nil, []string{"POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, id, err := match(t, tbl, "", "", tt.ev)
			checkMatch(t, rt, id, err, tt.want, tt.id, tt.err, tt.allow)
		})
	}
}

// Behind the adapter, whatever the event holds, a matched route is exactly
// the event's httpMethod and resourcePath, and its path values are the
// event's pathParameters.
func FuzzMatchEvent(f *testing.F) {
	f.Add("POST", "/partners/token", "/partners/token", "id", "x")
	f.Add("POST", "/partners/%74oken", "/{proxy+}", "proxy", "partners/%74oken")
	f.Add("GET", "/partners/token", "/partners/{id}", "id", "token")
	f.Add("DELETE", "//partners/x/", "/partners/{id}", "id", "a/b")
	tbl, err := apigwproxy.NewTable(testRoutes, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, resource, param, value string) {
		ev := &events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Resource: resource,
			PathParameters: map[string]string{param: value},
			RequestContext: events.APIGatewayProxyRequestContext{ResourcePath: resource}}
		var rt apigwproxy.Route
		var id string
		var merr error
		ran := false
		h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			ran = true
			rt, merr = tbl.Match(r)
			id = r.PathValue("id")
		})
		if _, err := apigwproxy.Handler(h)(context.Background(), *ev); err != nil {
			t.Fatal(err)
		}
		if !ran || merr != nil {
			return
		}
		if rt.Method != method || rt.Resource != resource || !slices.Contains(testRoutes, rt) {
			t.Fatalf("event %s %s matched %v", method, resource, rt)
		}
		if want := ev.PathParameters["id"]; strings.Contains(resource, "{id}") && id != want {
			t.Fatalf("id %q, want %q", id, want)
		}
	})
}

// The two forms agree: a route's canonical path, served by net/http,
// matches the same route and path values as an event naming that route's
// resource with those pathParameters. (Values equal to a literal segment of
// the table, or dot segments, name another resource in both API Gateway
// and ServeMux, and are skipped.)
func FuzzLocalAgreesWithEvent(f *testing.F) {
	f.Add(uint8(2), "p1")
	f.Add(uint8(4), "a b")
	f.Add(uint8(3), "%74oken")
	f.Add(uint8(2), "é?#")
	tbl, err := apigwproxy.NewTable(testRoutes, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, i uint8, v string) {
		rt := testRoutes[int(i)%len(testRoutes)]
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\x00") || !utf8.ValidString(v) || v == "token" || v == "partners" || v == "rotate" {
			t.Skip()
		}
		target := strings.ReplaceAll(rt.Resource, "{id}", url.PathEscape(v))
		ev := &events.APIGatewayProxyRequest{HTTPMethod: rt.Method, Path: target, Resource: rt.Resource,
			RequestContext: events.APIGatewayProxyRequestContext{ResourcePath: rt.Resource}}
		if strings.Contains(rt.Resource, "{id}") {
			ev.PathParameters = map[string]string{"id": v}
		}
		localRoute, localID, localErr := match(t, tbl, rt.Method, target, nil)
		eventRoute, eventID, eventErr := match(t, tbl, "", "", ev)
		if localErr != nil || eventErr != nil || localRoute != rt || eventRoute != rt || localID != eventID {
			t.Fatalf("%s with %q: local %v %q %v, event %v %q %v", rt, v, localRoute, localID, localErr, eventRoute, eventID, eventErr)
		}
	})
}
