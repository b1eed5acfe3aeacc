package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The reasons a ClientService operation fails. Every error it returns wraps
// at most one of them; the HTTP handler turns them into answers, and an
// error wrapping none of them is a 500.
var (
	// ErrClientNotFound: no such client of this person (404).
	ErrClientNotFound = errors.New("portal: no such client")
	// ErrClientLimit: the person has Config.MaxClientsPerUser clients,
	// counting those under way (409 client_limit).
	ErrClientLimit = errors.New("portal: the per-user client limit is reached")
	// ErrClientConflict: a concurrent change to the same client won (409).
	ErrClientConflict = errors.New("portal: the client changed meanwhile")
	// ErrUnavailable: Cognito or DynamoDB could not answer; retry later
	// (503).
	ErrUnavailable = errors.New("portal: a dependency is unavailable")
	// ErrMisconfigured: AWS answered that the deployment is wrong (a
	// missing table or pool, a disabled key, access denied); no retry
	// cures it (500 configuration_error).
	ErrMisconfigured = errors.New("portal: a dependency is misconfigured")
)

// ClientService is the life cycle of a person's API clients — list,
// create, reset, delete — without HTTP: the steps, their order, and the
// compensation when one fails (see the package documentation). The
// Handler's client routes only translate to and from it.
type ClientService struct {
	cfg   Config
	log   *slog.Logger
	clean *Cleaner // the same Cognito, pool, Directory, timeouts and logger
}

// newClientService is the ClientService of a checked Config.
func newClientService(cfg Config) *ClientService {
	return &ClientService{cfg: cfg, log: cfg.Logger, clean: &Cleaner{cfg: CleanerConfig{
		Cognito: cfg.Cognito, UserPoolID: cfg.UserPoolID, Directory: cfg.Directory,
		CognitoTimeout: cfg.CognitoTimeout, CompensationTimeout: cfg.CompensationTimeout, Logger: cfg.Logger,
	}, log: cfg.Logger}}
}

// NewClient is a client just created or reset, with its secret (shown
// once, never stored).
type NewClient struct {
	Client mapping.Client
	Secret string
	// ReplacedClientID is, for a reset, the client replaced; it is unbound.
	ReplacedClientID string
	// ReplacedClientDeleted says Cognito confirmed its deletion; when false
	// it is recorded for clean-up.
	ReplacedClientDeleted bool
}

// List returns the person's clients, after finishing what earlier requests
// left half done. A person without a record has none.
func (s *ClientService) List(ctx context.Context, internalID string) ([]mapping.Client, error) {
	slots, err := s.slots(ctx, internalID)
	return slots.Clients, err
}

// Create takes a slot (atomic against the configured limit), creates the
// Cognito client, records its id on the slot, then binds it in place of
// the slot. Any failure gives the slot back once the Cognito client is
// gone, or leaves it recorded for clean-up.
func (s *ClientService) Create(ctx context.Context, internalID, name string) (NewClient, error) {
	if _, err := s.slots(ctx, internalID); err != nil {
		return NewClient{}, err
	}
	slot, err := s.cfg.Directory.ReserveClient(ctx, internalID, s.cfg.MaxClientsPerUser)
	if err != nil {
		if !errors.Is(err, mapping.ErrLimit) {
			s.log.ErrorContext(ctx, "portal: reserving a client slot failed", "internal_id", internalID, "error", err.Error())
		}
		return NewClient{}, storeError(err)
	}
	slot, secret, err := s.createRecorded(ctx, slot)
	if err != nil {
		return NewClient{}, err
	}
	bound, err := s.cfg.Directory.BindPending(ctx, slot, mapping.Client{
		ClientID: slot.ClientID, Label: name, Scopes: s.cfg.ClientScopes,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "portal: binding the new client failed; undoing", "internal_id", internalID, "client_id", slot.ClientID, "error", err.Error())
		if b, done := s.undo(ctx, slot); done {
			bound, err = b, nil // the binding had happened after all
		}
	}
	if err != nil {
		return NewClient{}, storeError(err)
	}
	s.log.InfoContext(ctx, "portal: client created", "internal_id", internalID, "client_id", bound.ClientID)
	return NewClient{Client: bound, Secret: secret}, nil
}

