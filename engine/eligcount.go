package engine

import (
	"math/bits"
	"slices"
)

// exclusions are a time index's tallies of the members the gate admits
// but their own state excludes at the group's clock (see eligtime.go).
// Such an exclusion (cool-down, used-up budget, pending delivery: what
// eligibility checks after the gate, but for staleness and the
// escalation's tried/skip) can only end with time or with a change of the
// member's state, which refresh reports; so the tallies stay exact if the
// members whose exclusion ends at a known time are recounted when the
// clock passes it.
type exclusions struct {
	// by[l] counts by reason the members of gate level l excluded; only
	// the reasons excludedAt gives (cool-down, budget, claimed) are ever
	// counted.
	by [P5 + 1]ReasonCounts
	// recs holds the per-member records (one record: one cache line to
	// touch), column off of each member's; see countRecs.
	recs *countRecs
	off  int
	set  []uint64 // members with a reason, by position
	// due holds, for members whose exclusion ends at a known time, that
	// time and the position: the least first. An entry whose time is no
	// longer its member's is stale and skipped.
	due []dueEntry
}

// counted is how a member is counted, and where the time index keeps it
// (16 bytes: four members to a cache line).
type counted struct {
	at     int64  // when the exclusion ends, 0 for none
	why    Reason // the reason it is counted under, 0 for none
	lvl    uint8  // its gate level
	band   int8   // its band in the time index
	parked bool   // its entry stays in class's list, though its gate's class is another, which class dominates (reclass)
	class  int16  // the class holding it in the time index (its own unless parked), -1 for none
}

type dueEntry struct {
	at  int64
	pos int32
}

// init empties the tallies of n members, keeping column off of recs (its
// own records when recs is nil).
func (x *exclusions) init(n int, recs *countRecs, off int) {
	if recs == nil {
		recs, off = &countRecs{n: n}, 0
		recs.join()
	}
	*x = exclusions{recs: recs, off: off, set: make([]uint64, (n+63)/64)}
	for pos := range n {
		*x.rec(int32(pos)) = counted{}
	}
}

// rec is the record of the member at pos.
func (x *exclusions) rec(pos int32) *counted {
	r := x.recs
	return &r.m[int(pos)*r.stride+x.off]
}

// countRecs keeps the per-member records of the time indexes of the groups
// with the same members side by side, stride records per member (see
// gateIndex): at 10,000 experts the sets {A}, {B} and {A, B} hold
// everyone, and a change of a member's gate then reads its three records
// from one cache line (three and a pad: 64 bytes), not from three.
type countRecs struct {
	m      []counted
	stride int
	n      int // members
	used   int // columns given out
}

// join gives out a new column, widening every member's records (a copy,
// once per group built).
func (r *countRecs) join() int {
	off := r.used
	r.used++
	if r.used > r.stride {
		ns := r.used
		if ns == 3 {
			ns = 4 // 64 bytes a member: one cache line
		}
		nm := make([]counted, r.n*ns)
		for pos := range r.n {
			copy(nm[pos*ns:pos*ns+r.stride], r.m[pos*r.stride:pos*r.stride+r.stride])
		}
		r.m, r.stride = nm, ns
	}
	return off
}

// excludedAt is why the member's own state excludes it at now from a
// delivery (intr: it would interrupt), the order eligibility checks in,
// and when that ends (0: not by time alone).
func excludedAt(h *hot, intr bool, now int64) (Reason, int64) {
	switch {
	case now < h.cooldown:
		return ExCooldown, h.cooldown
	case intr && now < h.budgetFull:
		return ExBudget, h.budgetFull
	case h.pending:
		return ExClaimed, 0
	}
	return 0, 0
}

// recount brings the member at pos, of hot record h and gate g, up to
// date in the tallies at the group's clock.
func (gt *timeIndex) recount(pos int32, h *hot, g gate) {
	x := &gt.count
	l := openLevel(g)
	var r Reason
	var end int64
	if l > 0 {
		r, end = excludedAt(h, (g.pres|g.rout)&allowIntr != 0, gt.now)
	}
	m := x.rec(pos)
	if r == m.why && l == m.lvl && end == m.at {
		return
	}
	if m.why != 0 {
		x.by[m.lvl][m.why]--
	}
	m.why, m.lvl = r, l
	w, bit := pos>>6, uint64(1)<<(pos&63)
	if r != 0 {
		x.by[l][r]++
		x.set[w] |= bit
	} else {
		x.set[w] &^= bit
	}
	if end != m.at {
		m.at = end
		if end != 0 {
			x.push(dueEntry{at: end, pos: pos})
		}
	}
}

