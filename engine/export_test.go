package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"
)

// IndexDiff decides a probe escalation (tried: experts already tried for
// it) both through the skill-set index and by a scan of every holder, at
// the clock's time and without acting on it, and describes the first
// difference ("" when they agree); it also checks each ranked candidate
// against its parts read afresh (freshCandidate). It is for the
// differential test.
func (e *Engine) IndexDiff(x Escalation, tried []ExpertID) string {
	es := e.probeEsc(x)
	for _, id := range tried {
		es.tried = append(es.tried, e.index[id])
	}
	gr := e.groupOf(es)
	if gr == nil {
		return ""
	}
	now := e.clock.Now().UnixNano()
	got := e.evalGroup(gr, es, now)
	got.cands = slices.Clone(got.cands)
	want := e.scanHolders(es, now)
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("index:\n%+v\nscan:\n%+v", got, want)
	}
	if any := e.anyEligible(es, now); any != (want.eligible > 0) {
		return fmt.Sprintf("anyEligible %v, scan found %d eligible", any, want.eligible)
	}
	if d := e.groupDiff(gr); d != "" {
		return d
	}
	for i, c := range want.cands {
		if fresh := e.freshCandidate(e.index[c.Expert], es.skillIDs, c.Interrupt, now); c != fresh {
			return fmt.Sprintf("candidate %d: ranked with %+v, its parts read afresh give %+v", i, c, fresh)
		}
	}
	return ""
}

// groupDiff checks a group's structures against its members' gates and
// hot records: the level bitsets, and for the time index each member's
// class and its place in the fresh set or the list (remove relies on
// a member being in the fresh set exactly when its last touch is fresh),
// and the lists' heads.
func (e *Engine) groupDiff(gr *group) string {
	for pos, idx := range gr.members {
		w, bit := pos>>6, uint64(1)<<(pos&63)
		for l := range P5 + 1 {
			if in := gr.lvl[w][l]&bit != 0; in != (l > 0 && uint8(l) == openLevel(e.gates[idx])) {
				return fmt.Sprintf("member %d: level %d bit %v, gate %+v", pos, l, in, e.gates[idx])
			}
		}
	}
	gt := &gr.time
	if !gt.on {
		return ""
	}
	inList := map[int32]int{}
	for c := range gt.classes {
		l := &gt.classes[c].aging
		if gt.head[c] != l.first() {
			return fmt.Sprintf("class %d: head %d, list starts at %d", c, gt.head[c], l.first())
		}
		b, bit := busyBit(c)
		busy := gt.busy[b]
		if n := gt.classes[c].fresh.n; busy&bit != 0 != (n > 0) || busy&(bit<<listBusy) != 0 != (gt.head[c] != math.MaxInt64) {
			return fmt.Sprintf("class %d: busy %b, fresh set of %d, head %d", c, busy, n, gt.head[c])
		}
		for cu := (ltCursor{l: l}); cu.ok(); cu.next() {
			x := cu.at()
			if _, dup := inList[x.pos]; dup {
				return fmt.Sprintf("member %d: listed twice", x.pos)
			}
			if lt := e.hot[gr.members[x.pos]].lastTouch; x.lt != lt {
				return fmt.Sprintf("member %d: listed in %d with last touch %d, its record has %d", x.pos, c, x.lt, lt)
			}
			inList[x.pos] = c
		}
	}
	for pos, idx := range gr.members {
		h, c := &e.hot[idx], gt.classOf(int32(pos), e.gates[idx])
		if r := gt.count.rec(int32(pos)); r.parked {
			// parked: still listed in a class that dominates its own (reclass)
			lc, listed := inList[int32(pos)]
			inSet := r.class >= 0 && gt.classes[r.class].fresh.set != nil && gt.classes[r.class].fresh.set[pos>>6]&(1<<(pos&63)) != 0
			if c == int(r.class) || r.class < 0 || !dominates(int(r.class), c) || !listed || lc != int(r.class) || inSet || gt.isFresh(h.lastTouch) {
				return fmt.Sprintf("member %d: parked in class %d, its gate says %d, listed in %d (%v), in the set %v, fresh %v", pos, r.class, c, lc, listed, inSet, gt.isFresh(h.lastTouch))
			}
			continue
		}
		if int(gt.count.rec(int32(pos)).class) != c {
			return fmt.Sprintf("member %d: class %d, its gate says %d", pos, gt.count.rec(int32(pos)).class, c)
		}
		lc, listed := inList[int32(pos)]
		fresh := c >= 0 && gt.classes[c].fresh.set != nil && gt.classes[c].fresh.set[pos>>6]&(1<<(pos&63)) != 0
		switch {
		case c < 0 && listed:
			return fmt.Sprintf("member %d: in no class but listed in %d", pos, lc)
		case c >= 0 && gt.isFresh(h.lastTouch) && (!fresh || listed):
			return fmt.Sprintf("member %d: fresh, in the set %v, listed %v", pos, fresh, listed)
		case c >= 0 && !gt.isFresh(h.lastTouch) && (fresh || !listed || lc != c):
			return fmt.Sprintf("member %d: aging, in the set %v, listed in %d (%v), class %d", pos, fresh, lc, listed, c)
		}
	}
	return ""
}

