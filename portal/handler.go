package portal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
	"github.com/gatehouse-auth/gatehouse/internal/signin"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// Handler is the portal's HTTP API (see the package documentation and
// openapi.json). It is safe for concurrent use.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	clients *ClientService
	routes  *apigwproxy.Table
	signIn  *signin.Endpoints
}

var _ http.Handler = (*Handler)(nil)

// New checks cfg and returns the portal.
func New(cfg Config) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	routes, err := apigwproxy.NewTable(Routes, cfg.BasePath)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, clients: newClientService(cfg), routes: routes}
	h.signIn = &signin.Endpoints{
		Auth: cfg.Auth, MaxBodyBytes: cfg.MaxBodyBytes, Timeout: cfg.CognitoTimeout,
		Logger: cfg.Logger, Service: "portal", CodeTooLarge: codeTooLarge, CodeInternal: errInternal.Code,
		Username: func(ctx context.Context, idToken string) string {
			if c, err := cfg.SignInVerifier.Verify(ctx, idToken); err == nil {
				return c.Username
			}
			return ""
		},
	}
	return h, nil
}

// clientIDPattern is Cognito's app client id syntax.
var clientIDPattern = regexp.MustCompile(`^[\w+]{1,128}$`)

// Routes are the portal's operations, relative to Config.BasePath. Behind
// API Gateway each must be a resource of its own (not {proxy+}): the
// handler serves a request only when API Gateway's
// requestContext.resourcePath and httpMethod name one of them (see
// apigwproxy.Table.Match).
var Routes = []apigwproxy.Route{
	routeSignIn, routeRespond, routeRefresh, routeSignOut,
	routeListClients, routeCreateClient, routeDeleteClient, routeResetClient,
}

var (
	routeSignIn       = apigwproxy.Route{Method: http.MethodPost, Resource: "/auth/sign-in"}
	routeRespond      = apigwproxy.Route{Method: http.MethodPost, Resource: "/auth/respond"}
	routeRefresh      = apigwproxy.Route{Method: http.MethodPost, Resource: "/auth/refresh"}
	routeSignOut      = apigwproxy.Route{Method: http.MethodPost, Resource: "/auth/sign-out"}
	routeListClients  = apigwproxy.Route{Method: http.MethodGet, Resource: "/clients"}
	routeCreateClient = apigwproxy.Route{Method: http.MethodPost, Resource: "/clients"}
	routeDeleteClient = apigwproxy.Route{Method: http.MethodDelete, Resource: "/clients/{id}"}
	routeResetClient  = apigwproxy.Route{Method: http.MethodPost, Resource: "/clients/{id}/reset"}
)

// ServeHTTP serves Routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &httpjson.StatusRecorder{ResponseWriter: w}
	route := h.serve(rec, r)
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "portal request",
		slog.String("method", r.Method), slog.String("route", route),
		slog.Int("status", rec.Status), slog.Duration("latency", time.Since(start)))
}

// serve dispatches and returns the route's resource for the log.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) string {
	rt, err := h.routes.Match(r)
	var mna *apigwproxy.MethodNotAllowedError
	switch {
	case errors.As(err, &mna):
		w.Header().Set("Allow", strings.Join(mna.Allow, ", "))
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed"})
		return "unknown"
	case err != nil:
		writeError(w, errRouteNotFound)
		return "unknown"
	}
	switch rt {
	case routeSignIn, routeRespond, routeRefresh, routeSignOut:
		switch {
		case h.cfg.Auth == nil:
			writeError(w, errRouteNotFound)
		case rt == routeSignIn:
			h.signIn.SignIn(w, r)
		case rt == routeRespond:
			h.signIn.Respond(w, r)
		case rt == routeSignOut:
			h.signOut(w, r)
		default:
			h.refresh(w, r)
		}
	case routeListClients:
		h.withCaller(w, r, h.listClients)
	case routeCreateClient:
		h.withCaller(w, r, h.createClient)
	case routeDeleteClient:
		h.withClientID(w, r, r.PathValue("id"), h.deleteClient)
	case routeResetClient:
		h.withClientID(w, r, r.PathValue("id"), h.resetClient)
	default:
		writeError(w, errRouteNotFound)
		return "unknown"
	}
	return rt.Resource
}

// caller is an authenticated person allowed to manage API clients.
type caller struct {
	internalID string
	username   string
}

func (h *Handler) withClientID(w http.ResponseWriter, r *http.Request, id string, next func(http.ResponseWriter, *http.Request, caller, string)) {
	if !clientIDPattern.MatchString(id) {
		writeError(w, invalid("id", "id is not an app client id"))
		return
	}
	h.withCaller(w, r, func(w http.ResponseWriter, r *http.Request, c caller) { next(w, r, c, id) })
}

// withCaller authenticates the bearer token and resolves the person, then
// calls next.
func (h *Handler) withCaller(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request, caller)) {
	c, err := h.authenticate(r)
	if err != nil {
		writeError(w, err)
		return
	}
	next(w, r, c)
}

