package sim

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// twoExperts is the repro: two identical On Queue experts, one
// skill, no patience, a 2 h day at ρ ≈ 0.9, so the queue is long when the
// arrivals stop. Both arms route the same way.
const twoExperts = `
seed: 3
run: {horizon: 2h, replications: 200}
presences:
  on-queue: {id: e08eaf1b-ee47-4fa9-a231-1200e284798f, system: ON_QUEUE}
experts:
  - {group: agent, count: 2, skills: {support: 3}, workPresence: on-queue}
deliveries:
  responseTime: {dist: fixed, value: 0s}
  default: {accept: 1}
  handleTime: {dist: exponential, mean: 10m}
escalations:
  perHour: 11
  skills: {support: 1}
`

func parse(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("inline.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Every arm stops at the same instant; whoever is still waiting is
// unfinished, never abandoned, and with no patience nobody abandons.
func TestOneRunEndForEveryArm(t *testing.T) {
	sc := parse(t, twoExperts)
	res, _, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Policies {
		if m := metric(t, p.Metrics, reports.MAbandonment); m.Mean != 0 || m.Hi != 0 {
			t.Errorf("%s: abandonment %v [%v, %v] with no patience; want exactly 0", p.Name, m.Mean, m.Lo, m.Hi)
		}
		if m := metric(t, p.Metrics, reports.MUnfinished); m.Mean <= 0 {
			t.Errorf("%s: unfinished_rate %v; a queue this long must leave some unfinished at 2h", p.Name, m.Mean)
		}
	}
	d := metric(t, res.DeltaFor(""), reports.MWaitMean)
	if d.Lo > 0 || d.Hi < 0 {
		t.Errorf("wait.mean delta %+.1fs [%+.1f, %+.1f]: arms that route alike must not differ", d.Mean, d.Lo, d.Hi)
	}
}

// Waits of unfinished escalations are censored at horizon + drain, the
// same instant in every arm, and a longer drain finishes more of them.
func TestUnfinishedCensoredAtRunEnd(t *testing.T) {
	sc := parse(t, twoExperts)
	for _, drain := range []time.Duration{0, 30 * time.Minute} {
		sc.Run.Drain = drain
		var recs []reports.Record
		_, _, err := Run(sc, Options{Replications: 5, Records: func(r reports.Record) error { recs = append(recs, r); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		end := (sc.Run.Horizon + drain).Seconds()
		n := 0
		for _, r := range recs {
			if r.Outcome != "unfinished" {
				continue
			}
			n++
			if got := r.ArrivalS + r.LatencyS; got != end {
				t.Fatalf("drain %v: %s (%s) censored at %.3fs, want %.3fs", drain, r.ID, r.Policy, got, end)
			}
		}
		if n == 0 {
			t.Errorf("drain %v: no unfinished escalation to check", drain)
		}
	}
}

// Cherry-picker hides draw their lengths from the shared schedule: the
// k-th hide of an expert has the same length whichever arm asks first.
func TestHideLengthsShared(t *testing.T) {
	sc := load(t, "cherry-pickers.yaml")
	a := makeSchedule(sc, NewStreams(5).Replication(1))
	b := makeSchedule(sc, NewStreams(5).Replication(1))
	for k := 5; k >= 0; k-- { // b asks in the opposite order
		b.hideLength(0, k)
	}
	for k := range 6 {
		if x, y := a.hideLength(0, k), b.hideLength(0, k); x != y {
			t.Fatalf("hide %d: %v vs %v", k, x, y)
		}
	}
	if a.hideLength(0, 0) == a.hideLength(0, 1) && a.hideLength(0, 1) == a.hideLength(0, 2) {
		t.Error("hide lengths do not vary")
	}
}

// Delivery attempts past maxDraws get fresh dice rather than repeating
// attempt k−8's, and the same ones every time they are asked for.
func TestDeliveryDrawsDoNotRepeat(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	s := makeSchedule(sc, NewStreams(9).Replication(0))
	a := &s.arrivals[0]
	seen := map[float64]int{}
	for k := 1; k <= 3*maxDraws; k++ {
		_, u := s.draw(a, k)
		if j, dup := seen[u]; dup {
			t.Fatalf("attempt %d repeats attempt %d's draw %v", k, j, u)
		}
		seen[u] = k
	}
	t2 := makeSchedule(sc, NewStreams(9).Replication(0))
	r1, u1 := s.draw(a, 2*maxDraws)
	r2, u2 := t2.draw(&t2.arrivals[0], 2*maxDraws)
	if r1 != r2 || u1 != u2 {
		t.Errorf("attempt %d: (%v, %v) then (%v, %v)", 2*maxDraws, r1, u1, r2, u2)
	}
}

// Each baseline runs its own agent selection: best-skill gives every
// escalation to the stronger of two idle experts, longest-idle spreads
// them; both arms see the same arrivals (common random numbers).
func TestBaselineSelection(t *testing.T) {
	sc := parse(t, `
run: {horizon: 8h, replications: 1}
presences:
  on-queue: {id: e08eaf1b-ee47-4fa9-a231-1200e284798f, system: ON_QUEUE}
experts:
  - {id: strong, skills: {db: 5}, workPresence: on-queue}
  - {id: weak, skills: {db: 1}, workPresence: on-queue}
deliveries:
  responseTime: {dist: fixed, value: 0s}
  default: {accept: 1}
  handleTime: {dist: fixed, value: 1m}
escalations: {perHour: 4, skills: {db: 1}}
baselines:
  - {name: idle}
  - {name: skill, select: best-skill}
`)
	got := map[string]map[string]int{}
	arrivals := map[string][]string{}
	_, _, err := Run(sc, Options{Records: func(r reports.Record) error {
		if got[r.Policy] == nil {
			got[r.Policy] = map[string]int{}
		}
		got[r.Policy][r.Expert]++
		arrivals[r.Policy] = append(arrivals[r.Policy], r.ID)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got["skill"]["weak"]*5 > got["skill"]["strong"] { // weak only when strong is busy
		t.Errorf("best-skill: %v; want nearly everything on strong", got["skill"])
	}
	if got["idle"]["weak"] < 5 || got["idle"]["strong"] < 5 {
		t.Errorf("longest-idle: %v; want both used", got["idle"])
	}
	if len(arrivals["idle"]) != len(arrivals["skill"]) || len(arrivals["shadowq"]) != len(arrivals["idle"]) {
		t.Errorf("arms saw different arrivals: %d, %d, %d", len(arrivals["idle"]), len(arrivals["skill"]), len(arrivals["shadowq"]))
	}
}
