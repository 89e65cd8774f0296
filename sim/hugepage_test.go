package sim

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/scenarios"
)

// A run of an organisation of hugePageMin experts or more advises huge
// pages before it builds its world and after (the mappings the build
// added); a smaller one never does. What the advice does is
// internal/hugepage's test; that it changes no result is
// TestPrefetchChangesNothing's 2,100-expert run (above hugePageMin) and
// the golden check.
func TestHugePagesFromMin(t *testing.T) {
	sc, err := scenarios.Load("../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	defer func(f func(), m int) { adviseHugePages, hugePageMin = f, m }(adviseHugePages, hugePageMin)
	adviseHugePages = func() { calls++ }
	sch := makeSchedule(sc, NewStreams(sc.Seed).Replication(0))
	for _, c := range []struct {
		min, want int
	}{
		{len(sc.Experts) + 1, 0},
		{len(sc.Experts), 2},
		{1, 2},
	} {
		hugePageMin = c.min
		for _, a := range arms(sc) {
			calls = 0
			if _, err := runPolicy(sc, sch, a, 0, time.Minute, false); err != nil {
				t.Fatal(err)
			}
			if calls != c.want {
				t.Errorf("%d experts, hugePageMin %d, arm %s: %d advice calls, want %d", len(sc.Experts), c.min, a.name, calls, c.want)
			}
		}
	}
}