// freshCandidate scores expert idx from its tables, as the ranking did
// before it kept the parts consider computes: the reference the kept
// parts are checked against.
func (e *Engine) freshCandidate(idx int32, skills []int32, interrupt bool, now int64) Candidate {
	c := Candidate{Expert: e.experts[idx].ID, Interrupt: interrupt}
	c.Skill, c.Presence, c.Fairness = e.cheapParts(idx, e.skillPart(idx, skills), interrupt, now)
	c.Budget = e.budgetPart(idx, interrupt, now)
	w := &e.pol.Weights
	c.Score = w.Skill*c.Skill + w.Presence*c.Presence + w.Fairness*c.Fairness + w.Budget*c.Budget
	return c
}

// HoldDiff plans a hold for a probe escalation (no patience, so the
// window is MaxHold) at the clock's time without acting on it, and checks
// the chosen holder and probability against a direct call of the
// predictor for every blocked holder (no memo). It describes the first
// difference ("" when they agree) and reports whether a hold was planned.
func (e *Engine) HoldDiff(x Escalation) (string, bool) {
	es := e.probeEsc(x)
	for w := range e.blkStale {
		e.runWord(int32(w))
	}
	for i := range e.blk {
		if same := i > 0 && sameKeys(&e.blk[i], &e.blk[i-1]); same != (e.blkRun[i>>6]&(1<<(i&63)) != 0) {
			return fmt.Sprintf("%s: run bit %v, same keys %v", e.experts[i].ID, !same, same), false
		}
	}
	now := e.clock.Now()
	got, ok := e.planHold(es, now)
	best, who := 0.0, int32(-1)
	for _, idx := range slices.Clone(e.blockedHolders(es, now)) {
		if b, k := e.blocking(idx, es), e.blk[idx].key(es.Priority); keyOf(&b) != k {
			return fmt.Sprintf("%s: blocking %+v from the record, %+v from the dense copy", e.experts[idx].ID, b, k), false
		}
		p := e.pred.ProbFreeWithin(e.blocking(idx, es), now, e.pol.MicroWait.MaxHold)
		if p > best || (p == best && who >= 0 && e.experts[idx].ID < e.experts[who].ID) {
			best, who = p, idx
		}
	}
	want := who >= 0 && best >= e.pol.MicroWait.Threshold
	switch {
	case ok != want:
		return fmt.Sprintf("memo: hold %v (%s); scan: hold %v (best p=%v)", ok, got.why, want, best), ok
	case ok && (got.who != who || got.prob != best):
		return fmt.Sprintf("memo: %s p=%v; scan: %s p=%v", e.experts[got.who].ID, got.prob, e.experts[who].ID, best), ok
	}
	return "", ok
}

// RememberDiff remembers n endings of conversations drawn from ids (with
// repeats) in an engine that keeps keep of them, and compares what it then
// remembers with the first-in-first-out slice it replaced (append, then
// drop the oldest), after every call. It describes the first difference.
func RememberDiff(keep int, convs []string) string {
	e := &Engine{done: map[string]int32{}, doneKeep: keep}
	want := map[string]ending{}
	var order []string
	for i, c := range convs {
		end := ending{Queue: fmt.Sprint(i)}
		e.remember(c, end)
		want[c] = end
		order = append(order, c)
		if len(order) > keep {
			drop := len(order) - keep
			for _, o := range order[:drop] {
				delete(want, o)
			}
			order = append(order[:0], order[drop:]...)
		}
		got := map[string]ending{}
		for conv, k := range e.done {
			got[conv] = e.doneEnds[k]
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("after %d (%s): remembered %v, want %v", i, c, got, want)
		}
	}
	return ""
}

// SparseSetDiff inserts and removes random members of a sparse set of
// words words, and after every change compares the words it visits from
// random starting words (stopping after a random number) with a scan of
// its words. It describes the first difference.
func SparseSetDiff(seed uint64, words int) string {
	rng := rand.New(rand.NewPCG(seed, 3))
	var ss sparseSet
	var in []int32
	for step := range 2000 {
		if len(in) > 0 && rng.IntN(2) == 0 {
			i := rng.IntN(len(in))
			if !ss.remove(in[i]) {
				return fmt.Sprintf("step %d: %d not found", step, in[i])
			}
			in = slices.Delete(in, i, i+1)
		} else {
			pos := int32(rng.IntN(words * 64))
			if !slices.Contains(in, pos) {
				ss.add(pos, words)
				in = append(in, pos)
			} else if q := (pos + 1) % int32(words*64); !slices.Contains(in, q) && ss.remove(q) {
				return fmt.Sprintf("step %d: removed %d, not in", step, q)
			}
		}
		if ss.n != len(in) {
			return fmt.Sprintf("step %d: %d members, want %d", step, ss.n, len(in))
		}
		w0, stop := rng.IntN(words), 1+rng.IntN(words)
		var want, got []int
		for w := w0; w < words && len(want) < stop; w++ {
			if ss.set[w] != 0 {
				want = append(want, w)
			}
		}
		ss.each(w0, func(w int, set uint64) bool {
			if set != ss.set[w] {
				got = append(got, -w)
			}
			got = append(got, w)
			return len(got) < stop
		})
		if !slices.Equal(got, want) {
			return fmt.Sprintf("step %d, from word %d, stop after %d: visited %v, want %v", step, w0, stop, got, want)
		}
	}
	return ""
}

