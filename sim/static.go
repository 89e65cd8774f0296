package sim

import (
	"cmp"
	"slices"
	"time"
	"unsafe"

	"github.com/shadowq/shadowq/internal/prefetch"
)

// The exogenous events of a replication (shift starts and ends, calendar
// blocks and breaks, churn, arrivals) are known before it runs. Putting
// them all on the kernel up front made its heap as large as the whole
// replication (a million events at 10,000 experts), so every event paid
// for the day's size. Instead they run from one sorted list, only the
// next one on the kernel at a time, each with the insertion sequence it
// would have had up front (Kernel.reserve, atSeq): the kernel's order of
// time then insertion is unchanged, and so is every result.

// staticKind is what an exogenous event does.
type staticKind uint8

const (
	stShiftStart staticKind = iota
	stShiftEnd
	stBlockStart
	stBlockEnd
	stChurn
	stArrival
)

// staticEv is one exogenous event: seq is its position in the order they
// used to be scheduled (expert by expert: shift start, shift end, each
// block's start and end, churn; then arrivals), x the expert or
// escalation index, k the block or churn index.
type staticEv struct {
	at   time.Duration
	seq  uint32
	kind staticKind
	// A block start's presence and calendar flag, copied from the block
	// (in what was padding): at 10,000 experts the schedule's blocks are
	// a cache miss or two away, and only a calendar block's start reads
	// the block (for its end, which shadowq's engine is told).
	cal  bool
	pid  presID
	x, k int32
}

// statics lists the replication's exogenous events by time, then seq. It
// is built once and shared by every arm (arms of one replication run on
// one goroutine).
func (s *schedule) statics() []staticEv {
	if s.static != nil {
		return s.static
	}
	n := len(s.arrivals)
	for i := range s.blocks {
		n += 2*len(s.sc.Experts[i].Shifts) + 2*len(s.blocks[i]) + len(s.churns[i])
	}
	out := make([]staticEv, 0, n)
	add := func(at time.Duration, kind staticKind, x, k int) {
		out = append(out, staticEv{at: at, seq: uint32(len(out)), kind: kind, x: int32(x), k: int32(k)})
	}
	for i := range s.sc.Experts {
		for k, sh := range s.sc.Experts[i].Shifts {
			add(sh.Start, stShiftStart, i, k)
			add(sh.End, stShiftEnd, i, k)
		}
		for bi, b := range s.blocks[i] {
			add(b.start, stBlockStart, i, bi)
			out[len(out)-1].cal, out[len(out)-1].pid = b.calendar, b.pid
			add(b.end, stBlockEnd, i, bi)
		}
		for ci, c := range s.churns[i] {
			add(c.at, stChurn, i, ci)
		}
	}
	for i := range s.arrivals {
		add(s.arrivals[i].at, stArrival, i, 0)
	}
	sortStatics(out)
	s.static = out
	return out
}