// expire recounts the members whose exclusion ended by the group's clock.
func (gt *timeIndex) expire(e *Engine, gr *group) {
	x := &gt.count
	for len(x.due) > 0 && x.due[0].at <= gt.now {
		d := x.pop()
		if x.rec(d.pos).at != d.at {
			continue // stale: recounted since
		}
		x.rec(d.pos).at = 0
		idx := gr.members[d.pos]
		gt.recount(d.pos, &e.hot[idx], e.gates[idx])
	}
}

func (x *exclusions) push(d dueEntry) {
	x.due = append(x.due, d)
	for i := len(x.due) - 1; i > 0; {
		up := (i - 1) / 2
		if x.due[up].at <= x.due[i].at {
			break
		}
		x.due[up], x.due[i] = x.due[i], x.due[up]
		i = up
	}
}

func (x *exclusions) pop() dueEntry {
	d := x.due[0]
	n := len(x.due) - 1
	x.due[0] = x.due[n]
	x.due = x.due[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && x.due[c+1].at < x.due[c].at {
			c++
		}
		if x.due[i].at <= x.due[c].at {
			break
		}
		x.due[i], x.due[c] = x.due[c], x.due[i]
		i = c
	}
	return d
}

// countFrom adds to ev the members from word w0 on that the gate admits
// for es: the eligible and the excluded by reason from the tallies (less
// those of the words before w0, which the caller scanned), then es's own
// tried and skip members checked one by one.
func (e *Engine) countFrom(gr *group, es *esc, now int64, w0 int, ev *evaluation) {
	x := &gr.time.count
	p := es.Priority
	// the reasons excludedAt gives, not every reason
	open, cool, budget, claimed := 0, 0, 0, 0
	for l := p; l <= P5; l++ {
		open += int(gr.n[l])
		by := &x.by[l]
		cool += by[ExCooldown]
		budget += by[ExBudget]
		claimed += by[ExClaimed]
	}
	ev.counts[ExCooldown] += cool
	ev.counts[ExBudget] += budget
	ev.counts[ExClaimed] += claimed
	excluded := cool + budget + claimed
	for w := range w0 {
		o := gr.open(p, w)
		open -= bits.OnesCount64(o)
		for s := o & x.set[w]; s != 0; s &= s - 1 {
			ev.counts[x.rec(int32(w*64+bits.TrailingZeros64(s))).why]--
			excluded--
		}
	}
	// tried and skip: counted under their own reason, which may differ
	// from the one the tallies hold (tried comes before budget and
	// claimed), each once.
	if len(es.tried) == 0 && len(es.skip) == 0 {
		ev.eligible += open - excluded
		return
	}
	var seen [8]int32
	done := seen[:0]
	for _, list := range [2][]int32{es.tried, es.skip} {
		for _, idx := range list {
			if slices.Contains(done, idx) {
				continue
			}
			done = append(done, idx)
			pos, ok := e.posIn(gr, idx)
			if !ok || int(pos>>6) < w0 || gr.open(p, int(pos>>6))&(1<<(pos&63)) == 0 {
				continue
			}
			r, _ := e.eligibility(idx, es, now)
			if r0 := x.rec(pos).why; r != r0 {
				if r0 != 0 {
					ev.counts[r0]--
					excluded--
				}
				if r != 0 {
					ev.counts[r]++
					excluded++
				}
			}
		}
	}
	ev.eligible += open - excluded
}

// posIn is expert idx's position in gr.
func (e *Engine) posIn(gr *group, idx int32) (int32, bool) {
	for _, m := range e.memberOf.of(idx) {
		if e.groups[m.g] == gr {
			return m.pos, true
		}
	}
	return 0, false
}
