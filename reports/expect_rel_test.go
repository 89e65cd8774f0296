package reports

import (
	"strings"
	"testing"
)

// The forms issue 9 added: rel, delta[NAME], rel[NAME] and per-priority
// metrics, next to the older delta.NAME.
func TestParseRelativeAndPriority(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Expectation
	}{
		{"rel.utilization >= 20%", Expectation{Policy: Rel, Metric: MUtilization, Op: ">=", Value: 0.2}},
		{"rel.latency.mean <= -0.15 at 95%", Expectation{Policy: Rel, Metric: MLatencyMean, Op: "<=", Value: -0.15, AtCI: true}},
		{"rel[today].utilization > 20%", Expectation{Policy: Rel, Versus: "today", Metric: MUtilization, Op: ">", Value: 0.2}},
		{"rel.today.utilization > 20%", Expectation{Policy: Rel, Versus: "today", Metric: MUtilization, Op: ">", Value: 0.2}},
		{"delta[available-on-queue].latency.p95 < 5s", Expectation{Policy: Delta, Versus: "available-on-queue", Metric: MLatencyP95, Op: "<", Value: 5}},
		{"delta.today.latency.p95 < 5s", Expectation{Policy: Delta, Versus: "today", Metric: MLatencyP95, Op: "<", Value: 5}},
		{"latency.p95[P1] < 30s", Expectation{Policy: Shadowq, Metric: "latency.p95[P1]", Op: "<", Value: 30}},
		{"today.service_level[P2] >= 80%", Expectation{Policy: "today", Metric: "service_level[P2]", Op: ">=", Value: 0.8}},
		{"delta[today].latency.p95[P1] < -1m at 95%", Expectation{Policy: Delta, Versus: "today", Metric: "latency.p95[P1]", Op: "<", Value: -60, AtCI: true}},
		{"rel[today].latency.mean[P1] < -15%", Expectation{Policy: Rel, Versus: "today", Metric: "latency.mean[P1]", Op: "<", Value: -0.15}},
	} {
		got, err := ParseExpectation(tc.text, testPos)
		if err != nil {
			t.Errorf("%s: %v", tc.text, err)
			continue
		}
		tc.want.Text, tc.want.Pos = tc.text, testPos
		if !approxExpectation(got, tc.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tc.text, got, tc.want)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"rel[.utilization > 1%", "column 4: write rel[NAME].METRIC"},
		{"delta[today]utilization > 1%", `column 13: expected ".METRIC" after delta[today]`},
		{"latency.p95[P6] < 1m", `column 13: unknown priority "P6"`},
		{"holds[P1] < 1", "holds has no per-priority value"},
		{"rel.net_value_per_day > 0", "already a difference"},
		{"utilization[P1] > 0", "utilization has no per-priority value"},
		{"delta.utilisation > 0", `unknown metric "utilisation"`},
	} {
		_, err := ParseExpectation(tc.text, testPos)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.text, err, tc.want)
		}
	}
}

// rel and delta[NAME] evaluate against the named baseline's relative
// changes and deltas.
func TestEvaluateRelative(t *testing.T) {
	r := twoBaselines()
	r.Deltas[0].Relative = []Metric{{Name: MUtilization, Unit: UnitRel, Mean: 0.25, Lo: 0.21, Hi: 0.29, N: 10}}
	r.Deltas[1].Relative = []Metric{{Name: MUtilization, Unit: UnitRel, Mean: 0.05, Lo: -0.01, Hi: 0.11, N: 10}}
	for _, c := range []struct {
		text   string
		passed bool
		detail string
	}{
		{"rel.utilization >= 20% at 95%", true, "rel.utilization = +25.0% (95% CI +21.0%..+29.0%)"},
		{"rel[roster].utilization >= 20%", false, "rel[roster].utilization = +5.0%"},
		{"rel[roster].utilization > 0 at 95%", false, "CI lower bound -1.0% is not > 0"},
		{"delta[roster].utilization < 0 at 95%", true, "delta[roster].utilization"},
		{"rel.latency.p95 < 0", false, "rel.latency.p95: not in the results"},
	} {
		e, err := ParseExpectation(c.text, testPos)
		if err != nil {
			t.Fatal(err)
		}
		got := e.Evaluate(r)
		if got.Passed != c.passed || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s: passed %v, %s", c.text, got.Passed, got.Detail)
		}
	}
}

// A misspelt metric after a baseline's name is reported as the metric,
// at its column, with a suggestion.
func TestMisspeltMetricMessages(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"delta.today.utilisation > 1%", `column 13: unknown metric "utilisation", did you mean "utilization"?`},
		{"delta.utilisation > 1%", `column 7: unknown metric "utilisation", did you mean "utilization"?`},
		{"delta.latency.p59 < 0", `column 7: unknown metric "latency.p59", did you mean "latency.p50"?`},
		{"rel[today].latncy.mean < 0", `column 12: unknown metric "latncy.mean", did you mean "latency.mean"?`},
	} {
		_, err := ParseExpectation(tc.text, testPos)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.text, err, tc.want)
		}
	}
}
