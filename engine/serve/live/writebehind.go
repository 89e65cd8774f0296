package live

import (
	"context"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// writeBehind takes presence write-through off the engine loop: PutExperts
// only records the latest state per expert and returns; a background
// goroutine writes what accumulated in one call (one HSET on Redis) every
// interval. Claims, conversation ownership and the decision log stay
// synchronous: they are what replicas coordinate on. A crash loses at most
// one interval of presence writes, which the next resync restores.
type writeBehind struct {
	engine.Store
	mu      sync.Mutex
	pending map[engine.ExpertID]engine.ExpertState
	kick    chan struct{}
	onErr   func(error)
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
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return nil
}

// run writes pending states at most every interval until ctx ends, then
// flushes once more.
func (w *writeBehind) run(ctx context.Context, interval time.Duration) {
	for {
		select {
		case <-ctx.Done():
			w.flush(context.Background())
			return
		case <-w.kick:
		}
		w.flush(ctx)
		select {
		case <-ctx.Done():
			w.flush(context.Background())
			return
		case <-time.After(interval):
		}
	}
}

func (w *writeBehind) flush(ctx context.Context) {
	w.mu.Lock()
	if len(w.pending) == 0 {
		w.mu.Unlock()
		return
	}
	batch := make([]engine.ExpertState, 0, len(w.pending))
	for _, st := range w.pending {
		batch = append(batch, st)
	}
	clear(w.pending)
	w.mu.Unlock()
	if err := w.Store.PutExperts(ctx, batch); err != nil && w.onErr != nil {
		w.onErr(err)
	}
}
