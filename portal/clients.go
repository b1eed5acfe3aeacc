package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

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
	slots, aerr := h.slots(r.Context(), c)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	out := struct {
		Clients    []clientView `json:"clients"`
		MaxClients int          `json:"max_clients"`
	}{Clients: make([]clientView, 0, len(slots.Clients)), MaxClients: h.cfg.MaxClientsPerUser}
	for _, cl := range slots.Clients {
		out.Clients = append(out.Clients, viewOf(cl))
	}
	writeJSON(w, http.StatusOK, out)
}

// slots reads the caller's clients and pending slots (one strongly
// consistent read) and first finishes what earlier requests left half
// done (see Cleaner). A person without a record has none.
func (h *Handler) slots(ctx context.Context, c caller) (mapping.Slots, *apiError) {
	slots, err := h.cfg.Directory.ClientSlots(ctx, c.internalID)
	if errors.Is(err, mapping.ErrNotFound) {
		return mapping.Slots{}, nil
	}
	if err != nil {
		h.log.ErrorContext(ctx, "portal: listing clients failed", "internal_id", c.internalID, "error", err.Error())
		return mapping.Slots{}, mappingError(err)
	}
	if len(slots.Pending) > 0 {
		h.cleaner().sweep(ctx, slots.Pending)
	}
	return slots, nil
}

// owns returns clientID if it is one of the caller's clients, with a
// strongly consistent read. Another person's client is "not found".
func (h *Handler) owns(ctx context.Context, c caller, clientID string) (mapping.Client, *apiError) {
	slots, aerr := h.slots(ctx, c)
	if aerr != nil {
		return mapping.Client{}, aerr
	}
	i := slices.IndexFunc(slots.Clients, func(cl mapping.Client) bool { return cl.ClientID == clientID })
	if i < 0 {
		return mapping.Client{}, errClientNotFound
	}
	return slots.Clients[i], nil
}

// createClient: take a slot (atomic against the configured limit), create
// the Cognito client, record its id on the slot, then bind it in place of
// the slot. Any failure gives the slot back once the Cognito client is
// gone, or leaves it recorded for clean-up (see doc.go).
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
	if _, aerr := h.slots(ctx, c); aerr != nil {
		writeError(w, aerr)
		return
	}
	slot, err := h.cfg.Directory.ReserveClient(ctx, c.internalID, h.cfg.MaxClientsPerUser)
	if err != nil {
		if !errors.Is(err, mapping.ErrLimit) {
			h.log.ErrorContext(ctx, "portal: reserving a client slot failed", "internal_id", c.internalID, "error", err.Error())
		}
		writeError(w, mappingError(err))
		return
	}
	slot, secret, aerr := h.createRecorded(ctx, slot)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	bound, err := h.cfg.Directory.BindPending(ctx, slot, mapping.Client{
		ClientID: slot.ClientID, Label: req.Name, Scopes: h.cfg.ClientScopes,
	})
	if err != nil {
		h.log.ErrorContext(ctx, "portal: binding the new client failed; undoing", "internal_id", c.internalID, "client_id", slot.ClientID, "error", err.Error())
		if b, done := h.undo(ctx, slot); done {
			bound, err = b, nil // the binding had happened after all
		}
	}
	if err != nil {
		writeError(w, mappingError(err))
		return
	}
	h.log.InfoContext(ctx, "portal: client created", "internal_id", c.internalID, "client_id", bound.ClientID)
	writeJSON(w, http.StatusCreated, h.newClientView(bound, secret))
}

