package signin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
)

// Authenticator signs in and answers challenges. A *cognitoauth.Client
// satisfies it.
type Authenticator interface {
	SignIn(ctx context.Context, username, password string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error)
	Respond(ctx context.Context, username, challenge, session string, responses map[string]string) (*cognitoauth.Tokens, *cognitoauth.Challenge, error)
}

var _ Authenticator = (*cognitoauth.Client)(nil)

// Endpoints serves sign-in and respond. All fields but Username are
// required.
type Endpoints struct {
	Auth         Authenticator
	MaxBodyBytes int64
	// Timeout bounds each Cognito call.
	Timeout time.Duration
	// Logger gets one line per refusal or failure; Service prefixes its
	// messages ("portal", "partners").
	Logger  *slog.Logger
	Service string
	// Username, when set, reads the Cognito-assigned user name from the ID
	// token a sign-in returned, after verifying it; "" when it cannot.
	Username func(ctx context.Context, idToken string) string
	// Codes are the service's own codes for 413 and 500.
	CodeTooLarge, CodeInternal string
}

// The error answers, beside invalid_request and duplicate_field (400, with
// the field).
var (
	ErrNotAuthorized    = &httpjson.Error{Status: http.StatusUnauthorized, Code: "not_authorized", Message: "incorrect username or password"}
	ErrWrongCode        = &httpjson.Error{Status: http.StatusUnauthorized, Code: "wrong_code", Message: "the code is wrong or expired"}
	ErrSessionRefused   = &httpjson.Error{Status: http.StatusUnauthorized, Code: "session_expired", Message: "the sign-in session expired or is not valid; sign in again"}
	ErrPasswordPolicy   = &httpjson.Error{Status: http.StatusBadRequest, Code: "password_rejected", Message: "the new password does not meet the password policy", Field: "responses"}
	ErrUnknownChallenge = &httpjson.Error{Status: http.StatusBadRequest, Code: "unknown_challenge", Message: "this challenge cannot be answered here", Field: "challenge"}
	ErrUnavailable      = &httpjson.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "a dependency is unavailable; retry later"}
	// ErrMisconfigured: AWS answered that the deployment is wrong (a
	// missing user pool or app client, access denied); no retry cures it.
	ErrMisconfigured = &httpjson.Error{Status: http.StatusInternalServerError, Code: "configuration_error", Message: "the service is misconfigured; an operator must fix it"}
)

// CognitoError is the answer to a cognitoauth failure that is not the
// caller's: 503 unavailable, 500 configuration_error, or 500 with
// codeInternal.
func CognitoError(err error, codeInternal string) *httpjson.Error {
	if errors.Is(err, cognitoauth.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return ErrUnavailable
	}
	if errors.Is(err, cognitoauth.ErrMisconfigured) {
		return ErrMisconfigured
	}
	return internal(codeInternal)
}

func internal(code string) *httpjson.Error {
	return &httpjson.Error{Status: http.StatusInternalServerError, Code: code, Message: "internal error"}
}

// Tokens is what a sign-in (and the portal's refresh) answers.
type Tokens struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
	Username     string `json:"username,omitempty"`
}

// NewTokens is the answer for t.
func NewTokens(t *cognitoauth.Tokens) Tokens {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	return Tokens{
		IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		ExpiresIn: int64(t.ExpiresIn / time.Second), TokenType: typ,
	}
}

// ChallengeAnswer hands a challenge back. Username is the Cognito user
// name to send to respond (USER_ID_FOR_SRP when Cognito gives it).
type ChallengeAnswer struct {
	Challenge struct {
		Name       string            `json:"name"`
		Session    string            `json:"session"`
		Username   string            `json:"username"`
		Parameters map[string]string `json:"parameters,omitempty"`
	} `json:"challenge"`
}

func newChallengeAnswer(ch *cognitoauth.Challenge, username string) ChallengeAnswer {
	var resp ChallengeAnswer
	resp.Challenge.Name, resp.Challenge.Session, resp.Challenge.Parameters = ch.Name, ch.Session, ch.Parameters
	resp.Challenge.Username = username
	if u := ch.Parameters["USER_ID_FOR_SRP"]; u != "" {
		resp.Challenge.Username = u
	}
	return resp
}

func (e *Endpoints) body(w http.ResponseWriter, r *http.Request) ([]byte, *httpjson.Error) {
	body, err := httpjson.ReadBody(w, r, e.MaxBodyBytes)
	if err != nil {
		return nil, e.bodyError(err)
	}
	return body, nil
}

