package reports

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// NewCDFAt, given the sorted samples at CDFRanks only, builds exactly the
// CDF NewCDF builds from all of them, for sizes around the quantile grid's
// edges, with ties.
func TestNewCDFAtMatchesNewCDF(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 99, 100, 101, 102, 1000, 12345} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = r.ExpFloat64() * 60
			if i%7 == 0 {
				xs[i] = 5 // ties
			}
		}
		want := NewCDF("p", xs)
		sorted := slices.Sorted(slices.Values(xs))
		ranks := CDFRanks(n)
		if len(ranks) > 2*(cdfSteps+1) {
			t.Fatalf("n=%d: %d ranks, want at most %d", n, len(ranks), 2*(cdfSteps+1))
		}
		var vals []float64
		for _, k := range ranks {
			vals = append(vals, sorted[k])
		}
		if got := NewCDFAt("p", n, vals); !reflect.DeepEqual(got, want) {
			t.Fatalf("n=%d: NewCDFAt = %+v, want %+v", n, got, want)
		}
	}
}
