package engine

import (
	"math"
	"math/bits"
	"slices"
)

// The time index of a group lets a decision skip most of the members its
// gate lets through, and still give the result a scan of every one gives
// (TestIndexAgreesWithScan decides both ways and compares).
//
// Counting. A member the gate admits is excluded only by staleness,
// cool-down, interruption budget, a pending delivery, or the
// escalation's own tried/skip lists. All but staleness and tried/skip are
// the member's own state at the group's clock (gt.now), so the index
// keeps, per level, how many members each excludes (eligcount.go): a
// cool-down or used-up budget ends at a known time, kept in a heap and
// recounted when the clock passes it. Staleness has no such count, so the
// fast path is off when Policy.MaxStaleness is set. A decision's count is
// these tallies plus a check of its own tried/skip members.
//
// Ranking. score = w.Skill·skill + w.Presence·presence +
// w.Fairness·fairness + w.Budget·budget, and only fairness depends on time
// for an expert whose hot record does not change: it is 1 once
// FairnessHorizon has passed since the expert's last touch. The index
// puts every member its gate admits for some priority in one class by
// what a ranking filters on: skill band, whether it would be interrupted,
// and the least urgent priority its gate admits (its level). A class
// keeps the members whose fairness is 1 at any time from gt.now on
// (fresh) as a set by expert order, and the others in a list ordered by
// last touch, oldest (fairest) first. A decision for priority p merges
// the classes of level ≥ p best bound first: a fresh set in expert order,
// stopping once nobody left in it can beat the ranking's last, a list
// member by member, each bound by its own last touch, stopping at the
// first who cannot. So it visits about as many members as it ranks, plus
// those a cool-down, budget, pending delivery or tried/skip excludes, and
// those parked in a list not their class's (see reclass). The
// candidates visited are checked and scored exactly as a scan would; ties
// break on expert order, whatever order they are visited in.
//
// The group's clock only moves forward: a decision at an earlier time than
// one already made through the index (possible with a clock that is not
// monotonic) scans instead.

// minTimeIndexed is the smallest group the time index serves: below it a
// scan of the admitted members costs less than merging the classes.
const minTimeIndexed = 128

// classesPerBand: a band's classes are indexed by intr·6 + level (level
// 1..5; 0, shut for every priority, is no class).
const classesPerBand = 12

type timeIndex struct {
	on      bool
	now     int64 // the group's clock: the latest decision time the index is valid from
	horizon int64 // Policy.FairnessHorizon when built
	// count also holds each member's band and class (count.rec), so that
	// a change of a member's gate or state reads one record.
	count   exclusions // see eligcount.go
	bands   []band     // by proficiency for one-skill sets, else by summed proficiency, else one band of skill 1
	classes []tclass   // band·classesPerBand + intr·6 + level
	// head[c] is the last touch first in class c's list (math.MaxInt64
	// when empty): advance reads this one array, not every class.
	head []int64
	// members is the group's (fixed) members, by position: a list entry
	// carries its member's expert index.
	members []int32
	// ident: members[pos] == pos for every member (a group of every
	// expert, as the usual groups at 10,000 experts are), so an expert
	// index is known without reading members.
	ident bool
	// busy[b] has, for the class intr·6 + level of band b, bit
	// intr·6 + level set when its fresh set has members and bit
	// 16 + intr·6 + level when its list has: a ranking finds the sets and
	// lists to merge from it, not from each class.
	busy []uint32
}

// listBusy is the shift of a list's bit in busy from its fresh set's.
const listBusy = 16

// busyBit is class c's band and its fresh set's bit in busy[band].
func busyBit(c int) (int, uint32) { return c / classesPerBand, uint32(1) << (c % classesPerBand) }

// tclass is the members of one band, interruption and level (see above).
type tclass struct {
	fresh sparseSet // fairness 1 from gt.now on, by position
	aging ltList    // the others, oldest touch first
}

