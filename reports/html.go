package reports

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"io"
)

// WriteHTML writes report.html: one self-contained page (inline CSS, plots
// as inline base64 PNGs, no scripts, no external URLs), so it can be
// archived as a CI artifact and opened anywhere. It holds the run header,
// the metric table, the three figures (latency CDF, utilization per
// expert, sample-day timeline), cherry-pick detection, invariants and
// expectations. Equal Results give identical bytes.
func WriteHTML(w io.Writer, r *Results) error {
	figs, err := makeFigures(r)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	data := htmlData{
		R:            r,
		Run:          runSummary(r),
		MetricHeader: metricHeader(r),
		Metrics:      metricRows(r),
		CherrySum:    cherrySummary(r),
		CherryHeader: cherryHeader,
		Cherry:       cherryRows(r),
		InvSum:       invariantSummary(r),
		InvPassed:    len(r.Invariants.Violations) == 0,
		ExpectSum:    expectSummary(r),
		Expect:       expectLines(r),
		Omitted:      omittedNote(r),
		PrioHeader:   priorityHeader,
		Prio:         priorityRows(r),
		Glossary:     glossary,
	}
	if r.Sweep != nil {
		sw := &htmlSweep{Summary: sweepSummary(r), BreakEven: breakEvens(r.Sweep)}
		for _, m := range sweepTableMetrics(r.Sweep) {
			sw.Tables = append(sw.Tables, htmlTable{Title: sweepMetricTitle(m), Header: sweepHeader(r.Sweep, m), Rows: sweepRows(r.Sweep, m)})
		}
		if rows := staffingRows(r.Sweep, r.ServiceLevelS); rows != nil {
			sw.Staffing = &htmlTable{Title: r.Sweep.Keys[0] + " needed per arm: the fewest swept whose mean service level meets the target; in brackets, whose whole 95% CI does.",
				Header: staffingHeader(r.Sweep), Rows: rows}
		}
		sfigs, err := sweepFigures(r)
		if err != nil {
			return fmt.Errorf("html report: %w", err)
		}
		for _, f := range sfigs {
			sw.Figures = append(sw.Figures, htmlFig(f))
		}
		if len(r.Sweep.Keys) > 1 {
			sw.Note = "Plots are drawn for one-key sweeps only; this grid is in the tables."
		}
		data.Sweep = sw
	}
	for _, v := range verdicts(r) {
		data.Verdicts = append(data.Verdicts, htmlVerdict{V: v, Header: verdictHeader(v), Rows: verdictRows(v)})
	}
	if hasGroups(r) {
		data.GroupHeader, data.Groups = groupHeader(r), groupRows(r)
	}
	if len(r.Days) > 0 {
		h, rows := dayRows(r)
		data.Days = &htmlTable{Title: "Means over replications of each day's figures: escalations arriving that day, their service level and latency p95, and utilization (busy over staffed time that day). – means no value.", Header: h, Rows: rows}
		h, rows = hourRows(r)
		data.Hours = &htmlTable{Title: "Local time (" + r.TimeZone + "); arrivals per hour pooled over the weeks of the run, service level and latency of the escalations arriving in that hour; hours without arrivals are left out.", Header: h, Rows: rows}
	}
	for _, f := range figs {
		data.Figures = append(data.Figures, htmlFig(f))
	}
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, data); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return bw.Flush()
}

type htmlData struct {
	R            *Results
	Run          []string
	MetricHeader []string
	Metrics      [][]string
	Figures      []htmlFigure
	CherrySum    string
	CherryHeader []string
	Cherry       [][]string
	InvSum       string
	InvPassed    bool
	ExpectSum    string
	Expect       []expectLine
	Verdicts     []htmlVerdict
	Omitted      string
	PrioHeader   []string
	Prio         [][]string
	GroupHeader  []string
	Groups       [][]string
	Glossary     []glossaryEntry
	Sweep        *htmlSweep
	Days, Hours  *htmlTable // multi-day worlds only
}

type htmlVerdict struct {
	V      verdict
	Header []string
	Rows   [][]string
}

// htmlFig inlines a figure's PNG. Built by hand rather than through a
// template.URL: html/template would escape every "+" of the base64 text
// as "&#43;", a third more bytes for nothing. The base64 alphabet is
// attribute-safe.
func htmlFig(f figure) htmlFigure {
	img := `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(f.PNG) +
		`" alt="` + html.EscapeString(f.Title) + `">`
	return htmlFigure{ID: f.ID, Title: f.Title, Caption: f.Caption, Img: template.HTML(img)}
}

type htmlTable struct {
	Title  string
	Header []string
	Rows   [][]string
}

type htmlSweep struct {
	Summary   string
	Tables    []htmlTable
	Figures   []htmlFigure
	BreakEven []string
	Staffing  *htmlTable
	Note      string
}

type htmlFigure struct {
	ID, Title, Caption string
	Img                template.HTML
}

var htmlTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shadowq report: {{.R.Scenario}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
ul.run { list-style: none; padding: 0; color: #555; }
table { border-collapse: collapse; margin: .8em 0; display: block; overflow-x: auto; max-width: 100%; }
th, td { padding: .3em .7em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.metric, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9em; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #c62828; font-weight: 600; }
.detail { color: #555; }
p.summary { font-size: 1.05em; font-weight: 600; }
table.verdict { font-size: .93em; }
table.verdict td:last-child { white-space: nowrap; }
</style>
</head>
<body>
<h1>shadowq report: {{.R.Scenario}}</h1>
<ul class="run">{{range .Run}}
<li>{{.}}</li>{{end}}
</ul>

{{if .Verdicts}}<section id="verdict">
<h2>Verdict</h2>{{range .Verdicts}}
<h3>Against {{.V.Baseline}}</h3>
<p class="summary">{{.V.Summary}}</p>
<table class="verdict">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range $i, $c := .}}{{if eq $i 0}}<td>{{$c}}</td>{{else if eq $i 5}}<td class="{{if eq $c "better"}}pass{{else if eq $c "WORSE"}}fail{{else}}detail{{end}}">{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>{{if .V.Regressions}}
<p class="fail">Regressions:</p>
<ul>{{range .V.Regressions}}
<li>{{.}}</li>{{end}}
</ul>{{end}}
<p>Design targets (original design notes):</p>
<ul>{{range .V.Targets}}
<li>{{.Label}}: <span class="{{if .Met}}pass{{else}}fail{{end}}">{{.Status}}</span> <span class="detail">({{.Detail}})</span></li>{{end}}
</ul>{{end}}
</section>
{{end}}
<section id="metrics">
<h2>Metrics</h2>
<p>Mean over {{.R.Replications}} replications with 95% confidence intervals; each delta is shadowq minus one baseline, paired by replication (common random numbers), in percentage points (pp) for shares; rel is shadowq ÷ baseline − 1.</p>
<table>
<thead><tr>{{range .MetricHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Metrics}}
<tr>{{range $i, $c := .}}{{if eq $i 0}}<td class="metric">{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>{{if .Omitted}}
<p class="detail">{{.Omitted}}</p>{{end}}
</section>
{{if .Prio}}
<section id="per-priority">
<h2>Per priority</h2>
<p>Means over replications (CIs in results.json and the CSV). P1 is what interruptible meetings are for.</p>
<table>
<thead><tr>{{range .PrioHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Prio}}
<tr>{{range $i, $c := .}}{{if lt $i 2}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>
</section>
{{end}}{{if .Groups}}
<section id="per-group">
<h2>Utilization per group</h2>
<p>Mean of the group's experts' utilization (busy over staffed time) per arm.</p>
<table>
<thead><tr>{{range .GroupHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Groups}}
<tr>{{range $i, $c := .}}{{if eq $i 0}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>
</section>
{{end}}{{with .Days}}
<section id="per-day">
<h2>Per day</h2>
<p>{{.Title}}</p>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range $i, $c := .}}{{if lt $i 2}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>
</section>
{{end}}{{with .Hours}}
<section id="hour-of-week">
<h2>By hour of week</h2>
<p>{{.Title}}</p>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range $i, $c := .}}{{if eq $i 0}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>
</section>
{{end}}

<section id="figures">
<h2>Figures</h2>{{range .Figures}}
<figure id="{{.ID}}">
<h3>{{.Title}}</h3>
{{.Img}}
<figcaption>{{.Caption}}</figcaption>
</figure>{{end}}
</section>

{{with .Sweep}}<section id="sweep">
<h2>Sweep</h2>
<p>{{.Summary}}</p>{{if .BreakEven}}
<h3>Break-even</h3>
<ul>{{range .BreakEven}}
<li>{{.}}</li>{{end}}
</ul>{{end}}{{with .Staffing}}
<h3>Staffing</h3>
<p>{{.Title}}</p>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range $i, $c := .}}{{if eq $i 0}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>{{end}}{{range .Figures}}
<figure id="{{.ID}}">
<h3>{{.Title}}</h3>
{{.Img}}
<figcaption>{{.Caption}}</figcaption>
</figure>{{end}}{{if .Note}}
<p class="detail">{{.Note}}</p>{{end}}{{range .Tables}}
<h3>{{.Title}}</h3>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td class="num">{{.}}</td>{{end}}</tr>{{end}}
</tbody>
</table>{{end}}
</section>
{{end}}
<section id="cherry-pick">
<h2>Cherry-pick detection</h2>
<p>{{.CherrySum}}</p>{{if .Cherry}}
<table>
<thead><tr>{{range .CherryHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Cherry}}
<tr>{{range $i, $c := .}}{{if eq $i 2}}<td class="num">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>{{end}}
</section>

<section id="invariants">
<h2>Invariants</h2>
<p class="{{if .InvPassed}}pass{{else}}fail{{end}}">{{.InvSum}}</p>{{if .R.Invariants.Violations}}
<ul>{{range .R.Invariants.Violations}}
<li>{{.}}</li>{{end}}
</ul>{{end}}
</section>

<section id="expectations">
<h2>Expectations</h2>
<p>{{.ExpectSum}}</p>{{if .Expect}}
<table>
<thead><tr><th>result</th><th>expectation</th><th>where</th><th>detail</th></tr></thead>
<tbody>{{range .Expect}}
<tr><td class="{{if .Passed}}pass{{else}}fail{{end}}">{{.Verdict}}</td><td><code>{{.Text}}</code></td><td>{{.Pos}}</td><td class="detail">{{.Detail}}</td></tr>{{end}}
</tbody>
</table>{{end}}
</section>

<section id="glossary">
<h2>Glossary</h2>
<table>
<thead><tr><th>metric</th><th>unit</th><th>what counts</th></tr></thead>
<tbody>{{range .Glossary}}
<tr><td class="metric">{{.Metric}}</td><td>{{.Unit}}</td><td>{{.Meaning}}</td></tr>{{end}}
</tbody>
</table>
</section>
</body>
</html>
`))
