package engine

import (
	"context"
	"errors"
	"fmt"
)

// The backlog is what the engine decided but the store has not taken yet:
// expert states to write through and decisions to append to the log. A
// store failure never drops them: they stay queued, in order, and every
// later call (Tick at the latest, see NextDeadline) tries again. The
// engine's own state is already up to date, so routing carries on from
// memory while the store is away.

// log records a decision: the OnDecision hook sees it at once, the store's
// decision log gets it now or, if the store fails, with the backlog (in
// order: nothing is appended while older decisions wait).
func (e *Engine) log(ctx context.Context, d *Decision) {
	if e.onDec != nil {
		e.onDec(d)
	}
	if len(e.unlogged) == 0 && !e.storeResting() {
		// The common case: straight to the store, no copy kept.
		err := e.store.AppendDecision(ctx, d)
		if err == nil {
			return
		}
		e.unlogged = append(e.unlogged, *d)
		e.noteStore(fmt.Errorf("%w: decision log: %w", ErrStore, err))
		return
	}
	e.unlogged = append(e.unlogged, *d)
	if !e.storeResting() {
		e.noteStore(e.flushLog(ctx))
	}
}

// flushLog appends the queued decisions, oldest first, stopping at the
// first failure.
func (e *Engine) flushLog(ctx context.Context) error {
	n := 0
	defer func() {
		clear(e.unlogged[:n])
		if n == len(e.unlogged) {
			e.unlogged = e.unlogged[:0] // keep the capacity
		} else {
			e.unlogged = e.unlogged[n:]
		}
	}()
	for n < len(e.unlogged) {
		if err := e.store.AppendDecision(ctx, &e.unlogged[n]); err != nil {
			return fmt.Errorf("%w: decision log: %w", ErrStore, err)
		}
		n++
	}
	return nil
}

// flush writes dirty experts through and appends queued decisions. What
// fails stays queued for the next call.
func (e *Engine) flush(ctx context.Context) error {
	if e.storeResting() {
		return nil // the backlog waits for retryAt (NextDeadline, Tick)
	}
	var errs []error
	if len(e.unlogged) > 0 {
		errs = append(errs, e.flushLog(ctx))
	}
	if len(e.dirty) > 0 && e.discardsStates() {
		// Nothing to write: the store would drop the states.
		for _, i := range e.dirty {
			e.isDirty[i] = false
		}
		e.dirty = e.dirty[:0]
	} else if len(e.dirty) > 0 {
		buf := e.scratch.states[:0]
		for _, i := range e.dirty {
			buf = append(buf, e.experts[i].st)
			buf[len(buf)-1].ConfirmedAt = e.confirmedAt(&e.experts[i].st)
		}
		e.scratch.states = buf[:0]
		if err := e.store.PutExperts(ctx, buf); err != nil {
			errs = append(errs, fmt.Errorf("%w: write-through: %w", ErrStore, err))
		} else {
			for _, i := range e.dirty {
				e.isDirty[i] = false
			}
			e.dirty = e.dirty[:0]
		}
	}
	err := errors.Join(errs...)
	e.noteStore(err)
	return err
}

// StateDiscarder is implemented by a Store that may keep no expert states
// (memstore.WithoutExpertStates): while DiscardsExpertStates is true, the
// engine does not call PutExperts, whose states it would copy (each
// changed expert's, after nearly every event) only for them to be dropped.
type StateDiscarder interface {
	DiscardsExpertStates() bool
}

func (e *Engine) discardsStates() bool {
	d, ok := e.store.(StateDiscarder)
	return ok && d.DiscardsExpertStates()
}

// noteStore records the outcome of a store write: a failure schedules a
// retry; a drained backlog clears the last error.
func (e *Engine) noteStore(err error) {
	switch {
	case err != nil:
		e.storeErr = err
		e.retryAt = e.clock.Now().Add(StoreRetryInterval)
	case e.backlog() == 0:
		e.storeErr = nil
	}
}

func (e *Engine) backlog() int { return len(e.dirty) + len(e.unlogged) }

// join2 is errors.Join for two errors without allocating when both are nil
// (the hot path).
func join2(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return errors.Join(a, b)
}

// joinErrs joins errs and last, allocating only when there is an error.
func joinErrs(errs []error, last error) error {
	if len(errs) == 0 {
		return last
	}
	return errors.Join(append(errs, last)...)
}

// storeResting is true between a failed write and its retry time: writes
// then only queue, so that a store that is down (every call waiting out a
// dial timeout) does not slow down every event the engine applies.
func (e *Engine) storeResting() bool {
	return e.storeErr != nil && e.backlog() > 0 && e.clock.Now().Before(e.retryAt)
}

// StoreBacklog reports how many expert states and decisions wait for the
// store, and the last store error while any do (nil once all are written).
// Readiness checks read it.
func (e *Engine) StoreBacklog() (int, error) {
	if e.backlog() == 0 {
		return 0, nil
	}
	return e.backlog(), e.storeErr
}
