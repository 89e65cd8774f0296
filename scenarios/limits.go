package scenarios

import (
	"fmt"
	"strconv"
	"time"
)

// Bounds that keep one scenario from exhausting memory or running for
// days: the simulator holds a replication's arrivals and events in memory
// (one replication per worker), and every replication's latencies, 8 bytes
// each, in a temporary file once they pass 1 MiB (sim/latpool.go).
const (
	// MaxHorizon is the longest run.horizon + run.drain: a leap year.
	MaxHorizon = 366 * 24 * time.Hour
	// MaxEventsPerReplication bounds the estimated kernel events of one
	// replication of one arm (arrivals and what follows them, churn,
	// calendar blocks, resyncs).
	MaxEventsPerReplication = 20_000_000
	// MaxArrivals bounds the estimated arrivals of all replications
	// together: run time, and 8 bytes of disk per arm per routed
	// escalation for the pooled latency CDF.
	MaxArrivals = 20_000_000
)

// eventsPerArrival estimates the kernel events one escalation causes:
// arrival, alerts and answers, connect, hang-up, after-call work, engine
// ticks.
const eventsPerArrival = 8

// bounds estimates the size of a run before anything is allocated for it
// and reports one that is too large at run.horizon, with the estimate.
func (c *checker) bounds(s *Scenario, r *runFile) {
	h := s.Run.Horizon
	if h <= 0 || !c.present(r) {
		return // reported elsewhere
	}
	at := any(&r.Horizon) // where a too-large run is reported
	if r.Days != nil {
		at = r.Days
	}
	if h+s.Run.Drain > MaxHorizon || h+s.Run.Drain < h {
		what := "horizon " + fmtDur(h)
		if s.Run.Drain > 0 {
			what += " plus drain " + fmtDur(s.Run.Drain)
		}
		c.errorf(at, "%s: at most %s (366 days) per replication; use more replications instead of a longer horizon", what, fmtDur(MaxHorizon))
		return
	}
	var arrivals, churn, blocks float64
	for _, rt := range s.Escalations.Rates {
		if to := min(rt.To, h); to > rt.From {
			arrivals += rt.PerHour * (to - rt.From).Hours()
		}
	}
	for i := range s.Experts {
		x := &s.Experts[i]
		for _, sh := range x.Shifts {
			if span := min(sh.End, h) - sh.Start; span > 0 {
				churn += x.Churn.RatePerHour * span.Hours()
			}
			blocks += x.Meetings.PerDay + 1
		}
		blocks += float64(len(x.FixedMeetings) + len(x.Breaks))
	}
	var resyncs float64
	if iv := s.Resync.Interval; iv > 0 {
		resyncs = float64((h + s.Run.Drain) / iv)
	}
	events := eventsPerArrival*arrivals + 3*churn + 2*blocks + resyncs
	if events > MaxEventsPerReplication {
		c.errorf(at, "horizon %s: an estimated %s events per replication (%s arrivals, %s churn excursions, %s resyncs), over the limit of %s: shorten the horizon or lower the rates",
			fmtDur(h), count(events), count(arrivals), count(churn), count(resyncs), count(MaxEventsPerReplication))
		return
	}
	if total := arrivals * float64(s.Run.Replications); total > MaxArrivals {
		ptr := at
		if r.Replications != nil {
			ptr = r.Replications
		}
		c.errorf(ptr, "an estimated %s arrivals over %d replications (%s each), over the limit of %s: fewer replications or a shorter horizon",
			count(total), s.Run.Replications, count(arrivals), count(MaxArrivals))
	}
}

// count formats an estimate as a whole number with thousands separators.
func count(f float64) string {
	s := strconv.FormatFloat(f, 'f', 0, 64)
	if len(s) > 30 {
		return fmt.Sprintf("%.3g", f)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
