package reports

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// The t quantiles against a printed table (two-sided 95%).
func TestStudentsTQuantile(t *testing.T) {
	for _, tc := range []struct {
		nu   float64
		want float64
	}{
		{1, 12.706}, {2, 4.303}, {4, 2.776}, {9, 2.262}, {29, 2.045}, {120, 1.980},
	} {
		got := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: tc.nu}.Quantile(0.975)
		if !near(got, tc.want, 5e-4) {
			t.Errorf("t(0.975; %v) = %.4f, want %.3f", tc.nu, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want Metric // compared to 1e-6
	}{
		// 1..5: mean 3, SD √2.5 = 1.581139, half = 2.776445·1.581139/√5 = 1.963243.
		{"five", []float64{1, 2, 3, 4, 5}, Metric{Mean: 3, SD: 1.581139, Lo: 1.036757, Hi: 4.963243, N: 5}},
		// NaN is a missing replication: same as 1..5.
		{"nan skipped", []float64{1, math.NaN(), 2, 3, 4, math.NaN(), 5}, Metric{Mean: 3, SD: 1.581139, Lo: 1.036757, Hi: 4.963243, N: 5}},
		// Two values: t(0.975; 1) = 12.706205, SD = √2·0.5 = 0.707107, half = 12.706205·0.5 = 6.353102.
		{"two", []float64{10, 11}, Metric{Mean: 10.5, SD: 0.707107, Lo: 4.146898, Hi: 16.853102, N: 2}},
		// One value: no spread, the interval collapses.
		{"one", []float64{math.NaN(), 7.5}, Metric{Mean: 7.5, Lo: 7.5, Hi: 7.5, N: 1}},
		// Nothing: all zero, N tells.
		{"none", []float64{math.NaN()}, Metric{}},
		{"nil", nil, Metric{}},
		// Constant values: SD 0, a zero-width interval.
		{"constant", []float64{4, 4, 4}, Metric{Mean: 4, Lo: 4, Hi: 4, N: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summarize("m", UnitSeconds, tc.xs)
			if got.Name != "m" || got.Unit != UnitSeconds {
				t.Errorf("name/unit %q/%q", got.Name, got.Unit)
			}
			if got.N != tc.want.N || !near(got.Mean, tc.want.Mean, 1e-6) || !near(got.SD, tc.want.SD, 1e-6) ||
				!near(got.Lo, tc.want.Lo, 1e-6) || !near(got.Hi, tc.want.Hi, 1e-6) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// With n = 30 the half-width is t(0.975; 29) = 2.045 standard errors.
func TestSummarizeThirty(t *testing.T) {
	xs := make([]float64, 30)
	for i := range xs {
		xs[i] = float64(i * i % 17)
	}
	m := Summarize("m", UnitCount, xs)
	se := m.SD / math.Sqrt(30)
	if k := (m.Hi - m.Mean) / se; !near(k, 2.045, 5e-4) {
		t.Errorf("half-width is %.4f standard errors, want 2.045", k)
	}
	if !near(m.Mean-m.Lo, m.Hi-m.Mean, 1e-12) {
		t.Error("interval not symmetric")
	}
}

func TestPaired(t *testing.T) {
	a := []float64{10, 20, math.NaN(), 30, 40}
	b := []float64{12, 21, 50, math.NaN(), 43, 99} // the 99 has no partner
	got := Paired("d", UnitSeconds, a, b)
	// Differences 2, 1, 3: mean 2, SD 1, half = t(0.975; 2)·1/√3 = 4.302653/1.732051 = 2.484138.
	want := Metric{Name: "d", Unit: UnitSeconds, Mean: 2, SD: 1, Lo: -0.484138, Hi: 4.484138, N: 3}
	if got.N != want.N || !near(got.Mean, want.Mean, 1e-6) || !near(got.SD, want.SD, 1e-6) ||
		!near(got.Lo, want.Lo, 1e-6) || !near(got.Hi, want.Hi, 1e-6) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Pairing removes the shared noise: the paired interval is far
	// narrower than the difference of two independent ones would be.
	a = []float64{100, 200, 300, 400}
	b = []float64{101, 202, 301, 402}
	if d := Paired("d", UnitSeconds, a, b); d.Hi-d.Lo > 3 {
		t.Errorf("paired interval %v..%v is wide", d.Lo, d.Hi)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	for _, tc := range []struct{ p, want float64 }{
		{0, 1}, {1, 4}, {0.5, 2.5}, {0.25, 1.75}, {0.9, 3.7}, {1.0 / 3, 2},
		{-0.5, 1}, {1.5, 4}, // clamped
	} {
		if got := Quantile(xs, tc.p); !near(got, tc.want, 1e-12) {
			t.Errorf("Quantile(1..4, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := Quantile([]float64{7}, 0.3); got != 7 {
		t.Errorf("single value: %v", got)
	}
	if !math.IsNaN(Quantile(nil, 0.5)) || !math.IsNaN(Quantile(xs, math.NaN())) {
		t.Error("want NaN for no data or NaN p")
	}
}

func TestNewCDF(t *testing.T) {
	samples := []float64{40, 10, math.NaN(), 30, 20}
	in := slices.Clone(samples)
	c := NewCDF(Shadowq, samples)
	if c.Policy != Shadowq || len(c.P) != 101 || len(c.S) != 101 {
		t.Fatalf("got %s with %d/%d points", c.Policy, len(c.P), len(c.S))
	}
	for i, want := range map[int]float64{0: 10, 100: 40, 50: 25, 25: 17.5, 10: 13} {
		if c.P[i] != float64(i)/100 || !near(c.S[i], want, 1e-9) {
			t.Errorf("point %d = (%v, %v), want (%v, %v)", i, c.P[i], c.S[i], float64(i)/100, want)
		}
	}
	if !slices.IsSorted(c.S) {
		t.Error("CDF not monotone")
	}
	for i := range in {
		if !(in[i] == samples[i] || math.IsNaN(in[i]) && math.IsNaN(samples[i])) {
			t.Fatal("NewCDF modified its input")
		}
	}
	if e := NewCDF(Baseline, []float64{math.NaN()}); len(e.P) != 0 || len(e.S) != 0 || e.P == nil {
		t.Errorf("no samples: got %+v, want empty non-nil P and S", e)
	}
}

// Every metric has a unit, so the expectation language accepts every name.
func TestEveryMetricHasAUnit(t *testing.T) {
	for _, m := range MetricNames {
		if MetricUnit(m) == "" {
			t.Errorf("metric %q has no unit", m)
		}
	}
}