// build (re)indexes every member as of now.
func (gt *timeIndex) build(e *Engine, gr *group, now int64) {
	words := gr.words()
	recs, off := gt.count.recs, gt.count.off
	*gt = timeIndex{on: true, now: now, horizon: int64(e.pol.FairnessHorizon), members: gr.members}
	gt.count.init(len(gr.members), recs, off)
	bandOf := make([]int8, len(gr.members))
	gt.bands = []band{{skill: 1}}
	if gr.oneSkill && len(gr.prof) == len(gr.members) {
		gt.bands = nil
		for lvl := int8(5); lvl >= 0; lvl-- {
			n := 0
			for pos, pf := range gr.prof {
				if pf == lvl {
					bandOf[pos] = int8(len(gt.bands))
					n++
				}
			}
			if n > 0 {
				gt.bands = append(gt.bands, band{skill: float64(lvl) / 5})
			}
		}
	} else if len(gr.skills) > 1 {
		gt.bands = e.sumBands(gr, bandOf)
	}
	for pos, b := range bandOf {
		r := gt.count.rec(int32(pos))
		r.band, r.class = b, -1
	}
	gt.classes = make([]tclass, len(gt.bands)*classesPerBand)
	gt.head = make([]int64, len(gt.classes))
	gt.busy = make([]uint32, len(gt.bands))
	for c := range gt.head {
		gt.head[c] = math.MaxInt64
	}
	gt.ident = true
	for pos, idx := range gr.members {
		gt.ident = gt.ident && idx == int32(pos)
		h, g := &e.hot[idx], e.gates[idx]
		gt.recount(int32(pos), h, g)
		gt.insert(int32(pos), idx, gt.classOf(int32(pos), g), h.lastTouch, words)
	}
}

// sumBands bands the members of a several-skill group by their summed
// proficiency over the set, best first, writing each member's band into
// bandOf: a band's skill is then exactly the skill part (skillPart) of an
// escalation asking for the set without repeats, the bound rankFrom needs.
func (e *Engine) sumBands(gr *group, bandOf []int8) []band {
	maxSum := 5 * len(gr.skills)
	sums := make([]int, len(gr.members))
	seen := make([]bool, maxSum+1)
	for pos, idx := range gr.members {
		row := e.profs[int(idx)*e.nSkills:]
		for _, s := range gr.skills {
			sums[pos] += int(row[s])
		}
		seen[sums[pos]] = true
	}
	var bands []band
	bandAt := make([]int8, maxSum+1)
	for sum := maxSum; sum >= 0; sum-- {
		if seen[sum] {
			bandAt[sum] = int8(len(bands))
			bands = append(bands, band{skill: float64(sum) / float64(maxSum)})
		}
	}
	for pos, sum := range sums {
		bandOf[pos] = bandAt[sum]
	}
	return bands
}

func (gt *timeIndex) isFresh(lt int64) bool { return lt == never || lt <= gt.now-gt.horizon }

// classOf is the class of the member at pos under gate g, -1 when g
// admits no priority.
func (gt *timeIndex) classOf(pos int32, g gate) int {
	return classIn(gt.count.rec(pos).band, g)
}

// classIn is the class in band b under gate g, -1 when g admits no
// priority.
func classIn(b int8, g gate) int {
	l := openLevel(g)
	if l == 0 {
		return -1
	}
	c := int(b)*classesPerBand + int(l)
	if (g.pres|g.rout)&allowIntr != 0 {
		c += 6
	}
	return c
}

// dominates reports whether class d's list may hold a member of class c
// (c < 0: in no class) of the same band: every ranking that takes c's
// members takes d's (d's level is at least c's), and no more cheaply (d
// interrupts only if c does), so a member of c met in d's list, bound as
// one of d, is bound no lower than its score.
func dominates(d, c int) bool {
	if c < 0 {
		return true
	}
	d, c = d%classesPerBand, c%classesPerBand
	return d%6 >= c%6 && d/6 <= c/6
}

// insert puts the member at pos (expert idx), last touched at lt and in
// no class, into class c (none if c < 0). Its callers know the expert
// index: at 10,000 experts reading the group's members array here missed
// the cache.
func (gt *timeIndex) insert(pos, idx int32, c int, lt int64, words int) {
	if c < 0 {
		return
	}
	gt.count.rec(pos).class = int16(c)
	b, bit := busyBit(c)
	if gt.isFresh(lt) {
		gt.classes[c].fresh.add(pos, words)
		gt.busy[b] |= bit
		return
	}
	gt.classes[c].aging.insert(ltEntry{lt: lt, pos: pos, idx: idx})
	gt.head[c] = min(gt.head[c], lt)
	gt.busy[b] |= bit << listBusy
}

