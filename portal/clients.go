package portal

import (
	"errors"
	"net/http"
	"time"

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
	clients, err := h.Clients().List(r.Context(), c.internalID)
	if err != nil {
		writeError(w, clientsError(err))
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

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, c caller) {
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
	nc, err := h.Clients().Create(r.Context(), c.internalID, req.Name)
	if err != nil {
		writeError(w, clientsError(err))
		return
	}
	writeJSON(w, http.StatusCreated, h.newClientView(nc))
}

func (h *Handler) resetClient(w http.ResponseWriter, r *http.Request, c caller, oldID string) {
	body, aerr := readBody(w, r, h.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(body) != 0 {
		writeError(w, invalid("", "reset takes no request body"))
		return
	}
	nc, err := h.Clients().Reset(r.Context(), c.internalID, oldID)
	if err != nil {
		writeError(w, clientsError(err))
		return
	}
	writeJSON(w, http.StatusOK, h.newClientView(nc))
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, c caller, id string) {
	if _, err := h.Clients().Delete(r.Context(), c.internalID, id); err != nil {
		writeError(w, clientsError(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) newClientView(nc NewClient) newClientView {
	v := newClientView{
		clientView:              viewOf(nc.Client),
		ClientSecret:            nc.Secret,
		TokenEndpoint:           h.cfg.TokenEndpoint,
		AccessTokenValiditySecs: int64(h.cfg.AccessTokenValidity / time.Second),
		ReplacedClientID:        nc.ReplacedClientID,
	}
	if nc.ReplacedClientID != "" {
		v.ReplacedClientDeleted = &nc.ReplacedClientDeleted
	}
	return v
}

// Clients is the Handler's ClientService, for callers without HTTP (the
// configuration it needs was checked by New).
func (h *Handler) Clients() *ClientService {
	return h.clients
}

// clientsError translates a ClientService error into an answer without
// detail.
func clientsError(err error) *apiError {
	switch {
	case errors.Is(err, ErrClientLimit):
		return errLimit
	case errors.Is(err, ErrClientNotFound):
		return errClientNotFound
	case errors.Is(err, ErrClientConflict):
		return errConflict
	case errors.Is(err, ErrUnavailable):
		return errUnavailable
	case errors.Is(err, ErrMisconfigured):
		return errMisconfigured
	}
	return errInternal
}