// Reset replaces a client within its slot: a slot for the new one (beside
// the limit, tied to the old one), the new Cognito client recorded on it,
// then one transaction that unbinds the old id, binds the new and turns
// the slot into the old client's orphan record; then the old Cognito
// client is deleted and the slot released. Once the transaction is done
// the old id no longer maps to anyone, so the authorizer refuses its
// tokens even if the deletion in Cognito fails.
func (s *ClientService) Reset(ctx context.Context, internalID, oldID string) (NewClient, error) {
	old, err := s.owned(ctx, internalID, oldID)
	if err != nil {
		return NewClient{}, err
	}
	slot, err := s.cfg.Directory.ReserveReplacement(ctx, internalID, oldID)
	if err != nil {
		s.log.ErrorContext(ctx, "portal: reserving the replacement's slot failed", "internal_id", internalID, "client_id", oldID, "error", err.Error())
		return NewClient{}, storeError(err)
	}
	slot, secret, err := s.createRecorded(ctx, slot)
	if err != nil {
		return NewClient{}, err
	}
	newID := slot.ClientID
	bound, err := s.cfg.Directory.ReplacePending(ctx, slot, oldID, mapping.Client{
		ClientID: newID, Label: old.Label, Scopes: s.cfg.ClientScopes,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "portal: replacing the binding failed; undoing", "internal_id", internalID,
			"client_id", oldID, "new_client_id", newID, "error", err.Error())
		if b, done := s.undo(ctx, slot); done {
			bound, err = b, nil
		}
	}
	if err != nil {
		return NewClient{}, storeError(err)
	}
	// The slot now records the old client, unbound.
	orphan := slot
	orphan.ClientID, orphan.State, orphan.Replaces = oldID, mapping.PendingOrphan, ""
	deleted := s.clean.finish(ctx, orphan)
	s.log.InfoContext(ctx, "portal: client reset", "internal_id", internalID, "client_id", oldID, "new_client_id", newID)
	return NewClient{Client: bound, Secret: secret, ReplacedClientID: oldID, ReplacedClientDeleted: deleted}, nil
}

// Delete unbinds the client and records it as an orphan in one
// transaction (from then on the authorizer refuses the id), then deletes
// the Cognito client (from then on its secret gets no token) and releases
// the slot. It reports whether Cognito confirmed the deletion; a failed
// one stays recorded for the next clean-up.
func (s *ClientService) Delete(ctx context.Context, internalID, clientID string) (cognitoDeleted bool, err error) {
	if _, err := s.owned(ctx, internalID, clientID); err != nil {
		return false, err
	}
	orphan, err := s.cfg.Directory.UnbindClient(ctx, internalID, clientID)
	if err != nil {
		s.log.ErrorContext(ctx, "portal: unbinding the client failed", "internal_id", internalID, "client_id", clientID, "error", err.Error())
		return false, storeError(err)
	}
	cognitoDeleted = s.clean.finish(ctx, orphan)
	s.log.InfoContext(ctx, "portal: client deleted", "internal_id", internalID, "client_id", clientID)
	return cognitoDeleted, nil
}

// slots reads the person's clients and pending slots (one strongly
// consistent read) and first finishes what earlier requests left half
// done (see Cleaner). A person without a record has none.
func (s *ClientService) slots(ctx context.Context, internalID string) (mapping.Slots, error) {
	slots, err := s.cfg.Directory.ClientSlots(ctx, internalID)
	if errors.Is(err, mapping.ErrNotFound) {
		return mapping.Slots{Clients: []mapping.Client{}}, nil
	}
	if err != nil {
		s.log.ErrorContext(ctx, "portal: listing clients failed", "internal_id", internalID, "error", err.Error())
		return mapping.Slots{}, storeError(err)
	}
	if len(slots.Pending) > 0 {
		s.clean.sweep(ctx, slots.Pending)
	}
	return slots, nil
}

// owned returns clientID if it is one of the person's clients, with a
// strongly consistent read. Another person's client is ErrClientNotFound.
func (s *ClientService) owned(ctx context.Context, internalID, clientID string) (mapping.Client, error) {
	slots, err := s.slots(ctx, internalID)
	if err != nil {
		return mapping.Client{}, err
	}
	i := slices.IndexFunc(slots.Clients, func(cl mapping.Client) bool { return cl.ClientID == clientID })
	if i < 0 {
		return mapping.Client{}, fmt.Errorf("%w: %q", ErrClientNotFound, clientID)
	}
	return slots.Clients[i], nil
}

