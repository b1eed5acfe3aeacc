package refresh

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
	"github.com/gatehouse-auth/gatehouse/internal/signin"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// AdminVerifier verifies an administrator's bearer token. A
// *jwtverify.Verifier satisfies it; its errors wrap jwtverify's sentinels.
type AdminVerifier interface {
	Verify(ctx context.Context, token string) (*jwtverify.Claims, error)
}

var _ AdminVerifier = (*jwtverify.Verifier)(nil)

// DefaultMaxBodyBytes bounds a request body when HandlerConfig.MaxBodyBytes
// is 0.
const DefaultMaxBodyBytes = 16 << 10

// HandlerConfig configures the HTTP API. Service, Admins and AdminGroup are
// required.
type HandlerConfig struct {
	// Service does the work. Required.
	Service *Service
	// Admins verifies administrators' tokens (ID or access tokens of
	// people; client-credentials tokens are refused). Required.
	Admins AdminVerifier
	// AdminGroup is the Cognito group an administrator's token must carry
	// in "cognito:groups". Required.
	AdminGroup string
	// MaxBodyBytes bounds request bodies; larger ones get 413. 0 means
	// DefaultMaxBodyBytes (16 KiB).
	MaxBodyBytes int64
	// Logger receives one line per request (never a token or secret).
	// Default: discard.
	Logger *slog.Logger
	// PartnerAdmins, when set, serves partner administrators: their
	// sign-in and their self-service on their own partner. nil: the
	// sign-in routes answer 404 and only operators manage partners.
	PartnerAdmins *PartnerAdmins
}

// PartnerAdmins is partner administrators' side of the API.
type PartnerAdmins struct {
	// Auth signs them in with the partners' pool's app client for people
	// (a *cognitoauth.Client with the public pair, Config.Public).
	// Required.
	Auth signin.Authenticator
	// Verifier verifies their tokens: the partners' pool, that client
	// only. Required.
	Verifier AdminVerifier
	// CognitoTimeout bounds each sign-in call; 0 means 5 s.
	CognitoTimeout time.Duration
}

// Handler is the partners HTTP API (see the package documentation and
// openapi.json). It is safe for concurrent use.
type Handler struct {
	svc           *Service
	admins        AdminVerifier
	adminGroup    string
	maxBody       int64
	log           *slog.Logger
	partnerAdmins AdminVerifier     // nil without HandlerConfig.PartnerAdmins
	signIn        *signin.Endpoints // nil without HandlerConfig.PartnerAdmins
}

// NewHandler checks cfg and returns the HTTP API.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	switch {
	case cfg.Service == nil:
		return nil, errors.New("refresh: HandlerConfig.Service is nil")
	case cfg.Admins == nil:
		return nil, errors.New("refresh: HandlerConfig.Admins is nil")
	case strings.TrimSpace(cfg.AdminGroup) == "":
		return nil, errors.New("refresh: HandlerConfig.AdminGroup is empty")
	case cfg.MaxBodyBytes < 0:
		return nil, errors.New("refresh: HandlerConfig.MaxBodyBytes is negative")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: cfg.Service, admins: cfg.Admins, adminGroup: cfg.AdminGroup, maxBody: cfg.MaxBodyBytes, log: log}
	if pa := cfg.PartnerAdmins; pa != nil {
		if pa.Auth == nil || pa.Verifier == nil {
			return nil, errors.New("refresh: HandlerConfig.PartnerAdmins needs Auth and Verifier")
		}
		timeout := pa.CognitoTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		h.partnerAdmins = pa.Verifier
		h.signIn = &signin.Endpoints{
			Auth: pa.Auth, MaxBodyBytes: cfg.MaxBodyBytes, Timeout: timeout, Logger: log, Service: "partners",
			CodeTooLarge: CodeTooLarge, CodeInternal: CodeInternal,
			Username: func(ctx context.Context, idToken string) string {
				if c, err := pa.Verifier.Verify(ctx, idToken); err == nil {
					return c.Username
				}
				return ""
			},
		}
	}
	return h, nil
}

