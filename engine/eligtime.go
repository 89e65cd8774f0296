package engine

import (
	"math/bits"
	"slices"
)

// The time index of a group lets a decision skip most of the members its
// gate lets through, and still give the result a scan of every one gives
// (TestIndexAgreesWithScan decides both ways and compares).
//
// Counting. A member the gate admits is excluded only by staleness,
// cool-down, interruption budget, a pending delivery, or the
// escalation's own tried/skip lists. The index marks as special every
// member for which one of the first four may hold at some time at or after
// the group's clock (gt.now): pending, cool-down or budget ending after
// it. Staleness has no such mark, so the fast path is off when
// Policy.MaxStaleness is set. Everyone else the gate admits is eligible:
// the eligible count is a popcount less the specials (and tried/skip)
// found excluded, each checked one by one.
//
// Ranking. score = w.Skill·skill + w.Presence·presence +
// w.Fairness·fairness + w.Budget·budget, and only fairness depends on time
// for an expert whose hot record does not change: it is 1 once
// FairnessHorizon has passed since the expert's last touch. The index
// keeps the members whose fairness is 1 at any time from gt.now on
// (fresh) and the others in buckets of last-touch time. A decision ranks
// the fresh in expert order, stopping once nobody left can beat the
// ranking's last, then the buckets oldest first, stopping at the first
// whose best possible score cannot beat it. The candidates visited are
// checked and scored exactly as a scan would; ties break on expert order,
// whatever order they are visited in.
//
// The group's clock only moves forward: a decision at an earlier time than
// one already made through the index (possible with a clock that is not
// monotonic) scans instead.

// minTimeIndexed is the smallest group the time index serves: below it a
// scan of the admitted members costs less than sorting the classes.
const minTimeIndexed = 128

// bucketWidthDiv: a bucket spans FairnessHorizon / bucketWidthDiv of
// last-touch time.
const bucketWidthDiv = 16

type timeIndex struct {
	on      bool
	now     int64 // the group's clock: the latest decision time the index is valid from
	horizon int64 // Policy.FairnessHorizon when built
	width   int64 // bucket width
	special []uint64
	fresh   []uint64
	buckets map[int64]*bucket // bucket id (lastTouch / width) → members
	keys    []int64           // bucket ids, ascending
	bands   []band            // by proficiency for one-skill sets, else one band of skill 1
}

// build (re)indexes every member as of now.
func (gt *timeIndex) build(e *Engine, gr *group, now int64) {
	words := gr.words()
	*gt = timeIndex{on: true, now: now, horizon: int64(e.pol.FairnessHorizon), special: make([]uint64, words),
		fresh: make([]uint64, words), buckets: map[int64]*bucket{}}
	gt.width = max(1, gt.horizon/bucketWidthDiv)
	gt.bands = []band{{skill: 1}}
	if gr.oneSkill && len(gr.prof) == len(gr.members) {
		gt.bands = nil
		for lvl := int8(5); lvl >= 0; lvl-- {
			set := make([]uint64, words)
			n := 0
			for pos, pf := range gr.prof {
				if pf == lvl {
					set[pos>>6] |= 1 << (pos & 63)
					n++
				}
			}
			if n > 0 {
				gt.bands = append(gt.bands, band{skill: float64(lvl) / 5, set: set})
			}
		}
	} else if len(gr.skills) > 1 {
		gt.bands = e.sumBands(gr, words)
	}
	for pos, idx := range gr.members {
		gt.insert(int32(pos), &e.hot[idx], words)
	}
}

// sumBands bands the members of a several-skill group by their summed
// proficiency over the set, best first: a band's skill is then exactly the
// skill part (skillPart) of an escalation asking for the set without
// repeats, the bound rankFrom needs.
func (e *Engine) sumBands(gr *group, words int) []band {
	maxSum := 5 * len(gr.skills)
	sets := make([][]uint64, maxSum+1)
	for pos, idx := range gr.members {
		sum := 0
		row := e.profs[int(idx)*e.nSkills:]
		for _, s := range gr.skills {
			sum += int(row[s])
		}
		if sets[sum] == nil {
			sets[sum] = make([]uint64, words)
		}
		sets[sum][pos>>6] |= 1 << (pos & 63)
	}
	var bands []band
	for sum := maxSum; sum >= 0; sum-- {
		if sets[sum] != nil {
			bands = append(bands, band{skill: float64(sum) / float64(maxSum), set: sets[sum]})
		}
	}
	return bands
}

func (gt *timeIndex) isSpecial(h *hot) bool {
	return h.pending || h.cooldown > gt.now || h.budgetFull > gt.now
}

func (gt *timeIndex) isFresh(lt int64) bool { return lt == never || lt <= gt.now-gt.horizon }

func (gt *timeIndex) bucketOf(lt int64) int64 {
	if lt < 0 {
		return (lt+1)/gt.width - 1 // floor for negative times
	}
	return lt / gt.width
}

