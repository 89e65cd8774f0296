package calibrate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// fitPatience fits caller patience from queue waits: an abandoned wait is
// an observed patience; every other wait (answered, sent to voicemail,
// still waiting) only says patience was longer (right-censored). It fits
// the exponential (closed-form censored MLE: abandonments / total waiting
// time) and the lognormal (censored MLE, Nelder–Mead on μ and log σ),
// picks the smaller AIC, and reports the largest gap between the chosen
// survival curve and the Kaplan–Meier estimate over the observed waits.
func fitPatience(abandoned, censored []float64) (Fit, []kmPoint, error) {
	f := Fit{What: "patience", N: len(abandoned), Cens: len(censored), P: math.NaN(), Others: map[string]float64{}}
	if len(abandoned) < minSamples {
		return f, nil, fmt.Errorf("patience: %d abandoned waits, at least %d are needed (callers may simply never abandon)", len(abandoned), minSamples)
	}
	total := 0.0
	for _, v := range abandoned {
		total += v
	}
	for _, v := range censored {
		total += v
	}
	rate := float64(len(abandoned)) / total
	expLL := 0.0
	for _, v := range abandoned {
		expLL += math.Log(rate) - rate*v
	}
	for _, v := range censored {
		expLL += -rate * v
	}
	// Lognormal censored log-likelihood.
	eps := 1e-3
	ll := func(mu, sigma float64) float64 {
		d := distuv.LogNormal{Mu: mu, Sigma: sigma}
		s := 0.0
		for _, v := range abandoned {
			s += d.LogProb(math.Max(v, eps))
		}
		for _, v := range censored {
			s += math.Log(math.Max(d.Survival(math.Max(v, eps)), 1e-300))
		}
		return s
	}
	mu0 := math.Log(1 / rate)
	x := nelderMead2(func(x [2]float64) float64 { return -ll(x[0], math.Exp(x[1])) }, [2]float64{mu0, 0}, 300)
	mu, sigma := x[0], math.Exp(x[1])
	lnLL := ll(mu, sigma)
	aicExp, aicLN := 2-2*expLL, 4-2*lnLL
	f.Others["exponential"], f.Others["lognormal"] = aicExp, aicLN
	km := kaplanMeier(abandoned, censored)
	var surv func(float64) float64
	if aicLN < aicExp {
		f.Kind, f.Median, f.Sigma, f.Mean = "lognormal", math.Exp(mu), sigma, math.Exp(mu+sigma*sigma/2)
		surv = distuv.LogNormal{Mu: mu, Sigma: sigma}.Survival
	} else {
		f.Kind, f.Mean, f.Median = "exponential", 1/rate, math.Ln2/rate
		surv = distuv.Exponential{Rate: rate}.Survival
	}
	for _, p := range km {
		f.KS = math.Max(f.KS, math.Abs(p.S-surv(p.T)))
	}
	f.Note = fmt.Sprintf("censored MLE, chosen by AIC (exponential %.0f, lognormal %.0f)", aicExp, aicLN)
	f.Samples = slices.Sorted(slices.Values(abandoned))
	f.Others = map[string]float64{}
	return f, km, nil
}

// kmPoint is one step of the Kaplan–Meier survival curve.
type kmPoint struct{ T, S float64 }

// kaplanMeier estimates the patience survival curve from events and
// right-censored times.
func kaplanMeier(events, censored []float64) []kmPoint {
	type obs struct {
		t     float64
		event bool
	}
	all := make([]obs, 0, len(events)+len(censored))
	for _, v := range events {
		all = append(all, obs{v, true})
	}
	for _, v := range censored {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		if a.event == b.event {
			return 0
		}
		if a.event {
			return -1
		}
		return 1
	})
	atRisk := float64(len(all))
	s := 1.0
	var out []kmPoint
	for i := 0; i < len(all); {
		t := all[i].t
		d, c := 0.0, 0.0
		for i < len(all) && all[i].t == t {
			if all[i].event {
				d++
			} else {
				c++
			}
			i++
		}
		if d > 0 {
			s *= 1 - d/atRisk
			out = append(out, kmPoint{t, s})
		}
		atRisk -= d + c
	}
	return out
}

// nelderMead2 minimises f over two variables from x0 (the standard
// reflection/expansion/contraction/shrink steps; gonum/optimize would pull
// in a module this repository does not otherwise need).
func nelderMead2(f func([2]float64) float64, x0 [2]float64, iters int) [2]float64 {
	pts := [3][2]float64{x0, {x0[0] + 0.5, x0[1]}, {x0[0], x0[1] + 0.5}}
	val := [3]float64{f(pts[0]), f(pts[1]), f(pts[2])}
	for range iters {
		// Order: best, middle, worst.
		for i := 0; i < 3; i++ {
			for j := i + 1; j < 3; j++ {
				if val[j] < val[i] {
					pts[i], pts[j], val[i], val[j] = pts[j], pts[i], val[j], val[i]
				}
			}
		}
		if math.Abs(val[2]-val[0]) < 1e-9 {
			break
		}
		c := [2]float64{(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2}
		at := func(t float64) [2]float64 { return [2]float64{c[0] + t*(pts[2][0]-c[0]), c[1] + t*(pts[2][1]-c[1])} }
		r := at(-1)
		fr := f(r)
		switch {
		case fr < val[0]:
			if e := at(-2); f(e) < fr {
				pts[2], val[2] = e, f(e)
			} else {
				pts[2], val[2] = r, fr
			}
		case fr < val[1]:
			pts[2], val[2] = r, fr
		default:
			if k := at(0.5); f(k) < val[2] {
				pts[2], val[2] = k, f(k)
			} else {
				for i := 1; i < 3; i++ {
					pts[i] = [2]float64{(pts[i][0] + pts[0][0]) / 2, (pts[i][1] + pts[0][1]) / 2}
					val[i] = f(pts[i])
				}
			}
		}
	}
	if val[1] < val[0] {
		return pts[1]
	}
	return pts[0]
}
