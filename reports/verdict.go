package reports

import (
	"fmt"
	"strings"
)

// The verdict opens every report: per baseline, the headline changes with
// their absolute and relative figures and 95% CIs, each judged better,
// worse or no significant change; the regressions; and the original
// design targets, met or not.

// headline is one metric of the verdict and which way is better.
type headline struct {
	Metric, Label string
	HigherBetter  bool
}

// headlines are the verdict's metrics, in order. The escalation loop time
// of the design target is wait.mean: every arrival's wait until an expert
// connects, or until it abandoned, went to voicemail or the run ended.
var headlines = []headline{
	{MUtilization, "expert utilization", true},
	{MProductive, "productive utilization", true},
	{MLatencyMean, "escalation latency, mean", false},
	{MLatencyP95, "escalation latency, p95", false},
	{PriorityMetric(MLatencyP95, "P1"), "P1 latency, p95", false},
	{MWaitMean, "escalation loop time (mean wait, all arrivals)", false},
	{MServiceLevel, "service level", true},
	{MAbandonment, "abandonment", false},
	{MUnfinished, "unfinished at run end", false},
	{MRejectRate, "transfer reject rate", false},
	{MRefocus, "refocus minutes per expert-day", false},
	{MNetValue, "net value per day", true},
}

// target is one of the original design notes' goals, as a relative change
// of a metric against a baseline.
type target struct {
	Label  string
	Metric string
	Goal   float64 // relative change: +0.20, −0.15
}

var targets = []target{
	{"+20% expert utilization", MUtilization, 0.20},
	{"−15% escalation loop time", MWaitMean, -0.15},
}

// Judgements of a headline change.
const (
	judgeBetter = "better"
	judgeWorse  = "worse"
	judgeSame   = "no significant change"
	judgeNoCI   = "no CI (fewer than 2 replications)"
	judgeNA     = "n/a"
)

// verdictLine is one headline metric against one baseline.
type verdictLine struct {
	Label, Metric      string
	Base, Shadowq      string // the arms' means
	Abs, Rel           string // shadowq − baseline and shadowq ÷ baseline − 1, with 95% CIs
	Judgement          string
	Better, Worse      bool
	absMetric, baseRaw *Metric
}

// targetLine is one design target against one baseline.
type targetLine struct {
	Label, Status, Detail string
	Met                   bool
}

// verdict is the comparison with one baseline.
type verdict struct {
	Baseline    string
	Summary     string
	Lines       []verdictLine
	Regressions []string
	Targets     []targetLine
}

// verdicts judges shadowq against every baseline in Deltas order.
func verdicts(r *Results) []verdict {
	sq := findPolicy(r, Shadowq)
	var out []verdict
	for _, d := range r.Deltas {
		v := verdict{Baseline: d.Baseline}
		base := findPolicy(r, d.Baseline)
		var better, worse, same []string
		for _, h := range headlines {
			l, ok := verdictFor(h, base, sq, d, r.Currency)
			if !ok {
				continue
			}
			v.Lines = append(v.Lines, l)
			switch {
			case l.Better:
				better = append(better, h.Label)
			case l.Worse:
				worse = append(worse, h.Label)
				v.Regressions = append(v.Regressions, fmt.Sprintf("%s: %s → %s, %s", h.Label, l.Base, l.Shadowq, l.Abs))
			case l.Judgement == judgeSame:
				same = append(same, h.Label)
			}
		}
		v.Summary = fmt.Sprintf("Against %s: better on %d, worse on %d%s, no significant change on %d of %d headline figures.",
			d.Baseline, len(better), len(worse), listInParens(worse), len(same), len(v.Lines))
		for _, t := range targets {
			v.Targets = append(v.Targets, judgeTarget(t, d))
		}
		out = append(out, v)
	}
	return out
}

func listInParens(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return " (" + strings.Join(xs, ", ") + ")"
}

