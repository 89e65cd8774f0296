package reports

import (
	"fmt"
	"io"
	"math"
)

// DayResult is one simulated day of a multi-day world (run.days): each
// arm's figures of that day, means over replications of the
// per-replication values. Escalations count on the day of their arrival
// (after warm-up); utilization is busy over staffed time of that day.
// A figure no replication produced (no routed escalation, nobody working)
// is null.
type DayResult struct {
	Day     int      `json:"day"`     // 1-based
	Date    string   `json:"date"`    // local date, 2006-01-02
	Weekday string   `json:"weekday"` // Mon..Sun
	Arms    []DayArm `json:"arms"`    // in Policies order
}

// DayArm is one arm's figures of one day.
type DayArm struct {
	Name         string   `json:"name"`
	Escalations  *float64 `json:"escalations"`
	ServiceLevel *float64 `json:"serviceLevel"`
	LatencyMean  *float64 `json:"latencyMeanSeconds"`
	LatencyP95   *float64 `json:"latencyP95Seconds"`
	Abandonment  *float64 `json:"abandonment"`
	Utilization  *float64 `json:"utilization"`
}

// HourResult is one local hour of week of a multi-day world, pooled over
// the weeks of the run: arrivals per hour (escalations arriving in that
// hour of week, divided by how often it occurs after warm-up) and the
// service level and latency of the escalations arriving in it, means over
// replications. Hours without arrivals are left out.
type HourResult struct {
	HourOfWeek int       `json:"hourOfWeek"` // 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00
	Label      string    `json:"label"`      // "Mon 08:00"
	Arms       []HourArm `json:"arms"`
}

// HourArm is one arm's figures of one hour of week.
type HourArm struct {
	Name            string   `json:"name"`
	ArrivalsPerHour *float64 `json:"arrivalsPerHour"`
	ServiceLevel    *float64 `json:"serviceLevel"`
	LatencyMean     *float64 `json:"latencyMeanSeconds"`
	LatencyP95      *float64 `json:"latencyP95Seconds"`
}

// Val is v, or nil when v is NaN (a figure no replication produced).
func Val(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func fmtOpt(v *float64, f func(float64) string) string {
	if v == nil {
		return "–"
	}
	return f(*v)
}

func pct(v float64) string  { return fmt.Sprintf("%.1f%%", 100*v) }
func secs(v float64) string { return fmt.Sprintf("%.1f s", v) }
func num(v float64) string  { return fmt.Sprintf("%.1f", v) }

// dayRows is the per-day table: one row per day, per arm escalations,
// service level, latency p95 and utilization.
func dayRows(r *Results) (head []string, rows [][]string) {
	head = []string{"day", "date"}
	for _, p := range r.Policies {
		head = append(head, p.Name+" esc.", p.Name+" SL", p.Name+" p95", p.Name+" util.")
	}
	for _, d := range r.Days {
		row := []string{fmt.Sprintf("%d %s", d.Day, d.Weekday), d.Date}
		for _, a := range d.Arms {
			row = append(row, fmtOpt(a.Escalations, num), fmtOpt(a.ServiceLevel, pct), fmtOpt(a.LatencyP95, secs), fmtOpt(a.Utilization, pct))
		}
		rows = append(rows, row)
	}
	return head, rows
}

// hourRows is the hour-of-week table.
func hourRows(r *Results) (head []string, rows [][]string) {
	head = []string{"hour of week"}
	for _, p := range r.Policies {
		head = append(head, p.Name+" arrivals/h", p.Name+" SL", p.Name+" mean", p.Name+" p95")
	}
	for _, h := range r.HourOfWeek {
		row := []string{h.Label}
		for _, a := range h.Arms {
			row = append(row, fmtOpt(a.ArrivalsPerHour, num), fmtOpt(a.ServiceLevel, pct), fmtOpt(a.LatencyMean, secs), fmtOpt(a.LatencyP95, secs))
		}
		rows = append(rows, row)
	}
	return head, rows
}

// writeDaysMarkdown writes the per-day and hour-of-week sections (nothing
// for a single-shift run).
func writeDaysMarkdown(w io.Writer, r *Results) {
	if len(r.Days) == 0 {
		return
	}
	table := func(head []string, rows [][]string) {
		right := make([]bool, len(head))
		for i := 1; i < len(head); i++ {
			right[i] = true
		}
		mdTable(w, head, rows, right)
	}
	fmt.Fprintf(w, "\n## Per day\n\nMeans over replications of each day's figures: escalations arriving that day, their service level and latency p95, and utilization (busy over staffed time that day). – means no value (nobody routed or working).\n\n")
	table(dayRows(r))
	fmt.Fprintf(w, "\n## By hour of week\n\nLocal time; arrivals per hour pooled over the weeks of the run, service level and latency of the escalations arriving in that hour; hours without arrivals are left out.\n\n")
	table(hourRows(r))
}
