package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"regexp"
	"strings"
	"testing"
)

func TestWriteHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		"<!DOCTYPE html>",
		"<h1>shadowq report: lunch-rush</h1>",
		`<section id="metrics">`, `<section id="figures">`, `<section id="cherry-pick">`,
		`<section id="invariants">`, `<section id="expectations">`,
		`<figure id="latency-cdf">`, `<figure id="utilization">`, `<figure id="timeline">`,
		"<td class=\"num\">74.2s (70.1s..78.3s)</td>", // the metric table
		"no-answer on 6 long calls | after 17:00",     // cherry-pick evidence
		"expert e2 got escalation x41 while on x40",   // an invariant violation
		"<code>shadowq.latency.p95 &lt; 90s</code>",   // an expectation, escaped
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}

	// Exactly three images, all inline PNGs that decode.
	imgs := regexp.MustCompile(`<img src="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(imgs) != 3 {
		t.Fatalf("%d images, want 3", len(imgs))
	}
	for _, m := range imgs {
		b64, ok := strings.CutPrefix(m[1], "data:image/png;base64,")
		if !ok {
			t.Errorf("image source %.40q is not an inline PNG", m[1])
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Errorf("image data: %v", err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Errorf("image is not a PNG: %v", err)
		}
	}
	// Self-contained: nothing fetched from anywhere.
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}

	// Equal input, equal bytes.
	var b2 bytes.Buffer
	if err := WriteHTML(&b2, fixture()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("two renders of the same results differ")
	}
}

// gonum/plot rasterizes in pure Go, so equal input must give equal PNG
// bytes. If this ever fails (a gonum/plot or x/image change), switch the
// figures to inline SVG (vg/vgsvg), whose output is text.
func TestPlotsDeterministic(t *testing.T) {
	for _, r := range []*Results{fixture(), bigFixture(), {}} {
		a, err := makeFigures(r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := makeFigures(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if !bytes.Equal(a[i].PNG, b[i].PNG) {
				t.Errorf("%s: two renders differ", a[i].ID)
			}
			if _, err := png.Decode(bytes.NewReader(a[i].PNG)); err != nil {
				t.Errorf("%s: not a PNG: %v", a[i].ID, err)
			}
		}
	}
}

// Over the caps, the figures say so.
func TestFigureCaps(t *testing.T) {
	figs, err := makeFigures(bigFixture())
	if err != nil {
		t.Fatal(err)
	}
	if c := figs[1].Caption; !strings.Contains(c, "first 150 of 160 experts") {
		t.Errorf("utilization caption %q does not mention the cap", c)
	}
	// The sample day shows every team, a bounded number each.
	if c := figs[2].Caption; !strings.Contains(c, "Every team is shown, at most 8 experts each (by id): 8 of 54 g1, 8 of 53 g2, 8 of 53 g3.") {
		t.Errorf("timeline caption %q does not mention the cap per team", c)
	}
	rows, _ := timelineRows(bigFixture(), []string{"x1", "x2", "x3", "x160", "x159", "x158", "x4"})
	if got := strings.Join(rows, " "); got != "x1 x4 x160 x2 x158 x3 x159" {
		t.Errorf("timeline rows %s: want every team, by team then id", got)
	}
	// Under the caps, no such note.
	figs, err = makeFigures(fixture())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		if strings.Contains(f.Caption, "first") {
			t.Errorf("%s caption %q mentions a cap", f.ID, f.Caption)
		}
	}
}

// An empty Results still renders a complete page with three (empty)
// figures.
func TestWriteHTMLEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, &Results{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "<img "); n != 3 {
		t.Errorf("%d images, want 3", n)
	}
}

// bigFixture has 75 experts, over both caps.
func bigFixture() *Results {
	r := fixture()
	r.PerExpert = nil
	r.Timeline = Timeline{}
	whats := []string{"available", "meeting", "focus", "lunch"}
	results := []string{"accepted", "declined", "no_answer", "error", "weird"}
	for i := range 160 {
		id := fmt.Sprintf("x%d", i+1)
		r.PerExpert = append(r.PerExpert, ExpertResult{ID: id, Group: fmt.Sprintf("g%d", i%3+1), Utilization: []float64{float64(i%10) / 12, float64(i%7) / 8}})
		for h := range 8 {
			r.Timeline.Spans = append(r.Timeline.Spans, Span{Expert: id, Start: float64(h) * 3600, End: float64(h+1) * 3600, What: whats[(i+h)%len(whats)]})
			r.Timeline.Spans = append(r.Timeline.Spans, Span{Expert: id, Start: float64(h)*3600 + 600, End: float64(h)*3600 + 1500, What: "busy"})
			r.Timeline.Deliveries = append(r.Timeline.Deliveries, Delivery{Expert: id, At: float64(h)*3600 + 590, Result: results[(i*h)%len(results)], Interrupt: (i+h)%9 == 0})
		}
	}
	return r
}
