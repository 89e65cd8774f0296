package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// sweepFixture: today's service level grows with the team, shadowq's is
// high throughout; net value falls through zero between 12 and 16.
func sweepFixture() *Results {
	r := fixture()
	r.Currency = "EUR"
	mk := func(name string, mean, lo, hi float64) Metric {
		return Metric{Name: name, Unit: MetricUnit(name), Mean: mean, Lo: lo, Hi: hi, N: 10}
	}
	s := &SweepResult{Keys: []string{"experts[platform].count"}}
	for _, c := range []struct{ n, slToday, slSq, net, wait float64 }{
		{16, 0.85, 0.97, -300, -5}, // out of order on purpose
		{4, 0.10, 0.90, 5000, -300},
		{8, 0.50, 0.95, 2000, -120},
		{12, 0.79, 0.96, 400, -40},
	} {
		p := SweepPoint{Values: []float64{c.n}}
		p.Policies = []PolicyResult{
			{Name: "today", Metrics: []Metric{mk(MServiceLevel, c.slToday, c.slToday-0.02, c.slToday+0.02)}},
			{Name: Shadowq, Metrics: []Metric{mk(MServiceLevel, c.slSq, c.slSq-0.005, c.slSq+0.005)}},
		}
		p.Deltas = []DeltaResult{{Baseline: "today", Metrics: []Metric{mk(MNetValue, c.net, c.net-100, c.net+100), mk(MWaitMean, c.wait, c.wait-2, c.wait+2)}}}
		s.Points = append(s.Points, p)
	}
	r.Sweep = s
	return r
}

func TestBreakEvenAndStaffing(t *testing.T) {
	r := sweepFixture()
	be := breakEvens(r.Sweep)
	if len(be) != 2 {
		t.Fatalf("break-evens %q", be)
	}
	// 400 at 12, -300 at 16: zero at 12 + 4·400/700 ≈ 14.3.
	if want := "vs today, net value per day turns negative between experts[platform].count = 12 (+400) and 16 (-300): break-even at about 14.3"; !strings.HasPrefix(be[0], want) {
		t.Errorf("net value:\n got %s\nwant %s", be[0], want)
	}
	if !strings.Contains(be[1], "no break-even for latency gain") || !strings.Contains(be[1], "positive at every point (+5.0s to +5m00s)") {
		t.Errorf("latency gain: %s", be[1])
	}
	rows := staffingRows(r.Sweep, 60)
	want := [][]string{
		{"80.0% of escalations within 60.0s", "16 (at 95%: 16)", "4 (at 95%: 4)"},
		{"90.0% of escalations within 60.0s", "not reached by 16", "4 (at 95%: 8)"},
	}
	if len(rows) != 2 || strings.Join(rows[0], "|") != strings.Join(want[0], "|") || strings.Join(rows[1], "|") != strings.Join(want[1], "|") {
		t.Errorf("staffing rows\n got %q\nwant %q", rows, want)
	}
	// Noise is called noise.
	if s := crossing("k", "b", "x", MWaitMean, []float64{1, 2}, []Metric{{Mean: 1, Lo: -1, Hi: 3, N: 5}, {Mean: -1, Lo: -3, Hi: 1, N: 5}}, []float64{math.NaN(), math.NaN()}); !strings.Contains(s, "this is noise") {
		t.Errorf("noise crossing: %s", s)
	}
	// A significant but tiny change is called negligible.
	if s := crossing("k", "b", "x", MWaitMean, []float64{1, 2}, []Metric{{Mean: 0.01, Lo: 0.005, Hi: 0.015, N: 5}, {Mean: -0.02, Lo: -0.03, Hi: -0.01, N: 5}}, []float64{15, 16}); !strings.Contains(s, "negligible") {
		t.Errorf("noise crossing: %s", s)
	}
	// Every format shows the sweep; the HTML has a plot per metric.
	var md, txt, html bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteTables(&txt, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"md": md.String(), "table": txt.String(), "html": html.String()} {
		for _, w := range []string{"break-even at about 14.3", "Staffing", "not reached by 16"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
	var again bytes.Buffer
	if err := WriteHTML(&again, r); err != nil || !bytes.Equal(again.Bytes(), html.Bytes()) {
		t.Errorf("two renders of a sweep differ (err %v)", err)
	}
	for _, id := range []string{`id="sweep-service_level"`, `id="sweep-net_value_per_day"`} {
		if !strings.Contains(html.String(), id) {
			t.Errorf("html lacks the figure %s", id)
		}
	}
}
