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
	"github.com/shadowq/shadowq/engine/serve"
)

// ownedStore is the engine's store with a record of the conversations
// this replica owns and has not finished: it sees every successful
// ClaimConversation and every terminal decision appended. A shutdown
// releases what is left, so another replica takes those conversations
// over at once (resuming from the decision log and checking the
// conversation first) instead of answering "hold" until the ownership
// TTL (minutes) runs out; the escalation itself is queued for takeover
// (redisstore.HandOff), so it goes on without waiting for a retry.
type ownedStore struct {
	engine.Store
	// reg records owned escalations in the store for survivors to find
	// if this replica dies (nil: not recorded).
	reg   inFlightRegistry
	onErr func(error)
	mu    sync.Mutex
	owned map[string]string            // conversation → owner
	escs  map[string]engine.Escalation // what was submitted for an owned conversation
}

// inFlightRegistry is the part of redisstore.Store that records owned,
// unfinished escalations (see Orphans).
type inFlightRegistry interface {
	TrackInFlight(context.Context, engine.Escalation) error
	UntrackInFlight(context.Context, string) error
}

func newOwnedStore(s engine.Store, reg inFlightRegistry, onErr func(error)) *ownedStore {
	return &ownedStore{Store: s, reg: reg, onErr: onErr, owned: map[string]string{}, escs: map[string]engine.Escalation{}}
}

// submitted remembers x if its conversation is owned here and unfinished
// (serve.API's Submitted hook; it runs on the engine's goroutine), so
// that a shutdown can hand it over whole and, in the store, so that a
// survivor can take it over if this replica dies.
func (o *ownedStore) submitted(x engine.Escalation, d engine.Decision) {
	o.mu.Lock()
	_, owned := o.owned[x.ConversationID]
	_, known := o.escs[x.ConversationID]
	if owned {
		o.escs[x.ConversationID] = x
	}
	o.mu.Unlock()
	if owned && !known && !d.Action.Terminal() && o.reg != nil {
		// Off the engine's goroutine: a slow store must not stall routing.
		// A late write after the escalation ended leaves a stale entry,
		// which the orphan scan drops once it finds the log terminal.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := o.reg.TrackInFlight(ctx, x); err != nil && o.onErr != nil {
				o.onErr(err)
			}
		}()
	}
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
		delete(o.escs, d.ConversationID)
		o.mu.Unlock()
		if o.reg != nil {
			// A failure leaves a stale entry: the orphan scan finds the
			// log terminal and drops it.
			if uerr := o.reg.UntrackInFlight(ctx, d.ConversationID); uerr != nil && o.onErr != nil {
				o.onErr(uerr)
			}
		}
	}
	return err
}

// unfinished returns the owned conversations, each with its owner and
// escalation (zero if it was not seen).
func (o *ownedStore) unfinished() map[string]ownedEsc {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]ownedEsc, len(o.owned))
	for c, w := range o.owned {
		x, ok := o.escs[c]
		out[c] = ownedEsc{owner: w, x: x, known: ok}
	}
	return out
}

type ownedEsc struct {
	owner string
	x     engine.Escalation
	known bool
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

// handOffPoll is how often a replica looks for handed-off escalations;
// orphanScan how often for escalations whose owner died.
const (
	handOffPoll = 250 * time.Millisecond
	orphanScan  = 2 * time.Second
)

// takeOver adopts escalations other replicas did not finish, until ctx
// ends or this replica drains: those handed off at a shutdown at once,
// and those of a replica that died (kill -9) once its ownership of the
// conversation ran out (redisstore.Orphans), with no Data Action retry
// needed. Each is submitted to the engine, which claims the conversation,
// resumes from the decision log and checks the conversation before
// acting. A hand-off that cannot be submitted now (the store is away) is
// queued again; an orphan is simply found again by the next scan.
func (s *Server) takeOver(ctx context.Context) {
	t := time.NewTicker(handOffPoll)
	defer t.Stop()
	nextScan := time.Now().Add(orphanScan)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for !s.health.draining.Load() {
			x, ok, err := s.rstore.TakeHandOff(ctx)
			if err != nil || !ok {
				break
			}
			if err := s.adopt(ctx, x, "handed off"); err != nil {
				if herr := s.rstore.HandOff(context.WithoutCancel(ctx), x); herr != nil {
					s.log.Error("takeover lost; the caller's retry takes it over", "conversationId", x.ConversationID, "err", herr)
				}
				break
			}
		}
		if time.Now().Before(nextScan) || s.health.draining.Load() {
			continue
		}
		nextScan = time.Now().Add(orphanScan)
		orphans, err := s.rstore.Orphans(ctx)
		if err != nil {
			continue
		}
		for _, x := range orphans {
			if s.health.draining.Load() || s.adopt(ctx, x, "orphaned") != nil {
				break
			}
		}
	}
}

// adopt submits an escalation another replica did not finish.
func (s *Server) adopt(ctx context.Context, x engine.Escalation, why string) error {
	var d engine.Decision
	err := s.loop.Do(ctx, func(e *engine.Engine) error {
		var err error
		if d, err = e.Submit(ctx, x); err == nil {
			s.owned.submitted(x, d)
		}
		return err
	})
	if err != nil {
		s.log.Warn("takeover postponed", "conversationId", x.ConversationID, "why", why, "err", err)
		return err
	}
	if d.Action.Terminal() {
		// Finished after all (its entry outlived it): forget it.
		if err := s.rstore.UntrackInFlight(ctx, x.ConversationID); err != nil {
			s.log.Warn("in-flight entry not removed", "conversationId", x.ConversationID, "err", err)
		}
	}
	s.log.Info("took over an escalation", "conversationId", x.ConversationID, "why", why, "action", d.Action.String(), "userId", d.Expert, "detail", d.Why)
	return nil
}
