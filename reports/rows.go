package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The renderers (text tables, CSV, Markdown, HTML) share the rows built
// here, so every format shows the same figures with the same formatting.

// metricHeader is the header of the metric table: the metric, every arm
// in Policies order, then shadowq's paired delta against each baseline.
func metricHeader(r *Results) []string {
	h := []string{"metric"}
	for _, p := range r.Policies {
		h = append(h, p.Name+" (95% CI)")
	}
	for _, d := range r.Deltas {
		h = append(h, "delta shadowq−"+d.Baseline+" (95% CI)")
	}
	for _, d := range r.Deltas {
		if d.Relative != nil {
			h = append(h, "rel shadowq÷"+d.Baseline+"−1 (95% CI)")
		}
	}
	return h
}

// metricRight is the alignment flags of metricHeader: all right but the
// metric.
func metricRight(r *Results) []bool {
	right := make([]bool, len(metricHeader(r)))
	for i := 1; i < len(right); i++ {
		right[i] = true
	}
	return right
}

// metricLine is one metric across the arms and the deltas. A nil pointer
// means the results lack that metric for that arm or delta.
type metricLine struct {
	Name   string
	Unit   string
	Arms   []*Metric // in Policies order
	Deltas []*Metric // in Deltas order
	Rels   []*Metric // in Deltas order, for deltas with relative changes
}

// findPolicy returns the metrics of the named policy, or nil.
func findPolicy(r *Results, name string) []Metric {
	for i := range r.Policies {
		if r.Policies[i].Name == name {
			return r.Policies[i].Metrics
		}
	}
	return nil
}

// findMetric returns the metric with that name, or nil.
func findMetric(ms []Metric, name string) *Metric {
	for i := range ms {
		if ms[i].Name == name {
			return &ms[i]
		}
	}
	return nil
}

// metricLines lists the metrics in MetricNames order, then any other
// metric the results carry (from a newer simulator) in the order first
// seen, so nothing in the file is silently dropped.
func metricLines(r *Results) []metricLine {
	names := append(slices.Clone(MetricNames), MoneyMetrics...)
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		seen[n] = true
	}
	var all [][]Metric
	for _, p := range r.Policies {
		all = append(all, p.Metrics)
	}
	for _, d := range r.Deltas {
		all = append(all, d.Metrics)
	}
	for _, ms := range all {
		for _, m := range ms {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	var lines []metricLine
	for _, n := range names {
		l := metricLine{Name: n}
		any := false
		for _, p := range r.Policies {
			m := findMetric(p.Metrics, n)
			l.Arms = append(l.Arms, m)
			any = any || m != nil
		}
		for _, d := range r.Deltas {
			m := findMetric(d.Metrics, n)
			l.Deltas = append(l.Deltas, m)
			any = any || m != nil
		}
		for _, d := range r.Deltas {
			if d.Relative != nil {
				l.Rels = append(l.Rels, findMetric(d.Relative, n))
			}
		}
		if !any {
			continue
		}
		for _, m := range append(slices.Clone(l.Arms), l.Deltas...) {
			if m != nil && l.Unit == "" {
				l.Unit = m.Unit
			}
		}
		lines = append(lines, l)
	}
	return lines
}

// metricRows renders metricLines as text cells under metricHeader,
// leaving out the per-priority metrics (priorityRows shows them) and the
// metrics constant in every arm (omittedNote lists them).
func metricRows(r *Results) [][]string {
	var rows [][]string
	for _, l := range metricLines(r) {
		if isPriorityMetric(l.Name) || constantLine(l) {
			continue
		}
		cell := func(m *Metric, signed bool) string {
			if m == nil {
				return "–"
			}
			return formatMetric(*m, signed)
		}
		row := []string{l.Name}
		for _, m := range l.Arms {
			row = append(row, cell(m, false))
		}
		for _, m := range l.Deltas {
			row = append(row, cell(m, true))
		}
		for _, m := range l.Rels {
			row = append(row, cell(m, true))
		}
		rows = append(rows, row)
	}
	return rows
}

// cherryHeader is the header of the cherry-pick table.
var cherryHeader = []string{"expert", "group", "suspicion", "flagged", "scripted", "evidence"}

// cherryRows lists the experts the detector flagged or the scenario
// scripted as cherry-pickers (so misses show too), most suspicious first,
// ties by expert id.
func cherryRows(r *Results) [][]string {
	flagged := setOf(r.CherryPick.Flagged)
	scripted := setOf(r.CherryPick.Scripted)
	var es []ExpertResult
	for _, e := range r.PerExpert {
		if flagged[e.ID] || scripted[e.ID] || e.Flagged || e.CherryPicker {
			es = append(es, e)
		}
	}
	slices.SortStableFunc(es, func(a, b ExpertResult) int {
		return cmp.Or(cmp.Compare(b.Suspicion, a.Suspicion), compareIDs(a.ID, b.ID))
	})
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, []string{
			e.ID, e.Group, fmt.Sprintf("%.2f", e.Suspicion),
			yesNo(flagged[e.ID] || e.Flagged), yesNo(scripted[e.ID] || e.CherryPicker), e.Evidence,
		})
	}
	return rows
}

