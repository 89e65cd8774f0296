package calibrate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// refineDays is how many simulated days each refinement round checks.
const refineDays = 14

// Refine corrects the random meetings for what the org's history cannot
// show: a meeting that does not fit the day never happens, so the
// history holds fewer and shorter meetings than the calendar process that
// made them, and a scenario written with the observed numbers would again
// lose some and come out short. Each round writes the scenario, plays
// refineDays days of it through the simulator (sim.History, the same
// world the history came from), and scales each group's perDay and
// meeting median by observed ÷ simulated, until both agree within 2% or
// rounds run out. It returns the rounds used.
func (m *Model) Refine(rounds int) (int, error) {
	type target struct{ perDay, median float64 }
	want := map[string]target{}
	for _, g := range m.Groups {
		if g.MeetLen != nil && g.MeetPerDay > 0 {
			want[g.Name] = target{g.MeetPerDay, g.MeetLen.Median}
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	for r := 1; r <= rounds; r++ {
		sc, err := scenarios.Parse("calibrated.yaml", []byte(m.YAML()), nil)
		if err != nil {
			return r, fmt.Errorf("refine: the calibrated scenario does not load: %w", err)
		}
		got := simulatedMeetings(sc, m)
		done := true
		for _, g := range m.Groups {
			w, ok := want[g.Name]
			s, ok2 := got[g.Name]
			if !ok || !ok2 || s.perDay <= 0 || s.median <= 0 {
				continue
			}
			fp, fm := w.perDay/s.perDay, w.median/s.median
			if math.Abs(fp-1) > 0.02 || math.Abs(fm-1) > 0.02 {
				done = false
			}
			g.MeetPerDay *= fp
			f := *g.MeetLen
			f.Median *= fm
			f.Mean *= fm
			if f.Kind == "empirical" {
				for i := range f.Samples {
					f.Samples[i] *= fm
				}
			}
			f.Note = fmt.Sprintf("observed median %s, %.2f a day; scaled by simulation (round %d) so that the meetings that fit the day match them", dur(secDur(w.median)), w.perDay, r)
			g.MeetLen = &f
		}
		if done {
			return r, nil
		}
	}
	return rounds, nil
}

func secDur(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

type meetStats struct{ perDay, median float64 }

// simulatedMeetings plays refineDays days of sc and measures each group's
// random meetings per expert-day and their median length (fixed meetings
// left out).
func simulatedMeetings(sc *scenarios.Scenario, m *Model) map[string]meetStats {
	fixed := map[string]int{}
	for _, g := range m.Groups {
		fixed[g.Name] = len(g.Fixed)
	}
	count := map[string]float64{}
	days := map[string]float64{}
	lens := map[string][]float64{}
	reps := refineDays
	if sc.Week != nil {
		reps = (refineDays + sc.Week.Days - 1) / sc.Week.Days
	}
	for d := range reps {
		day := sim.History(sc, d)
		for i, x := range day.Experts {
			g := sc.Experts[i].Group
			days[g] += float64(len(x.Shifts))
			n := 0
			for _, b := range x.Calendar {
				if isFixed(m, sc, g, b) {
					continue
				}
				n++
				lens[g] = append(lens[g], (b.End - b.Start).Seconds())
			}
			count[g] += float64(n)
		}
	}
	out := map[string]meetStats{}
	for g, n := range count {
		l := lens[g]
		if len(l) == 0 || days[g] == 0 {
			continue
		}
		slices.Sort(l)
		out[g] = meetStats{perDay: n / days[g], median: l[len(l)/2]}
	}
	return out
}

func isFixed(m *Model, sc *scenarios.Scenario, group string, b sim.PlannedBlock) bool {
	start := b.Start
	if sc.Week != nil {
		// Fixed blocks are times of day in a multi-day world.
		t := sc.Run.Start.Add(b.Start).In(sc.Week.Location)
		start = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	}
	for _, g := range m.Groups {
		if g.Name != group {
			continue
		}
		for _, f := range g.Fixed {
			if start == f.Start && b.End-b.Start == f.Len {
				return true
			}
		}
	}
	return false
}
