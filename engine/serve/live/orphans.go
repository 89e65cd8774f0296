package live

import (
	"context"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Orphaned escalations. A replica killed outright (kill -9, OOM, a lost
// node) hands nothing over: its escalations stay "deliver" or "hold" in the
// decision log and nobody continues them until the caller retries, which a
// Data Action that got its answer never does. So every escalation a
// replica takes on is also recorded as open in the store
// (redisstore.MarkOpen), and every replica looks for open escalations
// whose conversation nobody owns any more (the owner's claim ran out or
// was released) and submits them: the engine claims the conversation,
// resumes from the log and checks an in-flight delivery's conversation
// before acting (engine/resume.go), exactly as for a retried Data Action.
// One that turns out to be finished is closed.

// orphanPoll is how often a replica looks for orphaned escalations.
const orphanPoll = time.Second

// submitted is serve.API's Submitted hook: it remembers what this replica
// owns (for a shutdown's hand-off) and records unfinished escalations as
// open, off the request path (a failure only means that a kill -9 of this
// replica leaves that one to the caller's retry).
func (s *Server) submitted(x engine.Escalation, d engine.Decision) {
	s.owned.submitted(x, d)
	if d.Action.Terminal() || !s.owned.owns(x.ConversationID) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.rstore.MarkOpen(ctx, x); err != nil {
			s.log.Warn("escalation not recorded as open; if this replica dies, the caller's retry takes it over", "conversationId", x.ConversationID, "err", err)
		}
	}()
}

// owns reports whether this replica owns conv and has not seen it end.
func (o *ownedStore) owns(conv string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.owned[conv]
	return ok
}

// adoptOrphans submits open escalations nobody owns, every orphanPoll,
// until ctx ends; it pauses while this replica drains.
func (s *Server) adoptOrphans(ctx context.Context) {
	t := time.NewTicker(orphanPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.health.draining.Load() {
			continue
		}
		open, err := s.rstore.OpenEscalations(ctx)
		if err != nil {
			continue // the store is away; the next poll tries again
		}
		for _, x := range open {
			if !s.adopt(ctx, x) {
				break
			}
		}
	}
}

// adopt submits x if nobody owns its conversation; false means stop this
// round (the store or the loop is away).
func (s *Server) adopt(ctx context.Context, x engine.Escalation) bool {
	conv := x.ConversationID
	if s.owned.owns(conv) {
		return true
	}
	owner, err := s.rstore.ConversationOwner(ctx, conv)
	if err != nil {
		return false
	}
	if owner != "" {
		return true // alive, or its claim has not run out yet
	}
	var d engine.Decision
	err = s.loop.Do(ctx, func(e *engine.Engine) error {
		var err error
		if d, err = e.Submit(ctx, x); err == nil {
			s.owned.submitted(x, d)
		}
		return err
	})
	if err != nil {
		s.log.Warn("orphaned escalation not adopted yet", "conversationId", conv, "err", err)
		return false
	}
	if d.Action.Terminal() {
		if err := s.rstore.MarkClosed(ctx, conv); err != nil {
			return false
		}
		return true
	}
	s.log.Info("adopted an orphaned escalation", "conversationId", conv, "action", d.Action.String(), "userId", d.Expert, "why", d.Why)
	return true
}
