package calibrate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/shadowq/shadowq/scenarios"
)

// Fit is a fitted distribution of durations (seconds) with its evidence.
type Fit struct {
	What    string
	Kind    string  // exponential, lognormal, gamma, fixed, empirical
	N       int     // observations (events, for censored fits)
	Cens    int     // right-censored observations
	Mean    float64 // fitted mean, seconds
	Median  float64 // fitted median, seconds
	Sigma   float64 // lognormal
	Alpha   float64 // gamma shape
	KS      float64 // Kolmogorov–Smirnov distance of the chosen fit (vs Kaplan–Meier when censored)
	P       float64 // KS p-value (uncensored fits only; NaN otherwise)
	Note    string
	Samples []float64 // observed values, sorted (for plots and empirical)
	Others  map[string]float64
}

// minSamples is the fewest observations a distribution is fitted from.
const minSamples = 5

// fitDurations fits exponential, lognormal and gamma by maximum
// likelihood (gamma by moments), picks the smallest KS distance, and
// falls back to the empirical distribution when even the best is rejected
// at the 1% level, or when gamma wins (the scenario format has no gamma).
// Nearly constant samples (coefficient of variation < 1%) are fixed.
func fitDurations(what string, xs []float64) (Fit, error) {
	f := Fit{What: what, N: len(xs), P: math.NaN(), Others: map[string]float64{}}
	if len(xs) < minSamples {
		return f, fmt.Errorf("%s: %d observations, at least %d are needed", what, len(xs), minSamples)
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	f.Samples = s
	mean, sd := stat.MeanStdDev(s, nil)
	f.Mean, f.Median = mean, stat.Quantile(0.5, stat.Empirical, s, nil)
	if mean <= 0 {
		return f, fmt.Errorf("%s: every observation is 0", what)
	}
	if sd/mean < 0.01 {
		f.Kind, f.KS = "fixed", 0
		return f, nil
	}
	pos := s
	for len(pos) > 0 && pos[0] <= 0 {
		pos = pos[1:]
	}
	logs := make([]float64, len(pos))
	for i, v := range pos {
		logs[i] = math.Log(v)
	}
	mu, sigma := stat.MeanStdDev(logs, nil)
	cands := map[string]func(float64) float64{
		"exponential": distuv.Exponential{Rate: 1 / mean}.CDF,
		"gamma":       distuv.Gamma{Alpha: mean * mean / (sd * sd), Beta: mean / (sd * sd)}.CDF,
	}
	if len(pos) >= minSamples && sigma > 0 {
		cands["lognormal"] = distuv.LogNormal{Mu: mu, Sigma: sigma}.CDF
	}
	best := ""
	for _, k := range []string{"exponential", "lognormal", "gamma"} {
		cdf, ok := cands[k]
		if !ok {
			continue
		}
		d := ksDistance(s, cdf)
		f.Others[k] = d
		if best == "" || d < f.KS {
			best, f.KS = k, d
		}
	}
	f.Kind = best
	f.P = ksPValue(f.KS, len(s))
	switch best {
	case "lognormal":
		f.Median, f.Sigma, f.Mean = math.Exp(mu), sigma, math.Exp(mu+sigma*sigma/2)
	case "gamma":
		f.Alpha = mean * mean / (sd * sd)
	}
	if best == "gamma" || f.P < 0.01 {
		f.Note = fmt.Sprintf("best parametric fit %s rejected (KS p = %.3g) or not expressible: empirical", best, f.P)
		if best == "gamma" {
			f.Note = fmt.Sprintf("gamma fits best (KS D = %.3f); the scenario format has no gamma: empirical", f.KS)
		}
		f.Kind = "empirical"
		f.Mean, f.Median = mean, stat.Quantile(0.5, stat.Empirical, s, nil)
	}
	return f, nil
}

// ksDistance is sup |F(x) − F_n(x)| over the sorted sample.
func ksDistance(sorted []float64, cdf func(float64) float64) float64 {
	n := float64(len(sorted))
	d := 0.0
	for i, x := range sorted {
		c := cdf(x)
		d = max(d, math.Abs(c-float64(i)/n), math.Abs(float64(i+1)/n-c))
	}
	return d
}

// ksPValue is the asymptotic Kolmogorov p-value with Stephens'
// small-sample correction (parameters estimated from the same data make
// it conservative, i.e. too large).
func ksPValue(d float64, n int) float64 {
	sn := math.Sqrt(float64(n))
	l := (sn + 0.12 + 0.11/sn) * d
	if l < 0.2 {
		return 1
	}
	p := 0.0
	for k := 1; k <= 100; k++ {
		t := 2 * math.Pow(-1, float64(k-1)) * math.Exp(-2*float64(k*k)*l*l)
		p += t
		if math.Abs(t) < 1e-12 {
			break
		}
	}
	return math.Max(0, math.Min(1, p))
}

// Dist converts a fit to the scenario's distribution.
func (f Fit) Dist() scenarios.Dist {
	sec := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)).Round(time.Millisecond) }
	switch f.Kind {
	case "fixed":
		return scenarios.Dist{Kind: scenarios.Fixed, Value: sec(f.Mean)}
	case "exponential":
		return scenarios.Dist{Kind: scenarios.Exponential, Mean: sec(f.Mean)}
	case "lognormal":
		return scenarios.Dist{Kind: scenarios.Lognormal, Median: sec(f.Median), Sigma: f.Sigma}
	}
	// Empirical: 100 quantiles of the sample.
	var q []time.Duration
	for i := range 100 {
		q = append(q, sec(stat.Quantile((float64(i)+0.5)/100, stat.Empirical, f.Samples, nil)))
	}
	return scenarios.Dist{Kind: scenarios.Empirical, Samples: q}
}

// yaml renders the fit as a scenario distribution.
func (f Fit) yaml() string {
	d := f.Dist()
	switch d.Kind {
	case scenarios.Fixed:
		return fmt.Sprintf("{dist: fixed, value: %s}", dur(d.Value))
	case scenarios.Exponential:
		return fmt.Sprintf("{dist: exponential, mean: %s}", dur(d.Mean))
	case scenarios.Lognormal:
		return fmt.Sprintf("{dist: lognormal, median: %s, sigma: %.3f}", dur(d.Median), d.Sigma)
	}
	s := "{dist: empirical, samples: ["
	for i, v := range d.Samples {
		if i > 0 {
			s += ", "
		}
		s += dur(v)
	}
	return s + "]}"
}

// comment is the fit's evidence for the YAML.
func (f Fit) comment() string {
	c := fmt.Sprintf("n=%d", f.N)
	if f.Cens > 0 {
		c += fmt.Sprintf(" (+%d censored)", f.Cens)
	}
	switch {
	case f.Kind == "fixed":
		c += ", constant"
	case !math.IsNaN(f.P):
		c += fmt.Sprintf(", KS D=%.3f p=%.2g", f.KS, f.P)
	default:
		c += fmt.Sprintf(", max |KM − fit| = %.3f", f.KS)
	}
	if len(f.Others) > 1 {
		c += " (others:"
		for _, k := range []string{"exponential", "lognormal", "gamma"} {
			if v, ok := f.Others[k]; ok && k != f.Kind {
				c += fmt.Sprintf(" %s %.3f", k, v)
			}
		}
		c += ")"
	}
	if f.Note != "" {
		c += "; " + f.Note
	}
	return c
}

// dur formats a duration the way scenarios write them: 45m, 1h30m, 6.2s.
func dur(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%time.Second != 0 && d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	h, m, sec := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	out := neg
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if sec > 0 {
		out += fmt.Sprintf("%ds", sec)
	}
	return out
}
