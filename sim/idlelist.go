package sim

import (
	"sort"
	"time"
)

// idleList is one skill profile's idle experts ordered by idle-since, then
// index: a sorted array rather than a tree, because nearly every insert is
// an expert who has just become free (the newest idle-since, an append)
// and nearly every read wants the first entry. A removal only stamps the
// expert's slot (its entry goes stale in place); stale entries are dropped
// when a read passes them and by an occasional compaction. A read then
// touches the array's first line and one slot, where a tree walked a
// root-to-leaf path of scattered nodes: at 10,000 experts those were
// cache misses.
//
// The live entries are buf[lo:hi]; the room on both sides takes appends
// and the inserts near the front (an expert back from a failed alert or
// starting a shift keeps an old idle-since).
type idleList struct {
	buf    []idleEnt
	lo, hi int
	live   int // entries whose stamp is their expert's current one
}

// idleEnt is an entry: the idle-since it was indexed under, the expert,
// and the stamp the expert's slot held when it was inserted.
type idleEnt struct {
	free  time.Duration
	i     int32
	stamp uint32
}

// idleSlot is an expert's side of the idle index.
type idleSlot struct {
	free    time.Duration // the idle-since x is indexed under, while stamp != 0
	notResp time.Duration // a copy of x.notResp (set only by the ACD's offer)
	stamp   uint32        // of x's live entry; 0 while x is not indexed
	group   int32         // x's idle group
}

func idleLess(a, b idleEnt) bool { return a.free < b.free || a.free == b.free && a.i < b.i }

// insert adds e, whose stamp its expert's slot now holds.
func (l *idleList) insert(e idleEnt, slots []idleSlot) {
	l.live++
	n := l.hi - l.lo
	if l.hi-l.lo > 2*l.live+64 {
		l.compact(slots)
		n = l.hi - l.lo
	}
	// p: the first entry after e (stale entries keep their places in the
	// order, so the search may land among them).
	p := l.hi
	if n > 0 && idleLess(e, l.buf[l.hi-1]) { // rare: most inserts go at the back
		p = l.lo + sort.Search(l.hi-1-l.lo, func(k int) bool { return !idleLess(l.buf[l.lo+k], e) })
	}
	front := p-l.lo < l.hi-p
	if front && l.lo == 0 || !front && l.hi == len(l.buf) {
		p = l.recenter(p)
	}
	if front {
		copy(l.buf[l.lo-1:], l.buf[l.lo:p])
		l.lo--
		l.buf[p-1] = e
		return
	}
	copy(l.buf[p+1:], l.buf[p:l.hi])
	l.hi++
	l.buf[p] = e
}

// recenter makes room on both sides of the entries (moving them, or into
// a larger array) and returns where position p went.
func (l *idleList) recenter(p int) int {
	n := l.hi - l.lo
	buf := l.buf
	if len(buf)-n < n/2+16 {
		buf = make([]idleEnt, 2*n+32)
	}
	lo := (len(buf) - n) / 4
	copy(buf[lo:], l.buf[l.lo:l.hi])
	p += lo - l.lo
	l.buf, l.lo, l.hi = buf, lo, lo+n
	return p
}

// compact drops every stale entry.
func (l *idleList) compact(slots []idleSlot) {
	j := l.lo
	for _, e := range l.buf[l.lo:l.hi] {
		if slots[e.i].stamp == e.stamp {
			l.buf[j] = e
			j++
		}
	}
	l.hi = j
}

// first is the first live entry of an expert not NOT_RESPONDING at now;
// ok is false when there is none. The stale entries it passes are dropped
// (the NOT_RESPONDING ones before them move up), so that experts sitting
// out the penalty at the front do not make every read walk past the
// entries of those chosen since.
func (l *idleList) first(now time.Duration, slots []idleSlot) (e idleEnt, ok bool) {
	for k := l.lo; k < l.hi; k++ {
		e = l.buf[k]
		s := &slots[e.i]
		if s.stamp != e.stamp {
			copy(l.buf[l.lo+1:k+1], l.buf[l.lo:k])
			l.lo++
			continue
		}
		if now >= s.notResp {
			return e, true
		}
	}
	return idleEnt{}, false
}
