package engine

import (
	"math/bits"
	"slices"
)

// A group indexes the experts holding one set of skills (every expert for
// the empty set) by what their 4-byte gate admits, so that a decision
// scans the experts the presence and routing-status rules let through for
// its priority, not every holder. Groups are built on first use by an
// escalation needing that skill set and are kept current by refresh; the
// exclusions the gate decides are counted per priority as they change, so
// a decision's explanation still counts every holder.
type group struct {
	members []int32 // expert indexes holding every skill of the set, ascending
	prof    []int8  // for a one-skill set: the members' proficiency, aligned
	// *gateIndex is shared by the groups with the same members (at 10,000
	// experts, the sets {A}, {B} and {A, B} when everyone holds both):
	// only the first built (ownGates) keeps it current, so a change of
	// gate updates it once.
	*gateIndex
	ownGates bool
	time     timeIndex // see eligtime.go
	// oneSkill: the set has one skill, so prof is every member's skill part
	// (for a set of several, prof is one skill's, the pool's).
	oneSkill bool
	// skills is the set, ascending without repeats.
	skills []int32
}

// gateIndex indexes a group's members by what their gate admits.
type gateIndex struct {
	// lvl[w][L] marks, for the members at positions w·64.. w·64+63, those
	// whose gate admits priorities P1..PL and not P(L+1); [0] is unused
	// (nothing admitted). A word's levels are one 64-byte record, so a
	// change of gate touches one cache line, not one per level.
	lvl []lvlWord
	// closed[p] counts, by reason, the members whose gate shuts out
	// priority p.
	closed [P5 + 1]ReasonCounts
	// n[L] counts the members of lvl[L].
	n [P5 + 1]int32
	// recs holds the time indexes' per-member records of the groups
	// sharing this index, side by side (see countRecs).
	recs *countRecs
}

// lvlWord is one word of a group's level bitsets, by level (see group.lvl).
type lvlWord [8]uint64

// membership is one group an expert belongs to, and its position there.
type membership struct{ g, pos int32 }

// memberships lists every expert's groups in one array, stride slots per
// expert (the unused ones last, with g = -1): a change of an expert's gate
// reads its groups from one cache line, not through a slice of its own.
type memberships struct {
	all    []membership
	stride int
}

// of is expert i's groups.
func (ms *memberships) of(i int32) []membership {
	s := ms.all[int(i)*ms.stride : int(i+1)*ms.stride]
	for k, m := range s {
		if m.g < 0 {
			return s[:k]
		}
	}
	return s
}

// add gives expert i (of n) membership m, widening the stride when i has
// no slot left.
func (ms *memberships) add(n int, i int32, m membership) {
	if ms.stride == 0 || ms.all[int(i+1)*ms.stride-1].g >= 0 {
		stride := max(4, 2*ms.stride) // 4 slots: 32 bytes, two experts to a line
		all := make([]membership, n*stride)
		for k := range all {
			all[k].g = -1
		}
		for j := range n {
			if ms.stride > 0 {
				copy(all[j*stride:], ms.of(int32(j)))
			}
		}
		ms.all, ms.stride = all, stride
	}
	ms.all[int(i)*ms.stride+len(ms.of(i))] = m
}

// maxGroups bounds the skill sets indexed; escalations needing others are
// decided by a scan of the holders (same result, linear cost).
const maxGroups = 64

// gateReason is the exclusion the gate alone decides for priority p, 0 when
// it lets p through (see eligibility, which checks the same in order).
func gateReason(g gate, p uint8) Reason {
	switch {
	case g.pres == 0:
		return Reason(g.why)
	case g.pres&7 < p:
		return ExPresencePriority
	case g.rout == 0:
		return ExRoutingNever
	case g.rout&7 < p:
		return ExRoutingPriority
	}
	return 0
}