// createRecorded creates the Cognito client for a slot in state creating
// and records its id there. On failure the Cognito client is deleted and
// the slot given back; a slot that cannot be given back stays behind in
// state creating and is released by a later clean-up (Cleaner).
func (h *Handler) createRecorded(ctx context.Context, slot mapping.PendingClient) (mapping.PendingClient, string, *apiError) {
	id, secret, err := h.createCognitoClient(ctx, slot.InternalID)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: creating the Cognito client failed", "internal_id", slot.InternalID, "error", safeAWSError(err))
		h.cleaner().release(ctx, slot)
		return mapping.PendingClient{}, "", awsError(err)
	}
	recorded, err := h.cfg.Directory.RecordPendingClient(ctx, slot, id)
	if err == nil {
		return recorded, secret, nil
	}
	h.log.ErrorContext(ctx, "portal: recording the new client failed; deleting it", "internal_id", slot.InternalID, "client_id", id, "error", err.Error())
	// Not recorded means not bound either: deleting it is safe.
	cctx, cancel := cleanupContext(ctx, h.cfg.CompensationTimeout)
	defer cancel()
	if h.cleaner().deleteCognitoClient(ctx, id) {
		h.cleaner().release(ctx, slot)
	} else if _, cerr := h.cfg.Directory.ClaimPending(cctx, withClient(slot, id)); cerr != nil {
		// Both services failing at once: the one case with only a log line
		// (doc.go, "What can be left behind").
		h.log.ErrorContext(ctx, "portal: an unbound Cognito client could not be deleted nor recorded; delete it by hand",
			"internal_id", slot.InternalID, "client_id", id, "error", cerr.Error())
	}
	return mapping.PendingClient{}, "", mappingError(err)
}

// undo takes back a create or reset whose last write failed: it claims
// the slot and then deletes the new Cognito client and releases the slot.
// If the slot has moved on, the write had landed after all: done is true
// and bound is the client as bound. If the claim fails too, the slot stays
// recorded in state creating for a later clean-up.
func (h *Handler) undo(ctx context.Context, slot mapping.PendingClient) (bound mapping.Client, done bool) {
	cctx, cancel := cleanupContext(ctx, h.cfg.CompensationTimeout)
	defer cancel()
	claimed, err := h.cfg.Directory.ClaimPending(cctx, slot)
	if err == nil {
		h.cleaner().finish(ctx, claimed)
		return mapping.Client{}, false
	}
	if definite(err) {
		slots, rerr := h.cfg.Directory.ClientSlots(cctx, slot.InternalID)
		if rerr == nil {
			if i := slices.IndexFunc(slots.Clients, func(cl mapping.Client) bool { return cl.ClientID == slot.ClientID }); i >= 0 {
				h.log.InfoContext(ctx, "portal: the write had landed after all", "internal_id", slot.InternalID, "client_id", slot.ClientID)
				return slots.Clients[i], true
			}
		}
	}
	h.log.WarnContext(ctx, "portal: compensation deferred to the next clean-up", "internal_id", slot.InternalID,
		"client_id", slot.ClientID, "error", err.Error())
	return mapping.Client{}, false
}

func (h *Handler) newClientView(c mapping.Client, secret string) newClientView {
	return newClientView{
		clientView:              viewOf(c),
		ClientSecret:            secret,
		TokenEndpoint:           h.cfg.TokenEndpoint,
		AccessTokenValiditySecs: int64(h.cfg.AccessTokenValidity / time.Second),
	}
}

