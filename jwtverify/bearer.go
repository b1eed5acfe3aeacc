package jwtverify

import (
	"fmt"
	"net/http"
	"strings"
)

// The reasons BearerToken refuses a request.
var (
	// ErrNoBearerToken: no Authorization header, or one of another scheme.
	// RFC 6750 §3.1: the answer carries no error code.
	ErrNoBearerToken = &Error{"no_bearer_token", "request has no bearer token"}
	// ErrBearerMalformed: more than one Authorization header, or a Bearer
	// credential that is not one space and one token68 (RFC 6750
	// "invalid_request").
	ErrBearerMalformed = &Error{"bearer_malformed", "authorization header is not one bearer token"}
)

// BearerToken returns the token of the request's Authorization header by RFC
// 6750 §2.1: exactly one Authorization header, the scheme "Bearer" in any
// case, exactly one space, then a token68 (RFC 9110 §11.2: letters, digits,
// "-", ".", "_", "~", "+", "/", then any "="). Nothing else is read: no
// other header, no query parameter, no form body (§2.2 and §2.3 carry
// tokens into logs and caches). Errors wrap ErrNoBearerToken or
// ErrBearerMalformed and never quote the header.
func BearerToken(h http.Header) (string, error) {
	values := h.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", ErrNoBearerToken
	case len(values) > 1:
		return "", fmt.Errorf("%w: more than one Authorization header", ErrBearerMalformed)
	}
	v := values[0]
	const scheme = "Bearer"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) ||
		len(v) > len(scheme) && isToken68Byte(v[len(scheme)]) {
		return "", ErrNoBearerToken // another scheme, such as Basic
	}
	if len(v) == len(scheme) || v[len(scheme)] != ' ' || !isToken68(v[len(scheme)+1:]) {
		return "", fmt.Errorf("%w: bearer credential is not one space and a token68", ErrBearerMalformed)
	}
	return v[len(scheme)+1:], nil
}

func isToken68Byte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// isToken68 reports whether s is RFC 9110's token68.
func isToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Byte(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
