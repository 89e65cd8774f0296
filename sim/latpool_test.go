package sim

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/shadowq/shadowq/reports"
)

// The pooled CDF from sorted runs, in memory or spilled to a file at any
// point, is the CDF of all the latencies sorted in memory.
func TestLatencyPoolExact(t *testing.T) {
	r := NewStreams(5).Stream("latpool")
	var runs [][]float64
	var all []float64
	for i := range 57 {
		run := make([]float64, r.IntN(300)*(i%3)) // some runs empty
		for j := range run {
			run[j] = float64(r.IntN(5000)) / 10 // ties across runs
		}
		slices.Sort(run)
		runs = append(runs, run)
		all = append(all, run...)
	}
	want := reports.NewCDF("a", all)
	for _, limit := range []int{0, 1000, 5000, 1 << 30} {
		p := newLatencyPool(2, limit)
		for _, run := range runs {
			if err := p.add(1, slices.Clone(run)); err != nil {
				t.Fatal(err)
			}
		}
		got, n, err := p.cdf(1, "a")
		if err != nil {
			t.Fatal(err)
		}
		if n != len(all) || !reflect.DeepEqual(got, want) {
			t.Fatalf("limit %d: %d latencies, CDF %v; want %d, %v", limit, n, got.S[:5], len(all), want.S[:5])
		}
		empty, n0, err := p.cdf(0, "b")
		if err != nil || n0 != 0 || len(empty.S) != 0 {
			t.Fatalf("limit %d: empty arm: %v, %d, %v", limit, empty, n0, err)
		}
		spilled := p.f != nil
		p.close()
		if spilled != (limit < len(all)) {
			t.Fatalf("limit %d with %d latencies: spilled %v", limit, len(all), spilled)
		}
	}
}

// A run whose latencies spill to disk gives the bytes of one that keeps
// them in memory.
func TestSpilledRunSameBytes(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	mem, _, err := Run(sc, Options{Replications: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer func(v int) { latencySpill = v }(latencySpill)
	latencySpill = 0
	disk, _, err := Run(sc, Options{Replications: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonOf(t, mem), jsonOf(t, disk)) {
		t.Fatal("results differ when latencies spill to disk")
	}
}
