package refresh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// requestError is a malformed request body; its message names the field.
type requestError struct {
	status int // 400 or 413
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// exchangeRequest is the body of POST /partners/token.
type exchangeRequest struct {
	RefreshToken *string `json:"refresh_token"`
}

// registerRequest is the body of POST /partners.
type registerRequest struct {
	PartnerID  *string `json:"partner_id"`
	Username   *string `json:"username"`
	InternalID *string `json:"internal_id"`
}

// decodeExchange reads an exchange body: a JSON object whose only member
// is a non-empty string "refresh_token".
func decodeExchange(r io.Reader) (string, error) {
	var req exchangeRequest
	if err := decodeStrict(r, &req, false); err != nil {
		return "", err
	}
	if req.RefreshToken == nil {
		return "", badRequest("refresh_token is required")
	}
	if *req.RefreshToken == "" {
		return "", badRequest("refresh_token is empty")
	}
	return *req.RefreshToken, nil
}

// decodeRegister reads a registration body: "partner_id" (required),
// "username" and "internal_id" (optional strings).
func decodeRegister(r io.Reader) (RegisterInput, error) {
	var req registerRequest
	if err := decodeStrict(r, &req, false); err != nil {
		return RegisterInput{}, err
	}
	if req.PartnerID == nil {
		return RegisterInput{}, badRequest("partner_id is required")
	}
	in := RegisterInput{PartnerID: *req.PartnerID}
	if req.Username != nil {
		if *req.Username == "" {
			return RegisterInput{}, badRequest("username is empty (leave it out for the default)")
		}
		in.Username = *req.Username
	}
	if req.InternalID != nil {
		if *req.InternalID == "" {
			return RegisterInput{}, badRequest("internal_id is empty (leave it out for a random one)")
		}
		in.InternalID = *req.InternalID
	}
	return in, nil
}

// decodeEmpty reads a body that may be absent or an empty JSON object.
func decodeEmpty(r io.Reader) error {
	var req struct{}
	return decodeStrict(r, &req, true)
}

// decodeStrict decodes exactly one JSON object into v: unknown members,
// duplicate members, wrong types and trailing data are refused with a
// message naming the member. An empty body is refused unless emptyOK.
func decodeStrict(r io.Reader, v any, emptyOK bool) error {
	body, err := io.ReadAll(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &requestError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit)}
		}
		return badRequest("the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return badRequest("the body is empty: a JSON object is required")
	}
	if err := checkMembers(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return badRequest("%s must be a %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
		case errors.As(err, &typeErr):
			return badRequest("the body must be a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return badRequest("unknown field %s", fieldName(name))
		}
		return badRequest("the body is not valid JSON")
	}
	if dec.More() {
		return badRequest("the body holds data after the JSON object")
	}
	return nil
}

// fieldName quotes a member name for a message, cut to 64 bytes: it is the
// caller's text, echoed back to the caller only.
func fieldName(name string) string {
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "") + "…"
	}
	return strconv.Quote(name)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string", "ptr":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	}
	return goKind
}

// checkMembers refuses a top-level object that names a member twice (JSON
// parsers disagree on which one wins) or is not an object at all.
func checkMembers(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return badRequest("the body is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return badRequest("the body must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("the body is not valid JSON")
		}
		name, ok := tok.(string)
		if !ok {
			return badRequest("the body is not valid JSON")
		}
		if seen[name] {
			return badRequest("field %s appears twice", fieldName(name))
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest("the body is not valid JSON")
		}
	}
	return nil
}
