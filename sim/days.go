package sim

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// A multi-day world (scenarios.Week) is also measured per day and per hour
// of week: one arm's figures of one replication are a dayRun; the summary
// averages them over replications (a mean of per-replication values, the
// way every other metric is summarised, so a day's p95 is the mean of the
// replications' p95s of that day).

// dayRun is one arm's per-day and hour-of-week figures in one replication.
// Escalations count on the day and hour of their arrival (after warm-up).
type dayRun struct {
	esc, routed, inSL, abandoned []int           // per day
	lat                          [][]float64     // per day: latencies of the routed, seconds
	busy, staffed                []time.Duration // per day, inside the measurement window
	howEsc, howSL                [hoursOfWeek]int
	howLat                       [hoursOfWeek][]float64
}

const hoursOfWeek = 7 * 24

func newDayRun(days int) *dayRun {
	return &dayRun{esc: make([]int, days), routed: make([]int, days), inSL: make([]int, days), abandoned: make([]int, days),
		lat: make([][]float64, days), busy: make([]time.Duration, days), staffed: make([]time.Duration, days)}
}

// addBusy spreads busy time [from, to) (already clipped to the measurement
// window) over the days it covers.
func (d *dayRun) addBusy(wk *scenarios.Week, from, to time.Duration) {
	for from < to {
		day := wk.Day(from)
		end := min(to, wk.Bounds[day+1])
		if end <= from { // past the last day: the drain window
			return
		}
		d.busy[day] += end - from
		from = end
	}
}

// measureDays fills the per-day figures of a finished run. It runs after
// measure, whose censoring of unfinished escalations it relies on.
func (w *world) measureDays(sl time.Duration) *dayRun {
	wk, sc := w.sc.Week, w.sc
	d := w.days
	for i := range w.xs {
		for _, sh := range w.xs[i].sc.Shifts {
			lo, hi := max(sh.Start, sc.Run.Warmup), min(sh.End, sc.Run.Horizon)
			if hi > lo {
				d.staffed[wk.Day(lo)] += hi - lo // a shift lies within one day
			}
		}
	}
	for i := range w.es {
		e := &w.es[i]
		if !e.counted {
			continue
		}
		day, how := wk.Day(e.a.at), wk.HourOfWeek(sc.Run.Start, e.a.at)
		d.esc[day]++
		d.howEsc[how]++
		switch e.outcome {
		case "routed":
			lat := e.connect - e.a.at
			d.routed[day]++
			d.lat[day] = append(d.lat[day], lat.Seconds())
			d.howLat[how] = append(d.howLat[how], lat.Seconds())
			if lat <= sl {
				d.inSL[day]++
				d.howSL[how]++
			}
		case "abandoned":
			d.abandoned[day]++
		}
	}
	return d
}

// daySummary accumulates dayRuns over replications, arm by arm.
type daySummary struct {
	wk    *scenarios.Week
	start time.Time
	// sums[arm][day][k] and counts (replications with a value) of the
	// per-replication day figures, k indexing dayFields.
	sums, ns [][][]float64
	how      [][][]float64 // [arm][hour of week][k] sums, k indexing howFields
	howN     [][][]float64
	hourOcc  [hoursOfWeek]int // how often each hour of week occurs in the run (after warm-up)
}

var (
	dayFields = []string{"escalations", "serviceLevel", "latencyMean", "latencyP95", "abandonment", "utilization"}
	howFields = []string{"arrivalsPerHour", "serviceLevel", "latencyMean", "latencyP95"}
)

