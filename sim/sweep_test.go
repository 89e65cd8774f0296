package sim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// A sweep's points do not depend on the number of workers, and the point
// at the scenario's own value is exactly the scenario's run (same seed,
// same streams: common random numbers across points too). More platform
// experts help today's roster.
func TestSweep(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	sw := []scenarios.Sweep{{Key: "experts[platform].count", Values: []float64{8, 16}}}
	opt := Options{Replications: 4, Workers: 1}
	a, _, err := Sweep(sc, sw, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Workers = 3
	b, _, err := Sweep(sc, sw, opt)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("sweep results depend on the number of workers")
	}
	if len(a.Points) != 2 || !reflect.DeepEqual(a.Keys, []string{"experts[platform].count"}) {
		t.Fatalf("points %d keys %v", len(a.Points), a.Keys)
	}
	base, _, err := Run(sc, Options{Replications: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Points[1].Policies, base.Policies) || !reflect.DeepEqual(a.Points[1].Deltas, base.Deltas) {
		t.Error("the point at the scenario's own value differs from the scenario's run")
	}
	sl8 := metric(t, a.Points[0].Policies[0].Metrics, reports.MServiceLevel).Mean
	sl16 := metric(t, a.Points[1].Policies[0].Metrics, reports.MServiceLevel).Mean
	if !(sl16 > sl8) {
		t.Errorf("today's service level with 16 platform experts %v, with 8 %v: want more with more", sl16, sl8)
	}
	// A grid: first key slowest.
	g, _, err := Sweep(sc, []scenarios.Sweep{sw[0], {Key: "escalations.perHour", Values: []float64{20, 30}}}, Options{Replications: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]float64
	for _, p := range g.Points {
		got = append(got, p.Values)
	}
	if !reflect.DeepEqual(got, [][]float64{{8, 20}, {8, 30}, {16, 20}, {16, 30}}) {
		t.Errorf("grid %v", got)
	}
}