// remove takes the member out of its class, where it was inserted with
// last touch lt: out of its fresh set if lt is fresh at the group's clock
// (insert put it there, or advance moved it there when the clock passed
// it), else out of its list.
func (gt *timeIndex) remove(pos int32, lt int64) {
	m := gt.count.rec(pos)
	c := m.class
	if c < 0 {
		return
	}
	m.class, m.parked = -1, false
	tc := &gt.classes[c]
	b, bit := busyBit(int(c))
	if gt.isFresh(lt) {
		if tc.fresh.remove(pos) && tc.fresh.n == 0 {
			gt.busy[b] &^= bit
		}
	} else if tc.aging.delete(ltEntry{lt: lt, pos: pos}) && lt == gt.head[c] {
		if gt.head[c] = tc.aging.first(); gt.head[c] == math.MaxInt64 {
			gt.busy[b] &^= bit << listBusy
		}
	}
}

// advance moves the group's clock to now (≥ gt.now): list members whose
// fairness is 1 from now on join their class's fresh set, and members
// whose exclusion ends by now are recounted.
func (gt *timeIndex) advance(e *Engine, gr *group, now int64) {
	gt.now = now
	words := gr.words()
	gt.expire(e, gr)
	cut := now - gt.horizon
	for c, h := range gt.head {
		if h <= cut {
			tc := &gt.classes[c]
			tc.aging.popFront(cut, func(x ltEntry) {
				if m := gt.count.rec(x.pos); m.parked {
					// out of the class it was parked in, into its own
					m.class, m.parked = -1, false
					gt.insert(x.pos, x.idx, gt.classOf(x.pos, e.gates[x.idx]), x.lt, words)
				} else {
					tc.fresh.add(x.pos, words)
				}
			})
			gt.head[c] = tc.aging.first()
			b, bit := busyBit(c)
			if tc.fresh.n > 0 {
				gt.busy[b] |= bit
			}
			if gt.head[c] == math.MaxInt64 {
				gt.busy[b] &^= bit << listBusy
			}
		}
	}
}

// retime keeps the time index of expert i's groups current when its hot
// record changes (called by refresh, before the gate changes).
func (e *Engine) retime(i int32, old, h *hot) {
	// The index reads the last touch (classes) and what excludes a member
	// by its own state (tallies); most refreshes change neither.
	touched := old.lastTouch != h.lastTouch
	recount := old.cooldown != h.cooldown || old.budgetFull != h.budgetFull || old.pending != h.pending
	if e.memberOf.stride == 0 || !touched && !recount {
		return
	}
	for _, m := range e.memberOf.of(i) {
		gr := e.groups[m.g]
		gt := &gr.time
		if !gt.on {
			continue
		}
		if recount {
			gt.recount(m.pos, h, e.gates[i])
		}
		if r := gt.count.rec(m.pos); r.class >= 0 && touched {
			c := int(r.class)
			if r.parked {
				c = gt.classOf(m.pos, e.gates[i]) // its own class, the gate not changed yet
			}
			gt.remove(m.pos, old.lastTouch)
			gt.insert(m.pos, i, c, h.lastTouch, gr.words())
		}
	}
}

// reclass moves the member at pos (expert idx), of hot record h, between
// classes and tallies when its gate changes to g (called by regate, after
// retime).
//
// A member in a list whose gate changes to a class its list's class
// dominates (dominates: a gate that shuts every priority, as for a
// meeting, or one that admits fewer priorities and interrupts, as for a
// conversation) is parked: it keeps its list entry, so that when the gate
// reopens to the list's class before a ranking meets the entry, as it
// mostly does, neither a delete nor an insert in the middle of a list is
// needed. A ranking checks and scores a parked member it meets as it does
// any other (a bound from the list's class is no lower than its score);
// one shut out it skips, and takes out of the list after its merge, so a
// member shut for long is met once. Advancing the clock past its last
// touch moves it to its own class's fresh set (none if shut); a touch
// (retime) or a change to a class the list's does not dominate moves it
// to its own class's list.
func (gt *timeIndex) reclass(pos, idx int32, h *hot, g gate, words int) {
	if !gt.on {
		return
	}
	m := gt.count.rec(pos)
	c := classIn(m.band, g)
	if m.parked {
		gt.recount(pos, h, g)
		switch {
		case c == int(m.class):
			m.parked = false
		case dominates(int(m.class), c): // still parked
		default:
			gt.remove(pos, h.lastTouch)
			gt.insert(pos, idx, c, h.lastTouch, words)
		}
		return
	}
	if c == int(m.class) {
		return // the same level and interruption: the tallies still hold too
	}
	gt.recount(pos, h, g)
	if m.class >= 0 && dominates(int(m.class), c) && !gt.isFresh(h.lastTouch) {
		m.parked = true
		return
	}
	gt.remove(pos, h.lastTouch)
	gt.insert(pos, idx, c, h.lastTouch, words)
}

