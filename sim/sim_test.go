package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

func load(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("../scenarios/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func metric(t *testing.T, ms []reports.Metric, name string) reports.Metric {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no metric %q", name)
	return reports.Metric{}
}

func jsonOf(t *testing.T, r *reports.Results) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// One seed gives byte-identical results, whatever the number of workers.
func TestSameSeedSameBytes(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	var outs [][]byte
	for _, workers := range []int{1, 4, 1} {
		res, _, err := Run(sc, Options{Replications: 6, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, jsonOf(t, res))
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
		t.Fatal("results differ between runs of the same seed")
	}
	seed := uint64(99)
	other, _, err := Run(sc, Options{Replications: 6, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(outs[0], jsonOf(t, other)) {
		t.Fatal("a different seed gave the same results")
	}
}

// The baseline ACD reproduces Erlang C and Erlang A: the analytic value
// lies inside the simulated 95% confidence interval.
func TestBaselineMatchesQueueingTheory(t *testing.T) {
	if testing.Short() {
		t.Skip("long simulation")
	}
	within := func(t *testing.T, m reports.Metric, want float64) {
		t.Helper()
		if want < m.Lo || want > m.Hi {
			t.Errorf("%s: analytic %.4f outside simulated 95%% CI [%.4f, %.4f] (mean %.4f)", m.Name, want, m.Lo, m.Hi, m.Mean)
		} else {
			t.Logf("%s: analytic %.4f, simulated %.4f [%.4f, %.4f]", m.Name, want, m.Mean, m.Lo, m.Hi)
		}
	}
	t.Run("ErlangC", func(t *testing.T) {
		sc := load(t, "erlang-c.yaml")
		res, _, err := Run(sc, Options{ServiceLevel: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		pw, w, sl := ErlangC(10, 50, 6, 1.0/60)
		base := res.Policies[0].Metrics
		within(t, metric(t, base, reports.MWaitProb), pw)
		within(t, metric(t, base, reports.MWaitMean), w*3600)
		within(t, metric(t, base, reports.MServiceLevel), sl)
		within(t, metric(t, base, reports.MUtilization), 50.0/6/10)
	})
	t.Run("ErlangA", func(t *testing.T) {
		sc := load(t, "erlang-a.yaml")
		res, _, err := Run(sc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		pw, pa, w, u := ErlangA(10, 50, 6, 12)
		base := res.Policies[0].Metrics
		within(t, metric(t, base, reports.MWaitProb), pw)
		within(t, metric(t, base, reports.MAbandonment), pa)
		within(t, metric(t, base, reports.MWaitMean), w*3600)
		within(t, metric(t, base, reports.MUtilization), u)
	})
}

// Every shipped scenario passes the invariant checkers, and shadowq never
// delivers into Do Not Disturb as it sees it.
func TestShippedScenariosKeepInvariants(t *testing.T) {
	for _, name := range []string{"tier3-meetings.yaml", "disconnect-storm.yaml", "cherry-pickers.yaml"} {
		t.Run(name, func(t *testing.T) {
			res, _, err := Run(load(t, name), Options{Replications: 4})
			if err != nil {
				t.Fatal(err)
			}
			if v := res.Invariants.Violations; len(v) > 0 {
				t.Fatalf("%d violations, first: %s", len(v), v[0])
			}
			if m := metric(t, res.Policies[1].Metrics, reports.MDNDInterrupts); m.Mean != 0 {
				t.Errorf("DND interruptions = %v", m.Mean)
			}
			if n := metric(t, res.Policies[1].Metrics, reports.MEscalations).Mean; n < 10 {
				t.Errorf("only %v escalations: scenario too small to say anything", n)
			}
		})
	}
}

// The invariant checker can fail: an engine whose policy lets it interrupt
// Do-Not-Disturb meetings is caught, with the seed to replay it.
func TestInvariantCheckerCatchesDNDDelivery(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	st := NewStreams(sc.Seed).Replication(0)
	sch := makeSchedule(sc, st)
	w := newWorld(sc, sch, &sc.Baselines[0])
	r, err := newShadowqRouter(w)
	if err != nil {
		t.Fatal(err)
	}
	w.r = r
	// Sabotage: the engine routes into every presence; the checker still
	// judges by the scenario's policy.
	bad := *sc.Policy
	bad.Presences = map[engine.PresenceDefID]engine.Rule{}
	bad.Systems = map[engine.SystemPresence]engine.Rule{}
	for s := engine.SysAvailable; s <= engine.SysBreak; s++ {
		bad.Systems[s] = engine.Rule{Action: engine.Route}
	}
	if err := r.eng.SetPolicy(&bad); err != nil {
		t.Fatal(err)
	}
	w.k.At(w.start, r.resync)
	w.scheduleAll()
	w.k.Run(w.at(sc.Run.Horizon))
	if w.dndInterrupts == 0 || len(w.violations) == 0 {
		t.Fatalf("sabotaged engine not caught: %d DND deliveries, %d violations", w.dndInterrupts, len(w.violations))
	}
	if !strings.Contains(w.violations[0], "which the policy forbids") {
		t.Errorf("violation text: %s", w.violations[0])
	}
}

// Notification outages make the cache stale: misroutes appear, and more
// frequent bulk resync reduces them.
func TestDisconnectsCauseStaleMisroutesThatResyncRepairs(t *testing.T) {
	sc := load(t, "disconnect-storm.yaml")
	stale := func(interval time.Duration) float64 {
		c := *sc
		c.Resync.Interval = interval
		res, _, err := Run(&c, Options{Replications: 8})
		if err != nil {
			t.Fatal(err)
		}
		return metric(t, res.Policies[1].Metrics, reports.MStaleMisroutes).Mean
	}
	slow, fast := stale(30*time.Minute), stale(15*time.Second)
	if slow <= 0 || fast >= slow {
		t.Fatalf("stale misroutes: resync 30m → %.2f, 15s → %.2f; want more with slow resync", slow, fast)
	}
	t.Logf("stale misroutes per day: resync 30m → %.2f, 15s → %.2f", slow, fast)
}

func TestCherryPickDetection(t *testing.T) {
	res, _, err := Run(load(t, "cherry-pickers.yaml"), Options{Replications: 6})
	if err != nil {
		t.Fatal(err)
	}
	cp := res.CherryPick
	if len(cp.Scripted) == 0 {
		t.Fatal("scenario scripts no cherry-pickers")
	}
	if cp.Precision < 0.8 || cp.Recall < 0.8 {
		t.Errorf("precision %.2f recall %.2f; flagged %v, scripted %v", cp.Precision, cp.Recall, cp.Flagged, cp.Scripted)
	}
}
