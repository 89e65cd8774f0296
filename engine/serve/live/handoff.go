package live

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
)

// ownedStore is the engine's store with a record of the conversations
// this replica owns and has not finished: it sees every successful
// ClaimConversation and every terminal decision appended. A shutdown
// releases what is left, so another replica takes those conversations
// over at once (resuming from the decision log and checking the
// conversation first) instead of answering "hold" until the ownership
// TTL (minutes) runs out.
type ownedStore struct {
	engine.Store
	mu    sync.Mutex
	owned map[string]string // conversation → owner
}

func newOwnedStore(s engine.Store) *ownedStore {
	return &ownedStore{Store: s, owned: map[string]string{}}
}

// ClaimConversation implements engine.Store.
func (o *ownedStore) ClaimConversation(ctx context.Context, conv, owner string, ttl time.Duration) (string, error) {
	got, err := o.Store.ClaimConversation(ctx, conv, owner, ttl)
	if err == nil && got == owner {
		o.mu.Lock()
		o.owned[conv] = owner
		o.mu.Unlock()
	}
	return got, err
}

// AppendDecision implements engine.Store.
func (o *ownedStore) AppendDecision(ctx context.Context, d *engine.Decision) error {
	err := o.Store.AppendDecision(ctx, d)
	if err == nil && d.Action.Terminal() {
		o.mu.Lock()
		delete(o.owned, d.ConversationID)
		o.mu.Unlock()
	}
	return err
}

// unfinished returns a copy of the owned conversations and their owner.
func (o *ownedStore) unfinished() map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]string, len(o.owned))
	for c, w := range o.owned {
		out[c] = w
	}
	return out
}

// drain is the graceful half of a shutdown. It refuses new escalations
// (POST answers 503 with a JSON body, /readyz 503) while the API keeps
// answering GETs, and waits, at most cfg.Shutdown.Drain, for every
// escalation in flight to end: deliveries already answered "routed" are
// made (the dispatcher keeps running) and their outcomes arrive. Then the
// engine's last act turns its delivery claims into short draining marks,
// the dispatcher stops (a delivery it had not made yet is abandoned, not
// failed over here), and the conversations still unfinished are released
// to the other replicas, which check each one before acting. It returns
// how many were handed off.
func (s *Server) drain(stopDispatcher func()) int {
	start := time.Now()
	s.health.draining.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Shutdown.Drain)
	defer cancel()
	inFlight := s.waitSettled(ctx)
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := s.loop.Stop(fctx, func(e *engine.Engine) error { return e.ReleaseClaims(fctx) }); err != nil {
		s.log.Warn("shutdown: releasing delivery claims", "err", err)
	}
	stopDispatcher()
	handed := 0
	left := s.owned.unfinished()
	for _, conv := range slices.Sorted(maps.Keys(left)) {
		ok, err := s.rstore.ReleaseConversation(fctx, conv, left[conv])
		if err != nil {
			s.log.Warn("shutdown: conversation not handed off; another replica takes it over after the ownership TTL", "conversationId", conv, "err", err)
			continue
		}
		if ok {
			handed++
		}
	}
	s.log.Info("shutdown: drained", "took", time.Since(start).Round(time.Millisecond), "inFlightAtDeadline", inFlight, "handedOff", handed)
	return handed
}

// waitSettled polls until no escalation is in flight, ctx ends, or the
// store is closed (nothing can settle then); it returns how many are
// left.
func (s *Server) waitSettled(ctx context.Context) int {
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		n := -1
		_ = s.loop.Do(ctx, func(e *engine.Engine) error { n = e.InFlight(); return nil })
		if n == 0 || ctx.Err() != nil {
			return max(n, 0)
		}
		if err := s.rclient.Ping(ctx).Err(); errors.Is(err, redis.ErrClosed) {
			return n
		}
		select {
		case <-ctx.Done():
			return n
		case <-t.C:
		}
	}
}
