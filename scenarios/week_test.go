package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// week is a small multi-day scenario: two weeks from Monday 23 March 2026
// in Berlin, across the switch to summer time on Sunday 29 March.
const week = `run: {days: 14, timeZone: Europe/Berlin, start: "2026-03-23T00:00:00+01:00"}
week:
  hours: {mon-fri: "08:00-17:00"}
presences:
  available: {id: guid-available, system: AVAILABLE}
  meal: {id: guid-meal, system: MEAL}
  offline: {id: guid-offline, system: OFFLINE}
experts:
  - id: alice
    breaks: [{start: 12h, length: 30m, presence: meal}]
  - id: sat
    hours: {sat: "09:00-13:00", sun: "10:00-12:00"}
    breaks: [{start: 12h, length: 30m, presence: meal}]
deliveries:
  handleTime: {dist: fixed, value: 10m}
escalations:
  perHour: 10
  byDay: {mon: 2, tue-fri: 1}
  byHour: {9: 1, 10: 0.5}
`

// A multi-day world expands into local working days: shifts at wall-clock
// 08:00-17:00 on weekdays only, in both winter and summer time; breaks on
// every working day they fit in; the horizon is 14 local days (one of
// them 23 hours long).
func TestWeekExpandsWorkingDays(t *testing.T) {
	s := parse(t, week)
	loc, _ := time.LoadLocation("Europe/Berlin")
	if want := time.Date(2026, 3, 23, 0, 0, 0, 0, loc); !s.Run.Start.Equal(want) {
		t.Errorf("start %v, want %v", s.Run.Start, want)
	}
	if want := 14*24*time.Hour - time.Hour; s.Run.Horizon != want {
		t.Errorf("horizon %v, want %v (14 days, one of them 23 h)", s.Run.Horizon, want)
	}
	alice, sat := s.Expert("alice"), s.Expert("sat")
	if len(alice.Shifts) != 10 || len(alice.Breaks) != 10 {
		t.Fatalf("alice: %d shifts, %d breaks; want 10 each", len(alice.Shifts), len(alice.Breaks))
	}
	for _, sh := range alice.Shifts {
		a, b := s.Run.Start.Add(sh.Start).In(loc), s.Run.Start.Add(sh.End).In(loc)
		if a.Hour() != 8 || a.Minute() != 0 || b.Hour() != 17 || a.Weekday() == time.Saturday || a.Weekday() == time.Sunday {
			t.Errorf("alice shift %v–%v", a, b)
		}
	}
	if alice.Shift != alice.Shifts[0] {
		t.Errorf("Shift %v is not the first of Shifts", alice.Shift)
	}
	// Saturday 09:00-13:00 holds the 12:00 break; Sunday 10:00-12:00 does not.
	if len(sat.Shifts) != 4 || len(sat.Breaks) != 2 {
		t.Errorf("sat: %d shifts, %d breaks; want 4 and 2", len(sat.Shifts), len(sat.Breaks))
	}
	for _, b := range sat.Breaks {
		if lt := s.Run.Start.Add(b.Start).In(loc); lt.Weekday() != time.Saturday || lt.Hour() != 12 {
			t.Errorf("sat break at %v", lt)
		}
	}
	if s.Week.Day(s.Run.Horizon-1) != 13 || s.Week.Day(0) != 0 || s.Week.Day(s.Week.Bounds[7]) != 7 {
		t.Errorf("Day: %d %d %d", s.Week.Day(s.Run.Horizon-1), s.Week.Day(0), s.Week.Day(s.Week.Bounds[7]))
	}
}

// Arrivals follow perHour × byDay × byHour in local time, zero where a day
// or hour is not listed, adjacent equal hours merged.
func TestWeekRates(t *testing.T) {
	s := parse(t, week)
	loc, _ := time.LoadLocation("Europe/Berlin")
	at := func(d, h int) time.Duration { return time.Date(2026, 3, 23+d, h, 30, 0, 0, loc).Sub(s.Run.Start) }
	cases := []struct {
		day, hour int
		want      float64
	}{
		{0, 9, 20},  // Monday 09:00: 10 × 2 × 1
		{0, 10, 10}, // Monday 10:00: 10 × 2 × 0.5
		{1, 9, 10},  // Tuesday
		{0, 8, 0},   // hour not listed
		{5, 9, 0},   // Saturday not listed
		{7, 9, 20},  // next Monday, summer time: still 09:00 local
		{11, 10, 5}, // Friday 10:00
	}
	for _, c := range cases {
		if got := s.Escalations.RateAt(at(c.day, c.hour)); got != c.want {
			t.Errorf("day %d %02d:30: rate %v, want %v", c.day, c.hour, got, c.want)
		}
	}
	if n := len(s.Escalations.Rates); n != 20 {
		t.Errorf("%d rate windows, want 20 (two per weekday: 09:00 and 10:00)", n)
	}
}