// Error codes of the {"error":{"code","message","field"}} body.
const (
	CodeInvalidRequest   = httpjson.CodeInvalidRequest       // 400
	CodeDuplicateField   = httpjson.CodeDuplicateField       // 400: two members the same under case folding
	CodeUnauthorized     = "unauthorized"                    // 401
	CodeIdentityRebound  = authorizer.ReasonIdentityRebound  // 401: a partner administrator's token of another Cognito user than the one registered
	CodeIdentityUnbound  = authorizer.ReasonIdentityUnbound  // 401: a partner administrator recorded without a sub
	CodeForbidden        = "forbidden"                       // 403
	CodeForbiddenPartner = "forbidden_partner"               // 403: a partner administrator asked about another partner id
	CodeNotFound         = "not_found"                       // 404
	CodeMethodNotAllowed = "method_not_allowed"              // 405
	CodeConflict         = "conflict"                        // 409
	CodeTooLarge         = "payload_too_large"               // 413
	CodeUnsupportedType  = httpjson.CodeUnsupportedMediaType // 415
	CodeInternal         = "internal_error"                  // 500
	CodeMisconfigured    = "configuration_error"             // 500: a missing or disabled KMS key, a missing table; no retry cures it
	CodeUnavailable      = "unavailable"                     // 503
	CodeNotRevokedAtIdP  = "cognito_not_revoked"             // 503 from DELETE: revoked here, not at Cognito
	CodeNotSignedOut     = "sign_out_not_recorded"           // 503 from DELETE: revoked here, issued tokens not signed out
)

// MessageInvalidCredential is the one answer to an unknown, revoked or
// wrong refresh token.
const MessageInvalidCredential = "the refresh token is not valid"

// apiError is an error response.
type apiError struct {
	status  int
	code    string
	message string
	field   string // the request member at fault (400)
	reason  string // for the log line only; never secret
}

// PartnerView is a partner record as the API shows it: never the sealed
// token, never the fingerprint.
type PartnerView struct {
	PartnerID       string     `json:"partner_id"`
	InternalID      string     `json:"internal_id"`
	CognitoUsername string     `json:"cognito_username"`
	AppClientID     string     `json:"app_client_id"`
	AdminUsername   string     `json:"admin_username,omitempty"`
	Status          string     `json:"status"`
	Version         int64      `json:"version"`
	Created         time.Time  `json:"created"`
	Rotated         *time.Time `json:"rotated,omitempty"`
	Revoked         *time.Time `json:"revoked,omitempty"`
}

// ViewOf returns what the API shows of p.
func ViewOf(p mapping.Partner) PartnerView {
	v := PartnerView{
		PartnerID: p.PartnerID, InternalID: p.InternalID, CognitoUsername: p.CognitoUsername,
		AppClientID: p.AppClientID, AdminUsername: p.AdminUsername, Status: string(p.Status), Version: p.Version, Created: p.Created,
	}
	if !p.Rotated.IsZero() {
		t := p.Rotated
		v.Rotated = &t
	}
	if !p.Revoked.IsZero() {
		t := p.Revoked
		v.Revoked = &t
	}
	return v
}

// CredentialView is a partner record with its refresh token, shown once
// (registration and rotation).
type CredentialView struct {
	PartnerView
	RefreshToken string `json:"refresh_token"`
	// PreviousTokenRevoked (rotation only): Cognito confirmed the old
	// token's revocation.
	PreviousTokenRevoked *bool `json:"previous_token_revoked,omitempty"`
	// PreviousTokensSignedOut (rotation only): the tokens issued before
	// the rotation are refused by the authorizer (within its cache TTLs).
	PreviousTokensSignedOut *bool `json:"previous_tokens_signed_out,omitempty"`
}

// RotatedView is what a rotation shows.
func RotatedView(r Rotated) CredentialView {
	revoked, signedOut := r.PreviousRevoked, r.PreviousSignedOut
	return CredentialView{PartnerView: ViewOf(r.Partner), RefreshToken: r.RefreshToken,
		PreviousTokenRevoked: &revoked, PreviousTokensSignedOut: &signedOut}
}