func newDaySummary(sc *scenarios.Scenario, arms int) *daySummary {
	s := &daySummary{wk: sc.Week, start: sc.Run.Start}
	mk := func(n, k int) [][][]float64 {
		out := make([][][]float64, arms)
		for a := range out {
			out[a] = make([][]float64, n)
			for i := range out[a] {
				out[a][i] = make([]float64, k)
			}
		}
		return out
	}
	s.sums, s.ns = mk(sc.Week.Days, len(dayFields)), mk(sc.Week.Days, len(dayFields))
	s.how, s.howN = mk(hoursOfWeek, len(howFields)), mk(hoursOfWeek, len(howFields))
	for t := sc.Run.Warmup.Truncate(time.Hour); t < sc.Run.Horizon; t += time.Hour {
		if t >= sc.Run.Warmup {
			s.hourOcc[sc.Week.HourOfWeek(sc.Run.Start, t)]++
		}
	}
	return s
}

// add folds arm a's figures of the next replication in.
func (s *daySummary) add(a int, d *dayRun) {
	put := func(sums, ns []float64, k int, v float64) {
		if !math.IsNaN(v) {
			sums[k] += v
			ns[k]++
		}
	}
	for day := range d.esc {
		sums, ns := s.sums[a][day], s.ns[a][day]
		put(sums, ns, 0, float64(d.esc[day]))
		put(sums, ns, 1, ratio(d.inSL[day], d.esc[day]))
		put(sums, ns, 2, mean(d.lat[day]))
		put(sums, ns, 3, p95(d.lat[day]))
		put(sums, ns, 4, ratio(d.abandoned[day], d.esc[day]))
		put(sums, ns, 5, ratioDur(d.busy[day], d.staffed[day]))
	}
	for h := range hoursOfWeek {
		if s.hourOcc[h] == 0 {
			continue
		}
		sums, ns := s.how[a][h], s.howN[a][h]
		put(sums, ns, 0, float64(d.howEsc[h])/float64(s.hourOcc[h]))
		put(sums, ns, 1, ratio(d.howSL[h], d.howEsc[h]))
		put(sums, ns, 2, mean(d.howLat[h]))
		put(sums, ns, 3, p95(d.howLat[h]))
	}
}

// results renders the means over replications. Hours of week without a
// single arrival in any arm and replication are left out.
func (s *daySummary) results(names []string) ([]reports.DayResult, []reports.HourResult) {
	avg := func(sum, n float64) float64 {
		if n == 0 {
			return math.NaN()
		}
		return sum / n
	}
	var days []reports.DayResult
	for day := range s.wk.Days {
		date := s.wk.Date(s.start, day)
		dr := reports.DayResult{Day: day + 1, Date: date.Format(time.DateOnly), Weekday: date.Weekday().String()[:3]}
		for a, name := range names {
			v := make([]float64, len(dayFields))
			for k := range v {
				v[k] = avg(s.sums[a][day][k], s.ns[a][day][k])
			}
			dr.Arms = append(dr.Arms, reports.DayArm{Name: name, Escalations: reports.Val(v[0]), ServiceLevel: reports.Val(v[1]),
				LatencyMean: reports.Val(v[2]), LatencyP95: reports.Val(v[3]), Abandonment: reports.Val(v[4]), Utilization: reports.Val(v[5])})
		}
		days = append(days, dr)
	}
	var hours []reports.HourResult
	for h := range hoursOfWeek {
		any := false
		for a := range names {
			any = any || s.how[a][h][0] > 0
		}
		if !any {
			continue
		}
		hr := reports.HourResult{HourOfWeek: h, Label: fmt.Sprintf("%s %02d:00", weekdayShort[h/24], h%24)}
		for a, name := range names {
			v := make([]float64, len(howFields))
			for k := range v {
				v[k] = avg(s.how[a][h][k], s.howN[a][h][k])
			}
			hr.Arms = append(hr.Arms, reports.HourArm{Name: name, ArrivalsPerHour: reports.Val(v[0]), ServiceLevel: reports.Val(v[1]),
				LatencyMean: reports.Val(v[2]), LatencyP95: reports.Val(v[3])})
		}
		hours = append(hours, hr)
	}
	return days, hours
}

var weekdayShort = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func ratioDur(a, b time.Duration) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// p95 sorts xs and returns its 0.95 quantile (NaN when empty).
func p95(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	return reports.Quantile(xs, 0.95)
}
