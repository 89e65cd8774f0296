package calibrate

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"
)

// Systems that are work (the presence an expert shows between blocks),
// meetings (scheduled, possibly interruptible), and away (breaks, churn).
var (
	workSystems    = []string{"AVAILABLE", "ON_QUEUE", "IDLE"}
	meetingSystems = []string{"MEETING", "BUSY", "TRAINING"}
	breakSystems   = []string{"MEAL", "BREAK"}
)

// fixedShare is the share of an expert-day a block must recur on (same
// time of day, same presence) to be written as a fixed meeting or break.
const fixedShare = 0.8

// userDays is one user's working days as read from presence.
type userDays struct {
	weekdays []time.Weekday // per working day
	id       string
	starts   []time.Duration // per working day: first non-offline time of day
	ends     []time.Duration
	blocks   []seg // non-work, non-offline segments
	work     string
	workTime time.Duration // in the work presence, not interacting
	time     map[string]time.Duration
	lens     map[string][]time.Duration // segment lengths by presence
	workDays int
}

type seg struct {
	day        int
	start, len time.Duration // time of day
	name       string
	system     string
}

func (m *Model) experts() error {
	var uds []*userDays
	skills := map[string]map[string]float64{}
	for _, u := range m.Data.Users {
		skills[u.ID] = u.Skills
		ud := m.readUser(u.ID)
		if ud.workDays == 0 {
			m.warn("user %s (%s) has no working time in the interval: left out", u.Name, u.ID)
			continue
		}
		if len(u.Skills) == 0 {
			m.warn("user %s (%s) has no routing skills: written with skills {} (takes only escalations that need none)", u.Name, u.ID)
		}
		uds = append(uds, ud)
	}
	if len(uds) == 0 {
		return fmt.Errorf("calibrate: none of the %d users has presence history in the interval: there are no experts to model", len(m.Data.Users))
	}
	// Run start: the earliest usual shift start; horizon to the latest usual end.
	lo, hi := 24*time.Hour, time.Duration(0)
	for _, ud := range uds {
		lo = min(lo, medianDur(ud.starts).Truncate(time.Minute))
		hi = max(hi, medianDur(ud.ends))
	}
	m.Start, m.Horizon = lo, (hi - lo + time.Minute - 1).Truncate(time.Minute)
	if m.Opt.Week {
		m.Start, m.Horizon = 0, 24*time.Hour
	}
	byKey := map[string]*group{}
	var keys []string
	members := map[string][]*userDays{}
	for _, ud := range uds {
		sk := skills[ud.id]
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(sk)) {
			parts = append(parts, fmt.Sprintf("%s:%g", k, sk[k]))
		}
		key := strings.Join(parts, ",") + "|" + ud.work
		if m.Opt.Week {
			key += "|" + m.weekPattern(ud)
		}
		if byKey[key] == nil {
			byKey[key] = &group{Skills: sk, Work: ud.work}
			keys = append(keys, key)
		}
		byKey[key].Users = append(byKey[key].Users, ud.id)
		members[key] = append(members[key], ud)
	}
	slices.Sort(keys)
	names := map[string]bool{}
	for _, k := range keys {
		g := byKey[k]
		g.Name = groupName(g, names)
		m.fitGroup(g, members[k])
		m.Groups = append(m.Groups, g)
	}
	var all time.Duration
	days := 0
	lens := map[string][]time.Duration{}
	for _, ud := range uds {
		days += ud.workDays
		for n, t := range ud.time {
			m.Shares[n] += t.Seconds()
			all += t
			lens[n] = append(lens[n], ud.lens[n]...)
		}
	}
	m.Starts, m.SegMedian = map[string]float64{}, map[string]time.Duration{}
	for n, l := range lens {
		m.Starts[n] = float64(len(l)) / float64(days)
		m.SegMedian[n] = medianDur(l)
	}
	for n := range m.Shares {
		m.Shares[n] /= all.Seconds()
	}
	return nil
}