// personToken verifies the request's one bearer token as a person's (not
// a client-credentials token) and returns it with its claims.
func (h *Handler) personToken(r *http.Request) (string, *jwtverify.Claims, *apiError) {
	ctx := r.Context()
	auths := r.Header.Values("Authorization")
	if len(auths) != 1 {
		return "", nil, errUnauthenticated
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(auths[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", nil, errUnauthenticated
	}
	claims, err := h.cfg.Verifier.Verify(ctx, token)
	if err != nil {
		if errors.Is(err, jwtverify.ErrKeysUnavailable) {
			h.log.ErrorContext(ctx, "portal: signing keys unavailable", "reason", jwtverify.Code(err))
			return "", nil, errUnavailable
		}
		h.log.InfoContext(ctx, "portal: token refused", "reason", jwtverify.Code(err))
		return "", nil, errUnauthenticated
	}
	if claims.IsClientCredentials() {
		h.log.InfoContext(ctx, "portal: client-credentials token refused", "client_id", claims.ClientID)
		return "", nil, errClientToken
	}
	if claims.Username == "" {
		return "", nil, errUnauthenticated
	}
	return token, claims, nil
}

func (h *Handler) authenticate(r *http.Request) (caller, *apiError) {
	ctx := r.Context()
	_, claims, aerr := h.personToken(r)
	if aerr != nil {
		return caller{}, aerr
	}
	if !claims.InGroup(h.cfg.ClientsGroup) {
		h.log.InfoContext(ctx, "portal: caller not in the clients group", "username", claims.Username)
		return caller{}, errNotInGroup
	}
	// The pool is the one that verified the token: the portal verifies
	// only the people's pool, so first-use binding records people there.
	u, err := h.cfg.Directory.UserByUsername(ctx, claims.UserPoolID, claims.Username)
	if errors.Is(err, mapping.ErrNotFound) && h.cfg.CreateUsers {
		u, err = h.createUser(ctx, claims.UserPoolID, claims.Username, claims.Subject)
	}
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		h.log.InfoContext(ctx, "portal: person has no mapping", "username", claims.Username)
		return caller{}, errNotRegistered
	case err != nil:
		h.log.ErrorContext(ctx, "portal: mapping lookup failed", "error", err.Error())
		return caller{}, mappingError(err)
	case u.Kind == mapping.KindPartner:
		h.log.InfoContext(ctx, "portal: partner refused", "internal_id", u.InternalID)
		return caller{}, errPartner
	}
	if aerr := h.admit(ctx, u, claims); aerr != nil {
		return caller{}, aerr
	}
	return caller{internalID: u.InternalID, username: u.Username}, nil
}

// admit applies the authorizer's rule (mapping.User.Admits): the token must
// be of the Cognito user the name was bound to, issued since the last
// sign-out.
func (h *Handler) admit(ctx context.Context, u mapping.User, claims *jwtverify.Claims) *apiError {
	err := u.Admits(claims.Subject, claims.IssuedAt)
	if err == nil {
		return nil
	}
	h.log.InfoContext(ctx, "portal: token refused", "internal_id", u.InternalID, "reason", err.Error())
	switch {
	case errors.Is(err, mapping.ErrRebound):
		return errRebound
	case errors.Is(err, mapping.ErrSignedOut):
		return errSignedOut
	default:
		return errUnbound
	}
}

// createUser records a person on first use. A concurrent first call may
// win the race: then its record is read back.
func (h *Handler) createUser(ctx context.Context, pool, username, sub string) (mapping.User, error) {
	u, err := h.cfg.Directory.CreateUser(ctx, "", pool, username, sub, mapping.KindUser)
	if errors.Is(err, mapping.ErrConflict) {
		return h.cfg.Directory.UserByUsername(ctx, pool, username)
	}
	if err == nil {
		h.log.InfoContext(ctx, "portal: person recorded", "internal_id", u.InternalID)
	}
	return u, err
}

// mappingError turns a mapping failure into an answer without detail: the
// ClientService's translation, so that both paths answer alike.
func mappingError(err error) *apiError { return clientsError(storeError(err)) }

func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r, h.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	req, aerr := decodeRefresh(body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.CognitoTimeout)
	defer cancel()
	tokens, err := h.cfg.Auth.Refresh(ctx, req.Username, req.RefreshToken)
	switch {
	case errors.Is(err, cognitoauth.ErrNotAuthorized), errors.Is(err, cognitoauth.ErrRefreshTokenReused):
		h.log.InfoContext(ctx, "portal: refresh refused")
		writeError(w, errBadRefresh)
		return
	case err != nil:
		h.log.ErrorContext(ctx, "portal: refresh failed", "error", err.Error())
		writeError(w, signin.CognitoError(err, errInternal.Code))
		return
	case tokens == nil:
		writeError(w, errInternal)
		return
	}
	writeJSON(w, http.StatusOK, signin.NewTokens(tokens))
}
