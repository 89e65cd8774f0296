package live

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// rewriteAfterReset puts back what a store that came back empty lost and
// this replica still knows: every expert's state (the engine writes only
// changes, so unchanged experts would otherwise never reach the store
// again) and its ownership of the conversations it is routing (so another
// replica does not take them over mid-delivery). Claims and decision log
// entries written before the reset are not restored: the log's next
// entries and the claims of the next deliveries are written as usual.
func (s *Server) rewriteAfterReset(ctx context.Context) error {
	err := s.loop.Do(ctx, func(e *engine.Engine) error {
		states := make([]engine.ExpertState, 0, len(s.pool))
		for _, id := range s.pool {
			if st, ok := e.State(id); ok && (!st.ConfirmedAt.IsZero() || st.Presence.Def != "") {
				states = append(states, st)
			}
		}
		if len(states) == 0 { // a first start on an empty store: nothing was lost
			s.log.Info("store has no epoch marker yet (first start or emptied): nothing to rewrite")
		} else {
			s.log.Warn("store was emptied (epoch marker missing): rewriting the presence cache", "experts", len(states))
		}
		return s.wb.PutExperts(ctx, states)
	})
	pol := s.cfg.PolicyValue
	ttl := time.Duration(pol.MaxAttempts+1)*pol.ClaimTTL + pol.MicroWait.MaxHold // as the engine's ownership TTL
	owned := s.owned.unfinished()
	for _, conv := range slices.Sorted(maps.Keys(owned)) {
		if _, cerr := s.rstore.ClaimConversation(ctx, conv, owned[conv].owner, ttl); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return err
}
