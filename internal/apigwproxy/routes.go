package apigwproxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Route is one operation: an HTTP method and a resource path in API
// Gateway's syntax, such as /partners/{id}/rotate. Only whole-segment
// parameters are allowed ({name}, never greedy {name+}), so the same path
// is also a net/http ServeMux pattern.
type Route struct {
	Method   string `json:"method"`
	Resource string `json:"resource"`
}

func (rt Route) String() string { return rt.Method + " " + rt.Resource }

// ErrNoRoute: no route of the table names the request.
var ErrNoRoute = errors.New("apigwproxy: no such route")

// MethodNotAllowedError: the resource is in the table, the method is not.
type MethodNotAllowedError struct {
	Allow []string // the resource's methods, sorted
}

func (e *MethodNotAllowedError) Error() string {
	return "apigwproxy: method not allowed; allowed: " + strings.Join(e.Allow, ", ")
}

// Table is a fixed set of routes and the one place that says which request
// is which route, behind API Gateway and in a local net/http server alike.
type Table struct {
	prefix  string
	routes  map[Route]bool
	methods map[string][]string // resource -> methods
	params  map[string][]string // resource -> parameter names
	mux     *http.ServeMux
}

var (
	segmentPattern = regexp.MustCompile(`^(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z0-9._~-]+)$`)
	methodPattern  = regexp.MustCompile(`^[A-Z]+$`)
)

// NewTable checks routes. prefix is the parent resource every route is
// under ("/portal" puts /clients at the resource /portal/clients): it
// prefixes requestContext.resourcePath behind API Gateway and the path
// served by net/http alike. A custom domain's base path mapping is not a
// resource (API Gateway leaves it out of resourcePath): it is no prefix.
func NewTable(routes []Route, prefix string) (*Table, error) {
	if prefix != "" {
		if names, err := resourceParams(prefix); err != nil || len(names) > 0 {
			return nil, fmt.Errorf("apigwproxy: prefix %q must be /segment/... of letters, digits and ._~- only", prefix)
		}
	}
	t := &Table{prefix: prefix, routes: map[Route]bool{}, methods: map[string][]string{}, params: map[string][]string{}, mux: http.NewServeMux()}
	for _, rt := range routes {
		if !methodPattern.MatchString(rt.Method) || rt.Method == http.MethodHead {
			return nil, fmt.Errorf("apigwproxy: route %s: bad method", rt)
		}
		if t.routes[rt] {
			return nil, fmt.Errorf("apigwproxy: route %s twice", rt)
		}
		names, err := resourceParams(rt.Resource)
		if err != nil {
			return nil, fmt.Errorf("apigwproxy: route %s: %w", rt, err)
		}
		t.routes[rt] = true
		if _, ok := t.methods[rt.Resource]; !ok {
			// Like API Gateway, pick the resource by path alone, then the
			// method: GET /partners/token is the resource /partners/token
			// (405), not GET /partners/{id}.
			resource := rt.Resource
			t.mux.HandleFunc(prefix+resource, func(_ http.ResponseWriter, r *http.Request) {
				if m, ok := r.Context().Value(matchKey{}).(*localMatch); ok {
					m.resource, m.req = resource, r
				}
			})
		}
		t.methods[rt.Resource] = append(t.methods[rt.Resource], rt.Method)
		slices.Sort(t.methods[rt.Resource])
		t.params[rt.Resource] = names
	}
	return t, nil
}

func resourceParams(resource string) ([]string, error) {
	if !strings.HasPrefix(resource, "/") || resource == "/" {
		return nil, errors.New("resource must start with / and name a segment")
	}
	var names []string
	for seg := range strings.SplitSeq(resource[1:], "/") {
		if !segmentPattern.MatchString(seg) {
			return nil, fmt.Errorf("bad segment %q", seg)
		}
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			if slices.Contains(names, name) {
				return nil, fmt.Errorf("parameter %q twice", name)
			}
			names = append(names, name)
		}
	}
	return names, nil
}

// Routes returns the table's routes, sorted by resource then method.
func (t *Table) Routes() []Route {
	out := make([]Route, 0, len(t.routes))
	for rt := range t.routes {
		out = append(out, rt)
	}
	slices.SortFunc(out, func(a, b Route) int {
		return strings.Compare(a.Resource+" "+a.Method, b.Resource+" "+b.Method)
	})
	return out
}

// Match returns the route r names and sets r's path values (r.PathValue).
//
// Behind API Gateway (r built by this package's adapter) the route is the
// event's httpMethod and requestContext.resourcePath (under the prefix) —
// the resource API Gateway matched, whose method settings (throttles)
// applied — and path values come from pathParameters. The request path is not read: a path
// that API Gateway routed elsewhere (to {proxy+}, say) never becomes
// another resource's route here, however it is spelled.
//
// Otherwise (a local net/http server) the route is what a ServeMux of the
// table's patterns matches on the request path.
//
// The error is ErrNoRoute or a *MethodNotAllowedError.
func (t *Table) Match(r *http.Request) (Route, error) {
	if ev := eventOf(r.Context()); ev != nil {
		resource, ok := strings.CutPrefix(ev.RequestContext.ResourcePath, t.prefix)
		if !ok {
			return Route{}, ErrNoRoute
		}
		return t.matchResource(r, r.Method, resource, ev.PathParameters)
	}
	m := &localMatch{}
	probe := r.WithContext(context.WithValue(r.Context(), matchKey{}, m))
	t.mux.ServeHTTP(&probeWriter{header: http.Header{}}, probe)
	if m.req == nil {
		return Route{}, ErrNoRoute // not found, or a redirect to a cleaned path
	}
	values := map[string]string{}
	for _, name := range t.params[m.resource] {
		values[name] = m.req.PathValue(name)
	}
	return t.matchResource(r, r.Method, m.resource, values)
}

func (t *Table) matchResource(r *http.Request, method, resource string, params map[string]string) (Route, error) {
	methods, ok := t.methods[resource]
	if !ok {
		return Route{}, ErrNoRoute
	}
	rt := Route{Method: method, Resource: resource}
	if !t.routes[rt] {
		return Route{}, &MethodNotAllowedError{Allow: methods}
	}
	for _, name := range t.params[resource] {
		v := params[name]
		// API Gateway fills a {name} parameter with one non-empty segment.
		if v == "" || strings.Contains(v, "/") {
			return Route{}, ErrNoRoute
		}
		r.SetPathValue(name, v)
	}
	return rt, nil
}

type matchKey struct{}

type localMatch struct {
	resource string
	req      *http.Request
}

// probeWriter discards what ServeMux answers when nothing matches.
type probeWriter struct{ header http.Header }

func (w *probeWriter) Header() http.Header         { return w.header }
func (w *probeWriter) WriteHeader(int)             {}
func (w *probeWriter) Write(p []byte) (int, error) { return len(p), nil }