// Multi-day settings are checked with file:line:column, and single-shift
// scenarios reject them.
func TestWeekErrors(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"days and horizon", "run: {days: 14,", "run: {horizon: 8h, days: 14,", "s.yaml:1:16: run.horizon: give horizon (one shift) or days (a multi-day world), not both"},
		{"unknown zone", "Europe/Berlin", "Europe/Bärlin", `s.yaml:1:27: run.timeZone: unknown time zone "Europe/Bärlin"`},
		{"days out of range", "days: 14", "days: 400", "s.yaml:1:13: run.days: days 400: must be within 1..366"},
		{"bad hours", `mon-fri: "08:00-17:00"`, `mon-fri: "8-17"`, `s.yaml:3:11: week.hours.mon-fri: time of day "8": want HH:MM`},
		{"unknown day", `mon-fri: "08:00-17:00"`, `mo-fri: "08:00-17:00"`, `s.yaml:3:11: week.hours.mo-fri: unknown day "mo-fri"`},
		{"overlapping days", `{mon-fri: "08:00-17:00"}`, `{mon-fri: "08:00-17:00", fri: "08:00-12:00"}`, `s.yaml:3:35: week.hours.fri: fri is also given by "mon-fri"`},
		{"past midnight", `mon-fri: "08:00-17:00"`, `mon-fri: "22:00-06:00"`, "shifts past midnight are not supported"},
		{"shift in a week", "  - id: alice\n", "  - id: alice\n    shift: {start: 1h}\n", "s.yaml:10:12: experts[0].shift: a multi-day scenario gives working hours by day"},
		{"break outside every day", "  - id: alice\n    breaks: [{start: 12h", "  - id: alice\n    breaks: [{start: 20h", "s.yaml:9:5: experts[0]: the block 20h–20h30m (meal) lies outside the working hours of every day"},
		{"rates in a week", "  perHour: 10\n", "  rates: [{from: 0h, perHour: 10}]\n", "s.yaml:17:10: escalations.rates: a multi-day scenario gives arrivals as perHour"},
		{"hour out of range", "{9: 1, 10: 0.5}", "{9: 1, 24: 0.5}", `s.yaml:19:18: escalations.byHour.24: hour "24": want a local hour 0..23`},
		{"negative factor", "tue-fri: 1}", "tue-fri: -1}", "s.yaml:18:19: escalations.byDay.tue-fri: factor -1: must be a number >= 0"},
		{"no week", "week:\n  hours: {mon-fri: \"08:00-17:00\"}\n", "", "s.yaml:1:1: week: a multi-day scenario needs week.hours"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(week, c.old) {
				t.Fatalf("%q not in the scenario", c.old)
			}
			got := strings.Join(errLines(t, strings.Replace(week, c.old, c.new, 1)), "\n")
			if !strings.Contains(got, c.want) {
				t.Errorf("errors:\n%s\nwant one containing %q", got, c.want)
			}
		})
	}
	single := []struct{ name, src, want string }{
		{"hours in a single shift", strings.Replace(minimal, "  - id: alice\n", "  - id: alice\n    hours: {mon: \"08:00-17:00\"}\n", 1), "experts[0].hours: hours apply to multi-day scenarios"},
		{"byDay in a single shift", minimal + "  byDay: {mon: 1}\n", "escalations: byDay and byHour apply to multi-day scenarios"},
		{"week without days", minimal + "week: {hours: {mon: \"08:00-09:00\"}}\n", "week: week applies to multi-day scenarios"},
	}
	for _, c := range single {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(errLines(t, c.src), "\n")
			if !strings.Contains(got, c.want) {
				t.Errorf("errors:\n%s\nwant one containing %q", got, c.want)
			}
		})
	}
}

// Day ranges run forward through the week.
func TestParseDays(t *testing.T) {
	got, err := parseDays("fri-mon")
	if want := []time.Weekday{time.Friday, time.Saturday, time.Sunday, time.Monday}; err != nil || !slices.Equal(got, want) {
		t.Errorf("fri-mon = %v, %v", got, err)
	}
	if _, err := parseDays("weekday"); err == nil {
		t.Error("weekday accepted")
	}
}