func (gt *timeIndex) insert(pos int32, h *hot, words int) {
	w, bit := pos>>6, uint64(1)<<(pos&63)
	if gt.isSpecial(h) {
		gt.special[w] |= bit
	} else {
		gt.special[w] &^= bit
	}
	if gt.isFresh(h.lastTouch) {
		gt.fresh[w] |= bit
		return
	}
	b := gt.bucketOf(h.lastTouch)
	set, ok := gt.buckets[b]
	if !ok {
		set = &bucket{set: make([]uint64, words), nz: make([]uint64, (words+63)/64)}
		gt.buckets[b] = set
		i, _ := slices.BinarySearch(gt.keys, b)
		gt.keys = slices.Insert(gt.keys, i, b)
	}
	set.set[w] |= bit
	set.nz[w>>6] |= 1 << (w & 63)
}

// bucket is the members whose last touch falls in one bucket of time. A
// bucket holds few members of a large group, so nz marks its words that
// are not zero: a decision ranking a bucket's class visits only those
// (at 10,000 experts, 4% of the words).
type bucket struct {
	set []uint64
	nz  []uint64 // bit w: set[w] != 0
}

// remove takes the member out of fresh or its bucket (its last touch when
// inserted was lt): a bucket is only ever moved to fresh whole, so the
// member is in exactly one of them.
func (gt *timeIndex) remove(pos int32, lt int64) {
	w, bit := pos>>6, uint64(1)<<(pos&63)
	if gt.fresh[w]&bit != 0 {
		gt.fresh[w] &^= bit
		return
	}
	if set, ok := gt.buckets[gt.bucketOf(lt)]; ok {
		set.set[w] &^= bit
		if set.set[w] == 0 {
			set.nz[w>>6] &^= 1 << (w & 63)
		}
	}
}

// advance moves the group's clock to now (≥ gt.now): buckets whose every
// member has fairness 1 from now on join fresh.
func (gt *timeIndex) advance(now int64) {
	gt.now = now
	n := 0
	for _, b := range gt.keys {
		if (b+1)*gt.width-1 > now-gt.horizon {
			break
		}
		set := gt.buckets[b].set
		for w := range set {
			gt.fresh[w] |= set[w]
		}
		delete(gt.buckets, b)
		n++
	}
	gt.keys = gt.keys[n:]
}

// retime keeps the time index of expert i's groups current when its hot
// record changes (called by refresh).
func (e *Engine) retime(i int32, old, h *hot) {
	if len(e.memberOf) == 0 {
		return
	}
	for _, m := range e.memberOf[i] {
		gt := &e.groups[m.g].time
		if !gt.on {
			continue
		}
		if old.lastTouch != h.lastTouch {
			gt.remove(m.pos, old.lastTouch)
			gt.insert(m.pos, h, len(gt.fresh))
		} else {
			w, bit := m.pos>>6, uint64(1)<<(m.pos&63)
			if gt.isSpecial(h) {
				gt.special[w] |= bit
			} else {
				gt.special[w] &^= bit
			}
		}
	}
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
		gt.advance(now)
	}
	return true
}

// countFrom adds to ev the members from word w0 on that the gate admits
// for es: eligible by popcount, excluded ones (specials, tried, skip)
// checked one by one. Specials found clean from now on lose their mark.
func (e *Engine) countFrom(gr *group, es *esc, now int64, w0 int, ev *evaluation) {
	gt := &gr.time
	p := es.Priority
	open, excluded := 0, 0
	for w := w0; w < gr.words(); w++ {
		o := gr.open(p, w)
		open += bits.OnesCount64(o)
		for s := o & gt.special[w]; s != 0; s &= s - 1 {
			b := bits.TrailingZeros64(s)
			idx := gr.members[w*64+b]
			if r, _ := e.eligibility(idx, es, now); r != 0 {
				ev.counts[r]++
				excluded++
			} else if h := &e.hot[idx]; !gt.isSpecial(h) {
				gt.special[w] &^= 1 << b
			}
		}
	}
	// tried and skip: checked unless special (counted above) or already seen.
	var seen [8]int32
	done := seen[:0]
	for _, list := range [2][]int32{es.tried, es.skip} {
		for _, idx := range list {
			if slices.Contains(done, idx) {
				continue
			}
			done = append(done, idx)
			pos, ok := e.posIn(gr, idx)
			w := int(pos >> 6)
			if !ok || w < w0 || gr.open(p, w)&(1<<(pos&63)) == 0 || gt.special[w]&(1<<(pos&63)) != 0 {
				continue
			}
			if r, _ := e.eligibility(idx, es, now); r != 0 {
				ev.counts[r]++
				excluded++
			}
		}
	}
	ev.eligible += open - excluded
}

// posIn is expert idx's position in gr.
func (e *Engine) posIn(gr *group, idx int32) (int32, bool) {
	for _, m := range e.memberOf[idx] {
		if e.groups[m.g] == gr {
			return m.pos, true
		}
	}
	return 0, false
}

