package live

import (
	"context"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// handOffPoll is how often a replica looks for handed-off escalations;
// orphanScan how often for escalations whose owner died.
const (
	handOffPoll = 250 * time.Millisecond
	orphanScan  = 2 * time.Second
)

// takeOver adopts escalations other replicas did not finish, while this
// replica is ready (until ctx ends): those handed off at a shutdown at once,
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
		if s.health.ready() != nil {
			continue // draining, or not synced yet: take nothing over now
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