// cherrySummary is the one-line verdict of the detector. Precision and
// recall are only claimed where there was something to measure them on.
func cherrySummary(r *Results) string {
	c := r.CherryPick
	switch {
	case len(c.Scripted) == 0 && len(c.Flagged) == 0:
		return fmt.Sprintf("threshold %.2f: nobody was scripted as a cherry-picker and nobody was flagged, so precision and recall are not measured in this run", c.Threshold)
	case len(c.Scripted) == 0:
		return fmt.Sprintf("threshold %.2f: %d flagged although nobody was scripted as a cherry-picker (all false positives); recall not measured", c.Threshold, len(c.Flagged))
	case len(c.Flagged) == 0:
		return fmt.Sprintf("threshold %.2f: nobody flagged, %d scripted: recall 0%%; precision not measured", c.Threshold, len(c.Scripted))
	}
	return fmt.Sprintf("threshold %.2f: %d flagged, %d scripted, precision %s, recall %s",
		c.Threshold, len(c.Flagged), len(c.Scripted), formatShare(c.Precision), formatShare(c.Recall))
}

// invariantSummary is "PASS (...)" or the count of violations; the
// violations themselves are listed by the caller.
func invariantSummary(r *Results) string {
	if len(r.Invariants.Violations) == 0 {
		return "PASS: " + invariantsDetail(r.Invariants)
	}
	return "FAIL: " + invariantsDetail(r.Invariants)
}

// expectLine is one expectation as "PASS"/"FAIL", where, text and detail.
type expectLine struct {
	Verdict, Pos, Text, Detail string
	Passed                     bool
}

func expectLines(r *Results) []expectLine {
	ls := make([]expectLine, 0, len(r.Expectation))
	for _, e := range r.Expectation {
		v := "FAIL"
		if e.Passed {
			v = "PASS"
		}
		ls = append(ls, expectLine{Verdict: v, Pos: e.Pos, Text: e.Text, Detail: e.Detail, Passed: e.Passed})
	}
	return ls
}

// expectSummary counts passed expectations.
func expectSummary(r *Results) string {
	passed := 0
	for _, e := range r.Expectation {
		if e.Passed {
			passed++
		}
	}
	if len(r.Expectation) == 0 {
		return "none declared"
	}
	return fmt.Sprintf("%d of %d passed", passed, len(r.Expectation))
}

// runSummary is the header lines describing the run.
func runSummary(r *Results) []string {
	lines := []string{
		"scenario: " + r.Scenario + fileSuffix(r.File),
		fmt.Sprintf("seed: %d", r.Seed),
		fmt.Sprintf("replications: %d", r.Replications),
		fmt.Sprintf("experts: %d", r.Experts),
		"horizon: " + formatValue(UnitSeconds, r.HorizonS, false) + ", warm-up: " + formatValue(UnitSeconds, r.WarmupS, false),
		"service level within: " + formatValue(UnitSeconds, r.ServiceLevelS, false),
	}
	if c := r.WarmupCheck; c != nil {
		l := fmt.Sprintf("warm-up check (%s on %s's queue length): suggests %s", c.Method, c.Arm, formatValue(UnitSeconds, c.SuggestedS, false))
		if c.Warning != "" {
			l += "; WARNING: " + c.Warning
		} else if c.SuggestedS <= c.ChosenS {
			l += "; the chosen warm-up covers it"
		} else {
			l += "; the chosen warm-up (" + formatValue(UnitSeconds, c.ChosenS, false) + ") is shorter, by less than one MSER-5 batch (the check's resolution)"
		}
		lines = append(lines, l)
	}
	if len(r.Days) > 0 {
		lines = append(lines, fmt.Sprintf("multi-day world: %d days in %s; per-expert-day figures are per working day (shift)", len(r.Days), r.TimeZone))
	}
	switch {
	case r.Currency != "" && len(r.Days) > 0:
		lines = append(lines, "money: "+r.Currency+" per simulated day (a replication's total divided by its days); net value = a baseline's cost − shadowq's")
	case r.Currency != "":
		lines = append(lines, "money: "+r.Currency+" per replication (one simulated day); net value = a baseline's cost − shadowq's")
	}
	return lines
}

func fileSuffix(f string) string {
	if f == "" {
		return ""
	}
	return " (" + f + ")"
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// compareIDs orders ids naturally, so "e2" sorts before "e10": runs of
// digits compare by value, everything else byte-wise. Equal-valued digit
// runs with different zero padding fall back to plain comparison, keeping
// the order total.
func compareIDs(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			da := strings.TrimLeft(a[si:i], "0")
			db := strings.TrimLeft(b[sj:j], "0")
			if c := cmp.Or(cmp.Compare(len(da), len(db)), strings.Compare(da, db)); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(a[i], b[j]); c != 0 {
			return c
		}
		i++
		j++
	}
	return cmp.Or(cmp.Compare(len(a)-i, len(b)-j), strings.Compare(a, b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
