package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func first(r *rand.Rand, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.Uint64()
	}
	return out
}

// The derivation is part of the reproducibility contract: a seed logged
// today must replay the same run after any refactoring. If this test fails,
// the change broke every recorded seed; only update the values on purpose.
func TestStreamsGolden(t *testing.T) {
	tests := []struct {
		name string
		r    *rand.Rand
		want []uint64
	}{
		{"seed 42 arrivals", NewStreams(42).Stream("arrivals"), []uint64{0x88aefa26e53f3ae6, 0xdbddf7ce9d20cfc5, 0x8e75765decd17600}},
		{"seed 42 replication 3 handle", NewStreams(42).Replication(3).Stream("handle"), []uint64{0x5823e95744a36bf, 0xfb80c8b700e9d6e5, 0x991a94b696718337}},
	}
	for _, tt := range tests {
		if got := first(tt.r, 3); !slices.Equal(got, tt.want) {
			t.Errorf("%s: first values %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

func TestStreamsReproducible(t *testing.T) {
	for _, name := range []string{"", "arrivals", "handle", "presence/expert-17", strings.Repeat("x", 1000)} {
		a := first(NewStreams(7).Stream(name), 100)
		s := NewStreams(7)
		s.Stream("something else") // unrelated streams do not matter
		b := first(s.Stream(name), 100)
		c := first(s.Stream(name), 100) // each call restarts the stream
		if !slices.Equal(a, b) || !slices.Equal(a, c) {
			t.Errorf("Stream(%.20q) of seed 7 not reproducible", name)
		}
		if s.Seed() != 7 {
			t.Errorf("Seed() = %d, want 7", s.Seed())
		}
	}
}

func TestStreamsDiffer(t *testing.T) {
	// Near-identical names and seeds must give unrelated streams.
	type key struct {
		seed uint64
		name string
	}
	keys := []key{
		{1, "arrivals"}, {1, "arrival"}, {1, "Arrivals"}, {1, "handle"}, {1, ""},
		{1, "presence/expert-1"}, {1, "presence/expert-17"}, {1, "presence/expert-71"},
		{2, "arrivals"}, {0, "arrivals"}, {1 << 63, "arrivals"},
	}
	seen := map[uint64]key{}
	for _, k := range keys {
		for i, v := range first(NewStreams(k.seed).Stream(k.name), 100) {
			if prev, dup := seen[v]; dup {
				t.Fatalf("stream %+v value %d = %#x also appears in stream %+v", k, i, v, prev)
			}
			seen[v] = k
		}
	}
}

func TestStreamsCreationOrderIrrelevant(t *testing.T) {
	names := []string{"arrivals", "handle", "presence/expert-17", "decline"}
	fwd, rev := NewStreams(99), NewStreams(99)
	got := map[string][]uint64{}
	for _, n := range names {
		got[n] = first(fwd.Stream(n), 100)
	}
	// Reverse order, interleaved draws.
	rs := map[string]*rand.Rand{}
	for _, n := range slices.Backward(names) {
		rs[n] = rev.Stream(n)
	}
	for i := range 100 {
		for _, n := range slices.Backward(names) {
			if v := rs[n].Uint64(); v != got[n][i] {
				t.Fatalf("stream %q value %d = %#x in reverse order, %#x in forward order", n, i, v, got[n][i])
			}
		}
	}
}

func TestReplication(t *testing.T) {
	s := NewStreams(2025)
	// Reproducible and independent of which other replications exist.
	if a, b := first(s.Replication(5).Stream("arrivals"), 100), first(NewStreams(2025).Replication(5).Stream("arrivals"), 100); !slices.Equal(a, b) {
		t.Errorf("Replication(5) not reproducible")
	}
	// Every replication differs from the others and from the parent.
	seen := map[uint64]string{}
	add := func(label string, r *rand.Rand) {
		for i, v := range first(r, 50) {
			if prev, dup := seen[v]; dup {
				t.Fatalf("%s value %d = %#x also appears in %s", label, i, v, prev)
			}
			seen[v] = label
		}
	}
	add("parent", s.Stream("arrivals"))
	for _, i := range []int{0, 1, 2, 3, 100, -1, math.MaxInt} {
		add(fmt.Sprintf("replication %d", i), s.Replication(i).Stream("arrivals"))
		add(fmt.Sprintf("other seed replication %d", i), NewStreams(2026).Replication(i).Stream("arrivals"))
	}
	// Neighbouring replications are uncorrelated (fixed seed: deterministic).
	r0, r1 := s.Replication(0).Stream("handle"), s.Replication(1).Stream("handle")
	const n = 100000
	var sx, sy, sxy, sxx, syy float64
	for range n {
		x, y := r0.Float64(), r1.Float64()
		sx, sy, sxy, sxx, syy = sx+x, sy+y, sxy+x*y, sxx+x*x, syy+y*y
	}
	corr := (n*sxy - sx*sy) / math.Sqrt((n*sxx-sx*sx)*(n*syy-sy*sy))
	if math.Abs(corr) > 0.01 {
		t.Errorf("replications 0 and 1 correlate: r = %.4f", corr)
	}
}

func TestExpMean(t *testing.T) {
	tests := []struct {
		name string
		mean time.Duration
	}{
		{"handle time", 7 * time.Minute},
		{"alert", 8 * time.Second},
		{"sub-microsecond", 300 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewStreams(1).Stream("exp/" + tt.name)
			const n = 200000
			var sum float64
			for range n {
				d := Exp(r, tt.mean)
				if d < 0 {
					t.Fatalf("Exp returned negative %v", d)
				}
				sum += float64(d)
			}
			if got := sum / n; math.Abs(got/float64(tt.mean)-1) > 0.02 {
				t.Errorf("mean of %d draws = %v, want %v ± 2%%", n, time.Duration(got), tt.mean)
			}
		})
	}
	if d := Exp(NewStreams(1).Stream("x"), 0); d != 0 {
		t.Errorf("Exp(mean 0) = %v, want 0", d)
	}
}

func TestLogNormalMedian(t *testing.T) {
	r := NewStreams(1).Stream("lognormal")
	const n = 200001
	const median = 90 * time.Second
	ds := make([]time.Duration, n)
	var sumLog, sumLog2 float64
	for i := range ds {
		ds[i] = LogNormal(r, median, 0.8)
		l := math.Log(float64(ds[i]))
		sumLog, sumLog2 = sumLog+l, sumLog2+l*l
	}
	slices.Sort(ds)
	if got := ds[n/2]; math.Abs(float64(got)/float64(median)-1) > 0.02 {
		t.Errorf("median of %d draws = %v, want %v ± 2%%", n, got, median)
	}
	mu := sumLog / n
	if sd := math.Sqrt(sumLog2/n - mu*mu); math.Abs(sd-0.8) > 0.02 {
		t.Errorf("sd of ln(draws) = %.3f, want 0.8 ± 0.02", sd)
	}
	if d := LogNormal(r, median, 0); d != median {
		t.Errorf("LogNormal(sigma 0) = %v, want the median %v", d, median)
	}
}

func TestBernoulli(t *testing.T) {
	tests := []struct {
		p      float64
		lo, hi int // accepted count of trues out of 100000
	}{
		{0, 0, 0},
		{-1, 0, 0},
		{0.001, 70, 130},
		{0.3, 29500, 30500},
		{0.5, 49500, 50500},
		{1, 100000, 100000},
		{2, 100000, 100000},
	}
	for _, tt := range tests {
		r := NewStreams(3).Stream("bernoulli")
		n := 0
		for range 100000 {
			if Bernoulli(r, tt.p) {
				n++
			}
		}
		if n < tt.lo || n > tt.hi {
			t.Errorf("Bernoulli(p=%v): %d trues in 100000, want %d..%d", tt.p, n, tt.lo, tt.hi)
		}
	}
}

// Every helper except the rejection samplers consumes one value whatever
// its parameters, so runs differing only in a probability or a weight keep
// the rest of the stream aligned (common random numbers).
func TestHelpersConsumeFixedDraws(t *testing.T) {
	draws := []struct {
		name string
		draw func(r *rand.Rand, variant int)
	}{
		{"Bernoulli", func(r *rand.Rand, v int) { Bernoulli(r, []float64{0, 0.5, 1}[v]) }},
		{"Choose", func(r *rand.Rand, v int) { Choose(r, [][]float64{{1}, {0, 0, 5}, {1, 2, 3, 4}}[v]) }},
	}
	for _, d := range draws {
		var next []uint64
		for v := range 3 {
			r := NewStreams(4).Stream("aligned")
			for range 10 {
				d.draw(r, v)
			}
			next = append(next, r.Uint64())
		}
		if next[0] != next[1] || next[1] != next[2] {
			t.Errorf("%s: stream position depends on parameters: next values %#x", d.name, next)
		}
	}
}

func TestChooseFrequencies(t *testing.T) {
	tests := []struct {
		name    string
		weights []float64
	}{
		{"unnormalised", []float64{1, 2, 3, 0, 4}},
		{"probabilities", []float64{0.7, 0.2, 0.1}},
		{"one", []float64{42}},
		{"zeros around", []float64{0, 0, 1e-9, 0}},
		{"skewed", []float64{1000, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewStreams(5).Stream("choose/" + tt.name)
			const n = 200000
			counts := make([]int, len(tt.weights))
			for range n {
				counts[Choose(r, tt.weights)]++
			}
			var total float64
			for _, w := range tt.weights {
				total += w
			}
			for i, w := range tt.weights {
				p := w / total
				got := float64(counts[i]) / n
				// 5 standard errors, plus a floor for tiny p.
				if tol := 5*math.Sqrt(p*(1-p)/n) + 1e-9; math.Abs(got-p) > tol {
					t.Errorf("index %d (weight %v): frequency %.4f, want %.4f ± %.4f", i, w, got, p, tol)
				}
				if w == 0 && counts[i] != 0 {
					t.Errorf("index %d has weight 0 but was chosen %d times", i, counts[i])
				}
			}
		})
	}
}

func TestHelperPanics(t *testing.T) {
	r := NewStreams(6).Stream("panics")
	tests := []struct {
		name string
		do   func()
		want string
	}{
		{"Exp negative mean", func() { Exp(r, -time.Second) }, "negative mean"},
		{"LogNormal negative median", func() { LogNormal(r, -time.Second, 1) }, "non-negative"},
		{"LogNormal negative sigma", func() { LogNormal(r, time.Second, -1) }, "non-negative"},
		{"LogNormal NaN sigma", func() { LogNormal(r, time.Second, math.NaN()) }, "non-negative"},
		{"Bernoulli NaN", func() { Bernoulli(r, math.NaN()) }, "NaN"},
		{"Choose empty", func() { Choose(r, nil) }, "no positive weight"},
		{"Choose all zero", func() { Choose(r, []float64{0, 0}) }, "no positive weight"},
		{"Choose negative", func() { Choose(r, []float64{1, -1}) }, "weights[1] = -1"},
		{"Choose NaN", func() { Choose(r, []float64{math.NaN()}) }, "weights[0] = NaN"},
		{"Choose +Inf", func() { Choose(r, []float64{math.Inf(1)}) }, "weights[0] = +Inf"},
		{"Choose sum overflows", func() { Choose(r, []float64{math.MaxFloat64, math.MaxFloat64}) }, "sum to +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
					}
				}()
				tt.do()
				return ""
			}()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q, want one containing %q", msg, tt.want)
			}
		})
	}
}

// Same seed, same bytes: a fixed mix of helper draws hashes to a pinned
// value, so any change to a helper's arithmetic (rounding, saturation,
// draw order) shows up here.
func TestHelpersGolden(t *testing.T) {
	r := NewStreams(8).Stream("golden")
	h := fnv.New64a()
	for range 1000 {
		fmt.Fprint(h, Exp(r, time.Minute), LogNormal(r, 30*time.Second, 1.2), Bernoulli(r, 0.25), Choose(r, []float64{3, 1, 0, 2}), ";")
	}
	if got, want := h.Sum64(), uint64(goldenHelpers); got != want {
		t.Errorf("helper draws hash to %#x, want %#x", got, want)
	}
}

const goldenHelpers = 0x64fb95d3a455af12
