package notify

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

const sentinel1, sentinel2 = 100001, 100002

// faultRun publishes seqs 1..n with faults on, then two sentinels with
// faults off, and returns the seqs the client received before the second
// sentinel (a held-back event is written right after the first).
func faultRun(t *testing.T, faults Faults, n int) ([]int, Stats) {
	t.Helper()
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1.presence")
	f.hub.SetFaults(faults)
	for i := 1; i <= n; i++ {
		f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", i))
	}
	f.hub.SetFaults(Faults{})
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", sentinel1))
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", sentinel2))
	var got []int
	for {
		fr := next(t, ws)
		var p presence
		if err := json.Unmarshal(fr.EventBody, &p); err != nil {
			t.Fatal(err)
		}
		if p.Seq == sentinel2 {
			break
		}
		if p.Seq != sentinel1 {
			got = append(got, p.Seq)
		}
	}
	return got, f.hub.Stats()
}

func TestFaultDrop(t *testing.T) {
	got, st := faultRun(t, Faults{Drop: 0.3, Seed: 1}, 200)
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("Drop must not reorder or duplicate: %v", got)
	}
	if len(got) < 100 || len(got) > 180 {
		t.Errorf("Drop 0.3 delivered %d of 200", len(got))
	}
	if int(st.DroppedFault) != 200-len(got) {
		t.Errorf("DroppedFault = %d, want %d", st.DroppedFault, 200-len(got))
	}
}

func TestFaultDuplicate(t *testing.T) {
	got, st := faultRun(t, Faults{Duplicate: 0.3, Seed: 2}, 200)
	if !slices.IsSorted(got) {
		t.Errorf("Duplicate must not reorder: %v", got)
	}
	uniq := slices.Compact(slices.Clone(got))
	if len(uniq) != 200 {
		t.Errorf("Duplicate lost events: %d distinct of 200", len(uniq))
	}
	dups := len(got) - 200
	if dups < 20 || dups > 100 || int(st.Duplicated) != dups {
		t.Errorf("Duplicate 0.3: %d duplicates, Stats.Duplicated %d", dups, st.Duplicated)
	}
}

func TestFaultReorder(t *testing.T) {
	got, st := faultRun(t, Faults{Reorder: 0.3, Seed: 3}, 200)
	if len(got) != 200 {
		t.Fatalf("Reorder lost or duplicated events: %d of 200", len(got))
	}
	swaps := 0
	for i, seq := range got {
		if d := seq - (i + 1); d < -1 || d > 1 {
			t.Fatalf("event %d at position %d: a held event goes out right after the next one", seq, i)
		}
		if i > 0 && got[i-1] > seq {
			swaps++
		}
	}
	if swaps < 20 || st.Reordered < uint64(swaps) {
		t.Errorf("Reorder 0.3: %d swaps, Stats.Reordered %d", swaps, st.Reordered)
	}
	if sorted := slices.Sorted(slices.Values(got)); sorted[0] != 1 || sorted[199] != 200 {
		t.Errorf("not a permutation of 1..200")
	}
}

func TestFaultReorderFlushesAlone(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1.presence")
	f.hub.SetFaults(Faults{Reorder: 1, Seed: 1})
	start := time.Now()
	f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", 1))
	next(t, ws)
	if d := time.Since(start); d < reorderFlush/2 {
		t.Errorf("held event arrived after %v; it should wait about %v for a next event", d, reorderFlush)
	}
}

func TestFaultDelay(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1.presence")
	f.hub.SetFaults(Faults{Delay: 80 * time.Millisecond})
	start := time.Now()
	for i := 1; i <= 5; i++ {
		f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", i))
	}
	for i := 1; i <= 5; i++ {
		var p presence
		if err := json.Unmarshal(next(t, ws).EventBody, &p); err != nil {
			t.Fatal(err)
		}
		if p.Seq != i {
			t.Errorf("Delay reordered: got %d, want %d", p.Seq, i)
		}
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("5 delayed events arrived after %v, want >= 80ms", d)
	}
}

func TestFaultsSameSeedSameOutcome(t *testing.T) {
	faults := Faults{Drop: 0.2, Duplicate: 0.2, Reorder: 0.2, Seed: 99}
	a, _ := faultRun(t, faults, 300)
	b, _ := faultRun(t, faults, 300)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different deliveries:\n%v\n%v", a, b)
	}
	faults.Seed = 100
	c, _ := faultRun(t, faults, 300)
	if slices.Equal(a, c) {
		t.Errorf("different seeds gave identical deliveries")
	}
}
