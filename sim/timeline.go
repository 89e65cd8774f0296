package sim

import (
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/reports"
)

// timelineRec records a sample day (replication 0, shadowq) for the
// report's timeline plot. A nil *timelineRec records nothing. It records
// [lo, hi) only: the whole run in a single-shift scenario, the first
// working day in a multi-day world (a month of spans would make
// results.json tens of megabytes for a plot of one day).
type timelineRec struct {
	w      *world
	out    reports.Timeline // Spans are filled in by close, from spans
	lo, hi time.Duration
	// spans are the spans recorded so far, pointer-free (the expert's
	// index, the presence's index in names): at 10,000 experts the
	// sample day holds about a million spans, which as reports.Span (two
	// strings each) the garbage collector scanned over and over and
	// append copied at twice the size.
	// They are kept in chunks, each full before the next is started, so
	// that growing never copies them: at 10,000 experts the day's
	// ~200,000 spans cost a few megabytes of copying otherwise.
	spans  [][]spanRec
	nspans int
	names  []string
	whatOf []int32 // by presID: its index in names + 1, 0 if not named yet
	// dels are the deliveries, recorded pointer-free too; close builds
	// their reports.Delivery.
	dels []deliveryRec
}

type spanRec struct {
	from, to time.Duration
	x, what  int32
}

type deliveryRec struct {
	at        time.Duration
	x         int32
	res       engine.DeliveryResult
	interrupt bool
}

// spanChunk is the largest chunk of spans; the first ones are smaller, so
// that a small scenario's timeline stays small.
const spanChunk = 8192

func newTimelineRec(w *world) *timelineRec {
	t := &timelineRec{w: w, hi: maxDuration}
	if wk := w.sc.Week; wk != nil {
		first := maxDuration
		for i := range w.sc.Experts {
			if sh := w.sc.Experts[i].Shifts; len(sh) > 0 {
				first = min(first, sh[0].Start)
			}
		}
		if first < maxDuration {
			d := wk.Day(first)
			t.lo, t.hi = wk.Bounds[d], wk.Bounds[d+1]
		}
	}
	return t
}

const maxDuration = time.Duration(1<<63 - 1)

// add records [from, to) clipped to the timeline's window.
func (t *timelineRec) add(x *expertState, from, to time.Duration, what int32) {
	clipped := from < t.lo || to > t.hi
	from, to = max(from, t.lo), min(to, t.hi)
	if to < from || to == from && clipped {
		return // outside the window (zero-length spans inside it are kept, as they always were)
	}
	n := len(t.spans)
	if n == 0 || len(t.spans[n-1]) == cap(t.spans[n-1]) {
		c := 256
		if n > 0 {
			c = min(2*cap(t.spans[n-1]), spanChunk)
		}
		t.spans = append(t.spans, make([]spanRec, 0, c))
		n++
	}
	t.spans[n-1] = append(t.spans[n-1], spanRec{from: from, to: to, x: x.i, what: what})
	t.nspans++
}

// name is what's index in t.names, added if new: a scenario has a
// handful of presences.
func (t *timelineRec) name(what string) int32 {
	for i, n := range t.names {
		if n == what {
			return int32(i)
		}
	}
	t.names = append(t.names, what)
	return int32(len(t.names) - 1)
}

// presName is the index in t.names of presence p, named once per presence.
func (t *timelineRec) presName(p presID) int32 {
	if int(p) >= len(t.whatOf) {
		t.whatOf = append(t.whatOf, make([]int32, int(p)+1-len(t.whatOf))...)
	}
	if t.whatOf[p] == 0 {
		t.whatOf[p] = t.name(t.w.pt.names[p]) + 1
	}
	return t.whatOf[p] - 1
}

func (t *timelineRec) span(x *expertState, now time.Duration) {
	if t == nil || now <= x.shownSince || !x.inShift && x.shown == t.w.offline {
		return
	}
	t.add(x, x.shownSince, now, t.presName(x.shown))
}

func (t *timelineRec) busy(x *expertState, from, to time.Duration) {
	if t == nil {
		return
	}
	t.add(x, from, to, t.name("busy"))
}

func (t *timelineRec) delivery(x *expertState, now time.Duration, res engine.DeliveryResult, interrupt bool) {
	if t == nil || now < t.lo || now >= t.hi {
		return
	}
	t.dels = append(t.dels, deliveryRec{at: now, x: x.i, res: res, interrupt: interrupt})
}

// close records the spans still open at the end and fills in out.Spans,
// in the order they were recorded.
func (t *timelineRec) close(now time.Duration) {
	if t == nil {
		return
	}
	for i := range t.w.xs {
		x := &t.w.xs[i]
		if x.shown != t.w.offline {
			t.span(x, now)
		}
	}
	// The spans are in time order, their experts in no order: at 10,000
	// experts reading each one's id from its state (or its scenario entry)
	// was a cache miss per span. The ids alone, dense, stay in cache.
	ids := make([]string, len(t.w.xs))
	for i := range t.w.xs {
		ids[i] = string(t.w.xs[i].id)
	}
	if t.nspans > 0 { // none stays nil, as results.json has always shown it
		t.out.Spans = make([]reports.Span, 0, t.nspans)
	}
	for _, c := range t.spans {
		for _, s := range c {
			t.out.Spans = append(t.out.Spans, reports.Span{Expert: ids[s.x], Start: s.from.Seconds(), End: s.to.Seconds(), What: t.names[s.what]})
		}
	}
	if len(t.dels) > 0 { // likewise
		t.out.Deliveries = make([]reports.Delivery, len(t.dels))
	}
	for i, d := range t.dels {
		t.out.Deliveries[i] = reports.Delivery{Expert: ids[d.x], At: d.at.Seconds(), Result: d.res.String(), Interrupt: d.interrupt}
	}
	t.spans, t.nspans, t.dels = nil, 0, nil
}
