package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestSortStaticsAgreesWithCompareSort checks the radix sort of the
// exogenous events against the comparison sort it replaced, on lists with
// many equal times (ties must keep seq order), times before the run's
// start, a month-wide range and lists under the radix threshold.
func TestSortStaticsAgreesWithCompareSort(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		span  time.Duration
		grain time.Duration // times are multiples of it: coarse grains make ties
		neg   bool
	}{
		{"small, below the radix threshold", 100, time.Hour, time.Minute, false},
		{"a day in nanoseconds", 5000, 24 * time.Hour, 1, false},
		{"a day in minutes: many ties", 20000, 24 * time.Hour, time.Minute, false},
		{"a month in seconds", 20000, 28 * 24 * time.Hour, time.Second, false},
		{"times before the start", 5000, 10 * time.Hour, time.Second, true},
		{"all at one time", 3000, 0, 1, false},
	}
	for ci, c := range cases {
		r := rand.New(rand.NewPCG(uint64(ci), 7))
		evs := make([]staticEv, c.n)
		for i := range evs {
			at := time.Duration(0)
			if c.span > 0 {
				at = time.Duration(r.Int64N(int64(c.span/c.grain))) * c.grain
			}
			if c.neg {
				at -= c.span / 2
			}
			evs[i] = staticEv{at: at, seq: uint32(i), kind: staticKind(r.IntN(6)), x: int32(r.IntN(100)), k: int32(i)}
		}
		want := slices.Clone(evs)
		slices.SortFunc(want, func(a, b staticEv) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
		sortStatics(evs)
		if !slices.Equal(evs, want) {
			for i := range evs {
				if evs[i] != want[i] {
					t.Fatalf("%s: position %d holds (at %v, seq %d), want (at %v, seq %d)", c.name, i, evs[i].at, evs[i].seq, want[i].at, want[i].seq)
				}
			}
		}
	}
}
