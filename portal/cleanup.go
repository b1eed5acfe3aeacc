package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// StaleAfter is how old a slot in state creating must be before a clean-up
// takes it over: longer than any request runs (API Gateway gives up after
// 29 s, a Lambda after 15 minutes), so it is never one still under way.
const StaleAfter = 15 * time.Minute

// CleanerConfig configures a Cleaner. Cognito, UserPoolID and Directory are
// required.
type CleanerConfig struct {
	Cognito    CognitoAdmin
	UserPoolID string
	Directory  Directory
	// CognitoTimeout bounds each Cognito call; 0 means
	// DefaultCognitoTimeout.
	CognitoTimeout time.Duration
	// CompensationTimeout bounds the clean-up of one slot, on a context
	// the caller's cancellation does not reach; 0 means
	// DefaultCompensationTimeout.
	CompensationTimeout time.Duration
	// Logger: default discard.
	Logger *slog.Logger
}

// Cleaner finishes client work that a failure or a crash left half done.
// What it finds are the pending slots the mapping records (see doc.go):
// an orphan's Cognito client is deleted and its slot released; a slot
// still creating after StaleAfter is claimed first. The portal runs it
// on a person's pending slots before each of their requests; `gatehouse
// clients cleanup` runs it by hand.
type Cleaner struct {
	cfg CleanerConfig
	log *slog.Logger
}

// NewCleaner checks cfg and returns a Cleaner. It does no I/O.
func NewCleaner(cfg CleanerConfig) (*Cleaner, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if cfg.Cognito == nil {
		bad("cleaner: Cognito is nil")
	}
	if cfg.Directory == nil {
		bad("cleaner: Directory is nil")
	}
	if cfg.UserPoolID == "" {
		bad("cleaner: UserPoolID is empty")
	}
	if cfg.CognitoTimeout < 0 || cfg.CompensationTimeout < 0 {
		bad("cleaner: CognitoTimeout and CompensationTimeout must not be negative")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	cfg.CognitoTimeout = cmp.Or(cfg.CognitoTimeout, DefaultCognitoTimeout)
	cfg.CompensationTimeout = cmp.Or(cfg.CompensationTimeout, DefaultCompensationTimeout)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cleaner{cfg: cfg, log: cfg.Logger}, nil
}

// CleanupResult says what a clean-up did.
type CleanupResult struct {
	// Deleted are the Cognito client ids deleted (or found gone).
	Deleted []string `json:"deleted"`
	// Released is the number of slots given back.
	Released int `json:"released"`
	// Left is the number of slots left for a later clean-up: a Cognito or
	// DynamoDB failure, or a slot still under way (younger than
	// StaleAfter).
	Left int `json:"left"`
}

// Clean finishes what is recorded as half done for one person. An unknown
// person has nothing to clean.
func (c *Cleaner) Clean(ctx context.Context, internalID string) (CleanupResult, error) {
	slots, err := c.cfg.Directory.ClientSlots(ctx, internalID)
	if errors.Is(err, mapping.ErrNotFound) {
		return CleanupResult{Deleted: []string{}}, nil
	}
	if err != nil {
		return CleanupResult{}, err
	}
	return c.sweep(ctx, slots.Pending), nil
}

func (c *Cleaner) sweep(ctx context.Context, pending []mapping.PendingClient) CleanupResult {
	res := CleanupResult{Deleted: []string{}}
	now := time.Now()
	for _, p := range pending {
		if p.State == mapping.PendingCreating {
			if now.Sub(p.Created) < StaleAfter {
				res.Left++ // under way
				continue
			}
			cctx, cancel := cleanupContext(ctx, c.cfg.CompensationTimeout)
			claimed, err := c.cfg.Directory.ClaimPending(cctx, p)
			cancel()
			if err != nil {
				if !definite(err) {
					c.log.WarnContext(ctx, "portal: clean-up: claiming a stale slot failed", "internal_id", p.InternalID, "error", err.Error())
					res.Left++
				}
				continue // moved on meanwhile: bound, replaced or claimed by another
			}
			p = claimed
		}
		if !c.finish(ctx, p) {
			res.Left++
			continue
		}
		if p.ClientID != "" {
			res.Deleted = append(res.Deleted, p.ClientID)
		}
		res.Released++
	}
	if len(pending) > 0 {
		c.log.InfoContext(ctx, "portal: clean-up", "internal_id", pending[0].InternalID,
			"deleted", len(res.Deleted), "released", res.Released, "left", res.Left)
	}
	return res
}

// finish deletes the Cognito client an orphan slot records (if any) and
// then releases the slot. It reports whether the Cognito client is gone;
// whatever fails stays recorded for the next clean-up.
func (c *Cleaner) finish(ctx context.Context, orphan mapping.PendingClient) bool {
	if orphan.ClientID != "" && !c.deleteCognitoClient(ctx, orphan.ClientID) {
		c.log.ErrorContext(ctx, "portal: an unbound client still exists in Cognito; recorded for clean-up",
			"internal_id", orphan.InternalID, "client_id", orphan.ClientID)
		return false
	}
	c.release(ctx, orphan)
	return true
}

// release gives a slot back; a slot already released is fine. A failure
// leaves it recorded: a later clean-up releases it.
func (c *Cleaner) release(ctx context.Context, p mapping.PendingClient) {
	cctx, cancel := cleanupContext(ctx, c.cfg.CompensationTimeout)
	defer cancel()
	err := c.cfg.Directory.ReleasePending(cctx, p)
	if err != nil && !errors.Is(err, mapping.ErrNotFound) {
		c.log.WarnContext(ctx, "portal: releasing a client slot failed; left for clean-up", "internal_id", p.InternalID, "error", err.Error())
	}
}

// deleteAttempts is how often a Cognito client deletion is tried.
const deleteAttempts = 3

// deleteCognitoClient deletes an app client, retrying a few times; a
// client already gone counts as deleted. It runs on a context the
// request's cancellation cannot cut short.
func (c *Cleaner) deleteCognitoClient(ctx context.Context, id string) bool {
	ctx, cancel := cleanupContext(ctx, c.cfg.CompensationTimeout)
	defer cancel()
	for attempt := range deleteAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		actx, acancel := context.WithTimeout(ctx, c.cfg.CognitoTimeout)
		_, err := c.cfg.Cognito.DeleteUserPoolClient(actx, &cip.DeleteUserPoolClientInput{
			UserPoolId: aws.String(c.cfg.UserPoolID), ClientId: aws.String(id),
		})
		acancel()
		var notFound *types.ResourceNotFoundException
		if err == nil || errors.As(err, &notFound) {
			return true
		}
		c.log.WarnContext(ctx, "portal: deleting a Cognito client failed", "client_id", id, "attempt", attempt+1, "error", awserr.Code(err))
	}
	return false
}

// cleanupContext keeps ctx's values but not its cancellation: clean-up
// must happen even when the caller gave up.
func cleanupContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}
