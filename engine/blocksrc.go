package engine

import "math/bits"

// blockSrc is what a hold asks the predictor about one expert (see
// Engine.blocking), kept per expert in one dense slice (Engine.blk) that
// refresh rewrites after every change. A hold at 10,000 experts passes
// over ~3,000 blocked holders in ~220 runs of sources in one state (~50
// distinct), so the record is packed to 48 bytes, its instants as unix
// nanoseconds (never for none): a hold reads half of what the 104-byte
// copy with time.Time fields cost it. The predictor is given the Blocking
// from the expert's record (Engine.blocking), built only for the few
// sources the hold has not asked about yet.
type blockSrc struct {
	def       PresenceDefID
	presSince int64
	routSince int64
	blockEnd  int64
	sys       SystemPresence
	routing   RoutingStatus // as held, not the effective INTERACTING
	onConv    bool          // connected to a conversation
	ruleOK    bool
	action    RuleAction
	minPrio   Priority
}

func (r *expertRec) blockSrc() blockSrc {
	return blockSrc{def: r.st.Presence.Def, sys: r.st.Presence.System,
		presSince: unixNano(r.st.PresenceSince), routSince: unixNano(r.st.RoutingSince), blockEnd: unixNano(r.st.BlockEnd),
		routing: r.st.Routing, onConv: r.st.Conversation != "",
		ruleOK: r.ruleOK, action: r.rule.Action, minPrio: r.rule.MinPriority}
}

// blockKey is the Blocking a source gives for one priority, its instants
// as unix nanoseconds: equal keys are Blockings naming the same presence,
// routing status and instants.
type blockKey struct {
	def        PresenceDefID
	since, end int64
	sys        SystemPresence
	routing    RoutingStatus
	byRouting  bool
}

// byRouting reports whether the presence admits priority p, so that the
// routing status (or a claim) is what blocks.
func (s *blockSrc) byRouting(p Priority) bool {
	ok, _ := (Rule{Action: s.action, MinPriority: s.minPrio}).allows(p)
	return ok && s.ruleOK
}

// key is the Blocking for priority p (Engine.blocking), as a blockKey.
func (s *blockSrc) key(p Priority) blockKey {
	k := blockKey{def: s.def, sys: s.sys, routing: s.routing, since: s.presSince, end: s.blockEnd}
	if s.byRouting(p) {
		k.byRouting = true
		k.since = s.routSince
		if s.onConv && k.routing != RSCommunicating {
			k.routing = RSInteracting
		}
		k.end = never
	}
	return k
}

// setBlk stores expert i's source and marks Engine.blkRun's bits i and
// i+1 stale (blkStale): bit i is set when i's source gives the same key
// as i-1's for every priority (sameKeys). Experts with neighbouring ids
// (a team) mostly share a state, so a hold passes over a run of them in
// one step (runEnd) instead of reading each one's source: at 10,000
// experts a hold looks up ~220 of ~3,000 holders (~730 when a run was of
// equal sources, which also differ in what no key reads, such as when
// the routing status of an expert whose presence blocks every priority
// last changed). The bits are recomputed when a hold reads their word
// (runWord), not on every change: comparing the neighbours' sources then
// was a cache miss or two per change.
//
// The source is stored without comparing it with the old one first: a
// stale bit recomputed finds the same answer, and at 10,000 experts the
// comparison's load missed the cache on most calls (most change the
// source anyway: refreshState runs after a state change), where a store
// waits in the store buffer.
func (e *Engine) setBlk(i int32, s blockSrc) {
	e.blk[i] = s
	e.blkStale[i>>6] |= 1 << (i & 63)
	if j := i + 1; int(j) < len(e.blk) {
		e.blkStale[j>>6] |= 1 << (j & 63)
	}
}

// runWord is word w of blkRun, its stale bits recomputed first.
func (e *Engine) runWord(w int32) uint64 {
	for s := e.blkStale[w]; s != 0; s &= s - 1 {
		e.setRun(w<<6 + int32(bits.TrailingZeros64(s)))
	}
	e.blkStale[w] = 0
	return e.blkRun[w]
}

func (e *Engine) setRun(i int32) {
	w, b := i>>6, uint64(1)<<(i&63)
	if i > 0 && sameKeys(&e.blk[i], &e.blk[i-1]) {
		e.blkRun[w] |= b
	} else {
		e.blkRun[w] &^= b
	}
}

// allRuns is blkRun for n experts whose sources are all equal (zero).
func allRuns(n int) []uint64 {
	r := make([]uint64, (n+63)/64)
	for i := 1; i < n; i++ {
		r[i>>6] |= 1 << (i & 63)
	}
	return r
}

// runEnd is the first expert after i whose source gives another key than
// the one before it for some priority, or the number of experts: experts
// i..runEnd(i)-1 are in i's state.
func (e *Engine) runEnd(i int32) int32 {
	n := int32(len(e.blk))
	for j := i + 1; j < n; j = (j>>6 + 1) << 6 {
		if diff := ^e.runWord(j>>6) >> (j & 63); diff != 0 {
			return min(n, j+int32(bits.TrailingZeros64(diff)))
		}
	}
	return n
}

// routedMask is the set of priorities (bit p) for which the routing
// status, not the presence, is what blocks (byRouting).
func (s *blockSrc) routedMask() uint8 {
	var m uint8
	for p := P1; p <= P5; p++ {
		if s.byRouting(p) {
			m |= 1 << p
		}
	}
	return m
}

// sameKeys reports whether two sources give the same key for every
// priority (key), so that a hold may take the experts for one state:
// equal sources, or sources that differ only in fields no priority's key
// reads.
func sameKeys(a, b *blockSrc) bool {
	if *a == *b {
		return true
	}
	if a.def != b.def || a.sys != b.sys {
		return false
	}
	m := a.routedMask()
	if m != b.routedMask() {
		return false
	}
	const all = 1<<P1 | 1<<P2 | 1<<P3 | 1<<P4 | 1<<P5
	if m != all && (a.routing != b.routing || a.presSince != b.presSince || a.blockEnd != b.blockEnd) {
		return false
	}
	if m != 0 && (a.effRouting() != b.effRouting() || a.routSince != b.routSince) {
		return false
	}
	return true
}

// effRouting is the routing status a key for a priority the routing status
// blocks names (see key).
func (s *blockSrc) effRouting() RoutingStatus {
	if s.onConv && s.routing != RSCommunicating {
		return RSInteracting
	}
	return s.routing
}
