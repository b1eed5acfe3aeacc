// Package awserr classifies the errors the AWS SDK returns, once for every
// service that calls AWS (mapping for DynamoDB and KMS, portal and refresh
// for Cognito's admin API): could AWS not answer now (retry later), is the
// deployment wrong (no retry cures it), or did AWS answer something the
// caller must interpret by its code. It ships in every binary.
//
// Classification reads only the error the SDK returns: no extra call is
// made, at cold start or later, to find out whether a key or table exists.
package awserr

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Class is what an AWS error means to the caller.
type Class int

const (
	// Answered: AWS answered with an error the caller interprets by its
	// code (a failed condition, a validation error, a missing item).
	Answered Class = iota
	// Unavailable: no answer now — throttling, a 5xx, a timeout, no
	// connection. Retrying later may help; meanwhile fail closed.
	Unavailable
	// Misconfigured: the deployment is wrong — a KMS key missing,
	// disabled or pending deletion, a missing table or user pool, access
	// denied, unknown credentials. No retry cures it; an operator must.
	Misconfigured
)

func (c Class) String() string {
	switch c {
	case Unavailable:
		return "unavailable"
	case Misconfigured:
		return "misconfigured"
	}
	return "answered"
}

// misconfigured are the error codes no retry cures. ResourceNotFoundException
// is DynamoDB's missing table and Cognito's missing pool or app client: a
// caller for whom a missing app client is an expected answer (deleting one)
// checks for it before classifying.
var misconfigured = map[string]bool{
	// KMS: the key does not exist, is disabled or pending deletion (or
	// pending import), or cannot do this operation.
	"NotFoundException": true, "DisabledException": true, "KMSInvalidStateException": true,
	"InvalidKeyUsageException": true,
	// DynamoDB table, Cognito user pool or app client.
	"ResourceNotFoundException": true,
	// IAM and credentials.
	"AccessDeniedException": true, "UnrecognizedClientException": true, "InvalidClientTokenId": true,
	"MissingAuthenticationTokenException": true,
}

// unavailable are the error codes of "try again later" across DynamoDB,
// KMS and Cognito.
var unavailable = map[string]bool{
	"ThrottlingException": true, "ProvisionedThroughputExceededException": true,
	"RequestLimitExceeded": true, "LimitExceededException": true, "Throttling": true,
	"TooManyRequestsException": true, "InternalServerError": true, "InternalErrorException": true,
	"ServiceUnavailable": true, "RequestTimeout": true,
	"KMSInternalException": true, "DependencyTimeoutException": true, "KeyUnavailableException": true,
}

// Classify tells what err, from an AWS SDK call, means. An error with no
// API answer at all (timeout, cancellation, connection refused) is
// Unavailable.
func Classify(err error) Class {
	var ae smithy.APIError
	answered := errors.As(err, &ae)
	switch {
	case answered && misconfigured[ae.ErrorCode()]:
		return Misconfigured
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Unavailable
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError {
		return Unavailable
	}
	if !answered {
		return Unavailable
	}
	if ae.ErrorFault() == smithy.FaultServer || unavailable[ae.ErrorCode()] {
		return Unavailable
	}
	return Answered
}

// Code is err's AWS error code, or what happened when there was no answer,
// for a log line: AWS messages can echo request values, codes cannot.
func Code(err error) string {
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return fmt.Sprintf("request failed (%T)", err)
}
