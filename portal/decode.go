package portal

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
	"github.com/gatehouse-auth/gatehouse/internal/signin"
)

// Request bodies. Field limits are checked by the decodeXxx functions
// after decoding.
type (
	createClientRequest struct {
		Name string `json:"name"`
	}
	refreshRequest struct {
		Username     string `json:"username"`
		RefreshToken string `json:"refresh_token"`
	}
)

// Field limits (bytes).
const (
	maxNameLen         = 64
	maxRefreshTokenLen = 8 << 10
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

func decodeCreateClient(body []byte) (createClientRequest, *apiError) {
	var req createClientRequest
	if len(body) == 0 {
		return req, nil // the body is optional
	}
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := signin.CheckText("name", req.Name, false, maxNameLen); err != nil {
		return req, err
	}
	if strings.TrimSpace(req.Name) != req.Name {
		return req, invalid("name", "name has leading or trailing spaces")
	}
	return req, nil
}

func decodeRefresh(body []byte) (refreshRequest, *apiError) {
	var req refreshRequest
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if err := signin.CheckText("username", req.Username, true, signin.MaxUsernameLen); err != nil {
		return req, err
	}
	if err := signin.CheckText("refresh_token", req.RefreshToken, true, maxRefreshTokenLen); err != nil {
		return req, err
	}
	return req, nil
}