// openLevel is the least urgent priority the gate lets through (it lets
// through every more urgent one), 0 for none: gateReason is 0 exactly for
// the priorities up to both allowances' levels.
func openLevel(g gate) uint8 {
	if g.pres == 0 || g.rout == 0 {
		return 0
	}
	return min(g.pres&7, g.rout&7, uint8(P5))
}

func (gi *gateIndex) add(pos int32, g gate) {
	l := openLevel(g)
	if l > 0 {
		gi.lvl[pos>>6][l] |= 1 << (pos & 63)
		gi.n[l]++
	}
	for p := l + 1; p <= uint8(P5); p++ {
		gi.closed[p][gateReason(g, p)]++
	}
}

// regate moves the member at pos from gate old to g: as remove(old) then
// add(g), touching only the levels and tallies that differ.
func (gi *gateIndex) regate(pos int32, old, g gate) {
	lo, ln := openLevel(old), openLevel(g)
	if lo != ln {
		lw, bit := &gi.lvl[pos>>6], uint64(1)<<(pos&63)
		if lo > 0 {
			lw[lo] &^= bit
			gi.n[lo]--
		}
		if ln > 0 {
			lw[ln] |= bit
			gi.n[ln]++
		}
	}
	for p := min(lo, ln) + 1; p <= uint8(P5); p++ {
		// gateReason is 0 for a priority its gate lets through
		if ro, rn := gateReason(old, p), gateReason(g, p); ro != rn {
			if ro != 0 {
				gi.closed[p][ro]--
			}
			if rn != 0 {
				gi.closed[p][rn]++
			}
		}
	}
}

// open is word w of the bitset of members whose gate lets priority p through.
func (gr *group) open(p Priority, w int) uint64 {
	var m uint64
	lw := &gr.lvl[w]
	for l := p; l <= P5; l++ {
		m |= lw[l]
	}
	return m
}

// all is word w of the bitset of every member.
func (gr *group) all(w int) uint64 {
	if n := len(gr.members) - w*64; n < 64 {
		return 1<<n - 1
	}
	return ^uint64(0)
}

func (gr *group) words() int { return (len(gr.members) + 63) / 64 }

// regate moves expert i between the levels of its groups when its gate
// changes (called by refresh).
func (e *Engine) regate(i int32, old, g gate) {
	if old == g || e.memberOf.stride == 0 {
		return
	}
	for _, m := range e.memberOf.of(i) {
		gr := e.groups[m.g]
		if gr.ownGates {
			gr.regate(m.pos, old, g)
		}
		gr.time.reclass(m.pos, i, &e.hot[i], g, gr.words())
	}
}

// groupOf returns the group of es's skill set, building it on first use;
// nil when a skill is unknown or too many sets are indexed.
func (e *Engine) groupOf(es *esc) *group {
	if es.grp != 0 {
		if es.grp < 0 {
			return nil
		}
		return e.groups[es.grp-1]
	}
	es.grp = -1
	if es.unknownSkill {
		return nil
	}
	var sb [8]int32 // on the stack for the usual few skills
	set := append(sb[:0], es.skillIDs...)
	slices.Sort(set)
	set = slices.Compact(set)
	var kb [32]byte
	key := kb[:0]
	for _, s := range set {
		key = append(key, byte(s), byte(s>>8), byte(s>>16), byte(s>>24))
	}
	id, ok := e.groupKey[string(key)]
	if !ok {
		if len(e.groups) >= maxGroups {
			return nil
		}
		id = int32(len(e.groups))
		gr := e.buildGroup(es, id)
		gr.oneSkill = len(set) == 1
		gr.skills = slices.Clone(set)
		e.groups = append(e.groups, gr)
		if e.groupKey == nil {
			e.groupKey = map[string]int32{}
		}
		e.groupKey[string(key)] = id
	}
	es.grp = id + 1
	return e.groups[id]
}

