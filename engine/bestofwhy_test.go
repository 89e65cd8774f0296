package engine

import (
	"fmt"
	"math"
	"testing"
)

// bestOfWhy says what fmt.Sprintf said, rounding and odd values included.
func TestBestOfWhyIsSprintf(t *testing.T) {
	scores := []float64{0, math.Copysign(0, -1), 1, 0.0005, 0.0015, 0.9995, 2.5e-4, 1.23456789, -3.14159,
		1e21, -1e-9, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64}
	for _, n := range []int{0, 1, 16, 1234567, -1} {
		for _, s := range scores {
			want := fmt.Sprintf("best of %d eligible (score %.3f)", n, s)
			if got := bestOfWhy(n, s); got != want {
				t.Errorf("bestOfWhy(%d, %v) = %q, want %q", n, s, got, want)
			}
		}
	}
}
