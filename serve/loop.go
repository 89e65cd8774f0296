// Package serve is shadowq's production runtime around the engine: the
// goroutine that owns it (the engine is a synchronous state machine, as in
// etcd raft's node.go wrapping the pure core), the Data Action HTTP API an
// Architect flow calls, health endpoints and Prometheus metrics. It knows
// nothing about Genesys or Redis: those arrive through the engine's ports.
package serve

import (
	"context"
	"errors"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// ErrStopped is returned by Do once the loop has stopped.
var ErrStopped = errors.New("serve: loop stopped")

// Loop serialises all access to one engine on one goroutine and runs its
// deadlines (overdue deliveries, hold caps) on a real timer.
//
// Concurrency: Do may be called from any goroutine; fn runs on the loop
// goroutine, one at a time, in arrival order.
type Loop struct {
	eng  *engine.Engine
	reqs chan request
	stop chan request
	done chan struct{}
	err  error
}

type request struct {
	ctx context.Context
	fn  func(*engine.Engine) error
	res chan error
}

// NewLoop wraps eng; call Run to start it.
func NewLoop(eng *engine.Engine) *Loop {
	return &Loop{eng: eng, reqs: make(chan request), stop: make(chan request), done: make(chan struct{})}
}

// Run owns the engine until ctx is cancelled. now is the wall clock the
// engine was built with.
func (l *Loop) Run(ctx context.Context, now func() time.Time) error {
	defer close(l.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	arm := func() {
		at, ok := l.eng.NextDeadline()
		d := time.Hour
		if ok {
			d = max(at.Sub(now()), 0)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d)
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-l.reqs:
			err := r.ctx.Err()
			if err == nil {
				err = r.fn(l.eng)
			}
			r.res <- err
		case r := <-l.stop:
			r.res <- r.fn(l.eng)
			return nil
		case <-timer.C:
			if err := l.eng.Tick(ctx); err != nil {
				l.err = err
			}
		}
		arm()
	}
}

// Do runs fn on the loop goroutine and returns its error.
func (l *Loop) Do(ctx context.Context, fn func(*engine.Engine) error) error {
	r := request{ctx: ctx, fn: fn, res: make(chan error, 1)}
	select {
	case l.reqs <- r:
	case <-l.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop runs final on the loop goroutine as the engine's last act and ends
// Run: every later Do returns ErrStopped, so nothing can decide after
// final (a shutdown releases claims there, knowing no new one follows).
// It returns final's error, or ErrStopped if the loop had already ended.
func (l *Loop) Stop(ctx context.Context, final func(*engine.Engine) error) error {
	r := request{ctx: ctx, fn: final, res: make(chan error, 1)}
	select {
	case l.stop <- r:
	case <-l.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.res
}

// Apply feeds a batch of events to the engine.
func (l *Loop) Apply(ctx context.Context, evs []engine.Event) error {
	return l.Do(ctx, func(e *engine.Engine) error { return e.Apply(ctx, evs...) })
}

// ApplySnapshot feeds a bulk resync to the engine.
func (l *Loop) ApplySnapshot(ctx context.Context, s engine.Snapshot) error {
	return l.Do(ctx, func(e *engine.Engine) error { return e.ApplySnapshot(ctx, s) })
}

// HandleOutcome feeds a delivery outcome (e.g. a failed /assign) back.
func (l *Loop) HandleOutcome(ctx context.Context, o engine.Outcome) error {
	return l.Do(ctx, func(e *engine.Engine) error { return e.HandleOutcome(ctx, o) })
}
