package sim

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/shadowq/shadowq/internal/strictyaml"
	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// Expectations parses the scenario's expect: block and checks every name
// in it against the scenario before anything runs: the metric (and its
// priority), the policy and the baseline. All problems come back at once,
// each at the file:line:column of its expectation, so a typo is found in
// milliseconds rather than after the whole run.
func Expectations(sc *scenarios.Scenario) ([]reports.Expectation, error) {
	var bases []string
	for _, b := range sc.Baselines {
		bases = append(bases, b.Name)
	}
	prios := priorities(sc)
	var errs strictyaml.Errors
	var out []reports.Expectation
	for i, x := range sc.Expect {
		e, err := reports.ParseExpectation(x.Text, x.Pos)
		if err != nil {
			var se *strictyaml.Error
			if errors.As(err, &se) {
				se.Path = "expect[" + strconv.Itoa(i) + "]"
				errs = append(errs, se)
			} else {
				errs.Add(x.Pos, "expect["+strconv.Itoa(i)+"]", "%v", err)
			}
			continue
		}
		if msg := checkNames(sc, e, bases, prios); msg != "" {
			errs.Add(x.Pos, "expect["+strconv.Itoa(i)+"]", "expectation %q: %s", x.Text, msg)
			continue
		}
		out = append(out, e)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkNames returns what is wrong with the names in e, or "".
func checkNames(sc *scenarios.Scenario, e reports.Expectation, bases, prios []string) string {
	if e.Metric == reports.InvariantsMetric {
		return ""
	}
	list := func(xs []string) string { return strings.Join(xs, ", ") }
	switch e.Policy {
	case reports.Shadowq, reports.Baseline:
	case reports.Delta, reports.Rel:
		if e.Versus != "" && !slices.Contains(bases, e.Versus) {
			return "no baseline named " + quote(e.Versus) + " in this scenario (baselines: " + list(bases) + ")"
		}
	default:
		if !slices.Contains(bases, e.Policy) {
			return "no policy named " + quote(e.Policy) + " in this scenario (policies: " + list(append(slices.Clone(bases), reports.Shadowq)) +
				"; or delta, delta[NAME], rel, rel[NAME])"
		}
	}
	if _, prio, ok := reports.SplitPriority(e.Metric); ok && !slices.Contains(prios, prio) {
		return "no " + prio + " escalations in this scenario (escalations.priorities has " + list(prios) + ")"
	}
	money := e.Metric == reports.MCost || e.Metric == reports.MNetValue
	switch {
	case money && sc.Economics == nil:
		return e.Metric + " needs an economics: block in the scenario"
	case e.Metric == reports.MNetValue && e.Policy != reports.Delta:
		return "net_value_per_day exists only as a delta: write delta.net_value_per_day or delta[NAME].net_value_per_day"
	case e.Metric == reports.MFallbacks && e.Policy != reports.Shadowq:
		return "fallback_rate is measured for shadowq only"
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }
