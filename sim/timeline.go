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
	spans []spanRec
	names []string
}

type spanRec struct {
	from, to time.Duration
	x, what  int32
}

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
func (t *timelineRec) add(x *expertState, from, to time.Duration, what string) {
	clipped := from < t.lo || to > t.hi
	from, to = max(from, t.lo), min(to, t.hi)
	if to < from || to == from && clipped {
		return // outside the window (zero-length spans inside it are kept, as they always were)
	}
	t.spans = append(t.spans, spanRec{from: from, to: to, x: int32(x.i), what: t.name(what)})
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

func (t *timelineRec) span(x *expertState, now time.Duration) {
	if t == nil || now <= x.shownSince || !x.inShift && x.shown == t.w.offline {
		return
	}
	t.add(x, x.shownSince, now, t.w.pt.names[x.shown])
}

func (t *timelineRec) busy(x *expertState, from, to time.Duration) {
	if t == nil {
		return
	}
	t.add(x, from, to, "busy")
}

func (t *timelineRec) delivery(x *expertState, now time.Duration, res engine.DeliveryResult, interrupt bool) {
	if t == nil || now < t.lo || now >= t.hi {
		return
	}
	t.out.Deliveries = append(t.out.Deliveries, reports.Delivery{Expert: string(x.id), At: now.Seconds(), Result: res.String(), Interrupt: interrupt})
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
	if len(t.spans) > 0 { // none stays nil, as results.json has always shown it
		t.out.Spans = make([]reports.Span, len(t.spans))
	}
	// The spans are in time order, their experts in no order: at 10,000
	// experts reading each one's id from its state (or its scenario entry)
	// was a cache miss per span. The ids alone, dense, stay in cache.
	ids := make([]string, len(t.w.xs))
	for i := range t.w.xs {
		ids[i] = string(t.w.xs[i].id)
	}
	for i, s := range t.spans {
		t.out.Spans[i] = reports.Span{Expert: ids[s.x], Start: s.from.Seconds(), End: s.to.Seconds(), What: t.names[s.what]}
	}
	t.spans = nil
}
