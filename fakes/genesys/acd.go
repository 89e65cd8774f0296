package genesys

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The fake's own ACD, for conversations nobody assigns: what Genesys'
// standard routing does once the in-queue flow carries on (shadowq
// answered fallback, or is in observe mode). It follows the simulator's
// baseline (sim/acd.go), engine-free:
//
//   - a conversation released to the ACD (ReleaseToACD) waits in its
//     queue, highest priority first, then longest waiting;
//   - it alerts the member of the queue who holds all its skills, is On
//     Queue and IDLE, and has been idle longest (delivery kind "acd");
//   - a decline or no answer puts it back in the queue, and the agent,
//     NOT_RESPONDING, comes back to IDLE after acdNotResponding (sim's
//     notRespondingPenalty) unless something else changed their status;
//   - conversations are never taken from someone alerting or connected.
//
// Conversations not released are left alone: in assign mode shadowq
// delivers them itself, and the test (as the flow) releases the ones it
// answered fallback.

// deliveryACD is the kind of a delivery made by the fake's ACD.
const deliveryACD = "acd"

// acdNotResponding is how long an agent who let an ACD alert pass stays
// out of routing.
const acdNotResponding = time.Minute

// ReleaseToACD hands a waiting conversation to the fake's ACD.
func (s *Server) ReleaseToACD(convID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[convID]
	if c == nil {
		return errNoConversation(convID)
	}
	if !c.end.IsZero() {
		return nil // ended meanwhile (abandoned): nothing to route
	}
	if s.acdQueue == nil {
		s.acdQueue = map[*conversation]struct{}{}
	}
	s.acdQueue[c] = struct{}{}
	s.offerACDAll()
	return nil
}

// EndConversation ends a conversation as if the customer hung up (an
// abandonment while it waits, or the end of the call).
func (s *Server) EndConversation(convID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[convID]
	if c == nil {
		return errNoConversation(convID)
	}
	s.endConversation(c)
	return nil
}

func errNoConversation(id string) error {
	return fmt.Errorf("genesys: conversation %q does not exist", id)
}

// offerACDAll routes every released waiting conversation it can. Callers
// hold s.mu.
func (s *Server) offerACDAll() {
	if len(s.acdQueue) == 0 {
		return
	}
	queue := make([]*conversation, 0, len(s.acdQueue))
	for c := range s.acdQueue {
		if !c.end.IsZero() || c.agent != nil {
			delete(s.acdQueue, c)
			continue
		}
		queue = append(queue, c)
	}
	slices.SortFunc(queue, func(a, b *conversation) int {
		return cmp.Or(cmp.Compare(b.priority, a.priority), a.start.Compare(b.start), cmp.Compare(a.id, b.id))
	})
	for _, c := range queue {
		if c.state() != convWaiting {
			continue
		}
		if u := s.longestIdle(c); u != nil {
			d := s.deliver(c, u, deliveryACD, nil)
			d.onRefused = func() { s.acdRefused(u) }
		}
	}
}

// longestIdle is the queue member holding all of c's skills, On Queue
// and IDLE, idle longest (ties on user id). Callers hold s.mu.
func (s *Server) longestIdle(c *conversation) *userState {
	var best *userState
	for _, u := range s.userOrder {
		if u.State != "active" || u.routing != routingIdle || !u.member(c.queue) || !u.holds(c.skillIDs) {
			continue
		}
		if best == nil || u.routingStart.Before(best.routingStart) || (u.routingStart.Equal(best.routingStart) && u.ID < best.ID) {
			best = u
		}
	}
	return best
}

// holds reports whether u has every skill in ids.
func (u *userState) holds(ids []string) bool {
	for _, id := range ids {
		if !slices.ContainsFunc(u.Skills, func(k UserSkill) bool { return k.SkillID == id }) {
			return false
		}
	}
	return true
}

// acdRefused brings an agent who let an ACD alert pass back to IDLE after
// acdNotResponding, if still NOT_RESPONDING and free. Callers hold s.mu.
func (s *Server) acdRefused(u *userState) {
	s.after(acdNotResponding, func() {
		if u.routing == routingNotResponding && u.connected == 0 {
			s.setRouting(u, u.idleRouting())
			s.offerPreferredAll()
		}
	})
}

// handleAdminReleaseToACD is POST /_fake/conversations/{id}/acd: what the
// in-queue flow does on a fallback (ReleaseToACD).
func (s *Server) handleAdminReleaseToACD(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("conversationId")
	if err := s.ReleaseToACD(id); err != nil {
		writeError(w, c, notFound("conversation", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminAbandon is POST /_fake/conversations/{id}/abandon: the
// customer hangs up in queue (AbandonConversation); 409 when an agent has
// it or it ended.
func (s *Server) handleAdminAbandon(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("conversationId")
	ok, err := s.AbandonConversation(id)
	switch {
	case err != nil:
		writeError(w, c, notFound("conversation", id))
	case !ok:
		writeError(w, c, apiError(http.StatusConflict, "request.conflict", "Conversation %s is connected to an agent or has ended.", id))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// OnAgentFree sets f to be called, each time in a goroutine of its own,
// with the id of every agent whose conversation ended (free again): the
// scenario playback makes cherry-pickers hide then, as the simulator does.
func (s *Server) OnAgentFree(f func(userID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onFree = f
}

// SetPresenceIf sets the user's presence to def only if it is from now
// (compare and set), and reports whether it did.
func (s *Server) SetPresenceIf(userID, from, def string) (bool, error) {
	d := s.defs[def]
	if d == nil {
		return false, fmt.Errorf("genesys: presence definition %q does not exist", def)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return false, fmt.Errorf("genesys: user %q does not exist", userID)
	}
	if u.presence.ID != from {
		return false, nil
	}
	s.setPresence(u, d, "")
	return true, nil
}