// createRecorded creates the Cognito client for a slot in state creating
// and records its id there. On failure the Cognito client is deleted and
// the slot given back; a slot that cannot be given back stays behind in
// state creating and is released by a later clean-up (Cleaner).
func (s *ClientService) createRecorded(ctx context.Context, slot mapping.PendingClient) (mapping.PendingClient, string, error) {
	id, secret, err := s.createCognitoClient(ctx, slot.InternalID)
	if err != nil {
		s.log.ErrorContext(ctx, "portal: creating the Cognito client failed", "internal_id", slot.InternalID, "error", awserr.Code(err))
		s.clean.release(ctx, slot)
		return mapping.PendingClient{}, "", cognitoAdminError(err)
	}
	recorded, err := s.cfg.Directory.RecordPendingClient(ctx, slot, id)
	if err == nil {
		return recorded, secret, nil
	}
	s.log.ErrorContext(ctx, "portal: recording the new client failed; deleting it", "internal_id", slot.InternalID, "client_id", id, "error", err.Error())
	// Not recorded means not bound either: deleting it is safe.
	cctx, cancel := cleanupContext(ctx, s.cfg.CompensationTimeout)
	defer cancel()
	if s.clean.deleteCognitoClient(ctx, id) {
		s.clean.release(ctx, slot)
	} else if _, cerr := s.cfg.Directory.ClaimPending(cctx, withClient(slot, id)); cerr != nil {
		// Both services failing at once: the one case with only a log line
		// (doc.go, "What can be left behind").
		s.log.ErrorContext(ctx, "portal: an unbound Cognito client could not be deleted nor recorded; delete it by hand",
			"internal_id", slot.InternalID, "client_id", id, "error", cerr.Error())
	}
	return mapping.PendingClient{}, "", storeError(err)
}

// undo takes back a create or reset whose last write failed: it claims
// the slot and then deletes the new Cognito client and releases the slot.
// If the slot has moved on, the write had landed after all: done is true
// and bound is the client as bound. If the claim fails too, the slot stays
// recorded in state creating for a later clean-up.
func (s *ClientService) undo(ctx context.Context, slot mapping.PendingClient) (bound mapping.Client, done bool) {
	cctx, cancel := cleanupContext(ctx, s.cfg.CompensationTimeout)
	defer cancel()
	claimed, err := s.cfg.Directory.ClaimPending(cctx, slot)
	if err == nil {
		s.clean.finish(ctx, claimed)
		return mapping.Client{}, false
	}
	if definite(err) {
		slots, rerr := s.cfg.Directory.ClientSlots(cctx, slot.InternalID)
		if rerr == nil {
			if i := slices.IndexFunc(slots.Clients, func(cl mapping.Client) bool { return cl.ClientID == slot.ClientID }); i >= 0 {
				s.log.InfoContext(ctx, "portal: the write had landed after all", "internal_id", slot.InternalID, "client_id", slot.ClientID)
				return slots.Clients[i], true
			}
		}
	}
	s.log.WarnContext(ctx, "portal: compensation deferred to the next clean-up", "internal_id", slot.InternalID,
		"client_id", slot.ClientID, "error", err.Error())
	return mapping.Client{}, false
}

func withClient(p mapping.PendingClient, clientID string) mapping.PendingClient {
	p.ClientID = clientID
	return p
}

// createCognitoClient creates a confidential app client for the
// client-credentials grant only, and returns its id and secret.
func (s *ClientService) createCognitoClient(ctx context.Context, internalID string) (id, secret string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CognitoTimeout)
	defer cancel()
	minutes := int32(s.cfg.AccessTokenValidity / time.Minute)
	out, err := s.cfg.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                      aws.String(s.cfg.UserPoolID),
		ClientName:                      aws.String(s.clientName(internalID)),
		GenerateSecret:                  true,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              slices.Clone(s.cfg.ClientScopes),
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
			s.clean.deleteCognitoClient(ctx, aws.ToString(uc.ClientId))
		}
		return "", "", errors.New("CreateUserPoolClient returned no client id or secret")
	}
	return *uc.ClientId, *uc.ClientSecret, nil
}

// clientName is "<prefix>-<internal id>" in Cognito's client name
// alphabet, at most 128 characters.
func (s *ClientService) clientName(internalID string) string {
	var b strings.Builder
	b.WriteString(s.cfg.ClientNamePrefix)
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

// storeError classifies a mapping failure.
func storeError(err error) error {
	switch {
	case errors.Is(err, mapping.ErrLimit):
		return fmt.Errorf("%w: %w", ErrClientLimit, err)
	case errors.Is(err, mapping.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrClientNotFound, err)
	case errors.Is(err, mapping.ErrConflict):
		return fmt.Errorf("%w: %w", ErrClientConflict, err)
	case errors.Is(err, mapping.ErrMisconfigured):
		return fmt.Errorf("%w: %w", ErrMisconfigured, err)
	case errors.Is(err, mapping.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("portal: mapping: %w", err)
}

// cognitoAdminError classifies a Cognito admin failure (internal/awserr's
// classification).
func cognitoAdminError(err error) error {
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return fmt.Errorf("%w: cognito: %w", ErrUnavailable, err)
	case awserr.Misconfigured:
		return fmt.Errorf("%w: cognito: %w", ErrMisconfigured, err)
	}
	return fmt.Errorf("portal: cognito: %w", err)
}
