package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Request bodies. Field limits are checked by validate after decoding.
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
)

// Field limits (bytes).
const (
	maxNameLen         = 64
	maxUsernameLen     = 128 // Cognito's limit
	maxPasswordLen     = 256 // Cognito's limit
	maxRefreshTokenLen = 8 << 10
)

// readBody reads a bounded body. An empty body is returned as nil.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, invalid("", "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, errMediaType
		}
	}
	return body, nil
}

// decodeJSON decodes body into dst (a pointer to a struct of string
// fields), strictly: one object, no unknown fields, no duplicate keys that
// could smuggle a second value past a proxy, right types. The error names
// the field.
func decodeJSON(body []byte, dst any) *apiError {
	if len(body) == 0 {
		return invalid("", "a JSON object body is required")
	}
	if !utf8.Valid(body) {
		return invalid("", "the body is not valid UTF-8")
	}
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			if typeErr.Field == "" {
				return invalid("", "the body must be a JSON object")
			}
			return invalid(typeErr.Field, fmt.Sprintf("%s must be a %s", typeErr.Field, jsonKind(typeErr.Type)))
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
			return invalid("", "the body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := clip(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
			return invalid(name, fmt.Sprintf("unknown field %q", name))
		default:
			return invalid("", "the body is not a valid JSON object")
		}
	}
	if dec.More() {
		return invalid("", "the body must hold one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("", "the body must hold one JSON object")
	}
	return nil
}

// clip shortens a field name from the request before it is echoed.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return t.Kind().String()
	}
}

// checkDuplicateKeys refuses an object whose top-level keys repeat:
// encoding/json keeps the last, another parser might keep the first.
func checkDuplicateKeys(body []byte) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return invalid("", "the body is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid("", "the body must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid("", "the body is not valid JSON")
		}
		key, _ := tok.(string)
		if seen[key] {
			return invalid(clip(key), fmt.Sprintf("field %q appears twice", clip(key)))
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return invalid("", "the body is not valid JSON")
		}
	}
	return nil
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
