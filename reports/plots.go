package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The figures of report.html, drawn with gonum/plot and encoded as PNG.
// Rendering is pure Go (no system fonts: gonum/plot embeds Liberation), and
// equal Results give byte-identical PNGs; TestPlotsDeterministic keeps it
// so.

// Caps keep the figures legible; the caption says when one applied.
const (
	maxBarExperts      = 60
	maxTimelineExperts = 40
)

// figure is one rendered plot.
type figure struct {
	ID      string // HTML anchor
	Title   string
	Caption string
	PNG     []byte
}

// palette is Tableau 10 plus two, colour-blind friendlier than
// plotutil's defaults. Categories get colours in sorted order, so equal
// inputs get equal colours.
var palette = []color.NRGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0x59, 0xa1, 0x4f, 0xff}, {0xe1, 0x57, 0x59, 0xff},
	{0x76, 0xb7, 0xb2, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff}, {0x86, 0xbc, 0xb6, 0xff}, {0xd3, 0x72, 0x95, 0xff},
}

// policyColor keeps shadowq orange and the first baseline blue in every
// figure; further baselines follow the palette by their index i in
// Policies.
func policyColor(policy string, i int) color.Color {
	switch {
	case policy == Shadowq:
		return palette[1]
	case i == 0:
		return palette[0]
	}
	return palette[(1+i)%len(palette)]
}

// Well-known delivery results have fixed colours; others follow the palette.
var resultColors = map[string]color.Color{
	"accepted":  color.NRGBA{0x1a, 0x93, 0x2e, 0xff},
	"declined":  color.NRGBA{0xe0, 0x7b, 0x00, 0xff},
	"no_answer": color.NRGBA{0xc6, 0x28, 0x28, 0xff},
	"error":     color.NRGBA{0x6a, 0x1b, 0x9a, 0xff},
}

// busyColor marks the "busy" spans, drawn as a thinner bar over the
// presence so both stay visible.
var busyColor = color.NRGBA{0x33, 0x33, 0x33, 0xff}

