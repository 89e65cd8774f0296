package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/serve"
)

// statusExpertRows bounds the expert table (a 10,000-expert pool would
// make a page of megabytes); the counts cover the whole pool.
const statusExpertRows = 300

// statusPage gathers GET /status: the pool from the engine (on its
// goroutine), in-flight escalations and recent decisions from opsMetrics,
// health from the readiness parts.
func (s *Server) statusPage(ctx context.Context) (*serve.StatusPage, error) {
	now := time.Now()
	p := &serve.StatusPage{Replica: s.replica, PoolSize: len(s.pool), Version: Version, Now: now, Ready: "ready",
		FeedConnected: s.health.feedUp.Load(), RedisUp: s.health.storeErr.Load() == nil, ResyncAge: now.Sub(s.ops.resyncAt())}
	if err := s.health.ready(); err != nil {
		p.Ready = err.Error()
	}
	labels := map[engine.PresenceDefID]string{}
	for _, c := range s.Definitions() {
		labels[c.ID] = c.Label
	}
	names := map[engine.ExpertID]string{}
	for _, x := range s.cfg.Experts {
		names[engine.ExpertID(x.ID)] = x.Name
	}
	byPresence := map[string]int{}
	eligible := make([]int, len(priorities))
	err := s.loop.Do(ctx, func(e *engine.Engine) error {
		_, p.Stalest = e.Stalest()
		pol := e.Policy()
		for _, id := range s.pool {
			st, _ := e.State(id)
			row := serve.StatusExpert{ID: string(id), Name: names[id], System: st.Presence.System.String(), Routing: st.Routing.String(),
				Presence: labels[st.Presence.Def]}
			if !st.ConfirmedAt.IsZero() {
				row.Staleness = now.Sub(st.ConfirmedAt)
			}
			var ok []string
			for i, pr := range priorities {
				if allowed, interrupt := pol.Allows(st.Presence, st.Routing, st.Conversation != "", pr); allowed {
					eligible[i]++
					if interrupt {
						ok = append(ok, pr.String()+" (interrupt)")
					} else {
						ok = append(ok, pr.String())
					}
				}
			}
			row.Eligible = strings.Join(ok, " ")
			if row.Eligible == "" {
				row.Eligible = "–"
			}
			byPresence[row.System]++
			if len(p.Experts) < statusExpertRows {
				p.Experts = append(p.Experts, row)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, n := range byPresence {
		p.ByPresence = append(p.ByPresence, serve.Count{Label: k, N: n})
	}
	sort.Slice(p.ByPresence, func(i, j int) bool { return p.ByPresence[i].Label < p.ByPresence[j].Label })
	for i, pr := range priorities {
		p.EligibleBy = append(p.EligibleBy, serve.Count{Label: pr.String(), N: eligible[i]})
	}
	who := func(id engine.ExpertID) string {
		if n := names[id]; n != "" {
			return n
		}
		return string(id)
	}
	recent, open := s.ops.snapshot()
	sort.Slice(open, func(i, j int) bool { return open[i].Since.Before(open[j].Since) })
	for _, x := range open {
		row := serve.StatusEscalation{ConversationID: x.Last.ConversationID, Priority: x.Last.Priority.String(), Action: x.Last.Action.String(),
			Expert: who(x.Last.Expert), Why: x.Last.Why, Since: now.Sub(x.Since)}
		if x.Last.Expert == "" {
			row.Expert = ""
		}
		if !x.HeldSince.IsZero() {
			row.HeldSince = now.Sub(x.HeldSince)
		}
		p.InFlight = append(p.InFlight, row)
	}
	for _, d := range recent {
		row := serve.StatusDecision{At: d.At, ConversationID: d.ConversationID, Action: d.Action.String(), Priority: d.Priority.String(),
			Why: d.Why, Eligible: d.EligibleCount, SkillHolders: d.SkillHolders}
		if d.Expert != "" {
			row.Expert = who(d.Expert)
		}
		var cs []string
		for _, c := range d.Candidates {
			cs = append(cs, fmt.Sprintf("%s %.2f", who(c.Expert), c.Score))
		}
		row.Candidates = strings.Join(cs, ", ")
		p.Decisions = append(p.Decisions, row)
	}
	return p, nil
}
