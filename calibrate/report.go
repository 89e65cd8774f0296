package calibrate

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteReport writes calibration.md and calibration.html into dir: every
// fitted value with its sample size and statistic, and for each fitted
// distribution the observed histogram against the fitted density and a
// QQ plot; for patience the Kaplan–Meier curve against the censored fit.
func (m *Model) WriteReport(dir string) error {
	var md, body strings.Builder
	title := "Calibration: " + m.name()
	fmt.Fprintf(&md, "# %s\n\n%s to %s, %.0f days: %d conversations, %d users.\n\n", title, m.Data.From.Format("2006-01-02"), m.Data.To.Format("2006-01-02"),
		m.Days, len(m.Data.Conversations), len(m.Data.Users))
	if m.Data.ScheduleNote != "" {
		fmt.Fprintf(&md, "WFM schedules: %s.\n\n", m.Data.ScheduleNote)
	}
	if m.WFM != "" {
		fmt.Fprintf(&md, "%s.\n\n", m.WFM)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(&md, "- **Warning:** %s\n", w)
	}
	md.WriteString("\n| what | distribution | n | mean | median | fit |\n|---|---|--:|--:|--:|---|\n")
	fits := m.fits()
	for _, f := range fits {
		fmt.Fprintf(&md, "| %s | %s | %d | %s | %s | %s |\n", f.What, f.Kind, f.N, secs(f.Mean), secs(f.Median), f.comment())
	}
	md.WriteString("\n## Arrivals per hour (mean over days)\n\n| hour from start | per hour |\n|---|--:|\n")
	for h, r := range m.Rates {
		fmt.Fprintf(&md, "| %d | %.2f |\n", h, r)
	}
	md.WriteString("\n## Presences (logged-in time)\n\n| presence | GUID | system | share | starts per expert-day | median segment |\n|---|---|---|--:|--:|--:|\n")
	for _, p := range m.Presences {
		fmt.Fprintf(&md, "| %s | %s | %s | %.1f%% | %.2f | %s |\n", p.Label, p.ID, p.System, 100*m.Shares[p.Name], m.Starts[p.Name], dur(m.SegMedian[p.Name].Round(time.Second)))
	}
	if err := os.WriteFile(filepath.Join(dir, "calibration.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(&body, "<h1>%s</h1>\n<p>%s to %s, %.0f days: %d conversations, %d users.</p>\n", html.EscapeString(title),
		m.Data.From.Format("2006-01-02"), m.Data.To.Format("2006-01-02"), m.Days, len(m.Data.Conversations), len(m.Data.Users))
	if m.Data.ScheduleNote != "" {
		fmt.Fprintf(&body, "<p>WFM schedules: %s.</p>\n", html.EscapeString(m.Data.ScheduleNote))
	}
	if m.WFM != "" {
		fmt.Fprintf(&body, "<p>%s.</p>\n", html.EscapeString(m.WFM))
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(&body, "<p class=warn>Warning: %s</p>\n", html.EscapeString(w))
	}
	body.WriteString("<table><tr><th>what</th><th>distribution</th><th>n</th><th>mean</th><th>median</th><th>fit</th></tr>\n")
	for _, f := range fits {
		fmt.Fprintf(&body, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", html.EscapeString(f.What), f.Kind, f.N,
			secs(f.Mean), secs(f.Median), html.EscapeString(f.comment()))
	}
	body.WriteString("</table>\n<h2>Presences</h2>\n<table><tr><th>presence</th><th>GUID</th><th>system</th><th>share of logged-in time</th><th>starts per expert-day</th><th>median segment</th></tr>\n")
	for _, p := range m.Presences {
		fmt.Fprintf(&body, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%.1f%%</td><td>%.2f</td><td>%s</td></tr>\n", html.EscapeString(p.Label), p.ID, p.System,
			100*m.Shares[p.Name], m.Starts[p.Name], dur(m.SegMedian[p.Name].Round(time.Second)))
	}
	body.WriteString("</table>\n<h2>Fitted against observed</h2>\n<p>Left: histogram of the observations (bars) and the fitted density (line). Right: QQ plot, observed quantiles against the fitted distribution's; on the diagonal when the fit is right. Durations in minutes.</p>\n")
	for _, f := range fits {
		if len(f.Samples) < minSamples || f.What == "patience" || f.Kind == "fixed" {
			continue
		}
		hist, qq, err := fitPlots(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(&body, "<figure><figcaption>%s</figcaption><img alt=\"%s histogram\" src=\"data:image/png;base64,%s\"><img alt=\"%s QQ\" src=\"data:image/png;base64,%s\"></figure>\n",
			html.EscapeString(f.What), html.EscapeString(f.What), base64.StdEncoding.EncodeToString(hist), html.EscapeString(f.What), base64.StdEncoding.EncodeToString(qq))
	}
	if m.Patience != nil {
		png, err := m.kmPlot()
		if err != nil {
			return err
		}
		fmt.Fprintf(&body, "<figure><figcaption>patience: Kaplan–Meier survival (steps) against the censored %s fit (line); abandoned waits are events, answered and voicemail waits censored</figcaption><img alt=\"patience survival\" src=\"data:image/png;base64,%s\"></figure>\n",
			m.Patience.Kind, base64.StdEncoding.EncodeToString(png))
	}
	page := "<!doctype html><html><head><meta charset=utf-8><title>" + html.EscapeString(title) + "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}figure{margin:1em 0}img{width:480px}.warn{color:#a40}</style></head><body>\n" +
		body.String() + "</body></html>\n"
	return os.WriteFile(filepath.Join(dir, "calibration.html"), []byte(page), 0o644)
}

func secs(s float64) string {
	if math.IsNaN(s) || s == 0 {
		return "–"
	}
	if s < 120 {
		return fmt.Sprintf("%.1fs", s)
	}
	return fmt.Sprintf("%.1f min", s/60)
}

// fits lists every fitted distribution in report order.
func (m *Model) fits() []Fit {
	out := []Fit{m.Handle, m.ACW}
	if m.Response.Kind != "" {
		out = append(out, m.Response)
	}
	if m.Patience != nil {
		out = append(out, *m.Patience)
	}
	for _, g := range m.Groups {
		if g.MeetLen != nil {
			out = append(out, *g.MeetLen)
		}
		if g.ChurnLen != nil {
			out = append(out, *g.ChurnLen)
		}
	}
	return out
}

// quantile is the fitted distribution's inverse CDF (seconds).
func (f Fit) quantile(p float64) float64 {
	switch f.Kind {
	case "exponential":
		return distuv.Exponential{Rate: 1 / f.Mean}.Quantile(p)
	case "lognormal":
		return distuv.LogNormal{Mu: math.Log(f.Median), Sigma: f.Sigma}.Quantile(p)
	case "fixed":
		return f.Mean
	}
	i := min(len(f.Samples)-1, int(p*float64(len(f.Samples))))
	return f.Samples[i]
}

func (f Fit) density(x float64) float64 {
	switch f.Kind {
	case "exponential":
		return distuv.Exponential{Rate: 1 / f.Mean}.Prob(x)
	case "lognormal":
		return distuv.LogNormal{Mu: math.Log(f.Median), Sigma: f.Sigma}.Prob(x)
	}
	return math.NaN()
}

func fitPlots(f Fit) ([]byte, []byte, error) {
	mins := make(plotter.Values, len(f.Samples))
	for i, v := range f.Samples {
		mins[i] = v / 60
	}
	p := plot.New()
	p.Title.Text = f.What
	p.X.Label.Text = "minutes"
	p.Y.Label.Text = "density"
	h, err := plotter.NewHist(mins, 40)
	if err != nil {
		return nil, nil, err
	}
	h.Normalize(1)
	h.FillColor = color.RGBA{R: 140, G: 170, B: 210, A: 255}
	p.Add(h)
	if f.Kind == "exponential" || f.Kind == "lognormal" {
		line := plotter.NewFunction(func(x float64) float64 { return 60 * f.density(x*60) })
		line.Color = color.RGBA{R: 200, A: 255}
		line.Width = vg.Points(2)
		line.Samples = 200
		p.Add(line)
	}
	hist, err := png(p)
	if err != nil {
		return nil, nil, err
	}
	q := plot.New()
	q.Title.Text = "QQ: " + f.What
	q.X.Label.Text = "fitted quantile (min)"
	q.Y.Label.Text = "observed quantile (min)"
	var pts plotter.XYs
	for i := range 99 {
		pr := (float64(i) + 0.5) / 99
		obs := f.Samples[min(len(f.Samples)-1, int(pr*float64(len(f.Samples))))]
		pts = append(pts, plotter.XY{X: f.quantile(pr) / 60, Y: obs / 60})
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, nil, err
	}
	q.Add(sc)
	hi := slices.MaxFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(max(a.X, a.Y), max(b.X, b.Y)) })
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: max(hi.X, hi.Y), Y: max(hi.X, hi.Y)}})
	diag.Color = color.RGBA{R: 200, A: 255}
	q.Add(diag)
	qq, err := png(q)
	return hist, qq, err
}

func (m *Model) kmPlot() ([]byte, error) {
	p := plot.New()
	p.Title.Text = "patience: survival"
	p.X.Label.Text = "wait (minutes)"
	p.Y.Label.Text = "share still waiting"
	var pts plotter.XYs
	prev := 1.0
	for _, k := range m.KM {
		pts = append(pts, plotter.XY{X: k.T / 60, Y: prev}, plotter.XY{X: k.T / 60, Y: k.S})
		prev = k.S
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	p.Add(l)
	f := *m.Patience
	surv := distuv.Exponential{Rate: 1 / f.Mean}.Survival
	if f.Kind == "lognormal" {
		surv = distuv.LogNormal{Mu: math.Log(f.Median), Sigma: f.Sigma}.Survival
	}
	fn := plotter.NewFunction(func(x float64) float64 { return surv(x * 60) })
	fn.Color = color.RGBA{R: 200, A: 255}
	fn.Width = vg.Points(2)
	p.Add(fn)
	p.X.Max = pts[len(pts)-1].X
	p.Y.Min, p.Y.Max = 0, 1
	return png(p)
}

func png(p *plot.Plot) ([]byte, error) {
	c := vgimg.New(6*vg.Inch, 4*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