// sortStatics orders evs, listed in seq order (evs[i].seq == i), by time
// then seq. A comparison sort of a day at 10,000 experts (~10^6 events,
// log n ≈ 20 compares each) cost the arm that built the list more per
// event than the same day at 60 experts; a stable LSD radix sort on the
// time is linear and gives the same order, since stability keeps seq
// order among equal times.
func sortStatics(evs []staticEv) {
	if len(evs) < 256 {
		slices.SortFunc(evs, func(a, b staticEv) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
		return
	}
	lo, hi := evs[0].at, evs[0].at
	for i := range evs {
		lo, hi = min(lo, evs[i].at), max(hi, evs[i].at)
	}
	const bits = 11
	const mask = 1<<bits - 1
	key := func(e *staticEv) uint64 { return uint64(e.at - lo) } // hi-lo fits: times lie within the run
	src, dst := evs, make([]staticEv, len(evs))
	var count [1 << bits]int
	for shift := uint(0); shift < 64 && uint64(hi-lo)>>shift != 0; shift += bits {
		count = [1 << bits]int{}
		for i := range src {
			count[key(&src[i])>>shift&mask]++
		}
		if count[key(&src[0])>>shift&mask] == len(src) {
			continue // every key has this digit: the pass would not move anything
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i := range src {
			d := key(&src[i]) >> shift & mask
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &evs[0] {
		copy(evs, src)
	}
}

// scheduleAll puts the first exogenous event of the run on the kernel;
// each one schedules the next as it runs.
func (w *world) scheduleAll() {
	st := w.sch.statics()
	base := w.k.reserve(len(st))
	pos := 0
	var next func()
	next = func() {
		ev := st[pos]
		if pos++; pos < len(st) {
			w.k.atSeq(w.at(st[pos].at), base+uint64(st[pos].seq), next)
			if w.pre != nil {
				w.prefetch(&st[pos])
				if pos+1 < len(st) {
					w.prefetchHeader(&st[pos+1])
				}
				w.prefetchCall()
			}
		}
		w.runStatic(ev)
	}
	if len(st) > 0 {
		w.k.atSeq(w.at(st[0].at), base+uint64(st[0].seq), next)
	}
}

// prefetchMin is the organisation size from which the shadowq arm
// prefetches (see world.prefetch): below it the experts' records stay in
// the L2 cache (60 or 600 experts), and prefetching would only cost.
var prefetchMin = 2048 // a var so that a test can force it either way (TestPrefetchChangesNothing)

// prefetch starts loading the records of the expert that the next
// exogenous event ev concerns: the two lines of its expertState that
// every handler reads, and the engine's records of it that the event it
// passes on reads. At 10,000 experts these miss the L2 cache; loaded
// from here, during this event and the kernel calls before ev, they no
// longer stall ev (shadowq arm, 10,000 experts: about -75 ns/event of
// ~1,500). A calendar block's start or a churn also reads its schedule
// entry, prefetched too (its slice header was, one event earlier, by
// prefetchHeader). Arrivals are read in order: the hardware prefetcher
// has them.
func (w *world) prefetch(ev *staticEv) {
	switch ev.kind {
	case stArrival:
		return
	case stChurn:
		// Read if the expert is free (churnStart).
		c := &w.sch.churns[ev.x][ev.k]
		prefetchRange(unsafe.Pointer(c), unsafe.Sizeof(*c))
	case stBlockStart:
		if ev.cal { // its end goes to the engine (blockStart)
			b := &w.sch.blocks[ev.x][ev.k]
			prefetchRange(unsafe.Pointer(b), unsafe.Sizeof(*b))
		}
	}
	w.prefetchExpert(ev.x)
}

// prefetchHeader prefetches the slice header of ev's expert's blocks or
// churns that prefetch, at the next event, reads for ev's block or churn:
// in cache by then, its load no longer stalls there.
func (w *world) prefetchHeader(ev *staticEv) {
	switch {
	case ev.kind == stChurn:
		prefetch.Lines(unsafe.Pointer(&w.sch.churns[ev.x]), 1)
	case ev.kind == stBlockStart && ev.cal:
		prefetch.Lines(unsafe.Pointer(&w.sch.blocks[ev.x]), 1)
	}
}

// prefetchCall, where world.pre is set, runs at the start of each
// exogenous event and kernel call: the expert of the kernel's coming call
// (Kernel.nextCall; all but opAbandon name one) is prefetched as for an
// exogenous event (10,000 experts: about -60 ns/event more). The kernel's
// loop does not do it itself: the ACD arms' events would pay for the test.
func (w *world) prefetchCall() {
	c, ok := w.k.nextCall()
	if !ok {
		return
	}
	switch c.op {
	case opAbandon:
		return
	case opHangUp:
		prefetch.Lines(unsafe.Pointer(&w.pre.conv[c.a]), 1)
	}
	w.prefetchExpert(c.a)
}

// prefetchRange prefetches the cache lines of the size bytes from p.
func prefetchRange(p unsafe.Pointer, size uintptr) {
	a := uintptr(p)
	prefetch.Lines(p, int((a+size-1)>>6-a>>6+1))
}

func (w *world) prefetchExpert(i int32) {
	prefetch.Lines(unsafe.Pointer(&w.xs[i]), 2)
	w.pre.eng.Prefetch(w.pre.engIdx[i])
}

func (w *world) runStatic(ev staticEv) {
	if ev.kind == stArrival {
		e := &w.es[ev.x]
		if e.a.patience > 0 {
			e.abandonEv = w.k.afterCall(e.a.patience, call{op: opAbandon, a: int32(ev.x)})
		}
		w.queue.add(w.now(), 1)
		w.r.arrive(e)
		return
	}
	x := &w.xs[ev.x]
	switch ev.kind {
	case stShiftStart:
		x.inShift = true
		x.shiftEnd = x.sc.Shifts[ev.k].End
		w.touch(x)
		w.becomeFree(x)
	case stShiftEnd:
		x.inShift = false
		w.touch(x)
		w.clearOverlay(x)
		w.update(x)
	case stBlockStart:
		w.blockStart(x, &ev)
	case stBlockEnd:
		w.blockEnd(x, ev.k)
	case stChurn:
		w.churnStart(x, ev.k)
	}
}
