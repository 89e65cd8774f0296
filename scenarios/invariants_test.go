package scenarios

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// invariants lists every way s breaks the promises of the Scenario type:
// fully defaulted, names resolved, weights normalised, windows ordered.
// Shipped scenarios and every scenario the fuzzer gets accepted must pass.
func invariants(s *Scenario) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	hasPresence := func(what, name string) {
		if _, ok := s.Presences[name]; !ok {
			fail("%s: presence %q not defined", what, name)
		}
	}
	sumsTo1 := func(what string, n int, w func(int) float64) {
		total := 0.0
		for i := range n {
			if w(i) < 0 || math.IsNaN(w(i)) {
				fail("%s: weight %v", what, w(i))
			}
			total += w(i)
		}
		if math.Abs(total-1) > 1e-9 {
			fail("%s: weights sum to %v", what, total)
		}
	}
	checkDist := func(what string, d Dist) {
		switch d.Kind {
		case Exponential:
			if d.Mean <= 0 || d.Median != 0 || d.Value != 0 || d.Sigma != 0 || d.Samples != nil {
				fail("%s: %+v", what, d)
			}
		case Lognormal:
			if d.Median <= 0 || d.Sigma < 0 || d.Mean != 0 || d.Value != 0 || d.Samples != nil {
				fail("%s: %+v", what, d)
			}
		case Fixed:
			if d.Value < 0 || d.Mean != 0 || d.Median != 0 || d.Sigma != 0 || d.Samples != nil {
				fail("%s: %+v", what, d)
			}
		case Empirical:
			if len(d.Samples) == 0 || d.Mean != 0 || d.Median != 0 || d.Value != 0 || d.Sigma != 0 {
				fail("%s: %+v", what, d)
			}
		default:
			fail("%s: kind %q", what, d.Kind)
		}
	}

	if s.Policy == nil {
		fail("nil policy")
	}
	if r := s.Run; r.Horizon <= 0 || r.Warmup < 0 || r.Warmup >= r.Horizon || r.Replications < 1 || r.Start.IsZero() {
		fail("run %+v", r)
	}
	names := make([]string, 0, len(s.Presences))
	for n, p := range s.Presences {
		names = append(names, n)
		if p.Name != n || p.ID == "" || p.Label == "" || p.System == 0 {
			fail("presence %q: %+v", n, p)
		}
	}
	sort.Strings(names)
	if !slices.Equal(names, s.PresenceNames) {
		fail("PresenceNames %q, want %q", s.PresenceNames, names)
	}
	if len(s.Experts) == 0 {
		fail("no experts")
	}
	for i := range s.Experts {
		e := &s.Experts[i]
		w := string(e.ID)
		if e.ID == "" || (i > 0 && s.Experts[i-1].ID >= e.ID) {
			fail("expert %d id %q: empty or not sorted", i, e.ID)
		}
		if e.Skills == nil {
			fail("%s: nil skills", w)
		}
		for k, p := range e.Skills {
			if p < 0 || p > 5 {
				fail("%s: skill %s=%d", w, k, p)
			}
		}
		hasPresence(w+" workPresence", e.WorkPresence)
		if len(e.Shifts) == 0 && s.Week == nil || len(e.Shifts) > 0 && e.Shifts[0] != e.Shift {
			fail("%s: shifts %+v, shift %+v", w, e.Shifts, e.Shift)
		}
		for j, sh := range e.Shifts {
			if sh.End <= sh.Start || sh.Start < 0 || sh.End > s.Run.Horizon || j > 0 && sh.Start < e.Shifts[j-1].End {
				fail("%s: shift %+v", w, sh)
			}
		}
		if (len(e.Shifts) != 1 || e.Shift.Start > 0 || e.Shift.End < s.Run.Horizon) && s.OfflinePresence == "" {
			fail("%s: off shift but no offline presence", w)
		}
		var blocks []Block
		for _, b := range append(slices.Clone(e.FixedMeetings), e.Breaks...) {
			hasPresence(w+" block", b.Presence)
			in := slices.ContainsFunc(e.Shifts, func(sh Shift) bool { return sh.Contains(b.Start, b.End) })
			if b.End <= b.Start || !in {
				fail("%s: block %+v outside every shift %+v", w, b, e.Shifts)
			}
			blocks = append(blocks, b)
		}
		slices.SortFunc(blocks, func(a, b Block) int { return int(a.Start - b.Start) })
		for j := 1; j < len(blocks); j++ {
			if blocks[j].Start < blocks[j-1].End {
				fail("%s: blocks overlap", w)
			}
		}
		if m := e.Meetings; m.PerDay == 0 {
			if m.Length.Kind != "" || m.Presence != nil || m.MinGap != 0 {
				fail("%s: meetings without perDay: %+v", w, m)
			}
		} else {
			checkDist(w+" meetings.length", m.Length)
			sumsTo1(w+" meetings.presence", len(m.Presence), func(i int) float64 { return m.Presence[i].Weight })
			for _, p := range m.Presence {
				hasPresence(w+" meetings", p.Presence)
			}
		}
		if c := e.Churn; c.RatePerHour == 0 {
			if c.Length.Kind != "" || c.Presence != nil {
				fail("%s: churn without rate: %+v", w, c)
			}
		} else {
			checkDist(w+" churn.length", c.Length)
			sumsTo1(w+" churn.presence", len(c.Presence), func(i int) float64 { return c.Presence[i].Weight })
			for _, p := range c.Presence {
				hasPresence(w+" churn", p.Presence)
			}
		}
	}
	if s.OfflinePresence != "" {
		hasPresence("offlinePresence", s.OfflinePresence)
	}

	d := s.Deliveries
	if d.AlertTimeout <= 0 {
		fail("alertTimeout %v", d.AlertTimeout)
	}
	checkDist("responseTime", d.ResponseTime)
	checkDist("handleTime", d.HandleTime)
	checkDist("afterCallWork", d.AfterCallWork)
	if len(d.ByPresence) != len(s.Presences) {
		fail("byPresence has %d entries for %d presences", len(d.ByPresence), len(s.Presences))
	}
	for n, o := range d.ByPresence {
		hasPresence("byPresence", n)
		sumsTo1("byPresence."+n, 3, func(i int) float64 { return []float64{o.Accept, o.Decline, o.NoAnswer}[i] })
	}
	sumsTo1("deliveries.default", 3, func(i int) float64 { return []float64{d.Default.Accept, d.Default.Decline, d.Default.NoAnswer}[i] })

	e := s.Escalations
	for i, r := range e.Rates {
		if r.From < 0 || r.To <= r.From || r.PerHour < 0 || (i > 0 && r.From < e.Rates[i-1].To) {
			fail("rates[%d] %+v", i, r)
		}
	}
	sumsTo1("escalations.skills", len(e.Skills), func(i int) float64 { return e.Skills[i].Weight })
	for _, c := range e.Skills {
		if !slices.IsSorted(c.Skills) || (c.Skills != nil && len(c.Skills) == 0) {
			fail("skill combo %q", c.Skills)
		}
	}
	sumsTo1("escalations.priorities", len(e.Priorities), func(i int) float64 { return e.Priorities[i].Weight })
	for i, p := range e.Priorities {
		if !p.Priority.Valid() || (i > 0 && p.Priority <= e.Priorities[i-1].Priority) {
			fail("priorities %+v", e.Priorities)
		}
	}
	if e.Patience != nil {
		checkDist("patience", *e.Patience)
	}

	cp := s.CherryPickers
	anyCherry := slices.ContainsFunc(s.Experts, func(e Expert) bool { return e.CherryPicker })
	switch cp.Mode {
	case Hide:
		checkDist("hideLength", cp.HideLength)
		if anyCherry {
			hasPresence("cherryPickers.presence", cp.Presence)
		}
		if cp.Stretch != 0 {
			fail("stretch %v in mode hide", cp.Stretch)
		}
	case Stretch:
		if cp.Stretch <= 0 || cp.Presence != "" || cp.HideLength.Kind != "" {
			fail("cherryPickers %+v", cp)
		}
	default:
		fail("cherryPickers.mode %q", cp.Mode)
	}
	if cp.Share < 0 || cp.Share > 1 {
		fail("share %v", cp.Share)
	}
	for i, w := range s.Disconnects {
		if w.Start < 0 || w.End <= w.Start || (i > 0 && w.Start < s.Disconnects[i-1].End) {
			fail("disconnects[%d] %+v", i, w)
		}
	}
	if s.Resync.Interval < 0 {
		fail("resync %+v", s.Resync)
	}
	if len(s.Baselines) == 0 {
		fail("no baseline")
	}
	armNames := map[string]bool{}
	for i, b := range s.Baselines {
		if b.VoicemailAfter < 0 || !slices.IsSorted(b.OnQueue) || b.Name == "" || armNames[b.Name] || b.Name == "shadowq" ||
			(b.Select != SelectLongestIdle && b.Select != SelectBestSkill) {
			fail("baselines[%d] %+v", i, b)
		}
		armNames[b.Name] = true
		for _, n := range b.OnQueue {
			hasPresence("baseline.onQueue", n)
		}
	}
	if s.Run.Drain < 0 || s.Run.Horizon+s.Run.Drain > MaxHorizon {
		fail("run %+v", s.Run)
	}
	for n, p := range s.Presences {
		if p.Refocus.Kind != "" && p.Refocus.Expected() < 0 {
			fail("presences.%s.refocus %+v", n, p.Refocus)
		}
	}
	if e := s.Economics; e != nil {
		for _, v := range []float64{e.ExpertCostPerHour, e.WaitCostPerMinute, e.AbandonmentCost, e.VoicemailCost, e.UnfinishedCost, e.ShadowqCostPerDay} {
			if !(v >= 0) || v > 1e12 {
				fail("economics %+v", *e)
			}
		}
		if e.Currency == "" {
			fail("economics without a currency")
		}
	}
	for i, x := range s.Expect {
		if x.Text == "" || x.Pos.Line == 0 || x.Pos.File != s.File {
			fail("expect[%d] %+v", i, x)
		}
	}
	return bad
}
