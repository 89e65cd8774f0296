package live

import (
	"context"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/shadowq/shadowq/engine"
)

// epochCheck is how often the write-behind checks that the store was not
// emptied behind its back (a Redis restarted without persistence).
const epochCheck = time.Second

// writeBehind takes presence write-through off the engine loop: PutExperts
// only records the latest state per expert and returns; a background
// goroutine writes what accumulated in one call (one HSET on Redis) every
// interval. Claims, conversation ownership and the decision log stay
// synchronous: they are what replicas coordinate on.
//
// Nothing is dropped while the store is away: a write that fails goes
// back into the pending set (unless a newer state of the expert arrived
// meanwhile) and is retried with exponential backoff and jitter until the
// store takes it. A crash loses at most what was pending, which the next
// resync restores.
//
// The engine writes an expert only when it changes, so a store that comes
// back empty would never again hold experts whose presence did not
// change. Every epochCheck the write-behind sets the store's epoch marker
// if it is missing (markEpoch); when it had to, the store was emptied (or
// is new) and rewrite puts the engine's whole cache back.
type writeBehind struct {
	engine.Store
	mu      sync.Mutex
	pending map[engine.ExpertID]engine.ExpertState
	writing int // states in a write under way
	kick    chan struct{}
	onErr   func(error)
	// markEpoch sets the epoch marker unless present and reports whether
	// it had to; rewrite queues every expert's current state (through
	// PutExperts, from the engine's goroutine, so that it orders with the
	// engine's own writes). Either may be nil.
	markEpoch func(context.Context) (bool, error)
	rewrite   func(context.Context) error
}

func newWriteBehind(s engine.Store, onErr func(error)) *writeBehind {
	return &writeBehind{Store: s, pending: map[engine.ExpertID]engine.ExpertState{}, kick: make(chan struct{}, 1), onErr: onErr}
}

// PutExperts implements engine.Store without a round trip.
func (w *writeBehind) PutExperts(_ context.Context, states []engine.ExpertState) error {
	w.mu.Lock()
	for _, st := range states {
		w.pending[st.ID] = st
	}
	w.mu.Unlock()
	w.poke()
	return nil
}

func (w *writeBehind) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run writes pending states at most every interval until ctx ends, then
// flushes once more (bounded: the store may be away).
func (w *writeBehind) run(ctx context.Context, interval time.Duration) {
	bo := &backoff.ExponentialBackOff{InitialInterval: 50 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: 5 * time.Second}
	bo.Reset()
	epoch := time.NewTicker(epochCheck)
	defer epoch.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	w.checkEpoch(ctx)
	failing := false
	for {
		kick := w.kick
		if failing {
			kick = nil // while the store is away only the backoff (or an epoch tick) tries again
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := w.flush(fctx); err != nil && w.onErr != nil {
				w.onErr(err) // states still pending are lost with the process
			}
			cancel()
			return
		case <-kick:
		case <-retry.C:
		case <-epoch.C:
			w.checkEpoch(ctx)
		}
		if err := w.flush(ctx); err != nil {
			if ctx.Err() != nil {
				continue // shutting down: the final flush retries with its own deadline
			}
			if w.onErr != nil {
				w.onErr(err)
			}
			failing = true
			retry.Reset(bo.NextBackOff())
			continue
		}
		failing = false
		bo.Reset()
		sleepOrDone(ctx, interval)
	}
}

// checkEpoch rewrites the whole cache when the store lost it.
func (w *writeBehind) checkEpoch(ctx context.Context) {
	if w.markEpoch == nil || w.rewrite == nil {
		return
	}
	set, err := w.markEpoch(ctx)
	if err != nil || !set {
		return // unreachable (readiness says so) or intact
	}
	if err := w.rewrite(ctx); err != nil && w.onErr != nil {
		w.onErr(err)
	}
}

// flush writes what is pending; on failure it puts back every state no
// newer one replaced meanwhile, and returns the error (run reports it,
// except a write cut short by shutdown, which the final flush retries).
func (w *writeBehind) flush(ctx context.Context) error {
	w.mu.Lock()
	if len(w.pending) == 0 {
		w.mu.Unlock()
		return nil
	}
	batch := make([]engine.ExpertState, 0, len(w.pending))
	for _, st := range w.pending {
		batch = append(batch, st)
	}
	clear(w.pending)
	w.writing = len(batch)
	w.mu.Unlock()
	err := w.Store.PutExperts(ctx, batch)
	w.mu.Lock()
	w.writing = 0
	if err == nil {
		w.mu.Unlock()
		return nil
	}
	for _, st := range batch {
		if _, newer := w.pending[st.ID]; !newer {
			w.pending[st.ID] = st
		}
	}
	w.mu.Unlock()
	return err
}

// Pending is how many expert states wait for the store (a write under
// way included; an expert in both counts twice).
func (w *writeBehind) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) + w.writing
}

func sleepOrDone(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
