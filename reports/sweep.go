package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SweepResult is a sweep: the scenario run at every point of a grid of
// settings, all arms on common random numbers at every point.
type SweepResult struct {
	// Keys are the swept settings' paths, e.g. "experts[platform].count".
	Keys   []string     `json:"keys"`
	Points []SweepPoint `json:"points"`
}

// SweepPoint is one point of the grid: a value per key, and every arm's
// metrics and shadowq's deltas (with relative changes) there.
type SweepPoint struct {
	Values     []float64      `json:"values"`
	Policies   []PolicyResult `json:"policies"`
	Deltas     []DeltaResult  `json:"deltas"`
	Violations int            `json:"invariantViolations"`
}

// sweepMetrics are the metrics the sweep tables and plots show, with the
// better direction for the break-even.
var sweepMetrics = []string{MServiceLevel, MLatencyP95, MWaitMean, MUtilization, MAbandonment}

// staffingTargets are the service levels of the staffing table.
var staffingTargets = []float64{0.80, 0.90}

// pointLabel is "experts[platform].count=12" (and more keys joined by ", ").
func pointLabel(keys []string, vals []float64) string {
	var parts []string
	for i, k := range keys {
		if i < len(vals) {
			parts = append(parts, k+"="+fmtNum(vals[i]))
		}
	}
	return strings.Join(parts, ", ")
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// sweepHeader and sweepRows are one metric's table: a row per point, a
// column per arm (mean and CI), then shadowq's delta against each baseline.
func sweepHeader(s *SweepResult, m string) []string {
	h := slices.Clone(s.Keys)
	if len(s.Points) == 0 {
		return h
	}
	p := s.Points[0]
	if m != MNetValue {
		for _, a := range p.Policies {
			h = append(h, a.Name)
		}
	}
	for _, d := range p.Deltas {
		h = append(h, "delta vs "+d.Baseline)
	}
	return h
}

func sweepRows(s *SweepResult, m string) [][]string {
	var rows [][]string
	for _, p := range s.Points {
		var row []string
		for _, v := range p.Values {
			row = append(row, fmtNum(v))
		}
		cell := func(ms []Metric, signed bool) string {
			if x := findMetric(ms, m); x != nil {
				return formatMetric(*x, signed)
			}
			return "–"
		}
		if m != MNetValue {
			for _, a := range p.Policies {
				row = append(row, cell(a.Metrics, false))
			}
		}
		for _, d := range p.Deltas {
			row = append(row, cell(d.Metrics, true))
		}
		rows = append(rows, row)
	}
	return rows
}

// sweepTableMetrics are the metrics with a table: sweepMetrics, then net
// value when the run has economics.
func sweepTableMetrics(s *SweepResult) []string {
	ms := slices.Clone(sweepMetrics)
	if len(s.Points) > 0 && len(s.Points[0].Deltas) > 0 && findMetric(s.Points[0].Deltas[0].Metrics, MNetValue) != nil {
		ms = append(ms, MNetValue)
	}
	return ms
}

// oneD reports whether the sweep varies one key, with the points in
// ascending order of its value (copied, sorted).
func oneD(s *SweepResult) ([]SweepPoint, bool) {
	if s == nil || len(s.Keys) != 1 || len(s.Points) < 2 {
		return nil, false
	}
	ps := slices.Clone(s.Points)
	slices.SortStableFunc(ps, func(a, b SweepPoint) int {
		switch {
		case a.Values[0] < b.Values[0]:
			return -1
		case a.Values[0] > b.Values[0]:
			return 1
		}
		return 0
	})
	return ps, true
}

// breakEvens says, per baseline, where shadowq's net value (with
// economics) and its latency gain (baseline's mean wait − shadowq's)
// cross zero along a one-key sweep, by linear interpolation between the
// two points around the sign change of the mean; or that they do not.
func breakEvens(s *SweepResult) []string {
	ps, ok := oneD(s)
	if !ok {
		if s != nil && len(s.Keys) > 1 {
			return []string{"Break-even points are computed for one-key sweeps only; this grid varies " + strings.Join(s.Keys, " and ") + "."}
		}
		return nil
	}
	key := s.Keys[0]
	var out []string
	for bi, d := range ps[0].Deltas {
		for _, c := range []struct {
			metric, what, level string // level: the baseline's metric the change is compared with
			sign                float64
		}{
			{MNetValue, "net value per day", MCost, 1},
			{MWaitMean, "latency gain (the baseline's mean wait − shadowq's)", MWaitMean, -1},
		} {
			var xs, levels []float64
			var ms []Metric
			for _, p := range ps {
				if bi >= len(p.Deltas) {
					continue
				}
				m := findMetric(p.Deltas[bi].Metrics, c.metric)
				if m == nil || m.N == 0 {
					continue
				}
				xs = append(xs, p.Values[0])
				// Signed so that positive favours shadowq.
				mm := *m
				mm.Mean, mm.Lo, mm.Hi = c.sign*m.Mean, c.sign*m.Lo, c.sign*m.Hi
				if c.sign < 0 {
					mm.Lo, mm.Hi = mm.Hi, mm.Lo
				}
				ms = append(ms, mm)
				lv := math.NaN()
				if l := findMetric(findPolicyIn(p.Policies, d.Baseline), c.level); l != nil && l.N > 0 {
					lv = math.Abs(l.Mean)
				}
				levels = append(levels, lv)
			}
			if len(xs) < 2 {
				continue
			}
			out = append(out, crossing(key, d.Baseline, c.what, c.metric, xs, ms, levels))
		}
	}
	return out
}

func findPolicyIn(ps []PolicyResult, name string) []Metric {
	for i := range ps {
		if ps[i].Name == name {
			return ps[i].Metrics
		}
	}
	return nil
}

// crossing describes where the means of ms (over ascending xs) first
// change sign, and whether that is more than noise: a crossing between two
// points whose 95% CIs both contain 0 is reported as such, and so is one
// where the change is under 1% of the baseline's level (levels, NaN when
// unknown) at both points.
func crossing(key, base, what, metric string, xs []float64, ms []Metric, levels []float64) string {
	unit := MetricUnit(metric)
	f := func(y float64) string { return formatValue(unit, y, true) }
	noise := func(m Metric) bool { return m.N < 2 || (m.Lo <= 0 && m.Hi >= 0) }
	for i := 1; i < len(xs); i++ {
		a, b := ms[i-1].Mean, ms[i].Mean
		if a == 0 || !(b == 0 || (a < 0) != (b < 0)) {
			continue
		}
		x := xs[i-1] + (xs[i]-xs[i-1])*a/(a-b)
		dir := "turns positive"
		if a > 0 {
			dir = "turns negative"
		}
		s := fmt.Sprintf("vs %s, %s %s between %s = %s (%s) and %s (%s): break-even at about %s (linear interpolation of the means)",
			base, what, dir, key, fmtNum(xs[i-1]), f(a), fmtNum(xs[i]), f(b), strconv.FormatFloat(x, 'f', 1, 64))
		tiny := math.Max(math.Abs(a), math.Abs(b)) < 0.01*math.Min(levels[i-1], levels[i])
		switch {
		case tiny:
			s += "; but the change is under 1% of the baseline's level at both points: negligible, the arms are alike here"
		case noise(ms[i-1]) && noise(ms[i]):
			s += "; but the 95% CIs at both points contain 0, so this is noise: the arms do not differ here"
		case noise(ms[i-1]) || noise(ms[i]):
			s += "; the 95% CI at one of the two points contains 0"
		}
		return s + "."
	}
	ys := make([]float64, len(ms))
	for i, m := range ms {
		ys[i] = m.Mean
	}
	lo, hi := slices.Min(ys), slices.Max(ys)
	sign := "positive"
	if hi < 0 {
		sign = "negative"
	}
	return fmt.Sprintf("vs %s, no break-even for %s in %s = %s..%s: %s at every point (%s to %s).",
		base, what, key, fmtNum(xs[0]), fmtNum(xs[len(xs)-1]), sign, f(lo), f(hi))
}

// staffingHeader and staffingRows are the Erlang-calculator-style table of
// a one-key sweep over a team's size: per target service level (share of
// escalations connected within T) and arm, the fewest swept experts whose
// mean meets it, and whose whole 95% CI does.
func staffingHeader(s *SweepResult) []string {
	h := []string{"target"}
	if len(s.Points) > 0 {
		for _, a := range s.Points[0].Policies {
			h = append(h, a.Name)
		}
	}
	return h
}

func staffingRows(s *SweepResult, slS float64) [][]string {
	ps, ok := oneD(s)
	if !ok || !strings.HasSuffix(s.Keys[0], "].count") {
		return nil
	}
	var rows [][]string
	for _, t := range staffingTargets {
		row := []string{fmt.Sprintf("%s of escalations within %s", formatShare(t), formatValue(UnitSeconds, slS, false))}
		for ai := range ps[0].Policies {
			mean, sure := "", ""
			for _, p := range ps {
				if ai >= len(p.Policies) {
					continue
				}
				m := findMetric(p.Policies[ai].Metrics, MServiceLevel)
				if m == nil || m.N == 0 {
					continue
				}
				if mean == "" && m.Mean >= t {
					mean = fmtNum(p.Values[0])
				}
				if sure == "" && m.N >= 2 && m.Lo >= t {
					sure = fmtNum(p.Values[0])
				}
			}
			max := fmtNum(ps[len(ps)-1].Values[0])
			switch {
			case mean == "":
				row = append(row, "not reached by "+max)
			case sure == "":
				row = append(row, mean+" (at 95%: not by "+max+")")
			default:
				row = append(row, mean+" (at 95%: "+sure+")")
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// sweepSummary is the line introducing a sweep.
func sweepSummary(r *Results) string {
	s := r.Sweep
	return fmt.Sprintf("%d points over %s, every arm at every point on common random numbers, %d replications each. The tables above are the scenario as written; the sweep tables below vary the settings.",
		len(s.Points), strings.Join(s.Keys, " × "), r.Replications)
}

func sweepViolations(s *SweepResult) int {
	n := 0
	for _, p := range s.Points {
		n += p.Violations
	}
	return n
}