// makeFigures renders the three figures of the HTML report.
func makeFigures(r *Results) ([]figure, error) {
	var figs []figure
	for _, mk := range []func(*Results) (figure, error){cdfFigure, utilizationFigure, timelineFigure} {
		f, err := mk(r)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// cdfFigure plots the latency distribution of each policy.
func cdfFigure(r *Results) (figure, error) {
	f := figure{ID: "latency-cdf", Title: "Latency distribution",
		Caption: "Empirical CDF of latency (arrival to connected) of routed escalations, all replications pooled."}
	p := newPlot()
	p.X.Label.Text = "latency (seconds)"
	p.Y.Label.Text = "share of routed escalations"
	p.Y.Min, p.Y.Max = 0, 1
	leg := newLegend()
	drawn := 0
	for i, c := range r.LatencyCDF {
		n := min(len(c.P), len(c.S))
		if n == 0 {
			continue
		}
		xys := make(plotter.XYs, n)
		for j := range n {
			xys[j] = plotter.XY{X: c.S[j], Y: c.P[j]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return f, fmt.Errorf("latency CDF of %s: %w", c.Policy, err)
		}
		l.Color = policyColor(c.Policy, i)
		l.Width = vg.Points(2)
		p.Add(l)
		leg.add(c.Policy, l)
		drawn++
	}
	if drawn == 0 {
		p.X.Min, p.X.Max = 0, 1
		p.Title.Text = "(no data)"
		f.Caption = "No routed escalations, so no latency distribution."
	}
	var err error
	f.PNG, err = renderPNG(p, leg, 8*vg.Inch, 4*vg.Inch)
	return f, err
}

// utilizationFigure plots each expert's utilization under every arm
// as grouped bars, experts in id order.
func utilizationFigure(r *Results) (figure, error) {
	f := figure{ID: "utilization", Title: "Utilization per expert",
		Caption: "Busy time over staffed time per expert, mean over replications."}
	es := slices.Clone(r.PerExpert)
	slices.SortStableFunc(es, func(a, b ExpertResult) int { return compareIDs(a.ID, b.ID) })
	if len(es) > maxBarExperts {
		f.Caption += fmt.Sprintf(" Showing the first %d of %d experts (by id).", maxBarExperts, len(es))
		es = es[:maxBarExperts]
	}
	p := newPlot()
	p.Y.Label.Text = "utilization"
	p.Y.Min = 0
	leg := newLegend()
	const width = 10 * vg.Inch
	if len(es) == 0 {
		p.X.Min, p.X.Max, p.Y.Max = 0, 1, 1
		p.Title.Text = "(no data)"
		f.Caption = "No per-expert results."
	} else {
		// One bar per arm and expert, filling about 80% of each expert's slot.
		arms := len(r.Policies)
		barW := min(vg.Points(16), (width-2*vg.Inch)/vg.Length(len(es))*0.8/vg.Length(max(1, arms)))
		ids := make([]string, len(es))
		for pi, pr := range r.Policies {
			policy := pr.Name
			vals := make(plotter.Values, len(es))
			for i, e := range es {
				if pi < len(e.Utilization) {
					vals[i] = e.Utilization[pi]
				}
				ids[i] = e.ID
			}
			bars, err := plotter.NewBarChart(vals, barW)
			if err != nil {
				return f, fmt.Errorf("utilization bars: %w", err)
			}
			bars.Color = policyColor(policy, pi)
			bars.LineStyle.Width = 0
			bars.Offset = barW * (vg.Length(pi) - vg.Length(arms-1)/2)
			p.Add(bars)
			leg.add(policy, bars)
		}
		p.NominalX(ids...)
		if len(es) > 12 {
			p.X.Tick.Label.Rotation = math.Pi / 2
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
		p.Y.Max = math.Max(1, p.Y.Max)
	}
	var err error
	f.PNG, err = renderPNG(p, leg, width, 4.5*vg.Inch)
	return f, err
}

// timelineFigure draws the sample day: one row per expert, a coloured span
// per presence (busy as a thin dark bar on top) and a marker per delivery,
// coloured by its result, ringed when it interrupted.
func timelineFigure(r *Results) (figure, error) {
	f := figure{ID: "timeline", Title: "Sample day",
		Caption: "Replication 0 under shadowq: presence per expert over time, with delivery attempts."}
	tl := r.Timeline

	var experts []string
	seen := map[string]bool{}
	for _, s := range tl.Spans {
		if !seen[s.Expert] {
			seen[s.Expert] = true
			experts = append(experts, s.Expert)
		}
	}
	for _, d := range tl.Deliveries {
		if !seen[d.Expert] {
			seen[d.Expert] = true
			experts = append(experts, d.Expert)
		}
	}
	slices.SortFunc(experts, compareIDs)
	if len(experts) > maxTimelineExperts {
		f.Caption += fmt.Sprintf(" Showing the first %d of %d experts (by id).", maxTimelineExperts, len(experts))
		experts = experts[:maxTimelineExperts]
	}
	// The first expert on the top row.
	row := make(map[string]float64, len(experts))
	labels := make([]string, len(experts))
	for i, e := range experts {
		y := len(experts) - 1 - i
		row[e] = float64(y)
		labels[y] = e
	}

	p := newPlot()
	p.X.Label.Text = "hours"
	p.X.Tick.Marker = plot.TickerFunc(hourTicks)
	leg := newLegend()
	const hour = 3600.0

	// Spans: one polygon per What, one rectangle ring per span.
	rings := map[string][]plotter.XYer{}
	for _, s := range tl.Spans {
		y, ok := row[s.Expert]
		if !ok || !(s.End > s.Start) {
			continue
		}
		half := 0.4
		if s.What == "busy" {
			half = 0.18
		}
		x0, x1 := s.Start/hour, s.End/hour
		rings[s.What] = append(rings[s.What], plotter.XYs{{X: x0, Y: y - half}, {X: x1, Y: y - half}, {X: x1, Y: y + half}, {X: x0, Y: y + half}})
	}
	whats := slices.Sorted(maps.Keys(rings))
	// busy last, so it is drawn over the presences.
	slices.SortStableFunc(whats, func(a, b string) int { return cmp.Compare(boolInt(a == "busy"), boolInt(b == "busy")) })
	ci := 0
	for _, w := range whats {
		poly, err := plotter.NewPolygon(rings[w]...)
		if err != nil {
			return f, fmt.Errorf("timeline spans %q: %w", w, err)
		}
		if w == "busy" {
			poly.Color = busyColor
		} else {
			poly.Color = palette[ci%len(palette)]
			ci++
		}
		poly.LineStyle.Width = 0
		p.Add(poly)
		leg.add(w, poly)
	}

	// Deliveries: one scatter per result.
	byResult := map[string]plotter.XYs{}
	var interrupts plotter.XYs
	for _, d := range tl.Deliveries {
		y, ok := row[d.Expert]
		if !ok {
			continue
		}
		byResult[d.Result] = append(byResult[d.Result], plotter.XY{X: d.At / hour, Y: y})
		if d.Interrupt {
			interrupts = append(interrupts, plotter.XY{X: d.At / hour, Y: y})
		}
	}
	// A white halo under every marker keeps it visible on any span colour.
	var all plotter.XYs
	for _, res := range slices.Sorted(maps.Keys(byResult)) {
		all = append(all, byResult[res]...)
	}
	if len(all) > 0 {
		halo, err := plotter.NewScatter(all)
		if err != nil {
			return f, fmt.Errorf("timeline deliveries: %w", err)
		}
		halo.GlyphStyle = draw.GlyphStyle{Color: color.White, Radius: vg.Points(5), Shape: draw.CircleGlyph{}}
		p.Add(halo)
	}
	oi := 0
	for _, res := range slices.Sorted(maps.Keys(byResult)) {
		sc, err := plotter.NewScatter(byResult[res])
		if err != nil {
			return f, fmt.Errorf("timeline deliveries %q: %w", res, err)
		}
		c, ok := resultColors[res]
		if !ok {
			c = palette[(len(palette)-1-oi)%len(palette)]
			oi++
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		leg.add("delivery: "+res, sc)
	}
	if len(interrupts) > 0 {
		sc, err := plotter.NewScatter(interrupts)
		if err != nil {
			return f, fmt.Errorf("timeline interrupts: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(6), Shape: draw.RingGlyph{}}
		p.Add(sc)
		leg.add("interrupted a meeting", sc)
	}

	height := 4 * vg.Inch
	if len(experts) == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		p.Title.Text = "(no data)"
		f.Caption = "No timeline recorded."
	} else {
		p.NominalY(labels...)
		p.Y.Min, p.Y.Max = -0.6, float64(len(experts))-0.4
		p.X.Min = math.Min(0, p.X.Min)
		height = max(3*vg.Inch, 1.2*vg.Inch+vg.Length(len(experts))*0.25*vg.Inch)
	}
	var err error
	f.PNG, err = renderPNG(p, leg, 10*vg.Inch, height)
	return f, err
}

// hourTicks labels whole hours, every hour up to a day, else every
// fourth; gonum's default gives only two or three ticks over a day.
func hourTicks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || hi-lo > 24*14 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := 1.0
	if hi-lo > 24 {
		step = 4
	}
	var ts []plot.Tick
	for h := math.Ceil(lo/step) * step; h <= hi; h += step {
		ts = append(ts, plot.Tick{Value: h, Label: strconv.FormatFloat(h, 'f', -1, 64)})
	}
	return ts
}

// newPlot is a plot with the house style: a light grid, no title (the
// HTML heading is the title).
func newPlot() *plot.Plot {
	p := plot.New()
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xe0}
	g.Horizontal.Color = color.Gray{0xe0}
	p.Add(g)
	return p
}

// renderPNG draws p with legend in a strip to its right (outside the
// data, so it never hides any) and encodes the image as PNG.
func renderPNG(p *plot.Plot, l *legend, w, h vg.Length) ([]byte, error) {
	c := vgimg.New(w, h)
	dc := draw.New(c)
	legendW := vg.Length(0)
	for _, name := range l.names {
		legendW = max(legendW, l.TextStyle.Width(name))
	}
	if legendW > 0 {
		legendW += l.ThumbnailWidth + 3*l.TextStyle.Width(" ") + vg.Points(6)
		legendW = min(legendW, w/3)
		l.Top, l.Left = true, true
		l.YOffs = -vg.Points(10)
		l.Draw(draw.Crop(dc, w-legendW, 0, 0, 0))
	}
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encoding plot: %w", err)
	}
	return b.Bytes(), nil
}

// legend is a plot.Legend that remembers its entry names (plot.Legend
// keeps them private), so renderPNG can size the strip it goes in.
type legend struct {
	plot.Legend
	names []string
}

func newLegend() *legend { return &legend{Legend: plot.NewLegend()} }

func (l *legend) add(name string, t plot.Thumbnailer) {
	l.Legend.Add(name, t)
	l.names = append(l.names, name)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
