package sim

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/shadowq/shadowq/reports"
)

// The shipped four-week scenario runs as a multi-day world: per-day and
// hour-of-week figures add up to the run's totals, follow the weekly
// pattern written in the file, respect the working hours, keep the
// invariants, and come out byte-identical for one seed whatever the
// number of workers.
func TestWeekScenario(t *testing.T) {
	sc := load(t, "tier3-week.yaml")
	var outs [][]byte
	var res *reports.Results
	for _, workers := range []int{1, 2} {
		r, _, err := Run(sc, Options{Replications: 2, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		res = r
		outs = append(outs, jsonOf(t, r))
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("results differ between runs of the same seed")
	}
	if v := res.Invariants.Violations; len(v) > 0 {
		t.Fatalf("%d violations, first: %s", len(v), v[0])
	}
	if len(res.Days) != 28 || res.TimeZone != "Europe/Berlin" {
		t.Fatalf("%d days in %q, want 28 in Europe/Berlin", len(res.Days), res.TimeZone)
	}
	if d := res.Days[0]; d.Date != "2026-03-09" || d.Weekday != "Mon" || res.Days[27].Date != "2026-04-05" {
		t.Errorf("days run %s %s .. %s", d.Date, d.Weekday, res.Days[27].Date)
	}
	for p, pol := range res.Policies {
		total, perDay := metric(t, pol.Metrics, reports.MEscalations).Mean, 0.0
		byDay := map[string][]float64{}
		for _, d := range res.Days {
			a := d.Arms[p]
			if a.Name != pol.Name || a.Escalations == nil {
				t.Fatalf("day %d arm %d: %+v", d.Day, p, a)
			}
			perDay += *a.Escalations
			byDay[d.Weekday] = append(byDay[d.Weekday], *a.Escalations)
			if d.Weekday == "Sun" && (*a.Escalations != 0 || a.Utilization != nil || a.ServiceLevel != nil) {
				t.Errorf("%s: Sunday %s has escalations %v, utilization %v: nobody works or calls on Sundays", pol.Name, d.Date, *a.Escalations, a.Utilization)
			}
			if d.Weekday != "Sun" && (a.Utilization == nil || *a.Utilization <= 0 || *a.Utilization > 1) {
				t.Errorf("%s: %s utilization %v", pol.Name, d.Date, a.Utilization)
			}
		}
		if math.Abs(perDay-total) > 1e-6*total {
			t.Errorf("%s: days add up to %v escalations, the run counted %v", pol.Name, perDay, total)
		}
		// The Monday peak (×1.35) and the quiet Saturday (×0.25), relative
		// to Tuesday (×1), over four weeks: within sampling error.
		mon, tue, sat := sum(byDay["Mon"]), sum(byDay["Tue"]), sum(byDay["Sat"])
		if r := mon / tue; r < 1.2 || r > 1.5 {
			t.Errorf("%s: Monday/Tuesday = %.2f, want about 1.35", pol.Name, r)
		}
		if r := sat / tue; r < 0.18 || r > 0.32 {
			t.Errorf("%s: Saturday/Tuesday = %.2f, want about 0.25", pol.Name, r)
		}
	}
	// Hours of week: only where the file has arrivals (Monday to Saturday,
	// 08:00-16:00 local), at the rate it gives.
	for _, h := range res.HourOfWeek {
		day, hour := h.HourOfWeek/24, h.HourOfWeek%24
		if day == 6 || hour < 8 || hour > 16 {
			t.Errorf("arrivals at %s", h.Label)
		}
	}
	mon10 := findHour(t, res, "Mon 10:00")
	if got, want := *mon10.Arms[0].ArrivalsPerHour, 40*1.35*1.15; math.Abs(got-want) > 0.2*want {
		t.Errorf("Monday 10:00: %.1f arrivals an hour, want about %.1f", got, want)
	}
	// The sample day is the first working day, not the month.
	lo, hi := sc.Week.Bounds[0].Seconds(), sc.Week.Bounds[1].Seconds()
	if len(res.Timeline.Spans) == 0 {
		t.Fatal("no timeline")
	}
	for _, s := range res.Timeline.Spans {
		if s.Start < lo || s.End > hi {
			t.Fatalf("timeline span %+v outside the first day [%v, %v]", s, lo, hi)
		}
	}
}

func findHour(t *testing.T, res *reports.Results, label string) reports.HourResult {
	t.Helper()
	for _, h := range res.HourOfWeek {
		if h.Label == label {
			return h
		}
	}
	t.Fatalf("no hour %q", label)
	return reports.HourResult{}
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// Busy time is split at local midnight: a conversation running past it
// counts on both days.
func TestAddBusySplitsAtMidnight(t *testing.T) {
	sc := load(t, "tier3-week.yaml")
	wk := sc.Week
	d := newDayRun(wk.Days)
	mid := wk.Bounds[1]
	d.addBusy(wk, mid-10*time.Minute, mid+5*time.Minute)
	d.addBusy(wk, wk.Bounds[wk.Days]-time.Minute, wk.Bounds[wk.Days]+time.Hour) // the drain is no day
	if d.busy[0] != 10*time.Minute || d.busy[1] != 5*time.Minute || d.busy[wk.Days-1] != time.Minute {
		t.Errorf("busy per day %v %v .. %v", d.busy[0], d.busy[1], d.busy[wk.Days-1])
	}
}
