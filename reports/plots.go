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
	"strings"

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
	maxBarExperts      = 150 // utilization bars
	maxTimelinePerTeam = 8   // sample-day rows per group
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

// cdfFigure plots, per arm, the share of all arrivals connected within t
// on a log time axis. Escalations that never connected (abandoned,
// voicemail, unfinished) keep the curve below 100%, so an arm that loses
// callers is not flattered. Schema 2 results lack the arrival counts and
// fall back to routed escalations only, and the caption says so.
func cdfFigure(r *Results) (figure, error) {
	f := figure{ID: "latency-cdf", Title: "Latency distribution",
		Caption: "How to read: the share of all arrivals connected to an expert within t (log time axis, all replications pooled). " +
			"Higher and further left is better; where a curve levels off is its routed share (in the legend), and the gap to 100% is escalations that never connected (abandoned, voicemail, unfinished)."}
	p := newPlot()
	p.X.Label.Text = "time from arrival to connected (seconds, log scale)"
	p.Y.Label.Text = "share of all arrivals connected"
	p.Y.Min, p.Y.Max = 0, 1
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	// The legend sits inside, bottom right: no curve goes there (late and
	// unconnected), and the plot keeps the full width.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	drawn, routedOnly := 0, false
	var lines []plot.Plotter
	const minX = 0.1 // the log axis starts at 0.1s; faster connects sit on its edge
	maxX := 1.0
	for i, c := range r.LatencyCDF {
		n := min(len(c.P), len(c.S))
		if n == 0 {
			continue
		}
		scale := 1.0
		if c.Arrivals > 0 {
			scale = float64(c.Routed) / float64(c.Arrivals)
		} else {
			routedOnly = true
		}
		xys := make(plotter.XYs, n)
		for j := range n {
			xys[j] = plotter.XY{X: math.Max(minX, c.S[j]), Y: c.P[j] * scale}
			maxX = math.Max(maxX, c.S[j])
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return f, fmt.Errorf("latency CDF of %s: %w", c.Policy, err)
		}
		l.Color = policyColor(c.Policy, i)
		l.Width = vg.Points(2)
		if c.Policy != Shadowq && i > 0 {
			// Further baselines dashed, so one that routes like shadowq
			// still shows on top of it.
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		}
		lines = append(lines, l)
		name := c.Policy
		if c.Arrivals > 0 {
			name += " " + formatShare(scale)
		}
		p.Legend.Add(name, l)
		drawn++
	}
	// shadowq (last) drawn first, so a dashed baseline shows on top.
	for _, l := range slices.Backward(lines) {
		p.Add(l)
	}
	p.X.Min, p.X.Max = minX, math.Pow(10, math.Ceil(math.Log10(maxX)))
	if drawn == 0 {
		p.Title.Text = "(no data)"
		f.Caption = "No routed escalations, so no latency distribution."
	} else if routedOnly {
		p.Y.Label.Text = "share of routed escalations"
		f.Caption = "How to read: the share of routed escalations connected within t (log time axis). These results (schema 2) lack arrival counts, so escalations that never connected are not shown: re-run shadowq sim for the curve over all arrivals."
	}
	var err error
	f.PNG, err = renderPNG(p, newLegend(), 8*vg.Inch, 4*vg.Inch)
	return f, err
}

// byTeam orders experts by group (in order of first appearance), then
// by id, and returns the groups in that order.
func byTeam(es []ExpertResult) ([]ExpertResult, []string) {
	var groups []string
	rank := map[string]int{}
	for _, e := range es {
		if _, ok := rank[e.Group]; !ok {
			rank[e.Group] = len(groups)
			groups = append(groups, e.Group)
		}
	}
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b ExpertResult) int {
		return cmp.Or(cmp.Compare(rank[a.Group], rank[b.Group]), compareIDs(a.ID, b.ID))
	})
	return out, groups
}

