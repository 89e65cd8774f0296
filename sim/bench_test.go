package sim

import (
	"testing"

	"github.com/shadowq/shadowq/scenarios"
)

// BenchmarkSimulationDay is the target workload: a working day of
// 200 experts and ~2,000 escalations, both policies, 30 replications.
// One op is the whole run; events/s counts kernel events.
func BenchmarkSimulationDay(b *testing.B) {
	sc, err := scenarios.Load("testdata/bench-day.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var events uint64
	for b.Loop() {
		res, st, err := Run(sc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Invariants.Violations) > 0 {
			b.Fatal(res.Invariants.Violations[0])
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
}
