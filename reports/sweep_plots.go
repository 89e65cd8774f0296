package reports

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// sweepFigures plots each sweep metric against the swept value: a line
// per arm with its 95% CIs as error bars (for net value, a line per
// baseline with a zero line: above it shadowq saves money). Only one-key
// sweeps are plotted.
func sweepFigures(r *Results) ([]figure, error) {
	ps, ok := oneD(r.Sweep)
	if !ok {
		return nil, nil
	}
	key := r.Sweep.Keys[0]
	var figs []figure
	for _, m := range sweepTableMetrics(r.Sweep) {
		unit := MetricUnit(m)
		f := figure{ID: "sweep-" + m, Title: "Sweep: " + m + " against " + key}
		p := newPlot()
		p.X.Label.Text = key
		p.Y.Label.Text = m + " (" + unitLabel(unit) + ")"
		if unit == UnitMoney && r.Currency != "" {
			p.Y.Label.Text = m + " (" + r.Currency + " per day)"
		}
		leg := newLegend()
		type series struct {
			name string
			ms   []*Metric
			i    int
		}
		var ss []series
		if m == MNetValue {
			f.Caption = "How to read: shadowq's saving per day against each baseline (" + r.Currency + ", mean and 95% CI per point) as " + key +
				" varies; above the zero line shadowq pays for itself, and where a line crosses it is the break-even."
			for bi, d := range ps[0].Deltas {
				s := series{name: "vs " + d.Baseline, i: bi}
				for _, pt := range ps {
					s.ms = append(s.ms, findMetricAt(pt.Deltas, bi, m))
				}
				ss = append(ss, s)
			}
			zero, err := plotter.NewLine(plotter.XYs{{X: ps[0].Values[0], Y: 0}, {X: ps[len(ps)-1].Values[0], Y: 0}})
			if err != nil {
				return nil, err
			}
			zero.Color = busyColor
			zero.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(zero)
		} else {
			f.Caption = "How to read: " + m + " per arm (mean and 95% CI per point) as " + key + " varies, every arm on common random numbers at each point."
			for ai, a := range ps[0].Policies {
				s := series{name: a.Name, i: ai}
				for _, pt := range ps {
					if ai < len(pt.Policies) {
						s.ms = append(s.ms, findMetric(pt.Policies[ai].Metrics, m))
					} else {
						s.ms = append(s.ms, nil)
					}
				}
				ss = append(ss, s)
			}
		}
		var layers [][]plot.Plotter
		for _, s := range ss {
			var xys plotter.XYs
			var errs plotter.YErrors
			for j, mm := range s.ms {
				if mm == nil || mm.N == 0 || math.IsNaN(mm.Mean) {
					continue
				}
				xys = append(xys, plotter.XY{X: ps[j].Values[0], Y: mm.Mean})
				errs = append(errs, struct{ Low, High float64 }{mm.Mean - mm.Lo, mm.Hi - mm.Mean})
			}
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("sweep plot %s: %w", m, err)
			}
			c := policyColor(s.name, s.i)
			if m == MNetValue {
				c = palette[(s.i*2)%len(palette)]
			}
			line.Color, points.Color = c, c
			line.Width = vg.Points(2)
			if m != MNetValue && s.name != Shadowq && s.i > 0 {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
			}
			bars, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			if err != nil {
				return nil, fmt.Errorf("sweep plot %s: %w", m, err)
			}
			bars.Color = c
			layers = append(layers, []plot.Plotter{line, points, bars})
			leg.add(s.name, line)
		}
		// shadowq (last) drawn first, so a baseline that routes alike
		// shows dashed on top of it.
		for _, l := range slices.Backward(layers) {
			p.Add(l...)
		}
		if unit == UnitRatio {
			p.Y.Min = 0
		}
		var ticks []plot.Tick
		for _, pt := range ps {
			ticks = append(ticks, plot.Tick{Value: pt.Values[0], Label: fmtNum(pt.Values[0])})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		var err error
		f.PNG, err = renderPNG(p, leg, 7*vg.Inch, 3.5*vg.Inch)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

func findMetricAt(ds []DeltaResult, i int, m string) *Metric {
	if i >= len(ds) {
		return nil
	}
	return findMetric(ds[i].Metrics, m)
}

// unitLabel names a unit for an axis.
func unitLabel(u string) string {
	switch u {
	case UnitRatio:
		return "share"
	case UnitSeconds:
		return "seconds"
	case UnitMoney:
		return "per day"
	case UnitMinPerExpert:
		return "minutes per expert-day"
	case UnitPerExpertDay:
		return "per expert-day"
	}
	return u
}
