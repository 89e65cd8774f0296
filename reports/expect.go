package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shadowq/shadowq/internal/strictyaml"
)

// The expectation language of a scenario's `expect:` block. One line is
//
//	[POLICY.]METRIC OP VALUE[UNIT] [at 95%]
//
// POLICY is shadowq (the default), the name of one of the scenario's
// baselines, `baseline` (the baseline named so, else the first one),
// `delta` (shadowq − the first baseline, paired by replication),
// `delta[NAME]` or `delta.NAME` (shadowq − the baseline NAME), `rel`
// (shadowq ÷ the first baseline − 1, paired by replication) or `rel[NAME]`.
// METRIC is one of MetricNames, a per-priority metric such as
// `latency.p95[P1]` (PriorityMetrics, P1..P5), or `invariants`,
// which only takes `invariants == 0` (no invariant violated in any run).
// OP is <, <=, >, >=, == or !=. VALUE is a number, optionally followed by a
// unit that must fit the metric: s, ms, m or h for durations (converted to
// seconds), % for ratios (divided by 100); counts and per-expert-day rates
// take a bare number, as may durations (seconds) and ratios (fractions).
// A rel value is a fraction or a percentage whatever the metric's unit
// (rel.utilization >= 20%).
//
// Without `at`, the metric's mean is compared. With `at 95%` the whole 95%
// confidence interval must satisfy the comparison: for > and >= its lower
// bound is compared, for < and <= its upper bound. Results carry 95%
// intervals only, so other levels are an error, as are == and != with
// `at` (an interval is never "equal" to a number).
//
// Examples:
//
//	shadowq.latency.p95 < 90s
//	delta.utilization > 0.15 at 95%
//	dnd_interruptions == 0
//	delta.latency.mean < -30s at 95%
//	baseline.abandonment <= 20%
//	delta.available-on-queue.latency.p95 < 0 at 95%
//	today.routed_rate > 80%
//	rel.utilization >= 20% at 95%
//	rel[today].latency.mean <= -15%
//	delta[available-on-queue].latency.p95[P1] < 0 at 95%

// Delta is the policy name of the shadowq − baseline differences in an
// expectation; Rel of the relative changes shadowq ÷ baseline − 1.
const (
	Delta = "delta"
	Rel   = "rel"
)

// InvariantsMetric is the pseudo-metric of `invariants == 0`.
const InvariantsMetric = "invariants"

// Expectation is one parsed line of an `expect:` block.
type Expectation struct {
	Text   string         // as written
	Pos    strictyaml.Pos // where it was written
	Policy string         // Shadowq, a baseline's name, Baseline or Delta ("" for invariants)
	Versus string         // with Delta: the baseline's name ("": the first)
	Metric string         // one of MetricNames, or InvariantsMetric
	Op     string         // <, <=, >, >=, ==, !=
	Value  float64        // in the metric's unit: seconds, or a fraction for ratios
	AtCI   bool           // compare the 95% CI bound rather than the mean

	// valueText is VALUE[UNIT] as written, shown in Detail; formatted from
	// Value when empty (an Expectation not made by ParseExpectation).
	valueText string
}

// expectSyntax is the grammar, quoted in errors.
const expectSyntax = "[POLICY.]METRIC OP VALUE[UNIT] [at 95%]"

// ParseExpectation parses one expectation written at pos. A problem comes
// back as a *strictyaml.Error at pos whose message quotes the text, names
// the column within it and says what to write instead, so a scenario
// loader can collect it with its other errors (setting Path if it likes).
func ParseExpectation(text string, pos strictyaml.Pos) (Expectation, error) {
	p := &expectParser{text: text, pos: pos}
	e, ok := p.parse()
	if !ok {
		return Expectation{}, p.err
	}
	e.Text, e.Pos = text, pos
	return e, nil
}

type expectParser struct {
	text string
	pos  strictyaml.Pos
	i    int // next byte
	err  *strictyaml.Error
}

// fail records a problem at byte offset at (0-based) of the text.
func (p *expectParser) fail(at int, format string, args ...any) bool {
	p.err = &strictyaml.Error{
		Pos: p.pos,
		Msg: fmt.Sprintf("expectation %q, column %d: %s", p.text, at+1, fmt.Sprintf(format, args...)),
	}
	return false
}

