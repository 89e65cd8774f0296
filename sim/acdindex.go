package sim

import (
	"cmp"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// The baseline ACD's indexes, so that a placement and a take cost
// O(skill profiles × log n) rather than a scan of every expert or of the
// whole queue:
//
//   - idle: experts grouped by skill profile (the same skills at the same
//     levels, so best-skill ranks a whole group alike), each group ordered
//     by idle-since, then index. An expert is in its group while in shift,
//     On Queue, not occupied and not alerting; NOT_RESPONDING (a time
//     condition) is checked when a group is read, skipping the few
//     experts serving the penalty. Each group is an idleList
//     (idlelist.go), not a tree: a read touches its first entries only.
//   - queue: queued escalations grouped by skill set, each group ordered
//     by priority, arrival, then index. Escalations needing a skill nobody
//     holds are counted as queued but indexed nowhere: nobody can take them.
//
// The world marks an expert dirty (touch) whenever a field eligibility
// or idle-since depends on changes; the idle index is brought up to date
// before it is read. Both indexes give exactly the choice a scan in
// expert (or queue) order gives.

type queueKey struct {
	prio engine.Priority
	at   time.Duration
	i    int
}

func cmpQueue(a, b queueKey) int {
	return cmp.Or(cmp.Compare(a.prio, b.prio), cmp.Compare(a.at, b.at), cmp.Compare(a.i, b.i))
}

func queueKeyOf(e *escState) queueKey { return queueKey{e.a.prio, e.a.at, e.i} }

// idleGroup is the experts of one skill profile.
type idleGroup struct {
	mask  uint64
	idle  idleList
	queue []int // queue groups this profile can take from
}

// queueGroup is the queued escalations of one skill set.
type queueGroup struct {
	mask uint64
	set  *ordset[queueKey]
	idle []int // idle groups holding all these skills
}

type acdIndex struct {
	groups  []idleGroup
	slots   []idleSlot // per expert
	indexed []uint64   // bit i: expert i has a live entry (slots[i].stamp != 0)
	stamp   uint32     // the last stamp an idle entry got (one per insert: 2^32 inserts per run would wrap it)
	dirty   []bool
	dirtyL  []int
	qgroups []queueGroup
	byMask  map[uint64]int // queue group by skill set
	ecls    []escClass     // per escalation
	queued  int            // escalations queued, unroutable ones included
}

// escClass is an escalation's queue group, found at its first placement
// (its arrival is in cache then, where classifying every escalation when
// the router is built read each arrival once more, a cache miss or two at
// 10,000 experts; and shadowq's fallback queue sees few of them): q is
// the group + 1, 0 while not classified, -1 when unroutable. Its skills'
// bit numbers are eskill[off:off+n].
type escClass struct{ q, off, n int32 }

// buildIndex gives skills their bits and groups experts by skill profile,
// reading each expert's skills once.
func (r *acdRouter) buildIndex() {
	w := r.w
	ix := &r.ix
	byProfile := map[string]int{}
	ix.slots = make([]idleSlot, len(w.xs))
	ix.indexed = make([]uint64, (len(w.xs)+63)/64)
	r.xmask = make([]uint64, len(w.xs))
	var keys []string
	var name []byte // the profile's name: skills and levels, sorted
	for i := range w.xs {
		skills := w.xs[i].sc.Skills
		keys = slices.AppendSeq(keys[:0], maps.Keys(skills))
		slices.Sort(keys)
		name = name[:0]
		var m uint64
		for _, s := range keys {
			b, ok := r.bit[s]
			if !ok && len(r.bit) < 64 {
				b = 1 << len(r.bit)
				r.bit[s] = b
			}
			m |= b
			name = append(append(name, s...), '=')
			name = append(strconv.AppendInt(name, int64(skills[s]), 10), 0)
		}
		r.xmask[i] = m
		g, ok := byProfile[string(name)]
		if !ok {
			g = len(ix.groups)
			byProfile[string(name)] = g
			ix.groups = append(ix.groups, idleGroup{mask: m})
			var lv [64]int32
			for s, l := range skills {
				if b, ok := r.bit[s]; ok {
					lv[bits.TrailingZeros64(b)] = int32(l)
				}
			}
			r.glevel = append(r.glevel, lv)
		}
		ix.slots[i].group = int32(g)
	}
	ix.dirty = make([]bool, len(w.xs))
	ix.byMask = map[uint64]int{}
	ix.ecls = make([]escClass, len(w.es))
}

// queueGroup is e's queue group, -1 if e is unroutable; it classifies e
// on first use (escClass).
func (r *acdRouter) queueGroup(e *escState) int {
	ix := &r.ix
	c := &ix.ecls[e.i]
	switch {
	case c.q > 0:
		return int(c.q) - 1
	case c.q < 0:
		return -1
	}
	m, ok := r.skillMask(e)
	if !ok {
		c.q = -1
		return -1
	}
	q, seen := ix.byMask[m]
	if !seen {
		q = len(ix.qgroups)
		ix.byMask[m] = q
		qg := queueGroup{mask: m, set: newOrdset(cmpQueue)}
		for g := range ix.groups {
			if ix.groups[g].mask&m == m {
				qg.idle = append(qg.idle, g)
				ix.groups[g].queue = append(ix.groups[g].queue, q)
			}
		}
		ix.qgroups = append(ix.qgroups, qg)
	}
	c.q, c.off = int32(q)+1, int32(len(r.eskill))
	for _, s := range e.a.skills {
		r.eskill = append(r.eskill, uint8(bits.TrailingZeros64(r.bit[s])))
	}
	c.n = int32(len(r.eskill)) - c.off
	return q
}

// touch marks x's eligibility or idle-since as possibly changed.
func (w *world) touch(x *expertState) {
	if r := w.acd; r != nil && !r.ix.dirty[x.i] {
		r.ix.dirty[x.i] = true
		r.ix.dirtyL = append(r.ix.dirtyL, int(x.i))
	}
}

// flush brings the idle index up to date with every touched expert. Most
// touched experts are neither idle nor indexed (in a meeting, at project
// work, busy): the indexed bits tell so without reading their slots, a
// cache miss each at 10,000 experts.
func (r *acdRouter) flush() {
	ix := &r.ix
	for _, i := range ix.dirtyL {
		ix.dirty[i] = false
		x := &r.w.xs[i]
		in := x.inShift && x.shownOnQ && !x.occupied() && x.alerting < 0
		word, bit := &ix.indexed[i>>6], uint64(1)<<(i&63)
		if !in && *word&bit == 0 {
			continue
		}
		s := &ix.slots[i]
		if *word&bit != 0 && (!in || s.free != x.free) {
			s.stamp = 0 // its entry goes stale
			*word &^= bit
			ix.groups[s.group].idle.live--
		}
		if in && *word&bit == 0 {
			ix.stamp++
			s.stamp, s.free = ix.stamp, x.free
			*word |= bit
			ix.groups[s.group].idle.insert(idleEnt{x.free, int32(i), ix.stamp}, ix.slots)
		}
	}
	ix.dirtyL = ix.dirtyL[:0]
}

// bestIdle is the eligible expert holding e's skills the baseline's
// selection prefers (longest idle; or best skill, then longest idle; then
// the lowest index), or -1.
func (r *acdRouter) bestIdle(e *escState, now time.Duration, bySkill bool) int {
	q := r.queueGroup(e)
	if q < 0 {
		return -1
	}
	r.flush()
	var best idleEnt
	found, bestSkill := false, 0
	for _, g := range r.ix.qgroups[q].idle {
		c, ok := r.ix.groups[g].idle.first(now, r.ix.slots)
		if !ok {
			continue
		}
		sk := 0
		if bySkill {
			sk = r.groupSkillSum(g, e)
		}
		if !found || sk > bestSkill || sk == bestSkill && idleLess(c, best) {
			best, found, bestSkill = c, true, sk
		}
	}
	if !found {
		return -1
	}
	return int(best.i)
}

// firstQueued is the first queued escalation (priority, arrival, index)
// that x holds the skills for, or nil.
func (r *acdRouter) firstQueued(x *expertState) *escState {
	var best queueKey
	found := false
	for _, q := range r.ix.groups[r.ix.slots[x.i].group].queue {
		if k, ok := r.ix.qgroups[q].set.Min(); ok && (!found || cmpQueue(k, best) < 0) {
			best, found = k, true
		}
	}
	if !found {
		return nil
	}
	return &r.w.es[best.i]
}
