package sim

import (
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/reports"
)

// timelineRec records a sample day (replication 0, shadowq) for the
// report's timeline plot. A nil *timelineRec records nothing.
type timelineRec struct {
	w   *world
	out reports.Timeline
}

func (t *timelineRec) span(x *expertState, now time.Duration) {
	if t == nil || now <= x.shownSince || !x.inShift && x.shown == t.w.offline {
		return
	}
	t.out.Spans = append(t.out.Spans, reports.Span{Expert: string(x.sc.ID), Start: x.shownSince.Seconds(), End: now.Seconds(), What: x.shown})
}

func (t *timelineRec) busy(x *expertState, from, to time.Duration) {
	if t == nil {
		return
	}
	t.out.Spans = append(t.out.Spans, reports.Span{Expert: string(x.sc.ID), Start: from.Seconds(), End: to.Seconds(), What: "busy"})
}

func (t *timelineRec) delivery(x *expertState, now time.Duration, res engine.DeliveryResult, interrupt bool) {
	if t == nil {
		return
	}
	t.out.Deliveries = append(t.out.Deliveries, reports.Delivery{Expert: string(x.sc.ID), At: now.Seconds(), Result: res.String(), Interrupt: interrupt})
}

// close records the spans still open at the end.
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
}