func (e *Endpoints) bodyError(err error) *httpjson.Error {
	if he := httpjson.FromBody(err, e.CodeTooLarge); he != nil {
		return he
	}
	return internal(e.CodeInternal)
}

// SignIn serves POST …/sign-in.
func (e *Endpoints) SignIn(w http.ResponseWriter, r *http.Request) {
	body, herr := e.body(w, r)
	if herr != nil {
		httpjson.WriteError(w, herr)
		return
	}
	req, herr := e.decodeSignIn(body)
	if herr != nil {
		httpjson.WriteError(w, herr)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.Timeout)
	defer cancel()
	tokens, challenge, err := e.Auth.SignIn(ctx, req.Username, req.Password)
	switch {
	case errors.Is(err, cognitoauth.ErrNotAuthorized):
		// The user name is not logged: people type passwords into it.
		e.Logger.InfoContext(ctx, e.Service+": sign-in refused")
		httpjson.WriteError(w, ErrNotAuthorized)
		return
	case err != nil:
		e.Logger.ErrorContext(ctx, e.Service+": sign-in failed", "error", err.Error())
		httpjson.WriteError(w, CognitoError(err, e.CodeInternal))
		return
	}
	e.answer(ctx, w, "sign-in", req.Username, tokens, challenge)
}

// Respond serves POST …/respond: it answers a challenge handed back by
// sign-in (or by an earlier respond) with tokens, or the next challenge.
func (e *Endpoints) Respond(w http.ResponseWriter, r *http.Request) {
	body, herr := e.body(w, r)
	if herr != nil {
		httpjson.WriteError(w, herr)
		return
	}
	req, herr := e.decodeRespond(body)
	if herr != nil {
		httpjson.WriteError(w, herr)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.Timeout)
	defer cancel()
	tokens, challenge, err := e.Auth.Respond(ctx, req.Username, req.Challenge, req.Session, req.Responses)
	var refused *httpjson.Error
	switch {
	case errors.Is(err, cognitoauth.ErrWrongCode):
		refused = ErrWrongCode
	case errors.Is(err, cognitoauth.ErrNotAuthorized):
		refused = ErrSessionRefused
	case errors.Is(err, cognitoauth.ErrPasswordRejected):
		refused = ErrPasswordPolicy
	case errors.Is(err, cognitoauth.ErrUnknownChallenge):
		refused = ErrUnknownChallenge
	case errors.Is(err, cognitoauth.ErrBadResponses):
		refused = invalid("responses", "the responses do not fit the challenge")
	case err != nil:
		e.Logger.ErrorContext(ctx, e.Service+": challenge response failed", "challenge", req.Challenge, "error", err.Error())
		httpjson.WriteError(w, CognitoError(err, e.CodeInternal))
		return
	}
	if refused != nil {
		// Only the challenge's name and the code: never the session or a response.
		e.Logger.InfoContext(ctx, e.Service+": challenge response refused", "challenge", req.Challenge, "code", refused.Code)
		httpjson.WriteError(w, refused)
		return
	}
	e.answer(ctx, w, "respond", req.Username, tokens, challenge)
}

// answer writes the tokens, or hands the challenge back.
func (e *Endpoints) answer(ctx context.Context, w http.ResponseWriter, op, username string, tokens *cognitoauth.Tokens, challenge *cognitoauth.Challenge) {
	switch {
	case challenge != nil:
		e.Logger.InfoContext(ctx, e.Service+": "+op+" challenge", "challenge", challenge.Name)
		e.write(w, newChallengeAnswer(challenge, username))
		return
	case tokens == nil:
		e.Logger.ErrorContext(ctx, e.Service+": "+op+" returned neither tokens nor a challenge")
		httpjson.WriteError(w, internal(e.CodeInternal))
		return
	}
	resp := NewTokens(tokens)
	resp.Username = username
	// Refresh needs the Cognito-assigned user name; read it from the
	// verified ID token when the service can verify it.
	if e.Username != nil {
		if u := e.Username(ctx, tokens.IDToken); u != "" {
			resp.Username = u
		}
	}
	e.write(w, resp)
}

func (e *Endpoints) write(w http.ResponseWriter, v any) {
	if err := httpjson.Write(w, http.StatusOK, v); err != nil {
		httpjson.WriteError(w, internal(e.CodeInternal))
	}
}
