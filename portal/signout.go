package portal

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/internal/signin"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// signOut is POST /auth/sign-out: the caller signs themselves out
// everywhere with their own access token. Cognito's GlobalSignOut first
// (their refresh tokens stop working), then, in the same request, the
// sign-out time on their mapping (mapping.Store.SignOut), so the ID and
// access tokens already issued are refused by Gatehouse too. The person's
// API clients are separate credentials and are not touched.
//
// Retries are safe: a token already refused for this sign-out answers 204
// at once; a token Cognito no longer accepts (the first attempt signed it
// out, then recording failed) still records the sign-out — it is dead at
// Cognito, so making Gatehouse agree can only refuse more.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	token, claims, aerr := h.personToken(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ctx := r.Context()
	if claims.TokenUse != jwtverify.TokenUseAccess {
		// GlobalSignOut takes an access token: an ID token cannot sign out.
		writeError(w, errAccessTokenRequired)
		return
	}
	u, err := h.cfg.Directory.UserByUsername(ctx, claims.UserPoolID, claims.Username)
	if errors.Is(err, mapping.ErrNotFound) && h.cfg.CreateUsers && claims.InGroup(h.cfg.ClientsGroup) {
		// Bind now, as the first use would, so that a later first use with
		// a token from before this sign-out cannot bind and pass.
		u, err = h.createUser(ctx, claims.UserPoolID, claims.Username, claims.Subject)
	}
	switch {
	case errors.Is(err, mapping.ErrNotFound):
		// Nobody is mapped, and nobody will be on first use: Cognito's
		// sign-out is all there is to do.
		u = mapping.User{}
	case err != nil:
		h.log.ErrorContext(ctx, "portal: mapping lookup failed", "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	mapped := u.InternalID != ""
	if mapped {
		switch err := u.Admits(claims.Subject, claims.IssuedAt); {
		case errors.Is(err, mapping.ErrSignedOut):
			signedOut(w) // this sign-out is recorded already
			return
		case errors.Is(err, mapping.ErrRebound):
			// Not the person the name is bound to: their sign-out must not
			// touch the bound one's record.
			writeError(w, h.admit(ctx, u, claims))
			return
		}
	}
	cctx, cancel := context.WithTimeout(ctx, h.cfg.CognitoTimeout)
	defer cancel()
	switch err := h.cfg.Auth.GlobalSignOut(cctx, token); {
	case errors.Is(err, cognitoauth.ErrNotAuthorized) && mapped:
		h.log.InfoContext(ctx, "portal: Cognito no longer accepts the token; recording the sign-out", "internal_id", u.InternalID)
	case errors.Is(err, cognitoauth.ErrNotAuthorized):
		writeError(w, errUnauthenticated)
		return
	case err != nil:
		h.log.ErrorContext(ctx, "portal: global sign-out failed", "error", err.Error())
		writeError(w, signin.CognitoError(err, errInternal.Code))
		return
	}
	if mapped {
		// Whatever the request's fate now: Cognito has signed the person out.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.CognitoTimeout)
		defer cancel()
		if err := h.cfg.Directory.SignOut(sctx, claims.UserPoolID, claims.Username, mapping.SignOutAfter(time.Now(), claims.IssuedAt)); err != nil {
			h.log.ErrorContext(ctx, "portal: signed out at Cognito, but the sign-out was not recorded", "internal_id", u.InternalID, "error", err.Error())
			writeError(w, errSignOutNotRecorded)
			return
		}
	}
	h.log.InfoContext(ctx, "portal: signed out everywhere", "internal_id", u.InternalID)
	signedOut(w)
}

// signedOut is the answer to a completed sign-out: 204, like every answer
// not to be cached.
func signedOut(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
