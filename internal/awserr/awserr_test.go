package awserr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestClassify(t *testing.T) {
	api := func(code string, fault smithy.ErrorFault) error {
		return fmt.Errorf("operation error: %w", &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault})
	}
	status := func(code int, err error) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}
	}
	for _, tc := range []struct {
		name string
		err  error
		want Class
		code string
	}{
		{"kms disabled", api("DisabledException", smithy.FaultClient), Misconfigured, "DisabledException"},
		{"kms pending deletion", api("KMSInvalidStateException", smithy.FaultClient), Misconfigured, "KMSInvalidStateException"},
		{"kms missing key", api("NotFoundException", smithy.FaultClient), Misconfigured, "NotFoundException"},
		{"missing table", api("ResourceNotFoundException", smithy.FaultClient), Misconfigured, "ResourceNotFoundException"},
		{"access denied", api("AccessDeniedException", smithy.FaultClient), Misconfigured, "AccessDeniedException"},
		{"throttled", api("ThrottlingException", smithy.FaultClient), Unavailable, "ThrottlingException"},
		{"cognito throttled", api("TooManyRequestsException", smithy.FaultClient), Unavailable, "TooManyRequestsException"},
		{"kms key unavailable (retryable)", api("KeyUnavailableException", smithy.FaultServer), Unavailable, "KeyUnavailableException"},
		{"server fault", api("SomethingNew", smithy.FaultServer), Unavailable, "SomethingNew"},
		{"5xx", status(503, api("SomethingNew", smithy.FaultUnknown)), Unavailable, "SomethingNew"},
		{"5xx without a code", status(502, errors.New("bad gateway")), Unavailable, "request failed (*http.ResponseError)"},
		{"condition failed", api("ConditionalCheckFailedException", smithy.FaultClient), Answered, "ConditionalCheckFailedException"},
		{"validation", api("ValidationException", smithy.FaultClient), Answered, "ValidationException"},
		{"timeout", fmt.Errorf("op: %w", context.DeadlineExceeded), Unavailable, "deadline exceeded"},
		{"canceled", context.Canceled, Unavailable, "canceled"},
		{"no answer", errors.New("dial tcp: connection refused"), Unavailable, "request failed (*errors.errorString)"},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if got := Code(tc.err); got != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.code)
		}
	}
}
