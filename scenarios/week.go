package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	// Time zones must resolve on any machine, with or without a system
	// zoneinfo database: the scenario's results cannot depend on it.
	_ "time/tzdata"
)

// A multi-day world (`run.days`) runs whole local days in a time zone:
// simulated time 0 is local midnight of the first day, and the horizon is
// local midnight after the last one (so a day with a daylight-saving change
// is 23 or 25 hours long, as it is on the wall). Each expert works the
// hours its day of week gives (the scenario's `week.hours`, or the
// expert's own `hours`); breaks and fixed meetings are times of day,
// repeated on every working day they fit in; random meetings
// (meetings.perDay) and churn are per working day; arrivals follow
// `escalations.perHour` × byDay × byHour in local time.

// Week is the calendar of a multi-day scenario.
type Week struct {
	// Days is the number of simulated days (run.days, 1..366).
	Days int
	// TimeZone is the IANA name (run.timeZone, default "UTC"); Location is
	// it loaded (from the embedded database when the system has none).
	TimeZone string
	Location *time.Location
	// Hours are the scenario's working hours by time.Weekday (week.hours);
	// an expert's own `hours` replace them for that expert (Expert.Hours).
	Hours WeekHours
	// Bounds[d] is the offset of local midnight starting day d (0-based);
	// Bounds[Days] is the horizon. len(Bounds) == Days+1.
	Bounds []time.Duration
}

// WeekHours are working hours by time.Weekday (Sunday = 0).
type WeekHours [7]DayHours

// DayHours are one day of week's working hours as times of day (offsets
// from local midnight); Open false means the day is not worked.
type DayHours struct {
	Open       bool
	Start, End time.Duration
}

// Day returns the day (0-based) that offset t falls in, clamped to
// 0..Days-1.
func (w *Week) Day(t time.Duration) int {
	d, _ := slices.BinarySearch(w.Bounds, t)
	if d < len(w.Bounds) && w.Bounds[d] == t {
		d++ // t is midnight starting day d
	}
	return min(max(d-1, 0), w.Days-1)
}

// Date returns day d's local date.
func (w *Week) Date(start time.Time, d int) time.Time {
	return start.Add(w.Bounds[d]).In(w.Location)
}

// HourOfWeek returns the local hour of week of offset t: 0 is Monday
// 00:00–01:00, 167 Sunday 23:00–24:00.
func (w *Week) HourOfWeek(start time.Time, t time.Duration) int {
	lt := start.Add(t).In(w.Location)
	return (int(lt.Weekday())+6)%7*24 + lt.Hour()
}

// at is the offset of time of day tod (wall clock, from local midnight) on
// day d. Wall clock: 12h is 12:00 even on a daylight-saving day.
func (w *Week) at(start time.Time, d int, tod time.Duration) time.Duration {
	y, m, dd := start.In(w.Location).Date()
	return time.Date(y, m, dd+d, 0, 0, 0, int(tod), w.Location).Sub(start)
}

// weekday is day d's day of week.
func (w *Week) weekday(start time.Time, d int) time.Weekday {
	return w.Date(start, d).Weekday()
}

// dayNames are the keys of week.hours, byDay and an expert's hours, by
// time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDays reads "mon", "mon-fri" or "sat-sun" (a range runs forward
// through the week, so "fri-mon" is fri, sat, sun, mon).
func parseDays(key string) ([]time.Weekday, error) {
	day := func(s string) (time.Weekday, bool) {
		i := slices.Index(dayNames[:], strings.ToLower(strings.TrimSpace(s)))
		return time.Weekday(i), i >= 0
	}
	from, to, isRange := strings.Cut(key, "-")
	a, ok := day(from)
	b := a
	if isRange {
		var okb bool
		b, okb = day(to)
		ok = ok && okb
	}
	if !ok {
		return nil, fmt.Errorf("unknown day %q: want mon, tue, wed, thu, fri, sat or sun, or a range like mon-fri", key)
	}
	var out []time.Weekday
	for d := a; ; d = (d + 1) % 7 {
		out = append(out, d)
		if d == b {
			return out, nil
		}
	}
}