// resetClient replaces a client within its slot: a slot for the new one
// (beside the limit, tied to the old one), the new Cognito client recorded
// on it, then one transaction that unbinds the old id, binds the new and
// turns the slot into the old client's orphan record; then the old Cognito
// client is deleted and the slot released. Once the transaction is done the
// old id no longer maps to anyone, so the authorizer refuses its tokens
// even if the deletion in Cognito fails.
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
	slot, err := h.cfg.Directory.ReserveReplacement(ctx, c.internalID, oldID)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: reserving the replacement's slot failed", "internal_id", c.internalID, "client_id", oldID, "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	slot, secret, aerr := h.createRecorded(ctx, slot)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	newID := slot.ClientID
	bound, err := h.cfg.Directory.ReplacePending(ctx, slot, oldID, mapping.Client{
		ClientID: newID, Label: old.Label, Scopes: h.cfg.ClientScopes,
	})
	if err != nil {
		h.log.ErrorContext(ctx, "portal: replacing the binding failed; undoing", "internal_id", c.internalID,
			"client_id", oldID, "new_client_id", newID, "error", err.Error())
		if b, done := h.undo(ctx, slot); done {
			bound, err = b, nil
		}
	}
	if err != nil {
		writeError(w, mappingError(err))
		return
	}
	// The slot now records the old client, unbound.
	orphan := slot
	orphan.ClientID, orphan.State, orphan.Replaces = oldID, mapping.PendingOrphan, ""
	deleted := h.cleaner().finish(ctx, orphan)
	h.log.InfoContext(ctx, "portal: client reset", "internal_id", c.internalID, "client_id", oldID, "new_client_id", newID)
	v := h.newClientView(bound, secret)
	v.ReplacedClientID, v.ReplacedClientDeleted = oldID, &deleted
	writeJSON(w, http.StatusOK, v)
}

// deleteClient unbinds the client and records it as an orphan in one
// transaction (from then on the authorizer refuses the id), then deletes
// the Cognito client (from then on its secret gets no token) and releases
// the slot. A failed deletion stays recorded for the next clean-up.
func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, c caller, id string) {
	ctx := r.Context()
	if _, aerr := h.owns(ctx, c, id); aerr != nil {
		writeError(w, aerr)
		return
	}
	orphan, err := h.cfg.Directory.UnbindClient(ctx, c.internalID, id)
	if err != nil {
		h.log.ErrorContext(ctx, "portal: unbinding the client failed", "internal_id", c.internalID, "client_id", id, "error", err.Error())
		writeError(w, mappingError(err))
		return
	}
	h.cleaner().finish(ctx, orphan)
	h.log.InfoContext(ctx, "portal: client deleted", "internal_id", c.internalID, "client_id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// cleaner is the Handler's Cleaner: the same Cognito, pool, Directory,
// timeouts and logger (all checked by New).
func (h *Handler) cleaner() *Cleaner {
	return &Cleaner{cfg: CleanerConfig{
		Cognito: h.cfg.Cognito, UserPoolID: h.cfg.UserPoolID, Directory: h.cfg.Directory,
		CognitoTimeout: h.cfg.CognitoTimeout, CompensationTimeout: h.cfg.CompensationTimeout, Logger: h.log,
	}, log: h.log}
}

func withClient(p mapping.PendingClient, clientID string) mapping.PendingClient {
	p.ClientID = clientID
	return p
}

// createCognitoClient creates a confidential app client for the
// client-credentials grant only, and returns its id and secret.
func (h *Handler) createCognitoClient(ctx context.Context, internalID string) (id, secret string, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.CognitoTimeout)
	defer cancel()
	minutes := int32(h.cfg.AccessTokenValidity / time.Minute)
	out, err := h.cfg.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                      aws.String(h.cfg.UserPoolID),
		ClientName:                      aws.String(h.clientName(internalID)),
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
			h.cleaner().deleteCognitoClient(ctx, aws.ToString(uc.ClientId))
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

// definite reports whether a mapping error means nothing was written.
func definite(err error) bool {
	return errors.Is(err, mapping.ErrConflict) || errors.Is(err, mapping.ErrNotFound) || errors.Is(err, mapping.ErrInvalid)
}

// awsError maps a Cognito admin failure to an answer without detail.
func awsError(err error) *apiError {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "TooManyRequestsException", "InternalErrorException", "LimitExceededException":
			return errUnavailable
		}
		if api.ErrorFault() == smithy.FaultServer {
			return errUnavailable
		}
		return errInternal
	}
	// Timeouts, cancellations and connection failures.
	return errUnavailable
}

// safeAWSError is an AWS error for the logs: its code only, since messages
// can echo request values.
func safeAWSError(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline exceeded"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return fmt.Sprintf("request failed (%T)", err)
}