func (e *Engine) buildGroup(es *esc, id int32) *group {
	gr := &group{}
	pool, poolProf := e.pool(es)
	for j, idx := range pool {
		if len(es.skillIDs) > 1 && !e.hasSkills(idx, es.skillIDs) {
			continue
		}
		gr.members = append(gr.members, idx)
		if poolProf != nil {
			gr.prof = append(gr.prof, poolProf[j])
		}
	}
	for _, o := range e.groups {
		if o.ownGates && slices.Equal(o.members, gr.members) {
			gr.gateIndex = o.gateIndex
		}
	}
	if gr.gateIndex == nil {
		gr.gateIndex = &gateIndex{lvl: make([]lvlWord, gr.words()), recs: &countRecs{n: len(gr.members)}}
		gr.ownGates = true
		if len(gr.members) == len(e.experts) && e.allRecs == nil {
			e.allRecs = gr.recs // members are every expert, ascending: a position is an index
		}
	}
	gr.time.count.recs, gr.time.count.off = gr.recs, gr.recs.join()
	for pos, idx := range gr.members {
		if gr.ownGates {
			gr.add(int32(pos), e.gates[idx])
		}
		e.memberOf.add(len(e.experts), idx, membership{g: id, pos: int32(pos)})
	}
	return gr
}

// evalGroup is evaluate over a group: the members the gate shuts out for
// es's priority are counted from the group's tallies and only visited while
// the explanation still lists exclusions; the others are checked one by one.
// The result is the one a scan of every holder gives.
func (e *Engine) evalGroup(gr *group, es *esc, now int64) evaluation {
	var ev evaluation
	limit := e.pol.ExplainLimit
	if limit > 0 {
		ev.excluded = make([]Exclusion, 0, limit)
	}
	ev.skillHolders = len(gr.members)
	ev.counts = gr.closed[es.Priority]
	top := e.scratch.top[:0]
	single := len(es.skillIDs) == 1
	k := max(limit, minRanked)
	wt := &e.pol.Weights
	fast := e.fastOK(gr, now)
	for w := range gr.words() {
		if fast && len(ev.excluded) >= limit {
			// The explanation lists no more exclusions: the time index
			// counts and ranks the rest (eligtime.go).
			e.countFrom(gr, es, now, w, &ev)
			top = e.rankFrom(gr, es, now, w, top)
			break
		}
		open := gr.open(es.Priority, w)
		todo := open
		if len(ev.excluded) < limit {
			todo = gr.all(w) // listed exclusions are in expert order
		}
		for todo != 0 {
			b := bits.TrailingZeros64(todo)
			todo &= todo - 1
			idx := gr.members[w*64+b]
			reason, intr := e.eligibility(idx, es, now)
			if reason != 0 {
				if open&(1<<b) != 0 {
					ev.counts[reason]++
				}
				if len(ev.excluded) < limit {
					ev.excluded = append(ev.excluded, Exclusion{Expert: e.experts[idx].ID, Reason: reason, Detail: e.detail(idx, reason)})
				}
				continue
			}
			ev.eligible++
			var skill float64
			if single {
				skill = float64(gr.prof[w*64+b]) / 5
			} else {
				skill = e.skillPart(idx, es.skillIDs)
			}
			top = e.considerBounded(top, k, wt, idx, skill, intr, now)
		}
	}
	ev.cands, ev.idxs = e.ranked(top)
	return ev
}

// anyEligible reports whether some expert could take es now: a held
// escalation is re-decided only then (a decision finding nobody changes
// nothing).
func (e *Engine) anyEligible(es *esc, now int64) bool {
	gr := e.groupOf(es)
	if gr == nil {
		return true // not indexed: let decide scan
	}
	if e.fastOK(gr, now) {
		var ev evaluation
		e.countFrom(gr, es, now, 0, &ev)
		return ev.eligible > 0
	}
	for w := range gr.words() {
		for todo := gr.open(es.Priority, w); todo != 0; todo &= todo - 1 {
			idx := gr.members[w*64+bits.TrailingZeros64(todo)]
			if r, _ := e.eligibility(idx, es, now); r == 0 {
				return true
			}
		}
	}
	return false
}
