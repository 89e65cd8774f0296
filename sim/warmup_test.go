package sim

import (
	"strings"
	"testing"
	"time"
)

// MSER truncates a transient and keeps a stationary series whole.
func TestMSER(t *testing.T) {
	flat := make([]float64, 100)
	ramp := make([]float64, 100)
	for i := range flat {
		flat[i] = float64(i % 3) // noise around a constant
		ramp[i] = flat[i]
		if i < 20 {
			ramp[i] = 10 - float64(i)/2 + flat[i] // starts high, settles by 20
		}
	}
	if d := mser(flat); d > 3 {
		t.Errorf("stationary series truncated at %d", d)
	}
	if d := mser(ramp); d < 15 || d > 25 {
		t.Errorf("transient of 20 truncated at %d", d)
	}
}

// mmc9 is M/M/10 at ρ = 0.9 starting empty: the queue takes hours to fill.
const mmc9 = `
run: {horizon: 24h, replications: 20}
presences:
  on-queue: {id: e08eaf1b-ee47-4fa9-a231-1200e284798f, system: ON_QUEUE}
experts:
  - {group: agent, count: 10, skills: {support: 3}, workPresence: on-queue}
deliveries:
  responseTime: {dist: fixed, value: 0s}
  default: {accept: 1}
  handleTime: {dist: exponential, mean: 10m}
escalations: {perHour: 54, skills: {support: 1}}
`

// Without a warm-up at ρ ≈ 0.9 the check warns and names a warm-up; with
// that warm-up it does not.
func TestWarmupCheck(t *testing.T) {
	sc := parse(t, mmc9)
	res, _, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.WarmupCheck
	if c == nil || c.Warning == "" || c.SuggestedS < 3600 || !strings.Contains(c.Warning, "set run.warmup to at least") {
		t.Fatalf("no warning without warm-up: %+v", c)
	}
	sc.Run.Warmup = time.Duration(c.SuggestedS) * time.Second
	res, _, err = Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c2 := res.WarmupCheck; c2.Warning != "" || c2.ChosenS != c.SuggestedS {
		t.Errorf("warning with the suggested warm-up: %+v", c2)
	}
}
