package reports

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Summarize turns one value per replication into a Metric: the mean, the
// sample standard deviation (n−1 denominator) and the 95% Student-t
// confidence interval of the mean, Mean ± t(0.975; n−1)·SD/√n.
//
// NaN marks a replication without a value (e.g. no routed escalation, so no
// latency) and is skipped; N counts the values used. ±Inf is not skipped
// and poisons the result, as it should: it is a simulator bug, not a
// missing value. With one value the interval collapses to it (SD 0); with
// none every figure is 0 and N is 0, so check N before trusting Mean.
func Summarize(name, unit string, xs []float64) Metric {
	m := Metric{Name: name, Unit: unit}
	vals := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	m.N = len(vals)
	switch m.N {
	case 0:
		return m
	case 1:
		m.Mean, m.Lo, m.Hi = vals[0], vals[0], vals[0]
		return m
	}
	m.Mean, m.SD = stat.MeanStdDev(vals, nil)
	n := float64(m.N)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	half := t * m.SD / math.Sqrt(n)
	m.Lo, m.Hi = m.Mean-half, m.Mean+half
	return m
}

// Paired summarizes the per-replication differences b[i] − a[i], the right
// interval for comparing two policies run on common random numbers: the
// shared noise cancels in each difference. A replication where either side
// is NaN is skipped. Extra elements of the longer slice are ignored.
func Paired(name, unit string, a, b []float64) Metric {
	n := min(len(a), len(b))
	d := make([]float64, 0, n)
	for i := range n {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			continue
		}
		d = append(d, b[i]-a[i])
	}
	return Summarize(name, unit, d)
}

// Relative summarizes the per-replication relative changes b[i]/a[i] − 1
// (shadowq b against baseline a, paired). A replication where either side
// is NaN or a is 0 is skipped.
func Relative(name string, a, b []float64) Metric {
	n := min(len(a), len(b))
	d := make([]float64, 0, n)
	for i := range n {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) || a[i] == 0 {
			continue
		}
		d = append(d, b[i]/a[i]-1)
	}
	return Summarize(name, UnitRel, d)
}

// Quantile returns the p-quantile of sorted (ascending, no NaN) by linear
// interpolation between order statistics, Hyndman & Fan type 7 (the default
// of R, NumPy and Excel's PERCENTILE.INC): with h = (n−1)·p and
// i = ⌊h⌋ (0-based), Q(p) = x[i] + (h − i)·(x[i+1] − x[i]). So Q(0) is the
// minimum, Q(1) the maximum and Q(0.5) the usual median. p is clamped to
// [0, 1]. An empty slice or a NaN p gives NaN.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	return quantileAt(n, p, func(i int) float64 { return sorted[i] })
}

// quantileAt is Quantile of n sorted samples read through at (rank, 0-based),
// which it calls only at quantileRanks(n, p).
func quantileAt(n int, p float64, at func(int) float64) float64 {
	p = max(0, min(1, p))
	h := float64(n-1) * p
	i := int(math.Floor(h))
	if i >= n-1 {
		return at(n - 1)
	}
	return at(i) + (h-float64(i))*(at(i+1)-at(i))
}

// quantileRanks are the ranks quantileAt(n, p, ...) reads.
func quantileRanks(n int, p float64) []int {
	p = max(0, min(1, p))
	i := int(math.Floor(float64(n-1) * p))
	if i >= n-1 {
		return []int{n - 1}
	}
	return []int{i, i + 1}
}

// cdfSteps is the number of intervals of a CDF: quantiles at 0, 1/100, ..., 1.
const cdfSteps = 100

// NewCDF is the empirical distribution of samples (any order; NaN skipped;
// samples is not modified) as Quantile at p = 0, 0.01, ..., 1. Without
// samples P and S are empty (not nil), so there is nothing to plot rather
// than a line of zeros.
func NewCDF(policy string, samples []float64) CDF {
	xs := make([]float64, 0, len(samples))
	for _, x := range samples {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	slices.Sort(xs)
	return cdfAt(policy, len(xs), func(i int) float64 { return xs[i] })
}

func cdfAt(policy string, n int, at func(int) float64) CDF {
	c := CDF{Policy: policy, P: []float64{}, S: []float64{}}
	if n == 0 {
		return c
	}
	c.P = make([]float64, cdfSteps+1)
	c.S = make([]float64, cdfSteps+1)
	for i := range c.P {
		// i/100 rather than i*0.01 gives the nearest float to each decimal.
		c.P[i] = float64(i) / cdfSteps
		c.S[i] = quantileAt(n, c.P[i], at)
	}
	return c
}

// CDFRanks lists, ascending and without repeats, the ranks (0-based) of
// n sorted samples that the CDF of those samples reads: 202 at most,
// whatever n. With the values at those ranks, NewCDFAt builds exactly the
// CDF NewCDF builds from the samples, so a CDF of more samples than fit in
// memory can be computed from a sorted stream of them.
func CDFRanks(n int) []int {
	if n == 0 {
		return nil
	}
	var out []int
	for i := 0; i <= cdfSteps; i++ {
		out = append(out, quantileRanks(n, float64(i)/cdfSteps)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// NewCDFAt is NewCDF of n sorted non-NaN samples given as the values at
// CDFRanks(n): vals[k] is the sample at rank CDFRanks(n)[k].
func NewCDFAt(policy string, n int, vals []float64) CDF {
	ranks := CDFRanks(n)
	return cdfAt(policy, n, func(i int) float64 {
		k, _ := slices.BinarySearch(ranks, i)
		return vals[k]
	})
}
