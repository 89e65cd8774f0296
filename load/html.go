package load

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The HTML report of a run (`shadowq load --out DIR` writes load.html):
// the summary rows of WriteTable and four time series drawn with
// gonum/plot, embedded as PNG data URLs, so the file stands alone (no
// scripts, no external URLs).

// figure is one rendered plot.
type figure struct {
	ID, Title, Caption string
	// Img is the <img> tag with the PNG inline, built by hand: through a
	// template.URL, html/template would escape every "+" of the base64
	// text as "&#43;". The base64 alphabet is attribute-safe.
	Img template.HTML
}

// line is one series of a figure: y per second, negative values absent.
type line struct {
	name  string
	ys    []float64
	color color.Color
}

var (
	blue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	orange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	green  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	red    = color.RGBA{0xd6, 0x27, 0x28, 0xff}
)

// plotPNG draws lines over the seconds of the run.
func plotPNG(ylabel string, lines []line) ([]byte, error) {
	p := plot.New()
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{0xe0}, color.Gray{0xe0}
	p.Add(g)
	p.X.Label.Text = "second of the measured phase"
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	for _, l := range lines {
		var xys plotter.XYs
		for i, y := range l.ys {
			if y >= 0 {
				xys = append(xys, plotter.XY{X: float64(i) + 0.5, Y: y})
			}
		}
		if len(xys) == 0 {
			continue
		}
		pl, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plotting %s: %w", l.name, err)
		}
		pl.Color, pl.Width = l.color, vg.Points(1.5)
		p.Add(pl)
		if len(lines) > 1 {
			p.Legend.Add(l.name, pl)
		}
	}
	if len(lines) > 1 {
		p.Y.Max *= 1.25 // room for the legend above the lines
	}
	c := vgimg.New(8*vg.Inch, 3*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encoding plot: %w", err)
	}
	return b.Bytes(), nil
}

func (r *Result) figures() ([]figure, error) {
	s := &r.Series
	specs := []struct {
		id, title, caption, ylabel string
		lines                      []line
	}{
		{"events", "Presence events applied per second", "Per replica: the rate serve kept up with.", "events/s",
			[]line{{"events/s", s.EventsPerSecond, blue}}},
		{"staleness", "Staleness p99 per second", "Change at Genesys (its modifiedDate) → applied in serve's engine; 99th percentile of the events applied in each second.", "ms",
			[]line{{"staleness p99", s.StalenessP99Ms, orange}}},
		{"decision", "Decision p99 per second", "Data Action round trip (POST /v1/escalations); 99th percentile of the answers received in each second.", "ms",
			[]line{{"decision p99", s.DecisionP99Ms, green}}},
		{"outcomes", "Answers per second", "What the Data Action answered, by the second the answer arrived.", "answers/s",
			[]line{{"routed", s.Routed, green}, {"hold", s.Hold, orange}, {"fallback", s.Fallback, red}}},
	}
	var out []figure
	for _, sp := range specs {
		png, err := plotPNG(sp.ylabel, sp.lines)
		if err != nil {
			return nil, err
		}
		img := `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `" alt="` + html.EscapeString(sp.title) + `">`
		out = append(out, figure{ID: sp.id, Title: sp.title, Caption: sp.caption, Img: template.HTML(img)})
	}
	return out, nil
}

var htmlPage = template.Must(template.New("load").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>shadowq load report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{font-weight:600}figure{margin:1.5rem 0}img{max-width:100%}figcaption{color:#555;font-size:.9rem}
</style></head><body>
<h1>shadowq load report</h1>
<p id="settings">{{.Settings}}</p>
<section id="summary"><h2>Summary</h2><table>
{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table></section>
<section id="series"><h2>Over time</h2>
{{range .Figures}}<figure id="{{.ID}}"><h3>{{.Title}}</h3>{{.Img}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}</section>
</body></html>
`))

// WriteHTML writes the report page; settings describes the run (the
// command's flags) in one line.
func (r *Result) WriteHTML(w io.Writer, settings string) error {
	figs, err := r.figures()
	if err != nil {
		return err
	}
	return htmlPage.Execute(w, struct {
		Settings string
		Rows     [][2]string
		Figures  []figure
	}{settings, r.rows(), figs})
}