// rankFrom ranks the eligible members from word w0 on into top (which
// holds the best of the words before). Members fall into classes by skill
// band (proficiency, or summed proficiency for a set of several skills),
// whether they would be interrupted, and fresh or
// last-touch bucket; a class's bound is the best score any member of it
// can have. Classes are visited best bound first, each in expert order,
// until no class left can beat the ranking's last.
func (e *Engine) rankFrom(gr *group, es *esc, now int64, w0 int, top []ranked) []ranked {
	gt := &gr.time
	k := max(e.pol.ExplainLimit, minRanked)
	wt := &e.pol.Weights
	single := len(es.skillIDs) == 1
	p := es.Priority
	// beaten reports whether the ranking is full and a member of score at
	// most bound and expert index at least idx cannot enter it.
	beaten := func(bound float64, idx int32) bool {
		if len(top) < k {
			return false
		}
		last := &top[k-1]
		return bound < last.score || bound == last.score && idx > last.idx
	}
	visit := func(w int, set uint64, bound float64) bool {
		for todo := set; todo != 0; todo &= todo - 1 {
			b := bits.TrailingZeros64(todo)
			idx := gr.members[w*64+b]
			if beaten(bound, idx) {
				return false // the rest of the class comes later in expert order
			}
			if r, _ := e.eligibility(idx, es, now); r != 0 {
				continue
			}
			intr := (e.gates[idx].pres|e.gates[idx].rout)&allowIntr != 0
			var skill float64
			if single {
				skill = float64(gr.prof[w*64+b]) / 5
			} else {
				skill = e.skillPart(idx, es.skillIDs)
			}
			top = e.considerBounded(top, k, wt, idx, skill, intr, now)
		}
		return true
	}
	// An escalation that repeats a skill weighs it twice: the bands of a
	// several-skill group bound its skill part only by 1.
	loose := !single && len(gt.bands) > 0 && len(es.skillIDs) != len(gr.skills) && len(gr.skills) > 1
	cl := e.scratch.classes[:0]
	for bi, band := range gt.bands {
		if loose {
			band.skill = 1
		}
		for _, intr := range [2]bool{false, true} {
			pr := 1.0
			if intr {
				pr = 0
			}
			base := wt.Skill*band.skill + wt.Presence*pr
			cl = append(cl, class{base: base, bound: base + wt.Fairness*1 + wt.Budget*1, band: int32(bi), intr: intr, bucket: -1})
		}
	}
	e.scratch.classes = cl
	// A band and presence's classes are its fresh then its buckets oldest
	// first, best bound first: a merge of these runs visits every class in
	// order of bound without sorting them all (few are visited). Visit order
	// only decides how soon the ranking fills, not what it holds (ties
	// break on expert order).
	fas := e.scratch.fas[:0]
	for _, bk := range gt.keys {
		fas = append(fas, max(0, min(1, float64(now-bk*gt.width)/float64(gt.horizon))))
	}
	e.scratch.fas = fas
	open := e.scratch.open[:0]
	for w := range gr.words() {
		if w < w0 {
			open = append(open, 0)
		} else {
			open = append(open, gr.open(p, w))
		}
	}
	e.scratch.open = open
	for {
		m := -1
		for j := range cl {
			if int(cl[j].bucket) < len(fas) && (m < 0 || cl[j].bound > cl[m].bound) {
				m = j
			}
		}
		if m < 0 || beaten(cl[m].bound, -1) {
			break
		}
		c := cl[m]
		if cl[m].bucket++; int(cl[m].bucket) < len(fas) {
			cl[m].bound = cl[m].base + wt.Fairness*fas[cl[m].bucket] + wt.Budget*1
		}
		// word is the class's members in word w; more false once the
		// ranking is beaten for the rest of the class.
		bandSet := gt.bands[c.band].set
		word := func(tset []uint64, w int) (more bool) {
			s := open[w] & tset[w]
			if bandSet != nil {
				s &= bandSet[w]
			}
			if c.intr {
				s &= gr.intr[w]
			} else {
				s &^= gr.intr[w]
			}
			return s == 0 || visit(w, s, c.bound)
		}
		if c.bucket < 0 {
			for w := w0; w < len(open) && word(gt.fresh, w); w++ {
			}
			continue
		}
		bk := gt.buckets[gt.keys[c.bucket]]
		bk.each(w0, func(w int) bool { return word(bk.set, w) })
	}
	return top
}

// each calls f for the bucket's non-zero words from w0 on, in order, until
// f returns false.
func (bk *bucket) each(w0 int, f func(w int) bool) {
	for j, nz := range bk.nz {
		if lo := w0 - j*64; lo > 0 { // words before w0
			if lo >= 64 {
				continue
			}
			nz &^= 1<<lo - 1
		}
		for ; nz != 0; nz &= nz - 1 {
			if !f(j*64 + bits.TrailingZeros64(nz)) {
				return
			}
		}
	}
}

// class is a set of members a decision visits together (see rankFrom).
type class struct {
	base   float64 // skill and presence parts
	bound  float64
	band   int32 // index into timeIndex.bands
	bucket int32 // index into timeIndex.keys; -1 = fresh
	intr   bool
}

// band is the members of a one-skill group with one proficiency.
type band struct {
	skill float64
	set   []uint64 // nil: every member (sets of several skills)
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
