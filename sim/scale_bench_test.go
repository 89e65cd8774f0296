package sim

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/shadowq/shadowq/reports"
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

// armCost is events, wall time and thread CPU time of one kind of arm.
type armCost struct {
	events uint64
	wall   time.Duration
	cpu    time.Duration // 0 where the OS cannot tell a thread's CPU time
}

func (c armCost) rate() float64 { return float64(c.events) / c.wall.Seconds() }

// cpuRate is events per second of the simulating thread's CPU time (GC
// workers on other threads not included).
func (c armCost) cpuRate() float64 { return float64(c.events) / c.cpu.Seconds() }

func (c armCost) add(o armCost) armCost {
	return armCost{c.events + o.events, c.wall + o.wall, c.cpu + o.cpu}
}

// benchScale runs reps replications of the scaled tier3 day, every arm, on
// one goroutine, and returns the cost of the baseline ACD arms and of the
// shadowq arm apart (the schedule's drawing is in neither).
func benchScale(tb testing.TB, experts, reps int) (acd, sq armCost) {
	sc := scaledTier3(tb, experts)
	root := NewStreams(sc.Seed)
	runtime.LockOSThread() // thread CPU time is this goroutine's
	defer runtime.UnlockOSThread()
	for rep := range reps {
		sch := makeSchedule(sc, root.Replication(rep))
		for _, a := range arms(sc) {
			t := time.Now()
			c0, _ := threadCPU()
			r, err := runPolicy(sc, sch, a, rep, time.Minute, false)
			d := time.Since(t)
			c1, _ := threadCPU()
			if err != nil {
				tb.Fatal(err)
			}
			if len(r.violations) > 0 {
				tb.Fatal(r.violations[0])
			}
			c := &acd
			if a.name == reports.Shadowq {
				c = &sq
			}
			*c = c.add(armCost{r.events, d, c1 - c0})
		}
	}
	return acd, sq
}

// BenchmarkScale is the simulator at org scale: the tier3 day at 60, 600,
// 6,000 and 10,000 experts with arrivals scaled alike (the same workload
// per expert), every size in one run so that the ratios hold on a noisy
// machine. It reports events/s at each size, all arms together, and the
// per-event cost at each size relative to 60 experts for the baseline ACD
// arms (acd-cost-N) and for the shadowq arm, which runs the engine
// (sq-cost-N): 1 is a per-event cost independent of org size, the target
// is at most 2 at 10,000. The same ratios from the simulating thread's CPU
// time (acd-cpu-N, sq-cpu-N) hold on a machine other processes load,
// where wall-time ratios swing with the contention. One op runs every
// size once.
func BenchmarkScale(b *testing.B) {
	sizes := []int{60, 600, 6000, 10000}
	reps := map[int]int{60: 30, 600: 3, 6000: 1, 10000: 1} // events of the same order per size
	acd := make(map[int]armCost)
	sq := make(map[int]armCost)
	for b.Loop() {
		for _, n := range sizes {
			a, s := benchScale(b, n, reps[n])
			acd[n] = acd[n].add(a)
			sq[n] = sq[n].add(s)
		}
	}
	for _, n := range sizes {
		all := acd[n].add(sq[n])
		b.ReportMetric(all.rate(), fmt.Sprintf("events/s@%d", n))
		if all.cpu > 0 {
			b.ReportMetric(all.cpuRate(), fmt.Sprintf("cpu-events/s@%d", n))
		}
		b.ReportMetric(float64(all.events)/float64(b.N*reps[n]), fmt.Sprintf("events/rep@%d", n))
		if n != sizes[0] {
			b.ReportMetric(acd[sizes[0]].rate()/acd[n].rate(), fmt.Sprintf("acd-cost-%d", n))
			b.ReportMetric(sq[sizes[0]].rate()/sq[n].rate(), fmt.Sprintf("sq-cost-%d", n))
			if sq[n].cpu > 0 {
				b.ReportMetric(acd[sizes[0]].cpuRate()/acd[n].cpuRate(), fmt.Sprintf("acd-cpu-%d", n))
				b.ReportMetric(sq[sizes[0]].cpuRate()/sq[n].cpuRate(), fmt.Sprintf("sq-cpu-%d", n))
			}
		}
	}
}