// LtListDiff inserts, deletes and pops random entries (last touches drawn
// from span values, so many tie, mostly at the back as a clock would) of
// an ltList and of a sorted slice, and after every change compares a full
// walk of the list and its length with the slice. It describes the first
// difference.
func LtListDiff(seed uint64, steps, span int) string {
	rng := rand.New(rand.NewPCG(seed, 5))
	var l ltList
	var want []ltEntry
	for step := range steps {
		switch k := rng.IntN(20); {
		case k < 7 && len(want) > 0:
			x := want[rng.IntN(len(want))]
			if !l.delete(x) {
				return fmt.Sprintf("step %d: %v not found", step, x)
			}
			i, _ := slices.BinarySearchFunc(want, x, cmpEntry)
			want = slices.Delete(want, i, i+1)
		case k < 8:
			cut := int64(rng.IntN(span)) - int64(span/2)
			var got []ltEntry
			l.popFront(cut, func(x ltEntry) { got = append(got, x) })
			i, _ := slices.BinarySearchFunc(want, ltEntry{lt: cut, pos: 1<<31 - 1}, cmpEntry)
			if !slices.Equal(got, want[:i]) {
				return fmt.Sprintf("step %d: popped to %d %v, want %v", step, cut, got, want[:i])
			}
			want = slices.Delete(want, 0, i)
		case k < 9:
			if l.delete(ltEntry{lt: int64(span), pos: 0}) {
				return fmt.Sprintf("step %d: deleted an entry never inserted", step)
			}
		default:
			x := ltEntry{lt: int64(rng.IntN(span)), pos: int32(rng.IntN(1000))}
			if k < 15 && len(want) > 0 {
				x.lt = want[len(want)-1].lt + int64(rng.IntN(2)) // at the back, or tied with it
			}
			i, found := slices.BinarySearchFunc(want, x, cmpEntry)
			if found {
				continue
			}
			l.insert(x)
			want = slices.Insert(want, i, x)
		}
		var got []ltEntry
		for cu := (ltCursor{l: &l}); cu.ok(); cu.next() {
			got = append(got, cu.at())
		}
		if !slices.Equal(got, want) || l.n != len(want) {
			return fmt.Sprintf("step %d: list (n=%d) %v, want %v", step, l.n, got, want)
		}
		if len(l.last) != len(l.chunks) {
			return fmt.Sprintf("step %d: %d chunks, %d last entries", step, len(l.chunks), len(l.last))
		}
		for k, c := range l.chunks {
			if len(c) == 0 || len(c) > chunkMax {
				return fmt.Sprintf("step %d: a chunk of %d entries", step, len(c))
			}
			if l.last[k] != c[len(c)-1] {
				return fmt.Sprintf("step %d: chunk %d ends %v, its last entry says %v", step, k, c[len(c)-1], l.last[k])
			}
		}
	}
	return ""
}

// keyOf is the blockKey of a Blocking.
func keyOf(b *Blocking) blockKey {
	return blockKey{def: b.Presence.Def, sys: b.Presence.System, routing: b.Routing, byRouting: b.ByRouting,
		since: unixNano(b.Since), end: unixNano(b.BlockEnd)}
}

// blockedHolders lists, in expert order, the holders of es's skills who may
// become eligible with time: the holders planHold asks the predictor about
// (a scan of every holder, which planHold does in one pass).
func (e *Engine) blockedHolders(es *esc, at time.Time) []int32 {
	now := at.UnixNano()
	pool, _ := e.pool(es)
	b := e.scratch.blocked[:0]
	for _, idx := range pool {
		if len(es.skillIDs) > 1 && !e.hasSkills(idx, es.skillIDs) {
			continue
		}
		if r, _ := e.eligibility(idx, es, now); r != 0 && mayFree(r) {
			b = append(b, idx)
		}
	}
	e.scratch.blocked = b
	return b
}

// probeEsc is the escalation x as Submit keeps it (skills as ids), for
// the differential tests' probes; nothing is recorded.
func (e *Engine) probeEsc(x Escalation) *esc {
	es := &esc{Escalation: x, expert: -1}
	for _, s := range x.Skills {
		if id, ok := e.skillIDs[s]; ok {
			es.skillIDs = append(es.skillIDs, id)
		} else {
			es.unknownSkill = true
		}
	}
	return es
}
