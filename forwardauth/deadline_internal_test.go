package forwardauth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type ctxKey struct{}

// The decision context behaves as context.WithTimeout's does, whether or
// not anything armed its timer: the deadline is reported by Err in every
// case, Done closes at the deadline once waited on, the parent's
// cancellation and values pass through, and release cancels.
func TestDecisionContext(t *testing.T) {
	for _, tt := range []struct {
		name    string
		wait    bool          // call Done before the deadline (arms the timer)
		sleep   time.Duration // time spent "deciding"
		cancel  bool          // the parent is canceled meanwhile
		wantErr error
	}{
		{name: "in time, unarmed", sleep: time.Second, wantErr: nil},
		{name: "in time, armed", wait: true, sleep: time.Second, wantErr: nil},
		{name: "late, unarmed", sleep: 11 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "late, armed", wait: true, sleep: 11 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "exactly at the deadline", sleep: 10 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "parent canceled, unarmed", cancel: true, wantErr: context.Canceled},
		{name: "parent canceled, armed", wait: true, cancel: true, wantErr: context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "v"))
				defer cancel()
				dc := newDecisionContext(parent, 10*time.Second)
				if dl, ok := dc.Deadline(); !ok || !dl.Equal(time.Now().Add(10*time.Second)) {
					t.Errorf("Deadline() = %v, %v", dl, ok)
				}
				var done <-chan struct{}
				if tt.wait {
					done = dc.Done()
				}
				if tt.cancel {
					cancel()
				}
				time.Sleep(tt.sleep)
				synctest.Wait()
				if err := dc.Err(); !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("Err() = %v, want %v", err, tt.wantErr)
				}
				if dc.Err() != nil {
					// Err non-nil: Done is closed, armed or not.
					select {
					case <-dc.Done():
					default:
						t.Error("Err is set but Done is open")
					}
				} else if done != nil {
					select {
					case <-done:
						t.Error("Done closed before the deadline")
					default:
					}
				}
				if got := dc.Value(ctxKey{}); got != "v" {
					t.Errorf("Value = %v, want the parent's", got)
				}
				dc.release()
				if dc.Err() == nil {
					t.Error("Err is nil after release")
				}
				<-dc.Done()
				if got := dc.Value(ctxKey{}); got != "v" {
					t.Errorf("Value after release = %v, want the parent's", got)
				}
			})
		})
	}
}

// Waiting on Done (as I/O does) ends at the deadline, and a context
// derived from the decision's (as the SDK derives its own) ends with it,
// through context's own propagation.
func TestDecisionContextBoundsWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dc := newDecisionContext(t.Context(), 10*time.Second)
		child, cancel := context.WithCancel(dc)
		defer cancel()
		start := time.Now()
		<-child.Done()
		if waited := time.Since(start); waited != 10*time.Second {
			t.Errorf("waited %v, want the 10s deadline", waited)
		}
		if !errors.Is(child.Err(), context.DeadlineExceeded) || !errors.Is(dc.Err(), context.DeadlineExceeded) {
			t.Errorf("Err: child %v, decision %v", child.Err(), dc.Err())
		}
		dc.release()
	})
}

// release cancels what was derived from the decision's context, and a
// context derived after release is canceled at once; the parent's
// deadline, when earlier, is the decision's.
func TestDecisionContextRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dc := newDecisionContext(t.Context(), 10*time.Second)
		child, cancel := context.WithCancel(dc)
		defer cancel()
		dc.release()
		synctest.Wait()
		if !errors.Is(child.Err(), context.Canceled) {
			t.Errorf("child after release: %v", child.Err())
		}
		unarmed := newDecisionContext(t.Context(), 10*time.Second)
		unarmed.release()
		late, cancel2 := context.WithCancel(unarmed)
		defer cancel2()
		if !errors.Is(late.Err(), context.Canceled) {
			t.Errorf("derived after release: %v", late.Err())
		}

		parent, cancel3 := context.WithTimeout(t.Context(), time.Second)
		defer cancel3()
		short := newDecisionContext(parent, 10*time.Second)
		if dl, _ := short.Deadline(); !dl.Equal(time.Now().Add(time.Second)) {
			t.Errorf("Deadline %v, want the parent's", dl)
		}
		time.Sleep(time.Second)
		if !errors.Is(short.Err(), context.DeadlineExceeded) {
			t.Errorf("past the parent's deadline: %v", short.Err())
		}
		short.release()
	})
}

// Many waiters arming at once share one armed context (run with -race).
func TestDecisionContextConcurrentArm(t *testing.T) {
	dc := newDecisionContext(t.Context(), time.Minute)
	var wg sync.WaitGroup
	chans := make([]<-chan struct{}, 16)
	for i := range chans {
		wg.Go(func() {
			chans[i] = dc.Done()
			_ = dc.Err()
			_ = dc.Value(ctxKey{})
		})
	}
	wg.Wait()
	for _, ch := range chans {
		if ch != chans[0] {
			t.Fatal("Done returned different channels")
		}
	}
	dc.release()
	<-chans[0]
}

// After release, the decision's context reads as canceled everywhere, as
// context.WithTimeout's does after its cancel: context.Cause agrees with
// Err (a goroutine the decision left behind that checks Cause must stop),
// and the parent's values still pass through. Armed or not.
func TestDecisionContextCauseAfterRelease(t *testing.T) {
	parent := context.WithValue(t.Context(), ctxKey{}, "v")
	ref, cancel := context.WithTimeout(parent, time.Minute)
	cancel()
	for _, armed := range []bool{false, true} {
		dc := newDecisionContext(parent, time.Minute)
		if armed {
			_ = dc.Done()
		}
		dc.release()
		if got, want := dc.Err(), ref.Err(); got != want {
			t.Errorf("armed %v: Err %v, want %v", armed, got, want)
		}
		if got, want := context.Cause(dc), context.Cause(ref); got != want {
			t.Errorf("armed %v: Cause %v, want %v (Err %v)", armed, got, want, dc.Err())
		}
		if v := dc.Value(ctxKey{}); v != "v" {
			t.Errorf("armed %v: Value %v", armed, v)
		}
		select {
		case <-dc.Done():
		default:
			t.Errorf("armed %v: Done not closed", armed)
		}
		stopped := make(chan struct{})
		context.AfterFunc(dc, func() { close(stopped) })
		<-stopped
	}
}

// Contexts derived from the decision's (through a value, with a cause, an
// AfterFunc) find its cancelCtx through Value, as context's own children
// do: release cancels them synchronously, so none needed the goroutine
// context starts for a parent it cannot find.
func TestDecisionContextChildrenRegistered(t *testing.T) {
	dc := newDecisionContext(t.Context(), time.Minute)
	c1, cancel1 := context.WithCancel(context.WithValue(dc, ctxKey{}, 1))
	defer cancel1()
	c2, cancel2 := context.WithCancelCause(c1)
	defer cancel2(nil)
	c3, cancel3 := context.WithTimeout(dc, time.Hour)
	defer cancel3()
	ran := make(chan struct{})
	context.AfterFunc(dc, func() { close(ran) })
	dc.release()
	for i, c := range []context.Context{c1, c2, c3} {
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(context.Cause(c), context.Canceled) {
			t.Errorf("child %d right after release: %v (cause %v)", i+1, c.Err(), context.Cause(c))
		}
	}
	<-ran
}
