package portal

import (
	"encoding/json"
	"net/http"
)

// apiError is an error answer: {"error":{"code":...,"message":...,"field":...}}.
// Messages are fixed strings or name a request field; they never carry a
// dependency's error text.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// The error codes, beside "invalid_request" (400, with Field).
var (
	errUnauthenticated = &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "a valid bearer token is required"}
	errNotAuthorized   = &apiError{Status: http.StatusUnauthorized, Code: "not_authorized", Message: "incorrect username or password"}
	errBadRefresh      = &apiError{Status: http.StatusUnauthorized, Code: "not_authorized", Message: "the refresh token is not valid"}
	errClientToken     = &apiError{Status: http.StatusForbidden, Code: "person_required", Message: "API clients are managed with a person's token, not a client-credentials token"}
	errNotInGroup      = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "not allowed to manage API clients"}
	errPartner         = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "partners cannot manage API clients"}
	errNotRegistered   = &apiError{Status: http.StatusForbidden, Code: "not_registered", Message: "no internal user is recorded for this person"}
	errClientNotFound  = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such client"}
	errRouteNotFound   = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"}
	errLimit           = &apiError{Status: http.StatusConflict, Code: "client_limit", Message: "the per-user limit of API clients is reached"}
	errConflict        = &apiError{Status: http.StatusConflict, Code: "conflict", Message: "the client changed meanwhile; retry"}
	errTooLarge        = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large", Message: "request body too large"}
	errMediaType       = &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "the body must be application/json"}
	errUnavailable     = &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "a dependency is unavailable; retry later"}
	errInternal        = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
)

func invalid(field, message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: message, Field: field}
}

// writeJSON writes v. Every answer is no-store: most carry a token or a
// secret, and the rest are per-person.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}
