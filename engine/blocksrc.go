package engine

import "time"

// blockSrc is what a hold asks the predictor about one expert (see
// Engine.blocking), kept per expert in one dense slice (Engine.blk) that
// refresh rewrites after every change. A hold at 10,000 experts passes
// over ~3,000 blocked holders; reading these 104 bytes in expert order
// instead of five fields spread over the expert's 408-byte record halved
// its cost, and holders whose source equals the one before (teams share
// shifts and meetings) reuse its answer without building a Blocking.
type blockSrc struct {
	pres      Presence
	presSince time.Time
	routSince time.Time
	blockEnd  time.Time
	routing   RoutingStatus // as held, not the effective INTERACTING
	onConv    bool          // connected to a conversation
	ruleOK    bool
	action    RuleAction
	minPrio   Priority
}

func (r *expertRec) blockSrc() blockSrc {
	return blockSrc{pres: r.st.Presence, presSince: r.st.PresenceSince, routSince: r.st.RoutingSince,
		blockEnd: r.st.BlockEnd, routing: r.st.Routing, onConv: r.st.Conversation != "",
		ruleOK: r.ruleOK, action: r.rule.Action, minPrio: r.rule.MinPriority}
}

// blocking is Engine.blocking from the expert's source: the same Blocking
// for the same expert state and priority.
func (s *blockSrc) blocking(p Priority) Blocking {
	b := Blocking{Presence: s.pres, Routing: s.routing, Since: s.presSince, BlockEnd: s.blockEnd}
	if ok, _ := (Rule{Action: s.action, MinPriority: s.minPrio}).allows(p); ok && s.ruleOK {
		b.ByRouting = true
		b.Since = s.routSince
		if s.onConv && b.Routing != RSCommunicating {
			b.Routing = RSInteracting
		}
		b.BlockEnd = time.Time{}
	}
	return b
}
