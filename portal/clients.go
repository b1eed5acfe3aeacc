package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// clientView is a client as listed: never a secret.
type clientView struct {
	ClientID  string    `json:"client_id"`
	Name      string    `json:"name,omitempty"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

// newClientView is a client just created or reset: the only answer that
// carries its secret.
type newClientView struct {
	clientView
	ClientSecret            string `json:"client_secret"`
	TokenEndpoint           string `json:"token_endpoint"`
	AccessTokenValiditySecs int64  `json:"access_token_validity_seconds"`
	ReplacedClientID        string `json:"replaced_client_id,omitempty"`
	ReplacedClientDeleted   *bool  `json:"replaced_client_deleted,omitempty"`
}

func viewOf(c mapping.Client) clientView {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return clientView{ClientID: c.ClientID, Name: c.Label, Scopes: scopes, CreatedAt: c.Created}
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, c caller) {
	clients, err := h.cfg.Directory.Clients(r.Context(), c.internalID)
	if err != nil && !errors.Is(err, mapping.ErrNotFound) {
		h.log.ErrorContext(r.Context(), "portal: listing clients failed", "internal_id", c.internalID, "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	out := struct {
		Clients    []clientView `json:"clients"`
		MaxClients int          `json:"max_clients"`
	}{Clients: make([]clientView, 0, len(clients)), MaxClients: h.cfg.MaxClientsPerUser}
	for _, cl := range clients {
		out.Clients = append(out.Clients, viewOf(cl))
	}
	writeJSON(w, http.StatusOK, out)
}

// owns reports whether clientID is one of the caller's clients, with a
// strongly consistent read. Another person's client is "not found".
func (h *Handler) owns(ctx context.Context, c caller, clientID string) (mapping.Client, *apiError) {
	clients, err := h.cfg.Directory.Clients(ctx, c.internalID)
	if errors.Is(err, mapping.ErrNotFound) {
		return mapping.Client{}, errClientNotFound
	}
	if err != nil {
		h.log.ErrorContext(ctx, "portal: listing clients failed", "internal_id", c.internalID, "error", err.Error())
		return mapping.Client{}, mappingError(err)
	}
	i := slices.IndexFunc(clients, func(cl mapping.Client) bool { return cl.ClientID == clientID })
	if i < 0 {
		return mapping.Client{}, errClientNotFound
	}
	return clients[i], nil
}

// createClient: Cognito first (a client nobody is bound to cannot pass the
// authorizer), then the binding; if the binding fails the Cognito client
// is deleted again.
func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, c caller) {
	ctx := r.Context()
	body, aerr := readBody(w, r, h.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	req, aerr := decodeCreateClient(body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	// Cheap early refusal; the check after binding is the one that holds
	// under concurrency.
	existing, err := h.cfg.Directory.Clients(ctx, c.internalID)
	if err != nil && !errors.Is(err, mapping.ErrNotFound) {
		h.log.ErrorContext(ctx, "portal: listing clients failed", "internal_id", c.internalID, "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	if len(existing) >= h.cfg.MaxClientsPerUser {
		writeError(w, errLimit)
		return
	}

	id, secret, err := h.createCognitoClient(ctx, c)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: creating the Cognito client failed", "internal_id", c.internalID, "error", safeAWSError(err))
		writeError(w, awsError(err))
		return
	}
	bound, err := h.cfg.Directory.AddClient(ctx, c.internalID, mapping.Client{
		ClientID: id, Label: req.Name, Scopes: h.cfg.ClientScopes,
	})
	if err != nil {
		h.log.ErrorContext(ctx, "portal: binding the new client failed; undoing", "internal_id", c.internalID, "client_id", id, "error", err.Error())
		h.undoCreate(ctx, c, id, !definite(err))
		writeError(w, mappingError(err))
		return
	}
	// Two concurrent creates may both pass the early check: the later
	// binding that ends over the limit is undone.
	after, err := h.cfg.Directory.Clients(ctx, c.internalID)
	if err == nil && len(after) > h.cfg.MaxClientsPerUser && newest(after, id) {
		h.log.InfoContext(ctx, "portal: client over the limit; undoing", "internal_id", c.internalID, "client_id", id)
		h.undoCreate(ctx, c, id, true)
		writeError(w, errLimit)
		return
	}
	h.log.InfoContext(ctx, "portal: client created", "internal_id", c.internalID, "client_id", id)
	writeJSON(w, http.StatusCreated, h.newClientView(bound, secret))
}

// newest reports whether id is among the clients created last (ties on the
// millisecond are all "newest", so each of them undoes itself).
func newest(clients []mapping.Client, id string) bool {
	var latest time.Time
	var mine time.Time
	for _, c := range clients {
		if c.Created.After(latest) {
			latest = c.Created
		}
		if c.ClientID == id {
			mine = c.Created
		}
	}
	return !mine.IsZero() && !mine.Before(latest)
}

func (h *Handler) newClientView(c mapping.Client, secret string) newClientView {
	return newClientView{
		clientView:              viewOf(c),
		ClientSecret:            secret,
		TokenEndpoint:           h.cfg.TokenEndpoint,
		AccessTokenValiditySecs: int64(h.cfg.AccessTokenValidity / time.Second),
	}
}

// resetClient replaces a client: a new Cognito client, then one
// transaction that unbinds the old id and binds the new, then the old
// Cognito client is deleted. Once the transaction is done the old id no
// longer maps to anyone, so the authorizer refuses its tokens even if the
// deletion in Cognito fails.
func (h *Handler) resetClient(w http.ResponseWriter, r *http.Request, c caller, oldID string) {
	ctx := r.Context()
	body, aerr := readBody(w, r, h.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(body) != 0 {
		writeError(w, invalid("", "reset takes no request body"))
		return
	}
	old, aerr := h.owns(ctx, c, oldID)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	newID, secret, err := h.createCognitoClient(ctx, c)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: creating the replacement Cognito client failed", "internal_id", c.internalID, "client_id", oldID, "error", safeAWSError(err))
		writeError(w, awsError(err))
		return
	}
	bound, err := h.cfg.Directory.ReplaceClient(ctx, c.internalID, oldID, mapping.Client{
		ClientID: newID, Label: old.Label, Scopes: h.cfg.ClientScopes,
	})
	if err != nil {
		h.log.ErrorContext(ctx, "portal: replacing the binding failed; undoing", "internal_id", c.internalID,
			"client_id", oldID, "new_client_id", newID, "error", err.Error())
		// Definite failure: nothing was written, the old client is intact.
		// Unknown outcome: the new client goes either way; the old one is
		// then either still bound or unbound (and refused) — never both
		// half-alive.
		h.undoCreate(ctx, c, newID, !definite(err))
		writeError(w, mappingError(err))
		return
	}
	deleted := h.deleteCognitoClient(ctx, oldID)
	if !deleted {
		h.log.ErrorContext(ctx, "portal: the replaced client is unbound but still exists in Cognito; delete it by hand",
			"internal_id", c.internalID, "client_id", oldID)
	}
	h.log.InfoContext(ctx, "portal: client reset", "internal_id", c.internalID, "client_id", oldID, "new_client_id", newID)
	v := h.newClientView(bound, secret)
	v.ReplacedClientID, v.ReplacedClientDeleted = oldID, &deleted
	writeJSON(w, http.StatusOK, v)
}

// deleteClient unbinds first (from then on the authorizer refuses the id),
// then deletes the Cognito client (from then on its secret gets no token).
func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, c caller, id string) {
	ctx := r.Context()
	if _, aerr := h.owns(ctx, c, id); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err := h.cfg.Directory.RemoveClient(ctx, c.internalID, id); err != nil {
		h.log.ErrorContext(ctx, "portal: unbinding the client failed", "internal_id", c.internalID, "client_id", id, "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	if !h.deleteCognitoClient(ctx, id) {
		h.log.ErrorContext(ctx, "portal: the deleted client is unbound but still exists in Cognito; delete it by hand",
			"internal_id", c.internalID, "client_id", id)
	}
	h.log.InfoContext(ctx, "portal: client deleted", "internal_id", c.internalID, "client_id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// createCognitoClient creates a confidential app client for the
// client-credentials grant only, and returns its id and secret.
func (h *Handler) createCognitoClient(ctx context.Context, c caller) (id, secret string, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.CognitoTimeout)
	defer cancel()
	minutes := int32(h.cfg.AccessTokenValidity / time.Minute)
	out, err := h.cfg.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                      aws.String(h.cfg.UserPoolID),
		ClientName:                      aws.String(h.clientName(c.internalID)),
		GenerateSecret:                  true,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              slices.Clone(h.cfg.ClientScopes),
		// No user sign-in flows: only refresh, which Cognito will not let
		// be empty and which needs a user's refresh token anyway.
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		SupportedIdentityProviders: []string{"COGNITO"},
		AccessTokenValidity:        aws.Int32(minutes),
		TokenValidityUnits:         &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes},
		EnableTokenRevocation:      aws.Bool(true),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
	})
	if err != nil {
		return "", "", err
	}
	uc := out.UserPoolClient
	if uc == nil || aws.ToString(uc.ClientId) == "" || aws.ToString(uc.ClientSecret) == "" {
		// Whatever was created must not linger.
		if uc != nil && aws.ToString(uc.ClientId) != "" {
			h.deleteCognitoClient(ctx, aws.ToString(uc.ClientId))
		}
		return "", "", errors.New("CreateUserPoolClient returned no client id or secret")
	}
	return *uc.ClientId, *uc.ClientSecret, nil
}

// clientName is "<prefix>-<internal id>" in Cognito's client name
// alphabet, at most 128 characters.
func (h *Handler) clientName(internalID string) string {
	var b strings.Builder
	b.WriteString(h.cfg.ClientNamePrefix)
	b.WriteByte('-')
	for _, r := range internalID {
		if r < 0x80 && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 128 {
		name = name[:128]
	}
	return name
}

// undoCreate removes a client created in Cognito whose binding failed (or
// is over the limit). unbind also removes a binding that may exist: when
// the write's outcome is unknown, or when it is known to exist. It runs on
// a context the request's cancellation cannot cut short.
func (h *Handler) undoCreate(ctx context.Context, c caller, id string, unbind bool) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.CompensationTimeout)
	defer cancel()
	if unbind {
		if err := h.cfg.Directory.RemoveClient(cctx, c.internalID, id); err != nil && !errors.Is(err, mapping.ErrNotFound) {
			h.log.ErrorContext(ctx, "portal: compensation: unbinding failed", "internal_id", c.internalID, "client_id", id, "error", err.Error())
		}
	}
	if !h.deleteCognitoClient(cctx, id) {
		// Unbound, so the authorizer refuses its tokens; it is clutter, and
		// its secret (never shown to anyone) could still get tokens.
		h.log.ErrorContext(ctx, "portal: compensation: an unbound client still exists in Cognito; delete it by hand",
			"internal_id", c.internalID, "client_id", id)
	}
}

// deleteAttempts is how often a Cognito client deletion is tried.
const deleteAttempts = 3

// deleteCognitoClient deletes an app client, retrying a few times; a
// client already gone counts as deleted. It runs on a context the
// request's cancellation cannot cut short.
func (h *Handler) deleteCognitoClient(ctx context.Context, id string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.CompensationTimeout)
	defer cancel()
	for attempt := range deleteAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		actx, acancel := context.WithTimeout(ctx, h.cfg.CognitoTimeout)
		_, err := h.cfg.Cognito.DeleteUserPoolClient(actx, &cip.DeleteUserPoolClientInput{
			UserPoolId: aws.String(h.cfg.UserPoolID), ClientId: aws.String(id),
		})
		acancel()
		var notFound *types.ResourceNotFoundException
		if err == nil || errors.As(err, &notFound) {
			return true
		}
		h.log.WarnContext(ctx, "portal: deleting a Cognito client failed", "client_id", id, "attempt", attempt+1, "error", safeAWSError(err))
	}
	return false
}

// definite reports whether a mapping error means nothing was written.
func definite(err error) bool {
	return errors.Is(err, mapping.ErrConflict) || errors.Is(err, mapping.ErrNotFound) || errors.Is(err, mapping.ErrInvalid)
}

// awsError maps a Cognito admin failure to an answer without detail
// (internal/awserr's classification).
func awsError(err error) *apiError {
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return errUnavailable
	case awserr.Misconfigured:
		return errMisconfigured
	}
	return errInternal
}

// safeAWSError is an AWS error for the logs: its code only, since messages
// can echo request values.
func safeAWSError(err error) string { return awserr.Code(err) }
