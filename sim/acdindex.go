package sim

import (
	"cmp"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
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
	stamp   uint32     // the last stamp an idle entry got
	dirty   []bool
	dirtyL  []int
	qgroups []queueGroup
	eq      []int // per escalation: its queue group, -1 if unroutable
	queued  int   // escalations queued, unroutable ones included
}

// buildIndex groups experts by skill profile and escalations by skill set.
func (r *acdRouter) buildIndex() {
	w := r.w
	ix := &r.ix
	byProfile := map[string]int{}
	ix.slots = make([]idleSlot, len(w.xs))
	for i := range w.xs {
		p := profile(w.xs[i].sc.Skills)
		g, ok := byProfile[p]
		if !ok {
			g = len(ix.groups)
			byProfile[p] = g
			ix.groups = append(ix.groups, idleGroup{mask: r.xmask[i]})
			var lv [64]int32
			for s, l := range w.xs[i].sc.Skills {
				if b, ok := r.bit[s]; ok {
					lv[bits.TrailingZeros64(b)] = int32(l)
				}
			}
			r.glevel = append(r.glevel, lv)
		}
		ix.slots[i].group = int32(g)
	}
	ix.dirty = make([]bool, len(w.xs))
	byMask := map[uint64]int{}
	ix.eq = make([]int, len(w.es))
	for i := range w.es {
		ix.eq[i] = -1
		if r.unroutab[i] {
			continue
		}
		m := r.emask[i]
		q, ok := byMask[m]
		if !ok {
			q = len(ix.qgroups)
			byMask[m] = q
			qg := queueGroup{mask: m, set: newOrdset(cmpQueue)}
			for g := range ix.groups {
				if ix.groups[g].mask&m == m {
					qg.idle = append(qg.idle, g)
					ix.groups[g].queue = append(ix.groups[g].queue, q)
				}
			}
			ix.qgroups = append(ix.qgroups, qg)
		}
		ix.eq[i] = q
	}
}

// profile names a skill profile: skills and levels, sorted.
func profile(skills map[string]int) string {
	var b strings.Builder
	for _, s := range slices.Sorted(maps.Keys(skills)) {
		b.WriteString(s)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(skills[s]))
		b.WriteByte(0)
	}
	return b.String()
}

// touch marks x's eligibility or idle-since as possibly changed.
func (w *world) touch(x *expertState) {
	if r := w.acd; r != nil && !r.ix.dirty[x.i] {
		r.ix.dirty[x.i] = true
		r.ix.dirtyL = append(r.ix.dirtyL, x.i)
	}
}

// flush brings the idle index up to date with every touched expert.
func (r *acdRouter) flush() {
	ix := &r.ix
	for _, i := range ix.dirtyL {
		ix.dirty[i] = false
		x := &r.w.xs[i]
		in := x.inShift && x.shownOnQ && !x.occupied() && x.alerting < 0
		s := &ix.slots[i]
		if s.stamp != 0 && (!in || s.free != x.free) {
			s.stamp = 0 // its entry goes stale
			ix.groups[s.group].idle.live--
		}
		if in && s.stamp == 0 {
			ix.stamp++
			s.stamp, s.free = ix.stamp, x.free
			ix.groups[s.group].idle.insert(idleEnt{x.free, int32(i), ix.stamp}, ix.slots)
		}
	}
	ix.dirtyL = ix.dirtyL[:0]
}

// bestIdle is the eligible expert holding e's skills the baseline's
// selection prefers (longest idle; or best skill, then longest idle; then
// the lowest index), or -1.
func (r *acdRouter) bestIdle(e *escState, now time.Duration, bySkill bool) int {
	q := r.ix.eq[e.i]
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