// expert is the expert index of the member at pos.
func (gt *timeIndex) expert(pos int32) int32 {
	if gt.ident {
		return pos
	}
	return gt.members[pos]
}

// fastOK reports whether the time index may decide es at now, (re)building
// or advancing it as needed.
func (e *Engine) fastOK(gr *group, now int64) bool {
	if e.pol.MaxStaleness > 0 || len(gr.members) < minTimeIndexed {
		return false
	}
	gt := &gr.time
	switch {
	case !gt.on || gt.horizon != int64(e.pol.FairnessHorizon):
		gt.build(e, gr, now)
	case now < gt.now:
		return false
	case now > gt.now:
		gt.advance(e, gr, now)
	}
	return true
}

// rankFrom ranks the eligible members from word w0 on into top (which
// holds the best of the words before): the classes of the levels that
// admit es's priority, merged best bound first (see the comment at the
// top), until no member left can beat the ranking's last.
func (e *Engine) rankFrom(gr *group, es *esc, now int64, w0 int, top []ranked) []ranked {
	gt := &gr.time
	k := max(e.pol.ExplainLimit, minRanked)
	wt := &e.pol.Weights
	single := len(es.skillIDs) == 1
	p := int(es.Priority)
	first := int32(w0 * 64)
	// beaten reports whether the ranking is full and a member of score at
	// most bound and expert index at least idx cannot enter it.
	beaten := func(bound float64, idx int32) bool {
		if len(top) < k {
			return false
		}
		last := &top[k-1]
		return bound < last.score || bound == last.score && idx > last.idx
	}
	// A one-skill group's bands are by proficiency (build): a member's
	// skill part is its band's, float64(prof)/5 as build computed it, so
	// a visit need not read the member's proficiency (at 10,000 experts
	// an L1 miss on most visits).
	byBand := single && gr.oneSkill && len(gr.prof) == len(gr.members)
	// visit checks and ranks the member at pos (expert idx, in a band of
	// skill part bskill) unless one of score at most bound cannot enter
	// the ranking; false when beaten.
	visit := func(pos, idx int32, bound, bskill float64) bool {
		if beaten(bound, idx) {
			return false
		}
		r, intr := e.eligibility(idx, es, now)
		if r != 0 {
			return true
		}
		var skill float64
		switch {
		case byBand:
			skill = bskill
		case single:
			skill = float64(gr.prof[pos]) / 5
		default:
			skill = e.skillPart(idx, es.skillIDs)
		}
		top = e.considerBounded(top, k, wt, idx, skill, intr, now)
		return true
	}
	// An escalation that repeats a skill weighs it twice: the bands of a
	// several-skill group bound its skill part only by 1.
	loose := !single && len(es.skillIDs) != len(gr.skills) && len(gr.skills) > 1
	fair := func(lt int64) float64 {
		// max(0, min(1, f)), as cheapParts has it, without the
		// builtins' care for NaN and signed zeros (f has neither
		// unless horizon is 0, and then both agree)
		switch f := float64(now-lt) / float64(gt.horizon); {
		case f > 1:
			return 1
		case f < 0:
			return 0
		default:
			return f
		}
	}
	src := e.scratch.sources[:0]
	levels := uint16(1<<(int(P5)+1) - 1<<p) // the classes of level ≥ p
	levels |= levels << 6
	for bi, band := range gt.bands {
		if loose {
			band.skill = 1
		}
		busy := gt.busy[bi]
		for m := uint16(busy|busy>>listBusy) & levels; m != 0; m &= m - 1 {
			cc := bits.TrailingZeros16(m)
			intr := cc / 6
			pr := 1.0
			if intr == 1 {
				pr = 0
			}
			base := wt.Skill*band.skill + wt.Presence*pr
			c := bi*classesPerBand + cc
			if busy&(1<<cc) != 0 {
				src = append(src, source{base: base, bound: base + wt.Fairness*1 + wt.Budget*1, skill: band.skill, fresh: &gt.classes[c].fresh})
			}
			if busy&(1<<(listBusy+cc)) != 0 {
				h := gt.head[c] // the list's first last touch
				src = append(src, source{base: base, bound: base + wt.Fairness*fair(h) + wt.Budget*1, skill: band.skill, cu: ltCursor{l: &gt.classes[c].aging}, class: c})
			}
		}
	}
	e.scratch.sources = src
	// A parked member met in a list is moved to its own class once the
	// merge is done (the lists must not change during it), so that later
	// rankings do not meet it again (see reclass).
	parked := e.scratch.parked[:0]
	for len(src) > 0 {
		m, next := 0, -1.0
		for j := 1; j < len(src); j++ {
			if src[j].bound > src[m].bound {
				m = j
			}
		}
		for j := range src {
			if j != m && src[j].bound > next {
				next = src[j].bound
			}
		}
		s := &src[m]
		if beaten(s.bound, -1) {
			break
		}
		if s.fresh != nil {
			// Every member has the same bound: the rest of the set is
			// beaten once one is (expert order).
			bound, bskill := s.bound, s.skill
			s.fresh.each(w0, func(w int, set uint64) bool {
				for ; set != 0; set &= set - 1 {
					pos := int32(w*64 + bits.TrailingZeros64(set))
					if !visit(pos, gt.expert(pos), bound, bskill) {
						return false
					}
				}
				return true
			})
			src = slices.Delete(src, m, m+1)
			continue
		}
		// A list member by member while it is the best source; one
		// beaten may still be followed by one of equal bound and a
		// lower expert index.
		for s.cu.ok() && s.bound >= next && !beaten(s.bound, -1) {
			// a listed member whose gate's level or interruption is not
			// its list's is parked: visited like any other unless shut
			// out, moved after the merge
			x := s.cu.at()
			own := classIn(int8(s.class/classesPerBand), e.gates[x.idx])
			if own != s.class {
				parked = append(parked, x)
			}
			if own >= 0 && x.pos >= first {
				visit(x.pos, x.idx, s.bound, s.skill)
			}
			if s.cu.next(); s.cu.ok() {
				s.bound = s.base + wt.Fairness*fair(s.cu.at().lt) + wt.Budget*1
			}
		}
		if !s.cu.ok() {
			src = slices.Delete(src, m, m+1)
		}
	}
	for _, x := range parked {
		gt.remove(x.pos, x.lt)
		gt.insert(x.pos, x.idx, gt.classOf(x.pos, e.gates[x.idx]), x.lt, gr.words())
	}
	e.scratch.parked = parked
	return top
}