// TokenResponse is the answer of the exchange.
type TokenResponse struct {
	IDToken     string `json:"id_token"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	// RefreshToken is set with rotation on: the presented token no longer
	// works, this one replaces it.
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Routes are the partner service's operations. Behind API Gateway each must
// be a resource of its own (not {proxy+}): the handler serves a request
// only when API Gateway's requestContext.resourcePath and httpMethod name
// one of them (see apigwproxy.Table.Match).
var Routes = []apigwproxy.Route{
	routeRegister,     // operators
	routeExchange,     // the refresh token authenticates
	routeShow,         // operators; a partner's administrator, its own
	routeRevoke,       // operators; a partner's administrator, its own
	routeRotate,       // operators; a partner's administrator, its own
	routeAdminSignIn,  // partner administrators' sign-in (password)
	routeAdminRespond, // partner administrators' challenge response
}

var (
	routeRegister = apigwproxy.Route{Method: http.MethodPost, Resource: "/partners"}
	routeExchange = apigwproxy.Route{Method: http.MethodPost, Resource: "/partners/token"}
	routeShow     = apigwproxy.Route{Method: http.MethodGet, Resource: "/partners/{id}"}
	routeRevoke   = apigwproxy.Route{Method: http.MethodDelete, Resource: "/partners/{id}"}
	routeRotate   = apigwproxy.Route{Method: http.MethodPost, Resource: "/partners/{id}/rotate"}

	routeAdminSignIn  = apigwproxy.Route{Method: http.MethodPost, Resource: "/partners/auth/sign-in"}
	routeAdminRespond = apigwproxy.Route{Method: http.MethodPost, Resource: "/partners/auth/respond"}

	routes = mustTable(apigwproxy.NewTable(Routes, ""))
)

func mustTable(t *apigwproxy.Table, err error) *apigwproxy.Table {
	if err != nil {
		panic(err) // Routes is a constant table; its test builds it
	}
	return t
}

// ServeHTTP serves Routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var who actor
	ctx := context.WithValue(r.Context(), actorKey{}, &who)
	rec := &httpjson.StatusRecorder{ResponseWriter: w}
	op, status, partnerID, aerr := h.route(rec, r.WithContext(ctx))
	if aerr != nil {
		status = aerr.status
		writeError(rec, aerr)
	} else if rec.Status != 0 {
		status = rec.Status // sign-in's own answers
	}
	attrs := []any{"op", op, "method", r.Method, "status", status, "duration_ms", time.Since(start).Milliseconds()}
	if partnerID != "" {
		attrs = append(attrs, "partner_id", partnerID)
	}
	if who.kind != "" {
		// Who acted: the Cognito user name, never a token.
		attrs = append(attrs, "actor_kind", who.kind, "actor", who.username)
	}
	level := slog.LevelInfo
	if aerr != nil {
		attrs = append(attrs, "code", aerr.code)
		if aerr.reason != "" {
			attrs = append(attrs, "reason", aerr.reason)
		}
		if status >= 500 {
			level = slog.LevelError
		} else {
			level = slog.LevelWarn
		}
	}
	h.log.Log(r.Context(), level, "partners request", attrs...)
}

// route dispatches; it returns the operation's name for the log, the
// status written on success, and the partner id when known.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) (op string, status int, partnerID string, aerr *apiError) {
	rt, err := routes.Match(r)
	var mna *apigwproxy.MethodNotAllowedError
	switch {
	case errors.As(err, &mna):
		w.Header().Set("Allow", strings.Join(mna.Allow, ", "))
		return "unknown", 0, "", &apiError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, message: "method not allowed; allowed: " + strings.Join(mna.Allow, ", ")}
	case err != nil:
		return "unknown", 0, "", notFound()
	}
	id := r.PathValue("id")
	switch rt {
	case routeRegister:
		id, aerr := h.register(w, r)
		return "register", http.StatusCreated, id, aerr
	case routeExchange:
		id, aerr := h.exchange(w, r)
		return "exchange", http.StatusOK, id, aerr
	case routeShow:
		return "show", http.StatusOK, id, h.show(w, r, id)
	case routeRevoke:
		return "revoke", http.StatusOK, id, h.revoke(w, r, id)
	case routeRotate:
		return "rotate", http.StatusOK, id, h.rotate(w, r, id)
	case routeAdminSignIn, routeAdminRespond:
		switch {
		case h.signIn == nil:
			return "unknown", 0, "", notFound()
		case rt == routeAdminSignIn:
			h.signIn.SignIn(w, r)
			return "admin-sign-in", 0, "", nil
		default:
			h.signIn.Respond(w, r)
			return "admin-respond", 0, "", nil
		}
	}
	return "unknown", 0, "", notFound()
}

func notFound() *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeNotFound, message: "no such resource"}
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) (string, *apiError) {
	if aerr := h.authorize(r, ""); aerr != nil {
		return "", aerr
	}
	body, err := httpjson.ReadBody(w, r, h.maxBody)
	if err != nil {
		return "", decodeFailure(err)
	}
	in, err := decodeRegister(body)
	if err != nil {
		return "", decodeFailure(err)
	}
	cred, err := h.svc.Register(r.Context(), in)
	if err != nil {
		return in.PartnerID, serviceFailure(err)
	}
	writeJSON(w, http.StatusCreated, CredentialView{PartnerView: ViewOf(cred.Partner), RefreshToken: cred.RefreshToken})
	return in.PartnerID, nil
}

func (h *Handler) exchange(w http.ResponseWriter, r *http.Request) (string, *apiError) {
	body, err := httpjson.ReadBody(w, r, h.maxBody)
	if err != nil {
		return "", decodeFailure(err)
	}
	token, err := decodeExchange(body)
	if err != nil {
		return "", decodeFailure(err)
	}
	out, err := h.svc.Exchange(r.Context(), token)
	if err != nil {
		return "", serviceFailure(err)
	}
	writeJSON(w, http.StatusOK, TokenResponse{
		IDToken: out.IDToken, AccessToken: out.AccessToken, TokenType: out.TokenType,
		ExpiresIn: int64(out.ExpiresIn / time.Second), RefreshToken: out.RefreshToken,
	})
	return out.PartnerID, nil
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, id string) *apiError {
	if aerr := h.authorize(r, id); aerr != nil {
		return aerr
	}
	p, err := h.svc.Partner(r.Context(), id)
	if err != nil {
		return serviceFailure(err)
	}
	writeJSON(w, http.StatusOK, ViewOf(p))
	return nil
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, id string) *apiError {
	if aerr := h.authorize(r, id); aerr != nil {
		return aerr
	}
	p, err := h.svc.Revoke(r.Context(), id)
	if err != nil {
		return serviceFailure(err)
	}
	writeJSON(w, http.StatusOK, ViewOf(p))
	return nil
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, id string) *apiError {
	if aerr := h.authorize(r, id); aerr != nil {
		return aerr
	}
	body, err := httpjson.ReadBody(w, r, h.maxBody)
	if err == nil {
		err = decodeEmpty(body)
	}
	if err != nil {
		return decodeFailure(err)
	}
	out, err := h.svc.Rotate(r.Context(), id)
	if err != nil {
		return serviceFailure(err)
	}
	writeJSON(w, http.StatusOK, RotatedView(out))
	return nil
}

// actor is who made a request, for the log line.
type actor struct {
	kind     string // "operator" or "partner_admin"
	username string
}

type actorKey struct{}

func recordActor(ctx context.Context, kind, username string) {
	if a, ok := ctx.Value(actorKey{}).(*actor); ok {
		a.kind, a.username = kind, username
	}
}

// authorize admits an operator (see operator), or, when partnerID is not
// empty, that partner's administrator: a person's token of the partners'
// pool from its people client whose user name administers partnerID
// (mapping PartnerOfAdmin). Another partner's administrator gets 403
// forbidden_partner whether partnerID exists or not, so it learns nothing
// about other partners; the partner is read only after that check.
func (h *Handler) authorize(r *http.Request, partnerID string) *apiError {
	token, aerr := bearer(r)
	if aerr != nil {
		return aerr
	}
	claims, err := h.admins.Verify(r.Context(), token)
	if err != nil && errors.Is(err, jwtverify.ErrIssuer) && h.partnerAdmins != nil {
		pc, perr := h.partnerAdmins.Verify(r.Context(), token)
		if perr == nil {
			if partnerID == "" && pc != nil {
				recordActor(r.Context(), "partner_admin", pc.Username)
				return &apiError{status: http.StatusForbidden, code: CodeForbidden, message: "operators only", reason: "partner_admin_token"}
			}
			return h.partnerAdmin(r, pc, partnerID)
		}
		if !errors.Is(perr, jwtverify.ErrIssuer) {
			err = perr // the token is of the partners' pool: its verdict is the one
		}
	}
	return h.operator(r, claims, err)
}

// partnerAdmin admits the administrator of partnerID only.
func (h *Handler) partnerAdmin(r *http.Request, claims *jwtverify.Claims, partnerID string) *apiError {
	forbidden := &apiError{status: http.StatusForbidden, code: CodeForbidden, message: "not a partner administrator"}
	switch {
	case claims == nil:
		return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", reason: "verifier returned no claims"}
	case claims.IsClientCredentials() || claims.Username == "":
		forbidden.reason = "not_a_person"
		return forbidden
	}
	recordActor(r.Context(), "partner_admin", claims.Username)
	p, err := h.svc.PartnerOfAdmin(r.Context(), claims.UserPoolID, claims.Username, claims.Subject)
	switch {
	case errors.Is(err, ErrNotFound):
		forbidden.reason = "administers_no_partner"
		return forbidden
	case errors.Is(err, mapping.ErrRebound):
		return &apiError{status: http.StatusUnauthorized, code: CodeIdentityRebound,
			message: "the token is not of the person this administrator was registered as", reason: CodeIdentityRebound}
	case errors.Is(err, mapping.ErrUnbound):
		return &apiError{status: http.StatusUnauthorized, code: CodeIdentityUnbound,
			message: "this administrator is bound to no Cognito user; an operator must register it again", reason: CodeIdentityUnbound}
	case err != nil:
		return serviceFailure(err)
	case p.PartnerID != partnerID:
		return &apiError{status: http.StatusForbidden, code: CodeForbiddenPartner,
			message: "a partner administrator manages its own partner only", reason: "other_partner"}
	}
	return nil
}

// bearer is the request's one bearer token.
func bearer(r *http.Request) (string, *apiError) {
	unauthorized := &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: "an administrator's bearer token is required"}
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		unauthorized.reason = "missing_or_ambiguous_authorization"
		return "", unauthorized
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		unauthorized.reason = "bad_scheme"
		return "", unauthorized
	}
	return token, nil
}

// operator accepts a person's token of the people's pool (not
// client-credentials, not of the partner app client) carrying the
// administrator group; claims and err are the verifier's verdict.
func (h *Handler) operator(r *http.Request, claims *jwtverify.Claims, err error) *apiError {
	unauthorized := &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: "an administrator's bearer token is required"}
	if err != nil {
		if errors.Is(err, jwtverify.ErrKeysUnavailable) {
			return &apiError{status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "temporarily unavailable; try again later", reason: "keys_unavailable"}
		}
		unauthorized.reason = "admin_token_" + jwtverify.Code(err)
		return unauthorized
	}
	forbidden := &apiError{status: http.StatusForbidden, code: CodeForbidden, message: "administrators only"}
	switch {
	case claims == nil:
		return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", reason: "verifier returned no claims"}
	case claims.IsClientCredentials() || claims.Username == "":
		forbidden.reason = "not_a_person"
	case claims.ClientID == h.svc.cfg.PartnerClientID:
		forbidden.reason = "partner_client_token"
	case !claims.InGroup(h.adminGroup):
		forbidden.reason = "not_in_admin_group"
	default:
		recordActor(r.Context(), "operator", claims.Username)
		return nil
	}
	return forbidden
}

// decodeFailure answers a refused body (httpjson's rules and codes).
func decodeFailure(err error) *apiError {
	e := httpjson.FromBody(err, CodeTooLarge)
	if e == nil {
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "the body could not be read"}
	}
	return &apiError{status: e.Status, code: e.Code, message: e.Message, field: e.Field}
}

// serviceFailure maps a Service error to a response. Only ErrInvalidInput
// and ErrConflict messages reach the caller (they name the caller's own
// input); everything else gets a fixed message, the details go to the log.
func serviceFailure(err error) *apiError {
	reason := err.Error()
	switch {
	case errors.Is(err, ErrInvalidCredential):
		return &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: MessageInvalidCredential, reason: reason}
	case errors.Is(err, ErrInvalidInput):
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: publicMessage(err, ErrInvalidInput), reason: reason}
	case errors.Is(err, ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: CodeNotFound, message: "no such partner", reason: reason}
	case errors.Is(err, ErrConflict):
		return &apiError{status: http.StatusConflict, code: CodeConflict, message: publicMessage(err, ErrConflict), reason: reason}
	case errors.Is(err, ErrCognitoNotRevoked):
		return &apiError{status: http.StatusServiceUnavailable, code: CodeNotRevokedAtIdP,
			message: "the partner is revoked in Gatehouse and the exchange refuses it, but Cognito could not be reached to revoke the refresh token; it stays valid at Cognito until it expires, and only Gatehouse holds the client secret it needs",
			reason:  reason}
	case errors.Is(err, ErrNotSignedOut):
		return &apiError{status: http.StatusServiceUnavailable, code: CodeNotSignedOut,
			message: "the partner is revoked in Gatehouse and the exchange refuses it, but the sign-out of the tokens it already holds could not be recorded: retry the revocation",
			reason:  reason}
	case errors.Is(err, ErrUnavailable):
		return &apiError{status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "temporarily unavailable; try again later", reason: reason}
	case errors.Is(err, ErrMisconfigured):
		return &apiError{status: http.StatusInternalServerError, code: CodeMisconfigured, message: "the service is misconfigured; an operator must fix it", reason: reason}
	}
	return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", reason: reason}
}

// publicMessage is the first line of err's text after the sentinel's, for
// errors whose text names only the caller's input.
func publicMessage(err, sentinel error) string {
	msg := strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
	if i := strings.Index(msg, ": mapping:"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

func writeError(w http.ResponseWriter, e *apiError) {
	httpjson.WriteError(w, &httpjson.Error{Status: e.status, Code: e.code, Message: e.message, Field: e.field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if err := httpjson.Write(w, status, v); err != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error"})
	}
}
