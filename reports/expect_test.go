package reports

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/internal/strictyaml"
)

var testPos = strictyaml.Pos{File: "s.yaml", Line: 12, Column: 7}

func TestParseExpectation(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Expectation // Text and Pos are filled in by the test
	}{
		// The examples from the language description.
		{"shadowq.latency.p95 < 90s", Expectation{Policy: Shadowq, Metric: MLatencyP95, Op: "<", Value: 90}},
		{"delta.utilization > 0.15 at 95%", Expectation{Policy: Delta, Metric: MUtilization, Op: ">", Value: 0.15, AtCI: true}},
		{"dnd_interruptions == 0", Expectation{Policy: Shadowq, Metric: MDNDInterrupts, Op: "==", Value: 0}},
		{"delta.latency.mean < -30s at 95%", Expectation{Policy: Delta, Metric: MLatencyMean, Op: "<", Value: -30, AtCI: true}},
		{"baseline.abandonment <= 20%", Expectation{Policy: Baseline, Metric: MAbandonment, Op: "<=", Value: 0.2}},
		// The invariants pseudo-metric.
		{"invariants == 0", Expectation{Metric: InvariantsMetric, Op: "==", Value: 0}},
		// Units convert to seconds.
		{"latency.p99 <= 1500ms", Expectation{Policy: Shadowq, Metric: MLatencyP99, Op: "<=", Value: 1.5}},
		{"latency.p99 <= 3m", Expectation{Policy: Shadowq, Metric: MLatencyP99, Op: "<=", Value: 180}},
		{"hold.mean < 0.5h", Expectation{Policy: Shadowq, Metric: MHoldMean, Op: "<", Value: 1800}},
		// A bare number is seconds or a fraction.
		{"latency.p50 < 30", Expectation{Policy: Shadowq, Metric: MLatencyP50, Op: "<", Value: 30}},
		// No spaces needed, extra spaces and tabs allowed.
		{"service_level>=80%", Expectation{Policy: Shadowq, Metric: MServiceLevel, Op: ">=", Value: 0.8}},
		{"  holds\t!=  +1e2  ", Expectation{Policy: Shadowq, Metric: MHolds, Op: "!=", Value: 100}},
		{" latency.p90 <=  1.5e1s\tat   95%  ", Expectation{Policy: Shadowq, Metric: MLatencyP90, Op: "<=", Value: 15, AtCI: true}},
		{"escalations >= .5", Expectation{Policy: Shadowq, Metric: MEscalations, Op: ">=", Value: 0.5}},
		// The per-expert-day rate takes a bare number.
		{"delta.interruptions_per_expert_day <= -0.5 at 95%", Expectation{Policy: Delta, Metric: MInterruptions, Op: "<=", Value: -0.5, AtCI: true}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseExpectation(tc.text, testPos)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Text, tc.want.Pos = tc.text, testPos
			if !approxExpectation(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func approxExpectation(a, b Expectation) bool {
	d := a.Value - b.Value
	a.Value, b.Value = 0, 0
	a.valueText, b.valueText = "", ""
	return a == b && d < 1e-12 && d > -1e-12
}

func TestParseExpectationErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		col  int    // column within the text named by the error
		msg  string // substring of the error
	}{
		// Nothing at all.
		{"", 1, "empty expectation"},
		{"   ", 1, "empty expectation"},
		// Starts with something that is not a name.
		{"< 5", 1, "expected a metric name"},
		// A metric that does not exist lists the valid ones.
		{"latency.p96 < 90s", 1, `unknown metric "latency.p96", did you mean "latency.p90"?; valid metrics: utilization, productive_utilization, latency.mean`},
		{"delta.latency < 90s", 7, `unknown metric "latency"`},
		// invariants take no policy, no other comparison and no CI.
		{"delta.invariants == 0", 1, "take no policy"},
		{"invariants <= 2", 1, `write "invariants == 0"`},
		{"invariants == 1", 1, `write "invariants == 0"`},
		{"invariants == 0 at 95%", 17, "invariants have no confidence interval"},
		{"invariants == 0s", 16, "invariants is a count, not a duration"},
		// Operators.
		{"latency.p95", 12, "missing comparison"},
		{"latency.p95 90s", 13, `expected one of <, <=, >, >=, ==, != after "latency.p95", found "90s"`},
		{"latency.p95 = 90s", 13, "use == to compare"},
		{"latency.p95 =< 90s", 13, "did you mean <="},
		{"latency.p95 <> 90s", 13, `unknown operator "<>"`},
		// Values.
		{"latency.p95 <", 14, `missing value after "<"`},
		{"latency.p95 < fast", 15, `expected a number after "<", found "fast"`},
		{"latency.p95 < 1e999", 15, "not a usable number"},
		{"latency.p95 < 90x", 17, `unknown unit "x"`},
		{"latency.p95 < 90 s", 18, `unexpected "s" after the value`},
		{"latency.p95 < 90s,", 18, `unexpected ',' after 90s`},
		{"latency.p95 < 90sec", 17, `unknown unit "sec"`},
		// Units must fit the metric.
		{"utilization > 5s", 16, "utilization is a ratio, not a duration"},
		{"latency.p95 < 50%", 17, "latency.p95 is a duration, not a ratio"},
		{"holds > 10%", 11, "holds is a count, not a ratio"},
		{"interruptions_per_expert_day < 2h", 33, "is a rate per expert-day, not a duration"},
		// The confidence clause.
		{"utilization > 0.5 at", 19, `"at" needs a confidence level`},
		{"utilization > 0.5 at 0.95", 22, "as a percentage"},
		{"utilization > 0.5 at 90%", 22, "only 95% confidence is supported"},
		{"utilization > 0.5 at 95% please", 26, `unexpected "please"`},
		{"utilization == 0.5 at 95%", 20, `"==" cannot be combined with "at 95%"`},
		{"utilization != 0.5 at 95%", 20, `"!=" cannot be combined`},
		{"utilization > 0.5 within 95%", 19, `unexpected "within 95%" after the value`},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseExpectation(tc.text, testPos)
			if err == nil {
				t.Fatal("no error")
			}
			var se *strictyaml.Error
			if !errors.As(err, &se) || se.Pos != testPos {
				t.Fatalf("got %T %v, want a *strictyaml.Error at %v", err, err, testPos)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if want := "column " + strconv.Itoa(tc.col) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
			if !strings.HasPrefix(err.Error(), "s.yaml:12:7: ") {
				t.Errorf("error %q does not start with the position", err)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	r := fixture()
	for _, tc := range []struct {
		text   string
		passed bool
		value  float64
		detail string
	}{
		// Mean against a bound, passing and failing.
		{"shadowq.latency.p95 < 90s", true, 74.2, "shadowq.latency.p95 = 74.2s (95% CI 70.1s..78.3s) < 90s"},
		{"latency.p95 < 60s", false, 74.2, "shadowq.latency.p95 = 74.2s (95% CI 70.1s..78.3s) is not < 60s"},
		// Ratios are shown as percentages, deltas signed.
		{"baseline.abandonment <= 20%", true, 0.12, "baseline.abandonment = 12.0% (95% CI 10.0%..14.0%) <= 20%"},
		{"delta.utilization > 15%", true, 0.16, "delta.utilization = +16.0 pp (95% CI +13.5 pp..+18.5 pp) > 15%"},
		// at 95%: > compares the lower bound, < the upper one.
		{"delta.utilization > 15% at 95%", false, 0.135, "delta.utilization = +16.0 pp (95% CI +13.5 pp..+18.5 pp): CI lower bound +13.5 pp is not > 15%"},
		{"delta.utilization >= 13.5% at 95%", true, 0.135, "CI lower bound +13.5 pp >= 13.5%"},
		{"delta.latency.mean < -30s at 95%", true, -45.1, "CI upper bound -45.1s < -30s"},
		{"delta.latency.mean < -50s at 95%", false, -45.1, "CI upper bound -45.1s is not < -50s"},
		// Exact comparison of counts.
		{"dnd_interruptions == 0", true, 0, "shadowq.dnd_interruptions = 0.0 (95% CI 0.0..0.0) == 0"},
		{"baseline.dnd_interruptions == 0", false, 3.2, "is not == 0"},
		{"escalations != 0", true, 412.4, "!= 0"},
		// No value in any replication: fail, never pass silently.
		{"baseline.hold.mean < 1h", false, 0, "baseline.hold.mean: no value"},
		// One replication: a mean but no interval.
		{"hold.mean < 1h", true, 12.5, "shadowq.hold.mean = 12.5s (1 replication, no CI) < 1h"},
		{"hold.mean < 1h at 95%", false, 12.5, "a 95% CI needs at least 2"},
		// A metric the results lack.
		{"baseline.stale_misroutes == 0", false, 0, "baseline.stale_misroutes: not in the results"},
		// Invariants.
		{"invariants == 0", false, 1, "1 invariant violation in 10 runs; first: rep 3"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			e, err := ParseExpectation(tc.text, testPos)
			if err != nil {
				t.Fatal(err)
			}
			got := e.Evaluate(r)
			if got.Passed != tc.passed || got.Value != tc.value || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got passed=%v value=%v detail %q\nwant passed=%v value=%v detail containing %q",
					got.Passed, got.Value, got.Detail, tc.passed, tc.value, tc.detail)
			}
			if got.Text != tc.text || got.Pos != "s.yaml:12:7" {
				t.Errorf("text %q pos %q not carried over", got.Text, got.Pos)
			}
		})
	}

	r.Invariants.Violations = nil
	e, _ := ParseExpectation("invariants == 0", testPos)
	if got := e.Evaluate(r); !got.Passed || got.Detail != "no invariant violations in 10 runs" {
		t.Errorf("invariants without violations: %+v", got)
	}
}