// verdictFor builds one line; ok is false when the metric carries nothing
// in this run (absent, or no value in either arm).
func verdictFor(h headline, base, sq []Metric, d DeltaResult, currency string) (verdictLine, bool) {
	l := verdictLine{Label: h.Label, Metric: h.Metric, Base: "–", Shadowq: "–", Rel: "–"}
	dm := findMetric(d.Metrics, h.Metric)
	if dm == nil {
		return l, false
	}
	if h.Metric == MNetValue {
		if currency != "" {
			l.Label += " (" + currency + ")"
		}
		if c := findMetric(base, MCost); c != nil && c.N > 0 {
			l.Base = "cost " + formatValue(c.Unit, c.Mean, false)
		}
		if c := findMetric(sq, MCost); c != nil && c.N > 0 {
			l.Shadowq = "cost " + formatValue(c.Unit, c.Mean, false)
		}
	} else {
		b, s := findMetric(base, h.Metric), findMetric(sq, h.Metric)
		if b == nil || s == nil || (b.N == 0 && s.N == 0) {
			return l, false
		}
		l.Base, l.Shadowq = formatArm(*b), formatArm(*s)
		if rm := findMetric(d.Relative, h.Metric); rm != nil && rm.N > 0 {
			l.Rel = formatMetric(*rm, true)
		}
	}
	l.Abs = formatMetric(*dm, true)
	l.absMetric = dm
	switch {
	case dm.N == 0:
		l.Judgement = judgeNA
	case dm.N < 2:
		l.Judgement = judgeNoCI
	case dm.Lo > 0 || dm.Hi < 0:
		up := dm.Lo > 0
		if up == h.HigherBetter {
			l.Judgement, l.Better = judgeBetter, true
		} else {
			l.Judgement, l.Worse = judgeWorse, true
		}
	default:
		l.Judgement = judgeSame
	}
	return l, true
}

func formatArm(m Metric) string {
	if m.N == 0 {
		return "n/a"
	}
	return formatValue(m.Unit, m.Mean, false)
}

// judgeTarget checks a design target against one baseline's relative
// changes: met when the whole 95% CI is past the goal.
func judgeTarget(t target, d DeltaResult) targetLine {
	l := targetLine{Label: t.Label}
	m := findMetric(d.Relative, t.Metric)
	if m == nil || m.N == 0 {
		l.Status = "not measured"
		l.Detail = "these results carry no relative change of " + t.Metric + "; re-run shadowq sim"
		return l
	}
	past := func(x float64) bool {
		if t.Goal < 0 {
			return x <= t.Goal
		}
		return x >= t.Goal
	}
	far := m.Lo // the bound that must be past the goal
	if t.Goal < 0 {
		far = m.Hi
	}
	l.Detail = fmt.Sprintf("rel.%s = %s", t.Metric, formatMetric(*m, true))
	switch {
	case m.N >= 2 && past(far):
		l.Status, l.Met = "met", true
	case past(m.Mean):
		l.Status = "not met at 95% confidence (the mean reaches it, the CI does not)"
	default:
		l.Status = "not met"
	}
	return l
}

// verdictHeader is the header of a verdict table.
func verdictHeader(v verdict) []string {
	return []string{"figure", v.Baseline, Shadowq, "change (95% CI)", "relative (95% CI)", "verdict"}
}

// verdictRows renders a verdict's lines as cells under verdictHeader.
func verdictRows(v verdict) [][]string {
	rows := make([][]string, 0, len(v.Lines))
	for _, l := range v.Lines {
		j := l.Judgement
		if l.Worse {
			j = "WORSE"
		}
		rows = append(rows, []string{l.Label, l.Base, l.Shadowq, l.Abs, l.Rel, j})
	}
	return rows
}

// verdictText is the verdict as plain lines for the terminal: the
// summary, regressions and targets per baseline (the figures are in the
// metric table below it).
func verdictText(r *Results) []string {
	var out []string
	for _, v := range verdicts(r) {
		out = append(out, v.Summary)
		for _, g := range v.Regressions {
			out = append(out, "  REGRESSION "+g)
		}
		for _, t := range v.Targets {
			out = append(out, fmt.Sprintf("  design target %s: %s (%s)", t.Label, t.Status, t.Detail))
		}
	}
	return out
}
