package live

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/serve"
)

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
	bound := s.cfg.Shutdown.Drain
	if bound <= 0 { // a Config built in code, not by LoadConfig
		bound = serve.DefaultDrain
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
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
		// Released first: a replica that takes the hand-off must be able
		// to claim the conversation.
		ok, err := s.rstore.ReleaseConversation(fctx, conv, left[conv].owner)
		if err != nil {
			s.log.Warn("shutdown: conversation not handed off; another replica takes it over after the ownership TTL", "conversationId", conv, "err", err)
			continue
		}
		// !ok: the ownership ran out already; handing off is still right
		// (whoever holds it now makes the taker answer hold and drop it).
		_ = ok
		if left[conv].known {
			if err := s.rstore.HandOff(fctx, left[conv].x); err != nil {
				s.log.Warn("shutdown: conversation released but not queued for takeover; the caller's retry takes it over", "conversationId", conv, "err", err)
			}
		}
		handed++
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