// source is a class's fresh set or list during a ranking's merge.
type source struct {
	base  float64 // skill and presence parts
	bound float64 // the best score of its next member
	skill float64 // its band's skill part
	fresh *sparseSet
	cu    ltCursor
	class int // a list's class
}

// band is the members of a group with one skill part (proficiency, or
// summed proficiency for a set of several skills).
type band struct {
	skill float64
}

// sparseSet is a set of positions with a summary of its non-zero words: a
// class's fresh set holds few members of a large group, so a walk visits
// only those words.
type sparseSet struct {
	set []uint64
	nz  []uint64 // bit w: set[w] != 0
	n   int
}

func (ss *sparseSet) add(pos int32, words int) {
	if ss.set == nil {
		ss.set, ss.nz = make([]uint64, words), make([]uint64, (words+63)/64)
	}
	w := pos >> 6
	ss.set[w] |= 1 << (pos & 63)
	ss.nz[w>>6] |= 1 << (w & 63)
	ss.n++
}

// remove takes pos out and reports whether it was in.
func (ss *sparseSet) remove(pos int32) bool {
	w, bit := pos>>6, uint64(1)<<(pos&63)
	if ss.set == nil || ss.set[w]&bit == 0 {
		return false
	}
	if ss.set[w] &^= bit; ss.set[w] == 0 {
		ss.nz[w>>6] &^= 1 << (w & 63)
	}
	ss.n--
	return true
}

// each calls f for the set's non-zero words from w0 on, in order, until f
// returns false.
func (ss *sparseSet) each(w0 int, f func(w int, set uint64) bool) {
	for j, nz := range ss.nz {
		if lo := w0 - j*64; lo > 0 { // words before w0
			if lo >= 64 {
				continue
			}
			nz &^= 1<<lo - 1
		}
		for ; nz != 0; nz &= nz - 1 {
			w := j*64 + bits.TrailingZeros64(nz)
			if !f(w, ss.set[w]) {
				return
			}
		}
	}
}
