package sim

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/scenarios"
)

// BenchmarkOrg28Days is issue 13's org-scale run, measured the same way each
// time: testdata/org-28-days.yaml (500 experts, 28 days in Berlin time, 3
// arms, 30 replications), all cores, no records: what
// `shadowq sim sim/testdata/org-28-days.yaml --records none` does, less
// writing its three report files. The target is under 60 s of wall time on
// the project's 2-core machine. Reported per op (averaged when b.N > 1:
// run it with -benchtime=1x -count=N for one figure per run):
//
//   - wall-s: wall time of the run;
//   - cpu-s: user+system CPU of the whole process during the run (every
//     thread, GC included), as /usr/bin/time counts it: the figure to
//     compare on a machine other processes load, where wall time is the
//     share of the cores the run got;
//   - peak-RSS-MB: the process's peak resident set during the run (reset
//     before it; Linux only);
//   - events: kernel events, all arms (changes only with the simulation).
//
// (Not named ...Scale: -bench='Scale$' is BenchmarkScale's command.)
//
// Command: go test -run='^$' -bench='Org28Days$' -benchtime=1x -count=3 ./sim/
func BenchmarkOrg28Days(b *testing.B) {
	sc, err := scenarios.Load("testdata/org-28-days.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var wall, cpu time.Duration
	var events, peak uint64
	for b.Loop() {
		rss := resetPeakRSS()
		c0, cok := processCPU()
		t0 := time.Now()
		res, st, err := Run(sc, Options{})
		wall += time.Since(t0)
		c1, _ := processCPU()
		if err != nil {
			b.Fatal(err)
		}
		if v := res.Invariants.Violations; len(v) > 0 {
			b.Fatalf("%d invariant violations, first: %s", len(v), v[0])
		}
		events += st.Events
		if cok {
			cpu += c1 - c0
		}
		if p, ok := peakRSS(); ok && rss {
			peak = max(peak, p)
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/n, "cpu-s")
	}
	if peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
	}
	b.ReportMetric(float64(events)/n, "events")
}
