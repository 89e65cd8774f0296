package reports

import (
	"bytes"
	"strings"
	"testing"
)

// twoBaselines is the fixture with its baseline renamed "today" and a
// second baseline "roster" whose figures (and deltas) differ.
func twoBaselines() *Results {
	r := fixture()
	r.Policies[0].Name = "today"
	roster := PolicyResult{Name: "roster"}
	var d []Metric
	for _, m := range r.Policies[1].Metrics {
		b := m
		b.Mean, b.Lo, b.Hi = m.Mean+1, m.Lo+1, m.Hi+1
		roster.Metrics = append(roster.Metrics, b)
		dm := m
		dm.Mean, dm.Lo, dm.Hi = -1, -1.5, -0.5
		d = append(d, dm)
	}
	r.Policies = []PolicyResult{r.Policies[0], roster, r.Policies[1]}
	r.Deltas[0].Baseline = "today"
	r.Deltas = append(r.Deltas, DeltaResult{Baseline: "roster", Metrics: d})
	return r
}

// Tables show every arm and shadowq's delta against each baseline.
func TestTablesShowEveryBaseline(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTables(&b, twoBaselines()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"today (95% CI)", "roster (95% CI)", "shadowq (95% CI)", "delta shadowq−today (95% CI)", "delta shadowq−roster (95% CI)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
	b.Reset()
	if err := WriteCSV(&b, twoBaselines()); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := strings.Cut(b.String(), "\n"); !strings.Contains(h, "roster_mean") || !strings.Contains(h, "delta_roster_mean") || !strings.Contains(h, "delta_today_hi") {
		t.Errorf("csv header %s", h)
	}
}

// Expectations name a baseline arm, or a delta against one.
func TestEvaluateNamedBaselines(t *testing.T) {
	r := twoBaselines()
	for _, c := range []struct {
		text   string
		passed bool
		detail string
	}{
		// delta.NAME.metric: against that baseline
		{"delta.roster.utilization < 0 at 95%", true, "delta[roster].utilization"},
		// delta.metric: against the first baseline
		{"delta.utilization > 0 at 95%", true, "delta.utilization"},
		// a baseline by its name
		{"roster.utilization > 1.5", true, "roster.utilization"},
		// baseline.metric: the first baseline when none is named so
		{"baseline.utilization < 0.7", true, "baseline.utilization"},
		// an unknown arm fails with the known ones listed
		{"base.utilization < 1", false, `no policy "base" in the results (policies: today, roster, shadowq)`},
		{"delta.rooster.utilization < 1", false, `no baseline "rooster" in the results (baselines: today, roster)`},
	} {
		e, err := ParseExpectation(c.text, testPos)
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		got := e.Evaluate(r)
		if got.Passed != c.passed || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s: passed %v, %s", c.text, got.Passed, got.Detail)
		}
	}
}
