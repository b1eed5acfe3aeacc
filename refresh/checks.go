package refresh

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// storeError classifies a mapping error.
func storeError(what string, err error) error {
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		return fmt.Errorf("%w: %s: %w", ErrNotFound, what, err)
	case errors.Is(err, mapping.ErrConflict):
		return fmt.Errorf("%w: %s: %w", ErrConflict, what, err)
	case errors.Is(err, mapping.ErrUnavailable):
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
	case errors.Is(err, mapping.ErrMisconfigured):
		return fmt.Errorf("%w: %s: %w", ErrMisconfigured, what, err)
	case errors.Is(err, mapping.ErrInvalid):
		return fmt.Errorf("%w: %s: %w", ErrInvalidInput, what, err)
	}
	return fmt.Errorf("refresh: %s: %w", what, err)
}

// cognitoAdminError classifies a failure of a user-pool admin call
// (internal/awserr; only the code is kept: Cognito's messages can echo
// request values).
func cognitoAdminError(op string, err error) error {
	code := apiCode(err)
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return fmt.Errorf("%w: Cognito %s: %s", ErrUnavailable, op, awserr.Code(err))
	case awserr.Misconfigured:
		return fmt.Errorf("%w: Cognito %s: %s", ErrMisconfigured, op, code)
	}
	if code == "InvalidParameterException" {
		return fmt.Errorf("%w: Cognito %s refused the user name", ErrInvalidInput, op)
	}
	return fmt.Errorf("refresh: Cognito %s: %s", op, code)
}

// apiCode is err's AWS error code, "" without an API answer.
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// safeError is err's text for a log line. cognitoauth's and mapping's
// errors are built without secrets; an AWS API answer keeps only its
// operation and error code, never the service's message, which may echo
// what the request carried (moto puts the token of a NotAuthorizedException
// in it).
func safeError(err error) string {
	c := apiCode(err)
	if c == "" {
		return err.Error()
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return op.Operation() + ": " + c
	}
	return c
}

func checkPartnerID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: partner_id is required", ErrInvalidInput)
	}
	if len(id) > MaxPartnerIDLen {
		return fmt.Errorf("%w: partner_id is longer than %d characters", ErrInvalidInput, MaxPartnerIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: partner_id may hold only letters, digits, '.', '_' and '-'", ErrInvalidInput)
		}
	}
	if id == "." || id == ".." || reservedPartnerIDs[id] {
		return fmt.Errorf("%w: partner_id %q is reserved", ErrInvalidInput, id)
	}
	return nil
}

// reservedPartnerIDs are the fixed path segments beside /partners/{id} in
// Routes ("token", "auth"): on API Gateway a literal resource wins over
// {id}, so a partner of that name could never be shown, rotated or
// revoked through the API.
var reservedPartnerIDs = func() map[string]bool {
	out := map[string]bool{}
	for _, rt := range Routes {
		seg, _, _ := strings.Cut(strings.TrimPrefix(rt.Resource, "/partners/"), "/")
		if strings.HasPrefix(rt.Resource, "/partners/") && !strings.HasPrefix(seg, "{") {
			out[seg] = true
		}
	}
	return out
}()

// checkText accepts 1..max bytes of printable ASCII without spaces: what
// can be a Cognito user name, a key part and a log field safely.
func checkText(field, v string, max int) error {
	if v == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if len(v) > max {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidInput, field, max)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return fmt.Errorf("%w: %s may hold only printable ASCII characters without spaces", ErrInvalidInput, field)
		}
	}
	return nil
}

// wellFormedToken: 1..MaxRefreshTokenBytes of printable ASCII without
// spaces (Cognito refresh tokens are base64url JWE).
func wellFormedToken(t string) bool {
	if t == "" || len(t) > MaxRefreshTokenBytes {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return false
		}
	}
	return true
}
