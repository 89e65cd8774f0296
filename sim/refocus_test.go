package sim

import (
	"math"
	"testing"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// refocusDay: one Available expert who loses 10 minutes after every
// accepted delivery, and a baseline that routes to Available too, so both
// arms route every escalation the same way.
const refocusDay = `
run: {horizon: 8h, replications: 20}
presences:
  available: {id: 6a3af858-942f-489d-9700-5f9bcdcdae9b, system: AVAILABLE, refocus: {dist: fixed, value: 10m}}
  meeting-p1: {id: 3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01, system: MEETING}
experts:
  - {id: a, skills: {db: 3}}
deliveries:
  responseTime: {dist: fixed, value: 0s}
  default: {accept: 1}
  handleTime: {dist: fixed, value: 5m}
escalations: {perHour: 2, skills: {db: 1}}
baseline: {onQueue: [available]}
`

// Refocus costs the same in every arm, is neither handling nor available
// time, and productive utilization nets it out of utilization.
func TestRefocus(t *testing.T) {
	sc := parse(t, refocusDay)
	routedBy := map[string]float64{}
	res, _, err := Run(sc, Options{Records: func(r reports.Record) error {
		if r.Outcome == "routed" {
			routedBy[r.Policy] += 1.0 / float64(sc.Run.Replications)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Policies {
		ref := metric(t, p.Metrics, reports.MRefocus)
		routed := routedBy[p.Name]
		if math.Abs(ref.Mean-10*routed) > 1e-6 {
			t.Errorf("%s: %.2f refocus minutes for %.2f routed escalations; want 10 each", p.Name, ref.Mean, routed)
		}
		u, pu := metric(t, p.Metrics, reports.MUtilization).Mean, metric(t, p.Metrics, reports.MProductive).Mean
		// Staffed 8h = 480 min; refocus near the horizon is partly outside.
		if want := u - ref.Mean/480; pu > u || math.Abs(pu-want) > 0.02 {
			t.Errorf("%s: productive %.4f, utilization %.4f, refocus share %.4f", p.Name, pu, u, ref.Mean/480)
		}
	}
	if d := metric(t, res.DeltaFor(""), reports.MRefocus); d.Mean != 0 || d.Lo != 0 || d.Hi != 0 {
		t.Errorf("refocus delta %v [%v, %v]: arms that route alike must pay alike", d.Mean, d.Lo, d.Hi)
	}
	// Refocusing experts are not available: latency grows against a run
	// without refocus.
	plain := parse(t, refocusDay)
	p := plain.Presences["available"]
	p.Refocus = scenarios.Dist{}
	plain.Presences["available"] = p
	res2, _, err := Run(plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	with, without := metric(t, res.Policies[0].Metrics, reports.MWaitMean).Mean, metric(t, res2.Policies[0].Metrics, reports.MWaitMean).Mean
	if with <= without {
		t.Errorf("wait.mean %.1fs with refocus, %.1fs without: refocusing experts took work", with, without)
	}
	if u, pu := metric(t, res2.Policies[1].Metrics, reports.MUtilization), metric(t, res2.Policies[1].Metrics, reports.MProductive); u.Mean != pu.Mean || u.Lo != pu.Lo {
		t.Errorf("without refocus productive_utilization %+v differs from utilization %+v", pu, u)
	}
}

// An interrupted meeting costs its attendee the conversation's overlap with
// it: a P1 into an all-day interruptible meeting loses the handle time.
func TestMeetingMinutesLost(t *testing.T) {
	sc := parse(t, `
run: {horizon: 8h, replications: 5}
presences:
  available: {id: 6a3af858-942f-489d-9700-5f9bcdcdae9b, system: AVAILABLE}
  meeting-p1: {id: 3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01, system: MEETING}
experts:
  - id: a
    skills: {db: 3}
    fixedMeetings: [{start: 0s, end: 8h, presence: meeting-p1}]
deliveries:
  responseTime: {dist: fixed, value: 0s}
  default: {accept: 1}
  handleTime: {dist: fixed, value: 5m}
escalations: {perHour: 1, skills: {db: 1}, priorities: {P1: 1}}
policy: ../scenarios/policy.yaml
`)
	res, _, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sq := res.Policies[1].Metrics
	lost, routed := metric(t, sq, reports.MMeetingLost).Mean, metric(t, sq, reports.MRouted).Mean*metric(t, sq, reports.MEscalations).Mean
	if routed == 0 || math.Abs(lost-5*routed) > 5 { // the last call may overrun the meeting's end
		t.Errorf("shadowq: %.1f meeting minutes lost for %.1f interrupting calls of 5m", lost, routed)
	}
	if b := metric(t, res.Policies[0].Metrics, reports.MMeetingLost).Mean; b != 0 {
		t.Errorf("baseline never interrupts meetings, lost %.1f", b)
	}
}

// Economics price an arm's day: with only expert time priced at 60 an
// hour, a day costs its refocus minutes; shadowq's own cost lowers its net
// value by exactly that amount.
func TestEconomics(t *testing.T) {
	sc := parse(t, refocusDay+"economics: {currency: USD, expertCostPerHour: 60, shadowqCostPerDay: 100}\n")
	res, _, err := Run(sc, Options{Replications: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Currency != "USD" {
		t.Errorf("currency %q", res.Currency)
	}
	for _, p := range res.Policies {
		cost, ref := metric(t, p.Metrics, reports.MCost).Mean, metric(t, p.Metrics, reports.MRefocus).Mean
		if p.Name == reports.Shadowq {
			cost -= 100
		}
		if math.Abs(cost-ref) > 1e-9 {
			t.Errorf("%s: cost %.3f for %.3f refocus minutes at 1 a minute", p.Name, cost, ref)
		}
	}
	nv := metric(t, res.DeltaFor(""), reports.MNetValue)
	if math.Abs(nv.Mean+100) > 1e-9 || nv.N != 10 {
		t.Errorf("net value %+v: the arms route alike, so shadowq's 100 a day is the whole difference", nv)
	}
	// Without economics, no money metric at all.
	plain, _, err := Run(parse(t, refocusDay), Options{Replications: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range plain.Policies[0].Metrics {
		if m.Name == reports.MCost {
			t.Error("cost_per_day without economics")
		}
	}
}