func groupName(g *group, taken map[string]bool) string {
	best, bp := "", -1.0
	for _, k := range slices.Sorted(maps.Keys(g.Skills)) {
		if g.Skills[k] > bp {
			best, bp = k, g.Skills[k]
		}
	}
	if best == "" {
		best = "no-skills"
	}
	name := slug(best) + "-" + g.Work
	for base, i := name, 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	taken[name] = true
	return name
}

// readUser splits one user's presence into working days.
func (m *Model) readUser(id string) *userDays {
	ud := &userDays{id: id, time: map[string]time.Duration{}, lens: map[string][]time.Duration{}}
	d := m.Data
	type s2 struct {
		seg
		abs time.Time
	}
	var segs []s2
	for _, s := range d.Presence[id] {
		p := m.presenceByID(s.Value)
		if p == nil || p.System == "OFFLINE" {
			continue
		}
		a, b := maxT(s.Start, d.From), s.End
		if b.IsZero() || b.After(d.To) {
			b = d.To
		}
		if !b.After(a) {
			continue
		}
		day, tod, _ := m.local(a)
		segs = append(segs, s2{seg{day: day, start: tod, len: b.Sub(a), name: p.Name, system: p.System}, a})
		ud.time[p.Name] += b.Sub(a)
		ud.lens[p.Name] = append(ud.lens[p.Name], b.Sub(a))
	}
	if len(segs) == 0 {
		return ud
	}
	// Work presence: the work-system presence with the most time.
	bestT := time.Duration(-1)
	for _, n := range slices.Sorted(maps.Keys(ud.time)) {
		if p := m.presenceByName(n); p != nil && slices.Contains(workSystems, p.System) && ud.time[n] > bestT {
			ud.work, bestT = n, ud.time[n]
		}
	}
	if ud.work == "" {
		for _, n := range slices.Sorted(maps.Keys(ud.time)) {
			if ud.time[n] > bestT {
				ud.work, bestT = n, ud.time[n]
			}
		}
	}
	day := -1
	for _, s := range segs {
		if s.day != day {
			day = s.day
			ud.workDays++
			_, _, wd := m.local(s.abs)
			ud.weekdays = append(ud.weekdays, wd)
			ud.starts = append(ud.starts, s.start)
			ud.ends = append(ud.ends, s.start+s.len)
		}
		ud.ends[len(ud.ends)-1] = s.start + s.len
		if s.name != ud.work {
			ud.blocks = append(ud.blocks, s.seg)
		} else {
			ud.workTime += s.len - interacting(d.Routing[id], s.abs, s.abs.Add(s.len))
		}
	}
	return ud
}

