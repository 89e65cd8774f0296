package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
// Review golden diffs like code.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports/ -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update and review the diff)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// metric is a hand-made Metric with a symmetric interval.
func metric(name string, mean, half float64, n int) Metric {
	return Metric{Name: name, Unit: MetricUnit(name), Mean: mean, SD: half, Lo: mean - half, Hi: mean + half, N: n}
}

// fixture is a small, hand-built Results covering every unit, a missing
// value (N=0), a single replication (N=1), a metric outside MetricNames,
// a violated invariant and passing and failing expectations.
func fixture() *Results {
	base := []Metric{
		metric(MUtilization, 0.62, 0.03, 5),
		metric(MLatencyMean, 95.5, 8.25, 5),
		metric(MLatencyP95, 245, 20, 5),
		metric(MServiceLevel, 0.71, 0.04, 5),
		metric(MAbandonment, 0.12, 0.02, 5),
		metric(MHolds, 0, 0, 5),
		metric(MHoldMean, 0, 0, 0),
		metric(MInterruptions, 1.25, 0.5, 5),
		metric(MDNDInterrupts, 3.2, 1.1, 5),
		metric(MEscalations, 412.4, 10.2, 5),
	}
	sq := []Metric{
		metric(MUtilization, 0.78, 0.02, 5),
		metric(MLatencyMean, 41.3, 4.5, 5),
		metric(MLatencyP95, 74.2, 4.1, 5),
		metric(MServiceLevel, 0.93, 0.015, 5),
		metric(MAbandonment, 0.04, 0.01, 5),
		metric(MHolds, 57.6, 6.3, 5),
		metric(MHoldMean, 12.5, 0, 1),
		metric(MInterruptions, 0.4, 0.2, 5),
		metric(MDNDInterrupts, 0, 0, 5),
		metric(MEscalations, 412.4, 10.2, 5),
		{Name: "future.metric", Unit: "widgets", Mean: 1234.5, Lo: 1200, Hi: 1269, N: 5},
	}
	delta := []Metric{
		metric(MUtilization, 0.16, 0.025, 5),
		metric(MLatencyMean, -54.2, 9.1, 5),
		metric(MLatencyP95, -170.8, 21, 5),
		metric(MServiceLevel, 0.22, 0.04, 5),
		metric(MAbandonment, -0.08, 0.02, 5),
		metric(MHolds, 57.6, 6.3, 5),
		metric(MHoldMean, 0, 0, 0),
		metric(MInterruptions, -0.85, 0.4, 5),
		metric(MDNDInterrupts, -3.2, 1.1, 5),
		metric(MEscalations, 0, 0, 5),
	}
	return &Results{
		Schema:        SchemaVersion,
		Scenario:      "lunch-rush",
		File:          "scenarios/lunch-rush.yaml",
		Seed:          42,
		Replications:  5,
		HorizonS:      8 * 3600,
		WarmupS:       1800,
		ServiceLevelS: 60,
		Experts:       4,
		Policies:      []PolicyResult{{Name: Baseline, Metrics: base}, {Name: Shadowq, Metrics: sq}},
		Deltas: []DeltaResult{{Baseline: Baseline, Metrics: delta, Relative: []Metric{
			{Name: MUtilization, Unit: UnitRel, Mean: 0.258, SD: 0.032, Lo: 0.218, Hi: 0.298, N: 5},
			{Name: MLatencyMean, Unit: UnitRel, Mean: -0.568, SD: 0.064, Lo: -0.648, Hi: -0.488, N: 5},
		}}},
		PerExpert: []ExpertResult{
			{ID: "e10", Group: "billing", Utilization: []float64{0.55, 0.74}, Interrupts: 0.2, Suspicion: 0.1},
			{ID: "e2", Group: "billing", CherryPicker: true, Utilization: []float64{0.40, 0.61}, Interrupts: 0.6, Suspicion: 0.91,
				Evidence: "declined 14 of 20 P3 offers, accepted 19 of 20 P1", Flagged: true},
			{ID: "e3", Group: "tech", CherryPicker: true, Utilization: []float64{0.70, 0.82}, Interrupts: 0.3, Suspicion: 0.35},
			{ID: "e1", Group: "tech", Utilization: []float64{0.81, 0.93}, Interrupts: 0.5, Suspicion: 0.72,
				Evidence: "no-answer on 6 long calls | after 17:00", Flagged: true},
		},
		CherryPick: CherryPick{Threshold: 0.7, Flagged: []string{"e1", "e2"}, Scripted: []string{"e2", "e3"}, Precision: 0.5, Recall: 0.5},
		LatencyCDF: []CDF{
			NewCDF(Baseline, []float64{5, 12, 30, 45, 60, 95, 120, 180, 240, 400}),
			NewCDF(Shadowq, []float64{2, 4, 8, 15, 22, 30, 41, 55, 70, 90}),
		},
		Timeline: Timeline{
			Spans: []Span{
				{Expert: "e1", Start: 0, End: 3 * 3600, What: "available"},
				{Expert: "e1", Start: 3600, End: 4000, What: "busy"},
				{Expert: "e1", Start: 3 * 3600, End: 4 * 3600, What: "meeting"},
				{Expert: "e2", Start: 0, End: 8 * 3600, What: "available"},
				{Expert: "e10", Start: 1800, End: 2 * 3600, What: "focus"},
			},
			Deliveries: []Delivery{
				{Expert: "e1", At: 3590, Result: "accepted"},
				{Expert: "e2", At: 7200, Result: "declined"},
				{Expert: "e10", At: 5000, Result: "no_answer", Interrupt: true},
			},
		},
		WarmupCheck: &WarmupCheck{Method: "MSER-5", Arm: Baseline, SuggestedS: 3600, ChosenS: 1800,
			Warning: "run.warmup 30m is shorter than the 1h MSER-5 suggests from baseline's queue length, so the statistics include the initial transient: set run.warmup to at least 1h"},
		Invariants: Invariants{Checked: 10, Violations: []string{"rep 3 shadowq t=812.5s: expert e2 got escalation x41 while on x40"}},
		Expectation: []ExpectResult{
			{Text: "shadowq.latency.p95 < 90s", Pos: "scenarios/lunch-rush.yaml:40:5", Passed: true, Value: 74.2,
				Detail: "shadowq.latency.p95 = 74.2s (95% CI 70.1s..78.3s) < 90s"},
			{Text: "delta.utilization > 20% at 95%", Pos: "scenarios/lunch-rush.yaml:41:5", Passed: false, Value: 0.135,
				Detail: "delta.utilization = +16.0% (95% CI +13.5%..+18.5%): CI lower bound +13.5% is not > 20%"},
		},
	}
}
