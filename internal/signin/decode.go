package signin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
)

// Request bodies.
type (
	signInRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	respondRequest struct {
		Username  string            `json:"username"`
		Challenge string            `json:"challenge"`
		Session   string            `json:"session"`
		Responses map[string]string `json:"responses"`
	}
)

// Field limits (bytes).
const (
	MaxUsernameLen = 128  // Cognito's limit
	MaxPasswordLen = 256  // Cognito's limit
	MaxSessionLen  = 2048 // Cognito's limit
	MaxResponseLen = 256  // the longest answer is a password
)

func invalid(field, message string) *httpjson.Error {
	return &httpjson.Error{Status: http.StatusBadRequest, Code: httpjson.CodeInvalidRequest, Message: message, Field: field}
}

// CheckText requires 1..max bytes (0 allowed when not required) without
// control characters; the answer names field.
func CheckText(field, v string, required bool, max int) *httpjson.Error {
	if v == "" {
		if required {
			return invalid(field, field+" is required")
		}
		return nil
	}
	if len(v) > max {
		return invalid(field, fmt.Sprintf("%s is longer than %d bytes", field, max))
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return invalid(field, field+" contains a control character")
	}
	return nil
}

func (e *Endpoints) decode(body []byte, dst any) *httpjson.Error {
	if err := httpjson.Unmarshal(body, dst); err != nil {
		return e.bodyError(err)
	}
	return nil
}

func (e *Endpoints) decodeSignIn(body []byte) (signInRequest, *httpjson.Error) {
	var req signInRequest
	if err := e.decode(body, &req); err != nil {
		return req, err
	}
	if err := CheckText("username", req.Username, true, MaxUsernameLen); err != nil {
		return req, err
	}
	if req.Password == "" {
		return req, invalid("password", "password is required")
	}
	if len(req.Password) > MaxPasswordLen {
		return req, invalid("password", fmt.Sprintf("password is longer than %d bytes", MaxPasswordLen))
	}
	return req, nil
}

// decodeRespond checks the body of respond. The challenge must be one
// cognitoauth answers and the responses exactly its keys
// (cognitoauth.ChallengeResponses): nothing else reaches Cognito.
func (e *Endpoints) decodeRespond(body []byte) (respondRequest, *httpjson.Error) {
	var req respondRequest
	if err := e.decode(body, &req); err != nil {
		return req, err
	}
	if err := CheckText("username", req.Username, true, MaxUsernameLen); err != nil {
		return req, err
	}
	if err := CheckText("challenge", req.Challenge, true, 64); err != nil {
		return req, err
	}
	keys, ok := cognitoauth.ChallengeResponses[req.Challenge]
	if !ok {
		return req, ErrUnknownChallenge
	}
	if err := CheckText("session", req.Session, true, MaxSessionLen); err != nil {
		return req, err
	}
	for k := range req.Responses {
		if !slices.Contains(keys, k) {
			return req, invalid("responses", fmt.Sprintf("%s takes only %s", req.Challenge, strings.Join(keys, ", ")))
		}
	}
	for _, k := range keys {
		// Values are not echoed: a response may be a password or a code.
		v, ok := req.Responses[k]
		if !ok || v == "" {
			return req, invalid("responses", fmt.Sprintf("responses.%s is required", k))
		}
		if len(v) > MaxResponseLen || strings.ContainsFunc(v, unicode.IsControl) {
			return req, invalid("responses", fmt.Sprintf("responses.%s is longer than %d bytes or has a control character", k, MaxResponseLen))
		}
	}
	return req, nil
}
