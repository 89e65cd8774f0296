package sim

import (
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// HistoryDay is what a contact centre's records would hold about one day
// of the scenario's world run under its first baseline ACD alone (the
// organisation as it is, without shadowq): every escalation with its
// queue wait, offers, handle and after-call work, every expert's shown
// presence over the shift, and the calendar (the meetings a WFM schedule
// knows). The fake Genesys Cloud serves it as analytics history
// (`shadowq fake --history`). Offsets are from the scenario's start.
type HistoryDay struct {
	Escalations []HistoryEscalation
	Experts     []HistoryExpert // in scenario order
}

// HistoryEscalation is one arrival and what happened to it.
type HistoryEscalation struct {
	ID       string
	At       time.Duration
	Skills   []string
	Priority engine.Priority
	// Outcome is routed, abandoned, voicemail or unfinished (still in
	// the system when the run ended: End is then the run's end).
	Outcome string
	End     time.Duration // routed: connect; others: when it left (or the run end)
	Alerts  []HistoryAlert
	Expert  engine.ExpertID // routed: who handled it
	Handle  time.Duration   // routed: talk time
	ACW     time.Duration   // routed: after-call work
}

// HistoryAlert is one offer to one expert.
type HistoryAlert struct {
	Expert     engine.ExpertID
	Start, End time.Duration
	Result     engine.DeliveryResult // Accepted, Declined or NoAnswer
	Presence   string                // what the expert showed when it started
}

// HistoryExpert is one expert's day.
type HistoryExpert struct {
	ID engine.ExpertID
	// Shifts are the expert's shifts in the run (one in a single-shift
	// scenario, one per working day in a multi-day world).
	Shifts []scenarios.Shift
	// Presence is what the expert showed, in order, covering the shift
	// (and past it while a conversation ran on).
	Presence []PlannedBlock
	// Busy are the spans in a conversation or its after-call work.
	Busy []PlannedBlock
	// Calendar are the meetings the calendar knows (not breaks or
	// churn), as planned.
	Calendar []PlannedBlock
}

// historyRec collects the offers of one run (nil records nothing).
type historyRec struct {
	alerts map[int][]HistoryAlert // by escalation index
}

func (h *historyRec) alert(e *escState, x *expertState, pres string, now, delay time.Duration, res engine.DeliveryResult) {
	if h == nil {
		return
	}
	h.alerts[e.i] = append(h.alerts[e.i], HistoryAlert{Expert: x.sc.ID, Start: now, End: now + delay, Result: res, Presence: pres})
}

// History runs replication rep of the scenario under its first baseline
// ACD (no shadowq) and returns the day's records. Same scenario, seed and
// rep, same day.
func History(sc *scenarios.Scenario, rep int) *HistoryDay {
	sch := makeSchedule(sc, NewStreams(sc.Seed).Replication(rep))
	w := newWorld(sc, sch, &sc.Baselines[0])
	w.r = newACDRouter(w)
	w.tl = &timelineRec{w: w, hi: maxDuration} // the whole run, every day
	w.hist = &historyRec{alerts: map[int][]HistoryAlert{}}
	w.scheduleAll()
	w.k.Run(w.at(sc.Run.Horizon + sc.Run.Drain))
	w.r.finish()
	now := w.now()
	w.tl.close(now)
	day := &HistoryDay{}
	for i := range w.es {
		e := &w.es[i]
		he := HistoryEscalation{ID: e.a.conv, At: e.a.at, Skills: e.a.skills, Priority: e.a.prio, Outcome: e.outcome, End: e.end}
		if !e.done {
			he.Outcome, he.End = outcomeUnfinished, now
		}
		for _, a := range w.hist.alerts[i] {
			// An alert cut short by the caller hanging up ends with them.
			if a.End > he.End && he.Outcome != "routed" {
				a.End, a.Result = he.End, engine.NoAnswer
			}
			if a.Start < a.End || a.Result == engine.Accepted {
				he.Alerts = append(he.Alerts, a)
			}
		}
		if e.outcome == "routed" {
			he.End, he.Expert, he.Handle, he.ACW = e.connect, w.xs[e.expert].sc.ID, e.a.handle, e.a.acw
		}
		day.Escalations = append(day.Escalations, he)
	}
	byExpert := map[string]*HistoryExpert{}
	for i := range sc.Experts {
		x := &sc.Experts[i]
		shifts := x.Shifts
		if len(shifts) == 0 {
			shifts = []scenarios.Shift{x.Shift}
		}
		day.Experts = append(day.Experts, HistoryExpert{ID: x.ID, Shifts: shifts})
	}
	for i := range day.Experts {
		byExpert[string(day.Experts[i].ID)] = &day.Experts[i]
		for _, b := range sch.blocks[i] {
			if b.calendar {
				day.Experts[i].Calendar = append(day.Experts[i].Calendar, PlannedBlock{Start: b.start, End: b.end, Presence: b.presence})
			}
		}
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)).Round(time.Millisecond) }
	for _, sp := range w.tl.out.Spans {
		x := byExpert[sp.Expert]
		if x == nil {
			continue
		}
		b := PlannedBlock{Start: sec(sp.Start), End: sec(sp.End), Presence: sp.What}
		if sp.What == "busy" {
			x.Busy = append(x.Busy, b)
		} else {
			x.Presence = append(x.Presence, b)
		}
	}
	for i := range day.Experts {
		x := &day.Experts[i]
		slices.SortFunc(x.Presence, func(a, b PlannedBlock) int { return int(a.Start - b.Start) })
		slices.SortFunc(x.Busy, func(a, b PlannedBlock) int { return int(a.Start - b.Start) })
	}
	return day
}