// interacting is how much of [a, b) the routing status was INTERACTING.
func interacting(rs []Segment, a, b time.Time) time.Duration {
	var t time.Duration
	for _, r := range rs {
		if r.Value != "INTERACTING" || !r.Start.Before(b) || (!r.End.IsZero() && !r.End.After(a)) {
			continue
		}
		e := r.End
		if e.IsZero() || e.After(b) {
			e = b
		}
		t += e.Sub(maxT(r.Start, a))
	}
	return t
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (m *Model) presenceByName(n string) *presence {
	for i := range m.Presences {
		if m.Presences[i].Name == n {
			return &m.Presences[i]
		}
	}
	return nil
}

// fitGroup fits one group's shift, fixed blocks, meetings and churn.
func (m *Model) fitGroup(g *group, uds []*userDays) {
	var starts, ends []time.Duration
	type key struct {
		start time.Duration
		name  string
	}
	recur := map[key][]time.Duration{}
	var workTime time.Duration
	for _, ud := range uds {
		starts = append(starts, ud.starts...)
		ends = append(ends, ud.ends...)
		g.Days += ud.workDays
		workTime += ud.workTime
		for _, b := range ud.blocks {
			k := key{b.start.Round(time.Minute), b.name}
			recur[k] = append(recur[k], b.len)
		}
	}
	g.Start, g.End = medianDur(starts).Round(time.Minute)-m.Start, medianDur(ends).Round(time.Minute)-m.Start
	if m.Opt.Week {
		m.weekHours(g, uds)
	}
	fixed := map[key]bool{}
	for _, k := range sortedKeys(recur) {
		share := float64(len(recur[k])) / float64(g.Days)
		if share < fixedShare {
			continue
		}
		fixed[k] = true
		b := block{Start: k.start - m.Start, Len: medianDur(recur[k]).Round(time.Minute), Presence: k.name, Share: share}
		if p := m.presenceByName(k.name); p != nil && slices.Contains(breakSystems, p.System) {
			g.Breaks = append(g.Breaks, b)
		} else {
			g.Fixed = append(g.Fixed, b)
		}
	}
	var meetLen, churnLen []float64
	g.MeetMix, g.ChurnMix = map[string]float64{}, map[string]float64{}
	var gaps []time.Duration
	for _, ud := range uds {
		var prevEnd time.Duration
		prevDay := -1
		for _, b := range ud.blocks {
			if fixed[key{b.start.Round(time.Minute), b.name}] {
				prevEnd, prevDay = b.start+b.len, b.day
				continue
			}
			p := m.presenceByName(b.name)
			if p != nil && slices.Contains(meetingSystems, p.System) {
				meetLen = append(meetLen, b.len.Seconds())
				g.MeetMix[b.name]++
				if b.day == prevDay {
					gaps = append(gaps, b.start-prevEnd)
				}
				prevEnd, prevDay = b.start+b.len, b.day
				continue
			}
			churnLen = append(churnLen, b.len.Seconds())
			g.ChurnMix[b.name]++
		}
	}
	normalize(g.MeetMix)
	normalize(g.ChurnMix)
	g.MeetPerDay = float64(len(meetLen)) / float64(g.Days)
	if f, err := fitDurations("meeting length, "+g.Name, meetLen); err == nil {
		g.MeetLen = &f
	} else if len(meetLen) > 0 {
		m.warn("group %s: %v: its meetings are left out", g.Name, err)
		g.MeetPerDay = 0
	}
	if len(gaps) > 0 {
		slices.Sort(gaps)
		g.MinGap = min(gaps[len(gaps)/100].Truncate(time.Minute), 30*time.Minute)
	}
	if workTime > 0 {
		g.ChurnPerHour = float64(len(churnLen)) / workTime.Hours()
	}
	if f, err := fitDurations("churn length, "+g.Name, churnLen); err == nil {
		g.ChurnLen = &f
	} else {
		g.ChurnPerHour = 0
	}
}

func sortedKeys[K interface {
	comparable
}, V any](mp map[K]V) []K {
	keys := slices.Collect(maps.Keys(mp))
	slices.SortFunc(keys, func(a, b K) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return keys
}

func normalize(mp map[string]float64) {
	t := 0.0
	for _, v := range mp {
		t += v
	}
	for k := range mp {
		mp[k] /= t
	}
}

func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	slices.Sort(xs)
	return time.Duration(math.Round(stat.Quantile(0.5, stat.Empirical, xs, nil)))
}

// weekHours fits a group's working hours per day of week.
func (m *Model) weekHours(g *group, uds []*userDays) {
	var starts, ends [7][]time.Duration
	for _, ud := range uds {
		for i, wd := range ud.weekdays {
			starts[wd] = append(starts[wd], ud.starts[i])
			ends[wd] = append(ends[wd], ud.ends[i])
		}
	}
	for wd := range 7 {
		possible := len(uds) * m.DayN[wd]
		if possible == 0 || float64(len(starts[wd])) < 0.5*float64(possible) {
			continue
		}
		g.Hours[wd].Open = true
		g.Hours[wd].Start = medianDur(starts[wd]).Round(time.Minute)
		g.Hours[wd].End = min(medianDur(ends[wd]).Round(time.Minute), 24*time.Hour)
	}
}

// weekPattern lists the days of week a user worked on at least half the
// time, e.g. "mon,tue,wed,thu,sat": users of one group share it.
func (m *Model) weekPattern(ud *userDays) string {
	var n [7]int
	for _, wd := range ud.weekdays {
		n[wd]++
	}
	var days []string
	for _, wd := range []time.Weekday{1, 2, 3, 4, 5, 6, 0} {
		if m.DayN[wd] > 0 && 2*n[wd] >= m.DayN[wd] {
			days = append(days, dayNames[wd])
		}
	}
	return strings.Join(days, ",")
}