func (p *expectParser) skipSpace() {
	for p.i < len(p.text) && (p.text[p.i] == ' ' || p.text[p.i] == '\t') {
		p.i++
	}
}

// scan consumes the longest run of bytes satisfying ok.
func (p *expectParser) scan(ok func(byte) bool) (string, int) {
	start := p.i
	for p.i < len(p.text) && ok(p.text[p.i]) {
		p.i++
	}
	return p.text[start:p.i], start
}

func isNameByte(c byte) bool {
	return c == '.' || c == '_' || c == '[' || c == ']' || c == '-' || isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func (p *expectParser) parse() (Expectation, bool) {
	var e Expectation
	p.skipSpace()
	if p.i == len(p.text) {
		return e, p.fail(0, "empty expectation; write %s, e.g. shadowq.latency.p95 < 90s", expectSyntax)
	}

	ref, refAt := p.scan(isNameByte)
	if ref == "" {
		r, _ := utf8.DecodeRuneInString(p.text[refAt:])
		return e, p.fail(refAt, "expected a metric name, found %q; write %s", r, expectSyntax)
	}
	if !p.metricRef(&e, ref, refAt) {
		return e, false
	}

	p.skipSpace()
	opAt := p.i
	op, _ := p.scan(func(c byte) bool { return strings.IndexByte("<>=!", c) >= 0 })
	switch op {
	case "<", "<=", ">", ">=", "==", "!=":
		e.Op = op
	case "":
		if p.i == len(p.text) {
			return e, p.fail(opAt, "missing comparison after %q: expected one of <, <=, >, >=, ==, !=", ref)
		}
		return e, p.fail(opAt, "expected one of <, <=, >, >=, ==, != after %q, found %q", ref, p.rest())
	case "=":
		return e, p.fail(opAt, "unknown operator \"=\": use == to compare for equality")
	case "=<", "=>":
		return e, p.fail(opAt, "unknown operator %q: did you mean %c=?", op, op[1])
	default:
		return e, p.fail(opAt, "unknown operator %q: use one of <, <=, >, >=, ==, !=", op)
	}

	p.skipSpace()
	if !p.value(&e) {
		return e, false
	}

	p.skipSpace()
	if p.i < len(p.text) {
		wordAt := p.i
		word, _ := p.scan(func(c byte) bool { return c != ' ' && c != '\t' })
		if word != "at" {
			return e, p.fail(wordAt, "unexpected %q after the value; the only thing allowed there is \"at 95%%\"", strings.TrimSpace(p.text[wordAt:]))
		}
		if !p.level(&e, wordAt) {
			return e, false
		}
	}

	if e.Metric == InvariantsMetric {
		return e, p.checkInvariants(e)
	}
	return e, true
}

// rest is the unparsed remainder, for messages.
func (p *expectParser) rest() string { return strings.TrimSpace(p.text[p.i:]) }

// metricRef splits "[POLICY.]METRIC" and checks both parts. POLICY is
// shadowq, baseline, a baseline's name (checked against the scenario when
// it loads, see sim.Expectations), delta, delta.NAME, delta[NAME], rel,
// rel.NAME or rel[NAME]; METRIC may end in a priority, latency.p95[P1].
func (p *expectParser) metricRef(e *Expectation, ref string, at int) bool {
	if ref == InvariantsMetric {
		e.Metric = InvariantsMetric
		return true
	}
	e.Policy, e.Metric = Shadowq, ref
	head, tail, ok := strings.Cut(ref, ".")
	if kind, _, br := strings.Cut(head, "["); br && (kind == Delta || kind == Rel) && MetricUnit(ref) == "" {
		// "delta[NAME].METRIC": the name is everything up to the first "]".
		inner, after, closed := strings.Cut(ref[len(kind)+1:], "]")
		switch {
		case !closed || inner == "":
			return p.fail(at+len(kind), "write %s[NAME].METRIC with a baseline's name between the brackets", kind)
		case !strings.HasPrefix(after, "."):
			return p.fail(at+len(kind)+len(inner)+2, "expected \".METRIC\" after %s[%s]", kind, inner)
		}
		e.Policy, e.Versus, e.Metric = kind, inner, after[1:]
		at += len(kind) + len(inner) + 3
	} else {
		known := head == Shadowq || head == Baseline || head == Delta || head == Rel || MetricUnit(tail) != ""
		if ok && known && MetricUnit(ref) == "" {
			// "NAME.metric": a policy, or "delta[.NAME].metric".
			e.Policy, e.Metric = head, tail
			at += len(head) + 1
			if (head == Delta || head == Rel) && MetricUnit(tail) == "" {
				// "delta.NAME.metric": NAME is a baseline unless it starts
				// a metric's name (delta.latency.p59 is a misspelt metric).
				if name, metric, ok := strings.Cut(tail, "."); ok && (MetricUnit(metric) != "" || !metricPrefix(name)) {
					e.Versus, e.Metric = name, metric
					at += len(name) + 1
				}
			}
		}
	}
	if e.Metric == InvariantsMetric {
		return p.fail(0, "invariants are checked across all runs and take no policy: write \"invariants == 0\"")
	}
	if base, prio, ok := SplitPriority(e.Metric); ok && MetricUnit(base) != "" && MetricUnit(e.Metric) == "" {
		if !slices.Contains(PriorityMetrics, base) {
			return p.fail(at, "%s has no per-priority value; per-priority metrics: %s (e.g. latency.p95[P1])", base, strings.Join(PriorityMetrics, ", "))
		}
		return p.fail(at+len(base)+1, "unknown priority %q: write P1 to P5, e.g. %s[P1]", prio, base)
	}
	if MetricUnit(e.Metric) == "" {
		all := append(slices.Clone(MetricNames), MoneyMetrics...)
		hint := ""
		if s := strictyaml.Suggest(e.Metric, all); s != "" {
			hint = fmt.Sprintf(", did you mean %q?", s)
		}
		return p.fail(at, "unknown metric %q%s; valid metrics: %s, %s; per priority: %s with [P1]..[P5]", e.Metric, hint,
			strings.Join(all, ", "), InvariantsMetric, strings.Join(PriorityMetrics, ", "))
	}
	if e.Policy == Rel && e.Metric == MNetValue {
		return p.fail(at, "net_value_per_day is already a difference; use delta.net_value_per_day")
	}
	return true
}

// metricPrefix reports whether name is the first part of a dotted metric
// name (latency, hold, wait).
func metricPrefix(name string) bool {
	for _, m := range MetricNames {
		if strings.HasPrefix(m, name+".") {
			return true
		}
	}
	return false
}

// value parses a number and an optional unit, converting to the metric's
// unit.
func (p *expectParser) value(e *Expectation) bool {
	numAt := p.i
	if p.i == len(p.text) {
		return p.fail(numAt, "missing value after %q", e.Op)
	}
	num := p.number()
	if num == "" {
		word, _ := p.scan(func(c byte) bool { return c != ' ' && c != '\t' })
		return p.fail(numAt, "expected a number after %q, found %q", e.Op, word)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) {
		return p.fail(numAt, "%q is not a usable number", num)
	}
	unitAt := p.i
	p.skipSpaceBeforeUnit()
	unit, _ := p.scan(func(c byte) bool { return c == '%' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') })
	if p.i < len(p.text) && p.text[p.i] != ' ' && p.text[p.i] != '\t' {
		r, _ := utf8.DecodeRuneInString(p.text[p.i:])
		return p.fail(p.i, "unexpected %q after %s%s", r, num, unit)
	}

	mu := MetricUnit(e.Metric)
	switch {
	case e.Metric == InvariantsMetric:
		mu = UnitCount
	case e.Policy == Rel:
		mu = UnitRel
	}
	scale := 1.0
	switch unit {
	case "":
	case "ms", "s", "m", "h":
		if mu != UnitSeconds {
			return p.fail(unitAt, "%s is %s, not a duration: drop the unit %q", e.Metric, unitNoun(mu), unit)
		}
		scale = map[string]float64{"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
	case "%":
		if mu != UnitRatio && mu != UnitRel {
			return p.fail(unitAt, "%s is %s, not a ratio: drop the %%", e.Metric, unitNoun(mu))
		}
		scale = 0.01
	case "pp":
		if mu != UnitRatio || e.Policy != Delta {
			return p.fail(unitAt, "pp (percentage points) is for the delta of a ratio, e.g. delta.service_level > 5pp; use %% or a fraction here")
		}
		scale = 0.01
	default:
		return p.fail(unitAt, "unknown unit %q: use ms, s, m or h for durations, %% for ratios, pp for deltas of ratios, or none", unit)
	}
	e.Value = v * scale
	e.valueText = num + unit
	return true
}

// skipSpaceBeforeUnit allows "+2.2 pp" as the tables print it: one run
// of blanks before "pp" only.
func (p *expectParser) skipSpaceBeforeUnit() {
	j := p.i
	for j < len(p.text) && (p.text[j] == ' ' || p.text[j] == '\t') {
		j++
	}
	if j > p.i && strings.HasPrefix(p.text[j:], "pp") && (j+2 == len(p.text) || p.text[j+2] == ' ' || p.text[j+2] == '\t') {
		p.i = j
	}
}

// number consumes [+-]digits[.digits][e[+-]digits] (or [+-].digits...).
func (p *expectParser) number() string {
	start := p.i
	t := p.text
	j := p.i
	if j < len(t) && (t[j] == '+' || t[j] == '-') {
		j++
	}
	digits := 0
	for j < len(t) && isDigit(t[j]) {
		j++
		digits++
	}
	if j < len(t) && t[j] == '.' {
		j++
		for j < len(t) && isDigit(t[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return ""
	}
	// An exponent only if digits follow, so "2e" is 2 with unit "e".
	if j < len(t) && (t[j] == 'e' || t[j] == 'E') {
		k := j + 1
		if k < len(t) && (t[k] == '+' || t[k] == '-') {
			k++
		}
		if k < len(t) && isDigit(t[k]) {
			for k < len(t) && isDigit(t[k]) {
				k++
			}
			j = k
		}
	}
	p.i = j
	return t[start:j]
}

func unitNoun(u string) string {
	switch u {
	case UnitRatio:
		return "a ratio"
	case UnitSeconds:
		return "a duration"
	case UnitCount:
		return "a count"
	case UnitPerExpertDay:
		return "a rate per expert-day"
	case UnitMinPerExpert:
		return "minutes per expert-day"
	case UnitMoney:
		return "money per day"
	case UnitRel:
		return "a relative change"
	}
	return "in " + u
}

// level parses "at NN%" after the value; wordAt is where "at" starts.
func (p *expectParser) level(e *Expectation, wordAt int) bool {
	if e.Metric == InvariantsMetric {
		return p.fail(wordAt, "invariants have no confidence interval: write \"invariants == 0\"")
	}
	p.skipSpace()
	levelAt := p.i
	num := p.number()
	if num == "" {
		if p.i == len(p.text) {
			levelAt = wordAt
		}
		return p.fail(levelAt, "\"at\" needs a confidence level: write \"at 95%%\"")
	}
	if p.i == len(p.text) || p.text[p.i] != '%' {
		return p.fail(levelAt, "write the confidence level as a percentage: \"at 95%%\"")
	}
	p.i++
	if lv, err := strconv.ParseFloat(num, 64); err != nil || lv != 95 {
		return p.fail(levelAt, "only 95%% confidence is supported (results store 95%% intervals), not %s%%", num)
	}
	if p.skipSpace(); p.i < len(p.text) {
		return p.fail(p.i, "unexpected %q after \"at 95%%\"", p.rest())
	}
	switch e.Op {
	case "==", "!=":
		return p.fail(wordAt, "%q cannot be combined with \"at 95%%\": an interval is compared by its bound, so use <, <=, > or >=", e.Op)
	}
	e.AtCI = true
	return true
}

// checkInvariants allows exactly "invariants == 0".
func (p *expectParser) checkInvariants(e Expectation) bool {
	if e.Op != "==" || e.Value != 0 {
		return p.fail(0, "invariants can only be required to hold: write \"invariants == 0\"")
	}
	return true
}

// Evaluate checks the expectation against r. A metric r lacks, one no
// replication produced (N == 0), or `at 95%` on fewer than 2 replications
// fails: an expectation that cannot be checked must not pass silently.
// Value is what was compared: the mean, or the CI bound with `at 95%`.
func (e Expectation) Evaluate(r *Results) ExpectResult {
	res := ExpectResult{Text: e.Text, Pos: e.Pos.String()}
	if e.Metric == InvariantsMetric {
		n := len(r.Invariants.Violations)
		res.Value = float64(n)
		res.Passed = n == 0
		res.Detail = invariantsDetail(r.Invariants)
		if !res.Passed {
			res.Detail += "; first: " + r.Invariants.Violations[0]
		}
		return res
	}

	name := e.Policy + "." + e.Metric
	var ms []Metric
	switch e.Policy {
	case Delta, Rel:
		if e.Versus != "" {
			name = e.Policy + "[" + e.Versus + "]." + e.Metric
		}
		if e.Policy == Delta {
			ms = r.DeltaFor(e.Versus)
		} else {
			ms = r.RelFor(e.Versus)
		}
		if ms == nil {
			res.Detail = fmt.Sprintf("%s: no baseline %q in the results (baselines: %s)", name, e.Versus, strings.Join(r.Baselines(), ", "))
			return res
		}
	default:
		ms = findPolicy(r, e.Policy)
		if ms == nil && e.Policy == Baseline {
			if bs := r.Baselines(); len(bs) > 0 {
				ms = findPolicy(r, bs[0])
			}
		}
		if ms == nil {
			res.Detail = fmt.Sprintf("%s: no policy %q in the results (policies: %s)", name, e.Policy, strings.Join(append(r.Baselines(), Shadowq), ", "))
			return res
		}
	}
	m := findMetric(ms, e.Metric)
	switch {
	case m == nil:
		res.Detail = name + ": not in the results"
		return res
	case m.N == 0 || math.IsNaN(m.Mean):
		res.Detail = name + ": no value (no replication produced one)"
		return res
	case e.AtCI && m.N < 2:
		res.Value = m.Mean
		res.Detail = fmt.Sprintf("%s = %s from %d replication: a 95%% CI needs at least 2", name, formatValue(m.Unit, m.Mean, e.Policy == Delta || e.Policy == Rel), m.N)
		return res
	}

	signed := e.Policy == Delta || e.Policy == Rel
	unit := m.Unit
	if unit == "" {
		unit = MetricUnit(e.Metric)
	}
	f := func(x float64) string { return formatValue(unit, x, signed) }
	want := e.Op + " " + e.valueText
	if e.valueText == "" {
		want = e.Op + " " + f(e.Value)
	}
	about := fmt.Sprintf("%s = %s (95%% CI %s..%s)", name, f(m.Mean), f(m.Lo), f(m.Hi))
	if m.N == 1 {
		about = fmt.Sprintf("%s = %s (1 replication, no CI)", name, f(m.Mean))
	}

	if !e.AtCI {
		res.Value = m.Mean
		res.Passed = compare(m.Mean, e.Op, e.Value)
		if res.Passed {
			res.Detail = about + " " + want
		} else {
			res.Detail = about + " is not " + want
		}
		return res
	}
	bound, which := m.Hi, "upper"
	if e.Op == ">" || e.Op == ">=" {
		bound, which = m.Lo, "lower"
	}
	res.Value = bound
	res.Passed = compare(bound, e.Op, e.Value)
	verdict := " "
	if !res.Passed {
		verdict = " is not "
	}
	res.Detail = fmt.Sprintf("%s: CI %s bound %s%s%s", about, which, f(bound), verdict, want)
	return res
}

// compare applies op; NaN compares false under every operator but !=, and
// Evaluate never passes a NaN (N == 0 is caught before).
func compare(x float64, op string, v float64) bool {
	switch op {
	case "<":
		return x < v
	case "<=":
		return x <= v
	case ">":
		return x > v
	case ">=":
		return x >= v
	case "==":
		return x == v
	case "!=":
		return x != v
	}
	return false
}

// EvaluateAll evaluates every expectation in order.
func EvaluateAll(es []Expectation, r *Results) []ExpectResult {
	out := make([]ExpectResult, len(es))
	for i, e := range es {
		out[i] = e.Evaluate(r)
	}
	return out
}

// invariantsDetail counts violations: "no invariant violations in 20 runs".
func invariantsDetail(inv Invariants) string {
	n := len(inv.Violations)
	if n == 0 {
		return fmt.Sprintf("no invariant violations in %d runs", inv.Checked)
	}
	return fmt.Sprintf("%d invariant violation%s in %d runs", n, plural(n), inv.Checked)
}
