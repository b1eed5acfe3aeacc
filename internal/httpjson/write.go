package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an error answer, written as
// {"error":{"code":...,"message":...,"field":...}}. Messages are fixed
// strings or name a request field; they never carry a dependency's error
// text.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// FromBody is the answer to a *BodyError from ReadBody or Unmarshal, with
// the service's code for 413; nil if err is not a body error.
func FromBody(err error, tooLargeCode string) *Error {
	be, ok := errors.AsType[*BodyError](err)
	if !ok {
		return nil
	}
	e := &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: be.Message, Field: be.Field}
	switch be.kind {
	case ErrDuplicate:
		e.Code = CodeDuplicateField
	case ErrTooLarge:
		e.Status, e.Code = http.StatusRequestEntityTooLarge, tooLargeCode
	case ErrMediaType:
		e.Status, e.Code = http.StatusUnsupportedMediaType, CodeUnsupportedMediaType
	}
	return e
}

// Write writes v as the JSON answer. Every answer is no-store: most carry
// a token or a secret, and the rest are per-caller. If v does not encode,
// nothing is written and the error is returned (the caller answers 500
// with its own code).
func Write(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("httpjson: encoding the answer: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// WriteError writes e; a 401 carries WWW-Authenticate: Bearer.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	// An *Error always encodes.
	_ = Write(w, e.Status, struct {
		Error *Error `json:"error"`
	}{e})
}

// StatusRecorder remembers the status of the answer written through it,
// for the services' request log lines (0 until something is written).
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
