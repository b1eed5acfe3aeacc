package portal

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
	"github.com/gatehouse-auth/gatehouse/internal/signin"
)

// apiError is an error answer: {"error":{"code":...,"message":...,"field":...}}.
// Messages are fixed strings or name a request field; they never carry a
// dependency's error text.
type apiError = httpjson.Error

// The error codes, beside "invalid_request" and "duplicate_field" (400,
// with Field), and sign-in's (package internal/signin). The identity
// refusals carry the authorizer's reason codes.
var (
	errUnauthenticated     = &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "a valid bearer token is required"}
	errBadRefresh          = &apiError{Status: http.StatusUnauthorized, Code: "not_authorized", Message: "the refresh token is not valid"}
	errRebound             = &apiError{Status: http.StatusUnauthorized, Code: authorizer.ReasonIdentityRebound, Message: "the token is not of the person this user name was recorded for"}
	errUnbound             = &apiError{Status: http.StatusUnauthorized, Code: authorizer.ReasonIdentityUnbound, Message: "this user name is not yet bound to its Cognito user; an operator must run gatehouse users bind-subs"}
	errSignedOut           = &apiError{Status: http.StatusUnauthorized, Code: authorizer.ReasonSignedOut, Message: "the token was issued before a sign-out everywhere; sign in again"}
	errAccessTokenRequired = &apiError{Status: http.StatusBadRequest, Code: "access_token_required", Message: "sign-out takes the person's access token, not an ID token"}
	errSignOutNotRecorded  = &apiError{Status: http.StatusServiceUnavailable, Code: "sign_out_not_recorded", Message: "signed out at Cognito, but the sign-out was not recorded, so tokens already issued still pass the API: retry with the same token"}
	errClientToken         = &apiError{Status: http.StatusForbidden, Code: "person_required", Message: "API clients are managed with a person's token, not a client-credentials token"}
	errNotInGroup          = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "not allowed to manage API clients"}
	errPartner             = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "partners cannot manage API clients"}
	errNotRegistered       = &apiError{Status: http.StatusForbidden, Code: "not_registered", Message: "no internal user is recorded for this person"}
	errClientNotFound      = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such client"}
	errRouteNotFound       = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"}
	errLimit               = &apiError{Status: http.StatusConflict, Code: "client_limit", Message: "the per-user limit of API clients is reached"}
	errConflict            = &apiError{Status: http.StatusConflict, Code: "conflict", Message: "the client changed meanwhile; retry"}
	errUnavailable         = signin.ErrUnavailable
	errInternal            = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	// errMisconfigured: AWS answered that the deployment is wrong (a
	// missing table or user pool, access denied); no retry cures it, so it
	// is not errUnavailable. The log line names the resource.
	errMisconfigured = signin.ErrMisconfigured
)

// codeTooLarge is the 413 code (the partner service says payload_too_large).
const codeTooLarge = "request_too_large"

func invalid(field, message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: httpjson.CodeInvalidRequest, Message: message, Field: field}
}

// writeJSON writes v (httpjson.Write: no-store, nosniff).
func writeJSON(w http.ResponseWriter, status int, v any) {
	if err := httpjson.Write(w, status, v); err != nil {
		writeError(w, errInternal)
	}
}

func writeError(w http.ResponseWriter, e *apiError) { httpjson.WriteError(w, e) }
