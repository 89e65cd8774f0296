package sim

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// TestPrefetchChangesNothing runs the shadowq arm with prefetching forced
// on and forced off and requires the same replication: prefetching may
// only hint the CPU, never read or change what the simulation sees. It
// runs every shipped scenario (well under prefetchMin experts, so off is
// their default and on is forced) and the tier-3 day scaled to 2,100
// experts, above prefetchMin, where it is on by default: the only size
// at which the prefetching paths run otherwise, and which no shipped
// scenario or golden check reaches.
func TestPrefetchChangesNothing(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	type named struct {
		name string
		sc   *scenarios.Scenario
	}
	var scs []named
	for _, f := range files {
		if filepath.Base(f) == "policy.yaml" { // the serve policy, not a scenario
			continue
		}
		sc, err := scenarios.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		scs = append(scs, named{filepath.Base(f), sc})
	}
	scs = append(scs, named{"tier3-meetings at 2,100 experts", scaledTier3(t, 2100)})
	defer func(m int) { prefetchMin = m }(prefetchMin)
	run := func(sc *scenarios.Scenario, min int) string {
		prefetchMin = min
		sch := makeSchedule(sc, NewStreams(sc.Seed).Replication(0))
		a := arms(sc)
		sq := a[len(a)-1]
		if sq.name != reports.Shadowq {
			t.Fatalf("last arm is %q, want shadowq", sq.name)
		}
		r, err := runPolicy(sc, sch, sq, 0, time.Minute, true)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(r.events, r.vals, r.latencies, r.util, r.interrupts, r.records, r.violations, r.timeline)
	}
	for _, n := range scs {
		on, off := run(n.sc, 0), run(n.sc, math.MaxInt)
		if on != off {
			t.Errorf("%s: prefetching changed the replication (%d vs %d bytes of output)", n.name, len(on), len(off))
		}
	}
}
