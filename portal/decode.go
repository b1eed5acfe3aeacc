package portal

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
)

// Request bodies. Field limits are checked by the decodeXxx functions
// after decoding.
type (
	createClientRequest struct {
		Name string `json:"name"`
	}
	signInRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	refreshRequest struct {
		Username     string `json:"username"`
		RefreshToken string `json:"refresh_token"`
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
	maxNameLen         = 64
	maxUsernameLen     = 128 // Cognito's limit
	maxPasswordLen     = 256 // Cognito's limit
	maxRefreshTokenLen = 8 << 10
	maxSessionLen      = 2048 // Cognito's limit
	maxResponseLen     = 256  // the longest answer is a password
)

// readBody reads a bounded body (httpjson.ReadBody: a present body must be
// application/json). An absent body is returned as nil.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	body, err := httpjson.ReadBody(w, r, limit)
	if err != nil {
		return nil, bodyError(err)
	}
	return body, nil
}

// decodeJSON decodes body into dst strictly (httpjson.Unmarshal: one
// object, every key spelled exactly as a field and only once under
// encoding/json's case folding, right types). The error names the field.
func decodeJSON(body []byte, dst any) *apiError {
	if err := httpjson.Unmarshal(body, dst); err != nil {
		return bodyError(err)
	}
	return nil
}

func bodyError(err error) *apiError {
	if e := httpjson.FromBody(err, codeTooLarge); e != nil {
		return e
	}
	return errInternal
}

// checkText requires 1..max bytes (min 0 when optional) without control
// characters.
func checkText(field, v string, required bool, max int) *apiError {
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

func decodeCreateClient(body []byte) (createClientRequest, *apiError) {
	var req createClientRequest
	if len(body) == 0 {
		return req, nil // the body is optional
	}
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := checkText("name", req.Name, false, maxNameLen); err != nil {
		return req, err
	}
	if strings.TrimSpace(req.Name) != req.Name {
		return req, invalid("name", "name has leading or trailing spaces")
	}
	return req, nil
}

func decodeSignIn(body []byte) (signInRequest, *apiError) {
	var req signInRequest
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := checkText("username", req.Username, true, maxUsernameLen); err != nil {
		return req, err
	}
	if req.Password == "" {
		return req, invalid("password", "password is required")
	}
	if len(req.Password) > maxPasswordLen {
		return req, invalid("password", fmt.Sprintf("password is longer than %d bytes", maxPasswordLen))
	}
	return req, nil
}

func decodeRefresh(body []byte) (refreshRequest, *apiError) {
	var req refreshRequest
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := checkText("username", req.Username, true, maxUsernameLen); err != nil {
		return req, err
	}
	if err := checkText("refresh_token", req.RefreshToken, true, maxRefreshTokenLen); err != nil {
		return req, err
	}
	return req, nil
}

// decodeRespond checks the body of /auth/respond. The challenge must be
// one cognitoauth answers and the responses exactly its keys
// (cognitoauth.ChallengeResponses): nothing else reaches Cognito.
func decodeRespond(body []byte) (respondRequest, *apiError) {
	var req respondRequest
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := checkText("username", req.Username, true, maxUsernameLen); err != nil {
		return req, err
	}
	if err := checkText("challenge", req.Challenge, true, 64); err != nil {
		return req, err
	}
	keys, ok := cognitoauth.ChallengeResponses[req.Challenge]
	if !ok {
		return req, errUnknownChallenge
	}
	if err := checkText("session", req.Session, true, maxSessionLen); err != nil {
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
		if len(v) > maxResponseLen || strings.ContainsFunc(v, unicode.IsControl) {
			return req, invalid("responses", fmt.Sprintf("responses.%s is longer than %d bytes or has a control character", k, maxResponseLen))
		}
	}
	return req, nil
}