// parseHours reads "08:00-17:00" (end up to 24:00; a shift past midnight
// is not supported).
func parseHours(s string) (DayHours, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return DayHours{}, fmt.Errorf("working hours %q: want HH:MM-HH:MM, e.g. 08:00-17:00", s)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	switch {
	case err1 != nil:
		return DayHours{}, err1
	case err2 != nil:
		return DayHours{}, err2
	case end <= start:
		return DayHours{}, fmt.Errorf("working hours %q: must end after they start (shifts past midnight are not supported)", s)
	}
	return DayHours{Open: true, Start: start, End: end}, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m > 0 {
		return 0, fmt.Errorf("time of day %q: want HH:MM from 00:00 to 24:00", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// weekFile is the `week:` section.
type weekFile struct {
	Hours map[string]string `yaml:"hours,required"`
}

// dayKeys reads a map keyed by day or day range into a value per weekday,
// reporting unknown and repeated days at their keys. set is false for
// days no key names.
func (c *checker) dayKeys(m any, keys []string, each func(key string, days []time.Weekday)) (set [7]bool) {
	first := map[time.Weekday]string{}
	for _, k := range keys {
		days, err := parseDays(k)
		if err != nil {
			c.mapErrorf(m, k, "%v", err)
			continue
		}
		dup := false
		for _, d := range days {
			if prev, ok := first[d]; ok {
				c.mapErrorf(m, k, "%s is also given by %q", dayNames[d], prev)
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		for _, d := range days {
			first[d], set[d] = k, true
		}
		each(k, days)
	}
	return set
}

// weekHours resolves a `hours:` mapping (the week's or an expert's).
func (c *checker) weekHours(m map[string]string) (WeekHours, bool) {
	var out WeekHours
	ok := true
	c.dayKeys(m, c.keysInFileOrder(m, sortedKeys(m)), func(k string, days []time.Weekday) {
		h, err := parseHours(m[k])
		if err != nil {
			c.mapErrorf(m, k, "%v", err)
			ok = false
			return
		}
		for _, d := range days {
			out[d] = h
		}
	})
	return out, ok
}

// week resolves run.days, run.timeZone and week:, and moves run.start to
// local midnight of its date. nil for a single-shift scenario.
func (c *checker) week(f *scenarioFile, run *Run) *Week {
	r := &f.Run
	if r.Days == nil {
		if r.TimeZone != "" {
			c.errorf(&r.TimeZone, "timeZone applies to multi-day scenarios (run.days)")
		}
		if f.Week != nil {
			c.errorf(f.Week, "week applies to multi-day scenarios: give run.days")
		}
		return nil
	}
	w := &Week{Days: *r.Days, TimeZone: "UTC", Location: time.UTC}
	if w.Days < 1 || w.Days > 366 {
		c.errorf(r.Days, "days %d: must be within 1..366", w.Days)
		w.Days = min(max(w.Days, 1), 366) // go on checking the rest as a multi-day world
	}
	if r.Horizon != 0 {
		c.errorf(&r.Horizon, "give horizon (one shift) or days (a multi-day world), not both")
	}
	if r.TimeZone != "" {
		loc, err := time.LoadLocation(r.TimeZone)
		if err != nil || r.TimeZone == "Local" {
			c.errorf(&r.TimeZone, "unknown time zone %q: want an IANA name like Europe/Berlin or America/New_York", r.TimeZone)
		} else {
			w.TimeZone, w.Location = r.TimeZone, loc
		}
	}
	y, m, d := run.Start.In(w.Location).Date()
	run.Start = time.Date(y, m, d, 0, 0, 0, 0, w.Location)
	for day := 0; day <= w.Days; day++ {
		w.Bounds = append(w.Bounds, w.at(run.Start, day, 0))
	}
	run.Horizon = w.Bounds[w.Days]
	if f.Week == nil {
		c.errorf(&f.Week, "a multi-day scenario needs week.hours (working hours by day, e.g. mon-fri: 08:00-17:00)")
		return w
	}
	w.Hours, c.weekHoursOK = c.weekHours(f.Week.Hours)
	return w
}

// expandDays turns an expert template written in times of day (its Shift
// is the whole day; blocks are times of day) into the run's working days:
// one shift per day its hours open, each fixed meeting and break on every
// working day whose hours contain it. A block that fits no working day is
// an error at ptr (unless the hours themselves are wrong: !hoursOK).
func (c *checker) expandDays(e *Expert, hours WeekHours, hoursOK bool, ptr any) bool {
	w, start := c.wk, c.start
	fits := func(b Block, h DayHours) bool { return h.Open && b.Start >= h.Start && b.End <= h.End }
	ok := true
	for _, list := range [][]Block{e.FixedMeetings, e.Breaks} {
		if !hoursOK {
			break // the hours are wrong (and reported): blocks cannot be checked against them
		}
		for _, b := range list {
			any := false
			for _, h := range hours {
				any = any || fits(b, h)
			}
			if !any {
				c.errorf(ptr, "the block %s–%s (%s) lies outside the working hours of every day", fmtDur(b.Start), fmtDur(b.End), b.Presence)
				ok = false
			}
		}
	}
	var shifts []Shift
	var fixed, breaks []Block
	for d := range w.Days {
		h := hours[w.weekday(start, d)]
		if !h.Open {
			continue
		}
		shifts = append(shifts, Shift{Start: w.at(start, d, h.Start), End: w.at(start, d, h.End)})
		for _, b := range e.FixedMeetings {
			if fits(b, h) {
				fixed = append(fixed, Block{Start: w.at(start, d, b.Start), End: w.at(start, d, b.End), Presence: b.Presence})
			}
		}
		for _, b := range e.Breaks {
			if fits(b, h) {
				breaks = append(breaks, Block{Start: w.at(start, d, b.Start), End: w.at(start, d, b.End), Presence: b.Presence})
			}
		}
	}
	e.Shifts, e.FixedMeetings, e.Breaks = shifts, fixed, breaks
	e.Shift = Shift{}
	if len(shifts) > 0 {
		e.Shift = shifts[0]
	}
	return ok
}

// longestDay is the longest working day of hours (0 when none).
func longestDay(hours WeekHours) time.Duration {
	var m time.Duration
	for _, h := range hours {
		if h.Open {
			m = max(m, h.End-h.Start)
		}
	}
	return m
}

// weekRates expands perHour × byDay × byHour into rate windows over local
// hours, adjacent equal rates merged and zero rates left out.
func (c *checker) weekRates(e *escalationsFile, perHour float64) []Rate {
	w, start := c.wk, c.start
	var day [7]float64
	var hour [24]float64
	for i := range day {
		day[i] = 1
	}
	for i := range hour {
		hour[i] = 1
	}
	if e.ByDay != nil {
		day = [7]float64{}
		c.dayKeys(e.ByDay, c.keysInFileOrder(e.ByDay, sortedKeys(e.ByDay)), func(k string, days []time.Weekday) {
			f := e.ByDay[k]
			if !finite(f) || f < 0 {
				c.mapErrorf(e.ByDay, k, "factor %s: must be a number >= 0", fmtNum(f))
				return
			}
			for _, d := range days {
				day[d] = f
			}
		})
	}
	if e.ByHour != nil {
		hour = [24]float64{}
		for _, k := range c.keysInFileOrder(e.ByHour, sortedKeys(e.ByHour)) {
			h, err := strconv.Atoi(k)
			f := e.ByHour[k]
			switch {
			case err != nil || h < 0 || h > 23:
				c.mapErrorf(e.ByHour, k, "hour %q: want a local hour 0..23 (the factor applies from HH:00 to HH+1:00)", k)
			case !finite(f) || f < 0:
				c.mapErrorf(e.ByHour, k, "factor %s: must be a number >= 0", fmtNum(f))
			default:
				hour[h] = f
			}
		}
	}
	var out []Rate
	for d := range w.Days {
		wd := w.weekday(start, d)
		for h := range 24 {
			from, to := w.at(start, d, time.Duration(h)*time.Hour), w.at(start, d, time.Duration(h+1)*time.Hour)
			if h == 23 {
				to = w.Bounds[d+1]
			}
			if len(out) > 0 {
				from = max(from, out[len(out)-1].To) // the hour repeated when clocks go back
			}
			r := perHour * day[wd] * hour[h]
			if to <= from || r == 0 {
				continue
			}
			if n := len(out); n > 0 && out[n-1].To == from && out[n-1].PerHour == r {
				out[n-1].To = to
				continue
			}
			out = append(out, Rate{From: from, To: to, PerHour: r})
		}
	}
	return out
}
