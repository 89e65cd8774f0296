package sim

import (
	"math"
	"testing"

	"github.com/shadowq/shadowq/reports"
)

// The A/A check (scenarios/aa.yaml): where shadowq and the ACD must behave
// alike, every paired delta's 95% CI contains 0, or the delta is under 1%
// of the baseline's value. A failure means the harness treats the arms
// differently somewhere, and every other comparison it makes is suspect.
func TestAA(t *testing.T) {
	res, _, err := Run(load(t, "aa.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Invariants.Violations; len(v) > 0 {
		t.Fatalf("%d violations, first: %s", len(v), v[0])
	}
	base := res.Policies[0].Metrics
	checked := 0
	for _, d := range res.DeltaFor("") {
		if d.N < 2 {
			continue // a metric only one arm has (fallbacks, holds)
		}
		checked++
		b := metric(t, base, d.Name).Mean
		switch {
		case d.Lo <= 0 && d.Hi >= 0:
		case math.Abs(d.Mean) < 0.01*math.Abs(b):
		default:
			t.Errorf("%s: delta %+.4g [%+.4g, %+.4g] excludes 0 and is %.2f%% of the baseline's %.4g", d.Name, d.Mean, d.Lo, d.Hi, 100*math.Abs(d.Mean/b), b)
		}
	}
	if checked < 15 {
		t.Errorf("only %d deltas checked", checked)
	}
	// The scenario must exercise the arms: a queue forms, callers abandon.
	if w := metric(t, base, reports.MWaitMean).Mean; w < 30 {
		t.Errorf("baseline wait.mean %.1fs: too little load for an A/A check", w)
	}
	if a := metric(t, base, reports.MAbandonment).Mean; a <= 0 {
		t.Error("nobody abandons: patience is not exercised")
	}
}
