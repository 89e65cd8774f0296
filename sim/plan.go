package sim

import (
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// Plan is the exogenous schedule of one replication of a scenario, for
// players outside the simulator (the fake Genesys Cloud's scenario
// playback). It is what the simulator's own runs use, so a played-back day
// is a simulated day.
type Plan struct {
	Arrivals []PlannedEscalation
	Experts  []PlannedExpert // in scenario order (sorted by ID)
}

// PlannedEscalation is one arrival.
type PlannedEscalation struct {
	At       time.Duration // offset from the scenario start
	Skills   []string
	Priority engine.Priority
}

// PlannedExpert is one expert's day: shift, work presence, calendar blocks
// and breaks, and random presence churn.
type PlannedExpert struct {
	ID           engine.ExpertID
	Shift        scenarios.Shift   // the first shift (a single-shift scenario's only one)
	Shifts       []scenarios.Shift // one per working day in a multi-day world
	WorkPresence string
	Blocks       []PlannedBlock // meetings and breaks, sorted, non-overlapping
	Churn        []PlannedBlock // excursions; skip those that start inside a block
	// Hides are a hide-mode cherry-picker's first hide lengths, in order
	// (the same lengths the simulator draws: its k-th hide lasts
	// Hides[k]); nil for everyone else.
	Hides []time.Duration
}

// PlannedBlock shows Presence over [Start, End).
type PlannedBlock struct {
	Start, End time.Duration
	Presence   string
	Calendar   bool // a meeting the calendar (WFM) knows; breaks and churn are not
}

// plannedHides is how many hide lengths a plan carries per cherry-picker.
const plannedHides = 64

// MakePlan builds replication rep's plan from the scenario's seed.
func MakePlan(sc *scenarios.Scenario, rep int) *Plan {
	sch := makeSchedule(sc, NewStreams(sc.Seed).Replication(rep))
	p := &Plan{}
	for _, a := range sch.arrivals {
		p.Arrivals = append(p.Arrivals, PlannedEscalation{At: a.at, Skills: a.skills, Priority: a.prio})
	}
	for i := range sc.Experts {
		x := &sc.Experts[i]
		pe := PlannedExpert{ID: x.ID, Shift: x.Shift, Shifts: x.Shifts, WorkPresence: x.WorkPresence}
		for _, b := range sch.blocks[i] {
			pe.Blocks = append(pe.Blocks, PlannedBlock{Start: b.start, End: b.end, Presence: b.presence, Calendar: b.calendar})
		}
		for _, c := range sch.churns[i] {
			pe.Churn = append(pe.Churn, PlannedBlock{Start: c.at, End: c.at + c.length, Presence: c.presence})
		}
		if x.CherryPicker && sc.CherryPickers.Mode != scenarios.Stretch && sc.CherryPickers.Presence != "" {
			for k := range plannedHides {
				pe.Hides = append(pe.Hides, sch.hideLength(i, k))
			}
		}
		p.Experts = append(p.Experts, pe)
	}
	return p
}
