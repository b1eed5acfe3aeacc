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
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// Handler is the portal's HTTP API (see the package documentation and
// openapi.json). It is safe for concurrent use.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	clients *ClientService
}

var _ http.Handler = (*Handler)(nil)

// New checks cfg and returns the portal.
func New(cfg Config) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, log: cfg.Logger, clients: newClientService(cfg)}, nil
}

// clientIDPattern is Cognito's app client id syntax.
var clientIDPattern = regexp.MustCompile(`^[\w+]{1,128}$`)

// route is one documented operation.
type route struct {
	method, pattern string
}

// ServeHTTP routes a request. The routes, relative to Config.BasePath:
//
//	POST   /auth/sign-in
//	POST   /auth/refresh
//	GET    /clients
//	POST   /clients
//	DELETE /clients/{id}
//	POST   /clients/{id}/reset
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	op, status := h.serve(rec, r)
	if status == 0 {
		status = rec.status
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "portal request",
		slog.String("method", r.Method), slog.String("route", op.pattern),
		slog.Int("status", status), slog.Duration("latency", time.Since(start)))
}

func (h *Handler) serve(w *statusRecorder, r *http.Request) (route, int) {
	path, ok := strings.CutPrefix(r.URL.Path, h.cfg.BasePath)
	if !ok || (path != "" && path[0] != '/') {
		writeError(w, errRouteNotFound)
		return route{r.Method, "unknown"}, 0
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if strings.HasSuffix(path, "/") && path != "/" {
		segs = append(segs, "") // "/clients/" is not "/clients"
	}
	allow := func(methods ...string) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed"})
		return false
	}
	switch {
	case len(segs) == 2 && segs[0] == "auth" && segs[1] == "sign-in":
		op := route{r.Method, "/auth/sign-in"}
		if h.cfg.Auth == nil {
			writeError(w, errRouteNotFound)
		} else if allow(http.MethodPost) {
			h.signIn(w, r)
		}
		return op, 0
	case len(segs) == 2 && segs[0] == "auth" && segs[1] == "refresh":
		op := route{r.Method, "/auth/refresh"}
		if h.cfg.Auth == nil {
			writeError(w, errRouteNotFound)
		} else if allow(http.MethodPost) {
			h.refresh(w, r)
		}
		return op, 0
	case len(segs) == 1 && segs[0] == "clients":
		op := route{r.Method, "/clients"}
		if allow(http.MethodGet, http.MethodPost) {
			if r.Method == http.MethodGet {
				h.withCaller(w, r, h.listClients)
			} else {
				h.withCaller(w, r, h.createClient)
			}
		}
		return op, 0
	case len(segs) == 2 && segs[0] == "clients":
		op := route{r.Method, "/clients/{id}"}
		if allow(http.MethodDelete) {
			h.withClientID(w, r, segs[1], h.deleteClient)
		}
		return op, 0
	case len(segs) == 3 && segs[0] == "clients" && segs[2] == "reset":
		op := route{r.Method, "/clients/{id}/reset"}
		if allow(http.MethodPost) {
			h.withClientID(w, r, segs[1], h.resetClient)
		}
		return op, 0
	}
	writeError(w, errRouteNotFound)
	return route{r.Method, "unknown"}, 0
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

func (h *Handler) authenticate(r *http.Request) (caller, *apiError) {
	ctx := r.Context()
	auths := r.Header.Values("Authorization")
	if len(auths) != 1 {
		return caller{}, errUnauthenticated
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(auths[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, errUnauthenticated
	}
	claims, err := h.cfg.Verifier.Verify(ctx, token)
	if err != nil {
		if errors.Is(err, jwtverify.ErrKeysUnavailable) {
			h.log.ErrorContext(ctx, "portal: signing keys unavailable", "reason", jwtverify.Code(err))
			return caller{}, errUnavailable
		}
		h.log.InfoContext(ctx, "portal: token refused", "reason", jwtverify.Code(err))
		return caller{}, errUnauthenticated
	}
	if claims.IsClientCredentials() {
		h.log.InfoContext(ctx, "portal: client-credentials token refused", "client_id", claims.ClientID)
		return caller{}, errClientToken
	}
	if claims.Username == "" {
		return caller{}, errUnauthenticated
	}
	if !claims.InGroup(h.cfg.ClientsGroup) {
		h.log.InfoContext(ctx, "portal: caller not in the clients group", "username", claims.Username)
		return caller{}, errNotInGroup
	}
	// The pool is the one that verified the token: the portal verifies
	// only the people's pool, so first-use binding records people there.
	u, err := h.cfg.Directory.UserByUsername(ctx, claims.UserPoolID, claims.Username)
	if errors.Is(err, mapping.ErrNotFound) && h.cfg.CreateUsers {
		u, err = h.createUser(ctx, claims.UserPoolID, claims.Username)
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
	return caller{internalID: u.InternalID, username: u.Username}, nil
}

// createUser records a person on first use. A concurrent first call may
// win the race: then its record is read back.
func (h *Handler) createUser(ctx context.Context, pool, username string) (mapping.User, error) {
	u, err := h.cfg.Directory.CreateUser(ctx, "", pool, username, mapping.KindUser)
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

// tokensResponse is what sign-in and refresh return.
type tokensResponse struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
	Username     string `json:"username,omitempty"`
}

type challengeResponse struct {
	Challenge struct {
		Name       string            `json:"name"`
		Session    string            `json:"session"`
		Parameters map[string]string `json:"parameters,omitempty"`
	} `json:"challenge"`
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r, h.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	req, aerr := decodeSignIn(body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.CognitoTimeout)
	defer cancel()
	tokens, challenge, err := h.cfg.Auth.SignIn(ctx, req.Username, req.Password)
	switch {
	case errors.Is(err, cognitoauth.ErrNotAuthorized):
		// The user name is not logged: people type passwords into it.
		h.log.InfoContext(ctx, "portal: sign-in refused")
		writeError(w, errNotAuthorized)
		return
	case err != nil:
		h.log.ErrorContext(ctx, "portal: sign-in failed", "error", err.Error())
		writeError(w, cognitoError(err))
		return
	case challenge != nil:
		var resp challengeResponse
		resp.Challenge.Name, resp.Challenge.Session, resp.Challenge.Parameters = challenge.Name, challenge.Session, challenge.Parameters
		h.log.InfoContext(ctx, "portal: sign-in challenge", "challenge", challenge.Name)
		writeJSON(w, http.StatusOK, resp)
		return
	case tokens == nil:
		h.log.ErrorContext(ctx, "portal: sign-in returned neither tokens nor a challenge")
		writeError(w, errInternal)
		return
	}
	resp := newTokensResponse(tokens)
	resp.Username = req.Username
	// Refresh needs the Cognito-assigned user name; read it from the
	// verified ID token when the verifier accepts the sign-in client.
	if c, err := h.cfg.SignInVerifier.Verify(ctx, tokens.IDToken); err == nil && c.Username != "" {
		resp.Username = c.Username
	}
	writeJSON(w, http.StatusOK, resp)
}

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
		writeError(w, cognitoError(err))
		return
	case tokens == nil:
		writeError(w, errInternal)
		return
	}
	writeJSON(w, http.StatusOK, newTokensResponse(tokens))
}

func newTokensResponse(t *cognitoauth.Tokens) tokensResponse {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	return tokensResponse{
		IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		ExpiresIn: int64(t.ExpiresIn / time.Second), TokenType: typ,
	}
}

func cognitoError(err error) *apiError {
	if errors.Is(err, cognitoauth.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return errUnavailable
	}
	if errors.Is(err, cognitoauth.ErrMisconfigured) {
		return errMisconfigured
	}
	return errInternal
}

// statusRecorder remembers the status for the request log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
