package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// MiddlewareOption adds a requirement or a hook to Verifier.Middleware.
type MiddlewareOption func(*middleware) error

type middleware struct {
	v         *Verifier
	scopes    []string
	groups    []string
	onRefusal func(*http.Request, error)
}

// RequireAnyScope requires the token's "scope" to hold at least one of
// scopes (as PoolConfig.Scopes does, for one handler). A refusal is 403 with
// error="insufficient_scope" and scope="<scopes>". Each scope must be an RFC
// 6749 scope-token.
func RequireAnyScope(scopes ...string) MiddlewareOption {
	return func(m *middleware) error {
		if len(scopes) == 0 {
			return errors.New("jwtverify: RequireAnyScope without scopes")
		}
		for _, s := range scopes {
			if !IsScopeToken(s) {
				return fmt.Errorf("jwtverify: RequireAnyScope: %q is not one RFC 6749 scope-token", s)
			}
		}
		m.scopes = append(m.scopes, scopes...)
		return nil
	}
}

// RequireAnyGroup requires the token's "cognito:groups" to hold at least one
// of groups. A refusal is 403 with error="insufficient_scope".
func RequireAnyGroup(groups ...string) MiddlewareOption {
	return func(m *middleware) error {
		if len(groups) == 0 || slices.Contains(groups, "") {
			return errors.New("jwtverify: RequireAnyGroup without groups, or with an empty one")
		}
		m.groups = append(m.groups, groups...)
		return nil
	}
}

// OnRefusal calls f for every refused request, for logs and metrics, with an
// error that wraps the reason (Code(err) names it) and holds no token
// material. f runs before the answer is written and must not write it.
func OnRefusal(f func(r *http.Request, err error)) MiddlewareOption {
	return func(m *middleware) error {
		m.onRefusal = f
		return nil
	}
}

// Middleware returns net/http middleware that takes the request's token with
// BearerToken, verifies it with v and the options' requirements, and calls
// the next handler with the claims in the request context
// (ClaimsFromContext). It answers a refusal itself, by RFC 6750 §3, with a
// WWW-Authenticate: Bearer challenge and never any token material:
//
//	no bearer token                401  Bearer
//	malformed Authorization        400  Bearer error="invalid_request"
//	token refused                  401  Bearer error="invalid_token"
//	group or scope lacking         403  Bearer error="insufficient_scope"[, scope="..."]
//	keys unavailable               503  (the token may be fine: retry later)
//
// Wrap each handler with the requirements it needs:
//
//	readOrders, err := v.Middleware(jwtverify.RequireAnyScope("orders/read"))
//	mux.Handle("GET /orders", readOrders(ordersHandler))
func (v *Verifier) Middleware(opts ...MiddlewareOption) (func(http.Handler) http.Handler, error) {
	m := &middleware{v: v}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := m.verify(r)
			if err != nil {
				m.refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
		})
	}, nil
}

func (m *middleware) verify(r *http.Request) (*Claims, error) {
	tok, err := BearerToken(r.Header)
	if err != nil {
		return nil, err
	}
	c, err := m.v.Verify(r.Context(), tok)
	switch {
	case err != nil:
		return nil, err
	case len(m.groups) > 0 && !slices.ContainsFunc(m.groups, c.InGroup):
		return nil, fmt.Errorf("%w: the handler requires another group", ErrGroup)
	case len(m.scopes) > 0 && !slices.ContainsFunc(m.scopes, c.HasScope):
		return nil, errHandlerScope
	}
	return c, nil
}

func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if m.onRefusal != nil {
		m.onRefusal(r, err)
	}
	status, challenge := http.StatusUnauthorized, `Bearer error="invalid_token"`
	switch {
	case errors.Is(err, ErrNoBearerToken):
		challenge = "Bearer"
	case errors.Is(err, ErrBearerMalformed):
		status, challenge = http.StatusBadRequest, `Bearer error="invalid_request"`
	case errors.Is(err, ErrKeysUnavailable):
		status, challenge = http.StatusServiceUnavailable, ""
	case errors.Is(err, errHandlerScope):
		// Scope-tokens hold no '"' or '\' (RequireAnyScope checked).
		status, challenge = http.StatusForbidden, `Bearer error="insufficient_scope", scope="`+strings.Join(m.scopes, " ")+`"`
	case errors.Is(err, ErrScope), errors.Is(err, ErrGroup):
		status, challenge = http.StatusForbidden, `Bearer error="insufficient_scope"`
	}
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// errHandlerScope is a refusal by RequireAnyScope, whose scopes the
// challenge may name (the pool's are not the handler's business).
var errHandlerScope = fmt.Errorf("%w: the handler requires another scope", ErrScope)

type claimsKey struct{}

// ClaimsFromContext returns the claims Verifier.Middleware put in the request
// context; ok is false outside the middleware.
func ClaimsFromContext(ctx context.Context) (c *Claims, ok bool) {
	c, ok = ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}
