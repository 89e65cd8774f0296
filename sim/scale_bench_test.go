package sim

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shadowq/shadowq/scenarios"
)

// scaledTier3 is the tier3-meetings scenario with every team's size and
// the arrival rate multiplied alike (the same workload per expert), team
// sizes rounded so that they add up to experts.
func scaledTier3(tb testing.TB, experts int) *scenarios.Scenario {
	tb.Helper()
	sc, err := scenarios.Load("../scenarios/tier3-meetings.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	f := float64(experts) / float64(len(sc.Experts))
	mean := 0.0
	for _, r := range sc.Escalations.Rates {
		mean += r.PerHour * min(r.To-r.From, sc.Run.Horizon-r.From).Hours()
	}
	mean /= sc.Run.Horizon.Hours()
	groups := sc.Groups()
	done := 0
	for gi, g := range groups {
		n := 0
		for i := range sc.Experts {
			if sc.Experts[i].Group == g {
				n++
			}
		}
		want := int(math.Round(float64(n) * f))
		if gi == len(groups)-1 {
			want = experts - done
		}
		done += want
		if sc, err = sc.With("experts["+g+"].count", float64(want)); err != nil {
			tb.Fatal(err)
		}
	}
	if sc, err = sc.With("escalations.perHour", mean*f); err != nil {
		tb.Fatal(err)
	}
	if len(sc.Experts) != experts {
		tb.Fatalf("scaled to %d experts, want %d", len(sc.Experts), experts)
	}
	return sc
}

// benchScale runs one replication of the scaled tier3 day (every arm) on
// one worker, reps times, and returns kernel events and the wall time.
func benchScale(tb testing.TB, experts, reps int) (uint64, time.Duration) {
	sc := scaledTier3(tb, experts)
	res, st, err := Run(sc, Options{Replications: reps, Workers: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if v := res.Invariants.Violations; len(v) > 0 {
		tb.Fatal(v[0])
	}
	return st.Events, st.WallTime
}

// BenchmarkScale is the simulator at org scale: the tier3 day at 60, 600,
// 6,000 and 10,000 experts with arrivals scaled alike, every size in one
// run so the ratios hold on a noisy machine. It reports events/s at each
// size and the per-event cost at each size relative to 60 experts
// (cost-ratio-N: 1 is linear cost in org size; the target is ≤ 2 at
// 10,000). One op runs every size once.
func BenchmarkScale(b *testing.B) {
	sizes := []int{60, 600, 6000, 10000}
	reps := map[int]int{60: 30, 600: 3, 6000: 1, 10000: 1} // about the same events per size
	events := make(map[int]uint64)
	wall := make(map[int]time.Duration)
	for b.Loop() {
		for _, n := range sizes {
			ev, d := benchScale(b, n, reps[n])
			events[n] += ev
			wall[n] += d
		}
	}
	rate := func(n int) float64 { return float64(events[n]) / wall[n].Seconds() }
	for _, n := range sizes {
		b.ReportMetric(rate(n), fmt.Sprintf("events/s@%d", n))
		b.ReportMetric(float64(events[n])/float64(b.N)/float64(reps[n]), fmt.Sprintf("events/rep@%d", n))
		if n != sizes[0] {
			b.ReportMetric(rate(sizes[0])/rate(n), fmt.Sprintf("cost-ratio-%d", n))
		}
	}
}