// utilizationFigure plots each expert's utilization under every arm as
// grouped bars, experts grouped by team with a gap and the team's name
// between teams.
func utilizationFigure(r *Results) (figure, error) {
	f := figure{ID: "utilization", Title: "Utilization per expert, by team",
		Caption: "How to read: one group of bars per expert, one bar per arm: the expert's busy time (handling and after-call work) over staffed time, mean over replications. Experts are grouped by team, team name above; a team whose bars grow most is where the extra routing went."}
	es, groups := byTeam(r.PerExpert)
	if len(es) > maxBarExperts {
		f.Caption += fmt.Sprintf(" Showing the first %d of %d experts.", maxBarExperts, len(es))
		es = es[:maxBarExperts]
	}
	p := newPlot()
	p.Y.Label.Text = "utilization (share of staffed time)"
	p.Y.Min = 0
	leg := newLegend()
	const width = 10 * vg.Inch
	if len(es) == 0 {
		p.X.Min, p.X.Max, p.Y.Max = 0, 1, 1
		p.Title.Text = "(no data)"
		f.Caption = "No per-expert results."
		var err error
		f.PNG, err = renderPNG(p, leg, width, 4.5*vg.Inch)
		return f, err
	}
	// Slots: one per expert, plus an empty one between teams.
	var ids []string
	slot := make([]int, len(es))
	for i, e := range es {
		if i > 0 && e.Group != es[i-1].Group {
			ids = append(ids, "")
		}
		slot[i] = len(ids)
		ids = append(ids, e.ID)
	}
	arms := len(r.Policies)
	barW := min(vg.Points(16), (width-2*vg.Inch)/vg.Length(len(ids))*0.8/vg.Length(max(1, arms)))
	top := 0.0
	for pi, pr := range r.Policies {
		vals := make(plotter.Values, len(ids))
		for i, e := range es {
			if pi < len(e.Utilization) && !math.IsNaN(e.Utilization[pi]) {
				vals[slot[i]] = e.Utilization[pi]
				top = math.Max(top, e.Utilization[pi])
			}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return f, fmt.Errorf("utilization bars: %w", err)
		}
		bars.Color = policyColor(pr.Name, pi)
		bars.LineStyle.Width = 0
		bars.Offset = barW * (vg.Length(pi) - vg.Length(arms-1)/2)
		p.Add(bars)
		leg.add(pr.Name, bars)
	}
	p.NominalX(ids...)
	if len(ids) > 12 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.Y.Max = math.Min(1, math.Max(0.1, top*1.25))
	// Team names centred over their experts.
	if len(groups) > 1 || groups[0] != "" {
		var xys plotter.XYs
		var names []string
		for _, g := range groups {
			lo, hi := -1, -1
			for i, e := range es {
				if e.Group == g {
					if lo < 0 {
						lo = slot[i]
					}
					hi = slot[i]
				}
			}
			if lo < 0 {
				continue
			}
			name := g
			if name == "" {
				name = "(no group)"
			}
			xys = append(xys, plotter.XY{X: float64(lo+hi) / 2, Y: p.Y.Max * 0.96})
			names = append(names, name)
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: names})
		if err != nil {
			return f, fmt.Errorf("team labels: %w", err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
			labels.TextStyle[i].Font.Size = vg.Points(11)
		}
		p.Add(labels)
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
		Caption: "How to read: replication 0 under shadowq, one row per expert: coloured bars are presences over the day, the thin dark bar on top is handling an escalation, dots are delivery attempts coloured by result, rings mark interrupted meetings."}
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
	experts, note := timelineRows(r, experts)
	f.Caption += note
	// The first expert on the top row.
	row := make(map[string]float64, len(experts))
	labels := make([]string, len(experts))
	for i, e := range experts {
		y := len(experts) - 1 - i
		row[e] = float64(y)
		labels[y] = e
	}

	p := newPlot()
	p.X.Label.Text = "hours since the start of the run"
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

// timelineRows picks the sample day's rows: every group shows, up to
// maxTimelinePerTeam experts each (by id), groups in order of first
// appearance in PerExpert. note says what was left out.
func timelineRows(r *Results, experts []string) ([]string, string) {
	group := map[string]string{}
	for _, e := range r.PerExpert {
		group[e.ID] = e.Group
	}
	var order []ExpertResult
	for _, id := range experts {
		order = append(order, ExpertResult{ID: id, Group: group[id]})
	}
	// Group order follows PerExpert; experts not in it come last.
	rank := map[string]int{}
	for _, e := range r.PerExpert {
		if _, ok := rank[e.Group]; !ok {
			rank[e.Group] = len(rank)
		}
	}
	slices.SortStableFunc(order, func(a, b ExpertResult) int {
		ra, oka := rank[a.Group]
		rb, okb := rank[b.Group]
		if !oka {
			ra = len(rank)
		}
		if !okb {
			rb = len(rank)
		}
		return cmp.Or(cmp.Compare(ra, rb), compareIDs(a.ID, b.ID))
	})
	var out []string
	var cut []string
	n := map[string]int{}
	total := map[string]int{}
	for _, e := range order {
		total[e.Group]++
	}
	for _, e := range order {
		if n[e.Group] < maxTimelinePerTeam {
			out = append(out, e.ID)
		}
		n[e.Group]++
	}
	seen := map[string]bool{}
	for _, e := range order {
		if !seen[e.Group] && total[e.Group] > maxTimelinePerTeam {
			name := e.Group
			if name == "" {
				name = "(no group)"
			}
			cut = append(cut, fmt.Sprintf("%d of %d %s", maxTimelinePerTeam, total[e.Group], name))
		}
		seen[e.Group] = true
	}
	if len(cut) == 0 {
		return out, ""
	}
	return out, " Every team is shown, at most " + strconv.Itoa(maxTimelinePerTeam) + " experts each (by id): " + strings.Join(cut, ", ") + "."
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
