package forwardauth

import (
	"context"
	"sync/atomic"
	"time"
)

// decisionContext is the context a decision runs in: its parent's, bounded
// by a deadline, like context.WithDeadline's, but it arms the deadline's
// timer only when something waits on Done. A decision from the caches
// (most decisions) does no I/O and never waits, so it costs no timer and
// no child registration in the request's context; a decision that does
// I/O waits on Done (the AWS SDK, net/http, a wait for a cache's shared
// fetch) and gets context.WithDeadline's context from then on, so its I/O
// stays bounded. Err reports the deadline without a timer too: a decision
// that overran it, waiting or not, is seen as too late (the handler then
// fails closed).
type decisionContext struct {
	parent   context.Context
	deadline time.Time
	armed    atomic.Pointer[armedContext] // nil until armed or released
}

type armedContext struct {
	context.Context
	cancel context.CancelFunc
}

// released marks a decisionContext released before it was armed: it is
// canceled, as context.WithDeadline's is after its cancel.
var released = &armedContext{}

func newDecisionContext(parent context.Context, timeout time.Duration) *decisionContext {
	d := time.Now().Add(timeout)
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return &decisionContext{parent: parent, deadline: d}
}

// arm returns the armed context, creating it on first use.
func (c *decisionContext) arm() *armedContext {
	for {
		if a := c.armed.Load(); a != nil {
			return a
		}
		ctx, cancel := context.WithDeadline(c.parent, c.deadline)
		if a := (&armedContext{ctx, cancel}); c.armed.CompareAndSwap(nil, a) {
			return a
		}
		cancel() // another goroutine armed it first
	}
}

// current is the armed context, armed now if the parent is done or the
// deadline has passed (so Err and Done agree), or nil.
func (c *decisionContext) current() *armedContext {
	if a := c.armed.Load(); a != nil {
		return a
	}
	if c.parent.Err() != nil || !time.Now().Before(c.deadline) {
		return c.arm()
	}
	return nil
}

// release ends the decision's context, as a cancel function does.
func (c *decisionContext) release() {
	if c.armed.CompareAndSwap(nil, released) {
		return
	}
	if a := c.armed.Load(); a != released {
		a.cancel()
	}
}

func (c *decisionContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *decisionContext) Done() <-chan struct{} {
	a := c.arm()
	if a == released {
		return closedChan
	}
	return a.Done()
}

func (c *decisionContext) Err() error {
	switch a := c.current(); a {
	case nil:
		return nil
	case released:
		return context.Canceled
	default:
		return a.Err()
	}
}

// Value is the parent's, or once armed the armed context's: context's own
// children find their parent's cancellation through it.
func (c *decisionContext) Value(key any) any {
	if a := c.current(); a != nil && a != released {
		return a.Value(key)
	}
	return c.parent.Value(key)
}

func (c *decisionContext) String() string { return "forwardauth.decisionContext" }

var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()
