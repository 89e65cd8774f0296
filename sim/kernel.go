// Package sim is shadowq's discrete-event simulator: a kernel on a virtual
// clock, deterministic random streams derived from one seed, and the
// behaviour models and baseline ACD that run on them.
//
// Determinism contract: a replication is one Kernel driven by one goroutine
// with randomness taken only from Streams, so the same seed gives the same
// sequence of events and the same bytes out.
package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// The kernel is the engine's clock during a simulation.
var _ engine.Clock = (*Kernel)(nil)

// EventID names one scheduled event so that it can be cancelled. The zero
// EventID never names an event. An EventID stays valid (Cancel returns
// false) after its event has run or been cancelled.
type EventID uint64

// event is one heap entry. It holds no pointer (the function lives in
// Kernel.slots): 24 bytes, so that a 4-ary node's children share
// cache lines, and a heap the garbage collector need not scan nor sifting
// pay write barriers for (at 10,000 experts several thousand events are
// pending).
type event struct {
	at   int64  // virtual time, Unix nanoseconds
	seq  uint64 // insertion sequence: breaks ties between equal times
	slot uint32 // index into Kernel.slots
	gen  uint32 // generation of slot when scheduled; stale if it differs
}

// before is the kernel's total order: time, then insertion sequence.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Kernel is a discrete-event scheduler on a virtual clock. Events run in
// order of time, then of scheduling (insertion sequence), so equal-time
// events are deterministic. Not safe for concurrent use (one replication =
// one kernel = one goroutine).
//
// Time only moves when an event runs (to that event's time) or when Run
// returns (to its until). Now is therefore monotone non-decreasing, as
// engine.Clock requires; engines sharing one Kernel must share its
// goroutine.
//
// Virtual times are held as Unix nanoseconds, so they must lie between the
// years 1678 and 2262.
//
// Cancellation is O(1) and, but for the ring's events, lazy: Cancel marks
// the event's slot stale and the heap entry is dropped when it reaches the
// top, or earlier by a compaction that runs once stale entries outnumber
// live ones, so memory stays proportional to the number of pending events.
// An event in the ring is unlinked at once.
type Kernel struct {
	// The pending events, by time slab (slabOf): those of slab near and
	// earlier in heap, a small 4-ary min-heap ordered by before; those of
	// the next ringSlabs-1 slabs unordered in ring, one list per slab;
	// later ones in far, another 4-ary min-heap. Every heap entry is
	// before every ring entry, so heap's minimum is the kernel's unless
	// heap is empty; then advance moves the next non-empty slab (and the
	// far events up to it) into heap. At 10,000 experts several thousand
	// events are pending: one heap of them all cost a sift of six levels
	// per event, most of them between timers minutes apart.
	heap  []event     // events of slabs up to near
	near  int64       // the slab heap covers
	ring  ring        // events of slabs near+1 .. near+ringSlabs-1
	far   []event     // events of later slabs
	slots []eventSlot // by event slot
	// handler runs the events scheduled as calls (afterCall).
	handler func(call)
	free    []uint32 // free slots, reused LIFO
	stale   int      // entries (heap, far or side) whose event was cancelled
	// side is the one event atSeq schedules (the exogenous stream's next,
	// see scheduleAll), held beside the heap while hasSide: more than half
	// of a replication's events are exogenous, and each then costs a
	// comparison with the heap's minimum instead of a push and a pop.
	side    event
	hasSide bool

	now     int64 // Unix nanoseconds
	seq     uint64
	ran     uint64
	running bool // inside Run or Step: both refuse to nest

	start   time.Time // carries the Location that Now reports in
	startNS int64
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// NewKernel returns an empty kernel whose clock reads start. Now reports
// times in start's Location; start's monotonic clock reading is dropped.
func NewKernel(start time.Time) *Kernel {
	if start.Before(minTime) || start.After(maxTime) {
		panic(fmt.Sprintf("sim: NewKernel(%v): start outside the kernel's range %v..%v", start, minTime.UTC(), maxTime.UTC()))
	}
	start = start.Round(0)
	ns := start.UnixNano()
	return &Kernel{now: ns, start: start, startNS: ns, near: slabOf(ns)}
}

// Now returns the virtual time. During an event it is that event's time.
func (k *Kernel) Now() time.Time {
	return k.start.Add(time.Duration(k.now - k.startNS))
}

// sinceStart is Now minus the start NewKernel was given, without building
// a time.Time (the world reads it several times per event). Times within
// 292 years of the start, as any scenario's are, do not overflow.
func (k *Kernel) sinceStart() time.Duration { return time.Duration(k.now - k.startNS) }

// At schedules fn to run at t, after every event already scheduled for t.
// Scheduling before Now is a model bug and panics.
func (k *Kernel) At(t time.Time, fn func()) EventID {
	if t.Before(minTime) || t.After(maxTime) {
		panic(fmt.Sprintf("sim: Kernel.At(%v): time outside the kernel's range %v..%v", t, minTime.UTC(), maxTime.UTC()))
	}
	at := t.UnixNano()
	if at < k.now {
		panic(fmt.Sprintf("sim: Kernel.At(%v): time is %v before Now (%v); a model scheduled into the past",
			t, time.Duration(k.now-at), k.Now()))
	}
	return k.schedule(at, fn)
}

// After schedules fn to run d after Now, after every event already
// scheduled for that time. A negative d is a model bug and panics.
func (k *Kernel) After(d time.Duration, fn func()) EventID {
	at := k.now + int64(d)
	if d < 0 || at < k.now {
		if d < 0 {
			panic(fmt.Sprintf("sim: Kernel.After(%v): negative delay; a model scheduled into the past", d))
		}
		panic(fmt.Sprintf("sim: Kernel.After(%v): Now (%v) plus delay overflows the kernel's range", d, k.Now()))
	}
	return k.schedule(at, fn)
}

func (k *Kernel) schedule(at int64, fn func()) EventID {
	if fn == nil {
		panic("sim: Kernel.At/After: nil event function")
	}
	k.seq++
	return k.scheduleSeq(at, k.seq, fn, call{})
}

// eventSlot is what the kernel holds of one pending event besides its heap
// entry: all of it in one 64-byte record, so that running or cancelling
// an event scheduled long ago (at 10,000 experts, out of cache) costs one
// cache miss, not one per array. An event in the ring has no heap entry
// yet: its time and sequence are here (see ring), so that taking a slab
// reads the lines its events will run from, and scheduling into the ring
// writes the slot newSlot just took.
type eventSlot struct {
	fn     func() // the pending event's function; nil while free or for a call
	c      int64  // a call's arguments (call.c, call.a, call.b)
	at     int64  // while in the ring: the event's time and sequence
	seq    uint64
	a      int32
	b      int32
	gen    uint32   // odd while the event is pending, even while free
	op     uint8    // a call's operation, 0 for a function
	inRing bool     // the event is on one of the ring's lists
	_      [18]byte // to 64 bytes: in the slots' slice each line holds one slot
}

// call is the slot's call.
func (s *eventSlot) call() call { return call{op: s.op, a: s.a, b: s.b, c: s.c} }

// call is an event the kernel's handler runs: an operation and its
// arguments, held in the event's slot instead of a closure. At 10,000
// experts a closure per timer (an alert's end, a hang-up) was an
// allocation in memory long out of cache, and its read when the event ran
// another cache miss; a slot's call is pointer-free and slots are reused
// first in, last out, so it is in cache both times.
type call struct {
	op   uint8 // the handler's operation; never 0
	a, b int32
	c    int64
}

// afterCall schedules the handler's call c to run d after Now, as After
// schedules a function: in the same order of time, then insertion.
func (k *Kernel) afterCall(d time.Duration, c call) EventID {
	at := k.now + int64(d)
	if d < 0 || at < k.now || c.op == 0 || k.handler == nil {
		panic(fmt.Sprintf("sim: Kernel.afterCall(%v, op %d): negative or overflowing delay, op 0, or no handler", d, c.op))
	}
	k.seq++
	return k.scheduleSeq(at, k.seq, nil, c)
}

// reserve sets aside n insertion sequence numbers, base to base+n-1, for
// events that atSeq schedules later: they run as if they had been
// scheduled now, in that order, while only the next of them need be
// pending. The caller must schedule each one no later than the moment an
// event after it in the kernel's order runs.
func (k *Kernel) reserve(n int) (base uint64) {
	base = k.seq + 1
	k.seq += uint64(n)
	return base
}

// atSeq schedules fn at t with a sequence number taken by reserve, each
// used once. t before Now panics, as for At. At most one event scheduled
// by atSeq may be pending at a time (it is held beside the heap): the
// next is scheduled once that one has run (or been cancelled).
func (k *Kernel) atSeq(t time.Time, seq uint64, fn func()) EventID {
	at := t.UnixNano()
	if at < k.now {
		panic(fmt.Sprintf("sim: Kernel.atSeq(%v): time is before Now (%v)", t, k.Now()))
	}
	if k.hasSide {
		if k.slots[k.side.slot].gen == k.side.gen {
			panic("sim: Kernel.atSeq: an event scheduled by atSeq is still pending")
		}
		k.stale-- // cancelled: drop it
	}
	if fn == nil {
		panic("sim: Kernel.atSeq: nil event function")
	}
	slot, gen := k.newSlot(fn, call{})
	k.side, k.hasSide = event{at: at, seq: seq, slot: slot, gen: gen}, true
	return EventID(uint64(gen)<<32 | uint64(slot))
}

func (k *Kernel) scheduleSeq(at int64, seq uint64, fn func(), c call) EventID {
	slot, gen := k.newSlot(fn, c)
	k.push(event{at: at, seq: seq, slot: slot, gen: gen})
	return EventID(uint64(gen)<<32 | uint64(slot))
}

// newSlot takes a free slot for the event of fn, or of c if fn is nil,
// and returns it with the event's generation.
func (k *Kernel) newSlot(fn func(), c call) (slot, gen uint32) {
	if n := len(k.free); n > 0 {
		slot = k.free[n-1]
		k.free = k.free[:n-1]
	} else {
		if uint64(len(k.slots)) == math.MaxUint32 {
			panic("sim: Kernel: more than 2^32-1 events pending")
		}
		slot = uint32(len(k.slots))
		k.slots = append(k.slots, eventSlot{})
	}
	s := &k.slots[slot]
	gen = s.gen + 1 // even (free) -> odd (pending)
	s.gen, s.fn, s.op, s.a, s.b, s.c = gen, fn, c.op, c.a, c.b, c.c
	return slot, gen
}

// Cancel prevents a pending event from running and reports whether it did:
// false if the event already ran, was already cancelled, or id is zero. It
// may be called from inside an event, including for the running event
// itself (which returns false: it is no longer pending).
func (k *Kernel) Cancel(id EventID) bool {
	slot, gen := uint32(id), uint32(id>>32)
	if gen&1 == 0 || uint(slot) >= uint(len(k.slots)) || k.slots[slot].gen != gen {
		return false
	}
	if k.slots[slot].inRing {
		k.ring.remove(slot, k.slots)
	} else {
		k.stale++
	}
	k.release(slot)
	if k.stale > 64 && k.stale > k.entries()/2 {
		k.compact()
	}
	return true
}

// release frees a slot and returns its event's function (nil for a
// call, which stays in the slot until it is taken again): the event,
// if still in the heap, is stale. The slot lets go of the function, so a
// cancelled event's closure is garbage at once.
func (k *Kernel) release(slot uint32) func() {
	s := &k.slots[slot]
	s.gen++ // odd (pending) -> even (free)
	k.free = append(k.free, slot)
	fn := s.fn
	s.fn = nil
	return fn
}

// Run runs, in order, every event with time <= until, including events
// those events schedule, then sets the clock to until. It returns the number
// of events run. until before Now panics (the clock never goes back), as
// does calling Run or Step from inside an event.
func (k *Kernel) Run(until time.Time) (ran int) {
	if until.Before(minTime) || until.After(maxTime) {
		panic(fmt.Sprintf("sim: Kernel.Run(%v): time outside the kernel's range %v..%v", until, minTime.UTC(), maxTime.UTC()))
	}
	u := until.UnixNano()
	if u < k.now {
		panic(fmt.Sprintf("sim: Kernel.Run(%v): until is %v before Now (%v); the clock cannot go back",
			until, time.Duration(k.now-u), k.Now()))
	}
	k.enter("Run")
	defer k.leave()
	for {
		e, ok := k.next(u)
		if !ok {
			break
		}
		if k.slots[e.slot].gen != e.gen {
			k.stale--
			continue
		}
		fn := k.release(e.slot)
		k.now = e.at
		k.ran++
		ran++
		if fn != nil {
			fn()
		} else {
			k.handler(k.slots[e.slot].call()) // the slot is free, but not yet taken again
		}
	}
	k.now = u
	return ran
}

// Step runs exactly one event, the earliest pending one, advancing the clock
// to its time. It returns false, changing nothing, if no event is pending.
func (k *Kernel) Step() bool {
	k.enter("Step")
	defer k.leave()
	for {
		e, ok := k.next(math.MaxInt64)
		if !ok {
			break
		}
		if k.slots[e.slot].gen != e.gen {
			k.stale--
			continue
		}
		fn := k.release(e.slot)
		k.now = e.at
		k.ran++
		if fn != nil {
			fn()
		} else {
			k.handler(k.slots[e.slot].call()) // the slot is free, but not yet taken again
		}
		return true
	}
	return false
}

func (k *Kernel) enter(op string) {
	if k.running {
		panic("sim: Kernel." + op + " called from inside an event; schedule work with At/After instead")
	}
	k.running = true
}

func (k *Kernel) leave() { k.running = false }

// Pending returns the number of events scheduled and neither run nor
// cancelled.
func (k *Kernel) Pending() int { return k.entries() - k.stale }

// entries is the number of events held, stale ones included.
func (k *Kernel) entries() int {
	n := len(k.heap) + k.ring.n + len(k.far)
	if k.hasSide {
		n++
	}
	return n
}

// next removes and returns the kernel's earliest entry, the side event or
// the heap's minimum, if it is at or before u.
func (k *Kernel) next(u int64) (event, bool) {
	if len(k.heap) == 0 {
		k.advance()
	}
	if k.hasSide && (len(k.heap) == 0 || before(&k.side, &k.heap[0])) {
		if k.side.at > u {
			return event{}, false
		}
		k.hasSide = false
		return k.side, true
	}
	if len(k.heap) == 0 || k.heap[0].at > u {
		return event{}, false
	}
	return k.pop(), true
}

// nextCall is the heap's first event if it is a pending call: most often
// the successor of the event running, or the one after (the exogenous
// stream's next aside), a hint of what to prefetch for.
func (k *Kernel) nextCall() (call, bool) {
	if len(k.heap) == 0 {
		return call{}, false
	}
	h := &k.heap[0]
	if s := &k.slots[h.slot]; s.gen == h.gen && s.op != 0 {
		return s.call(), true
	}
	return call{}, false
}

// Executed returns the number of events run so far.
func (k *Kernel) Executed() uint64 { return k.ran }

// slabShift sets the width of a time slab: 2^30 ns, about a second. At
// 10,000 experts a slab holds a dozen events; at 60, most slabs none.
const slabShift = 30

// slabOf is the slab of virtual time at (Unix nanoseconds).
func slabOf(at int64) int64 { return at >> slabShift }

// push adds e to the heap, the ring or far, by its slab.
func (k *Kernel) push(e event) {
	switch s := slabOf(e.at); {
	case s <= k.near:
		k.heap = heapPush(k.heap, e)
	case s-k.near < ringSlabs:
		k.ring.add(s, e, k.slots)
	default:
		k.far = heapPush(k.far, e)
	}
}

// advance moves the next slab's events, from the ring and far, into the
// empty heap, and reports whether there were any.
func (k *Kernel) advance() bool {
	s, ok := k.ring.next(k.near)
	if len(k.far) > 0 {
		if f := slabOf(k.far[0].at); !ok || f < s {
			s, ok = f, true
		}
	}
	if !ok {
		return false
	}
	k.near = s
	k.takeSlab(s)
	for len(k.far) > 0 && slabOf(k.far[0].at) <= s {
		var e event
		e, k.far = heapPop(k.far)
		k.heap = append(k.heap, e)
	}
	k.heap = heapify(k.heap)
	return true
}

// heapPush adds e to the 4-ary min-heap h (sift up, moving a hole rather
// than swapping).
func heapPush(h []event, e event) []event {
	h = append(h, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !before(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	return h
}

// heapPop removes the minimum of the non-empty heap h.
func heapPop(h []event) (event, []event) {
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	if n > 0 {
		siftDown(h, 0, last)
	}
	return top, h
}

// pop removes and returns the minimum of the non-empty heap.
func (k *Kernel) pop() event {
	e, h := heapPop(k.heap)
	k.heap = h
	return e
}

// siftDown places e at hole i of heap h or below it.
func siftDown(h []event, i int, e event) {
	n := len(h)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := min(c+4, n)
		for j := c + 1; j < end; j++ {
			if before(&h[j], &h[m]) {
				m = j
			}
		}
		if !before(&h[m], &e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// compact drops every stale entry and rebuilds the heaps in O(n). It runs
// when stale entries exceed half of all, so its cost is amortised over
// the cancellations that made them.
func (k *Kernel) compact() {
	k.heap = heapify(k.dropStale(k.heap))
	k.far = heapify(k.dropStale(k.far))
	if k.hasSide && k.slots[k.side.slot].gen != k.side.gen {
		k.hasSide = false
	}
	k.stale = 0
}

// dropStale removes h's stale entries, in place.
func (k *Kernel) dropStale(h []event) []event {
	live := h[:0]
	for i := range h {
		if k.slots[h[i].slot].gen == h[i].gen {
			live = append(live, h[i])
		}
	}
	return live
}

// heapify orders h as a 4-ary min-heap in O(n).
func heapify(h []event) []event {
	for i := (len(h) - 2) >> 2; i >= 0; i-- {
		siftDown(h, i, h[i])
	}
	return h
}
