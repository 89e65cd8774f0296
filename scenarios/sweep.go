package scenarios

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shadowq/shadowq/engine"
)

// A sweep varies scenario settings addressed by path. SweepKeys lists the
// paths [Scenario.With] understands; GROUP is an expert group's name, or *
// for every expert.
var SweepKeys = []string{
	"experts[GROUP].count",                  // experts in the group (≥ 1; * not allowed)
	"experts[GROUP].meetings.perDay",        // mean meetings per shift (≥ 0; the group must have meetings:)
	"experts[GROUP].interruptBudgetPerHour", // interruptions per rolling hour (≥ 0 integer; 0 = no cap)
	"escalations.perHour",                   // the arrival-rate profile scaled to this mean over the horizon (> 0)
}

// Bounds of a sweep: values per key, and points in a grid.
const (
	MaxSweepValues = 100
	MaxSweepPoints = 1000
)

// Sweep is one swept setting: the path and its values, in order.
type Sweep struct {
	Key    string
	Values []float64
}

// SweepError is a sweep key or value [Scenario.With] cannot apply.
type SweepError struct{ Key, Msg string }

func (e *SweepError) Error() string { return fmt.Sprintf("sweep %s: %s", e.Key, e.Msg) }

// With returns a copy of s with the setting at key set to v. s is not
// modified; the copy shares nothing that With changes. The experts a
// count adds are copies of the group's last expert named on after it
// (platform-17, platform-18...), so every other expert keeps its id and
// its random streams: points of a sweep share common random numbers.
func (s *Scenario) With(key string, v float64) (*Scenario, error) {
	bad := func(format string, args ...any) (*Scenario, error) {
		return nil, &SweepError{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return bad("value %v is not a number", v)
	}
	out := *s
	out.Experts = slices.Clone(s.Experts)
	if key == "escalations.perHour" {
		if v <= 0 {
			return bad("%v: want a rate above 0", v)
		}
		mean := s.Escalations.meanRate(s.Run.Horizon.Hours())
		if mean <= 0 {
			return bad("the scenario has no arrivals to scale")
		}
		out.Escalations.Rates = slices.Clone(s.Escalations.Rates)
		for i := range out.Escalations.Rates {
			out.Escalations.Rates[i].PerHour *= v / mean
		}
		return &out, nil
	}
	rest, ok := strings.CutPrefix(key, "experts[")
	group, field, ok2 := strings.Cut(rest, "].")
	if !ok || !ok2 || group == "" {
		return bad("unknown key; sweepable keys: %s", strings.Join(SweepKeys, ", "))
	}
	var idx []int
	for i := range out.Experts {
		if group == "*" || out.Experts[i].Group == group {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return bad("no expert group %q (groups: %s)", group, strings.Join(s.Groups(), ", "))
	}
	switch field {
	case "count":
		if group == "*" {
			return bad("count needs a group's name, not *")
		}
		if room := MaxExperts - (len(s.Experts) - len(idx)); v < 1 || v != math.Trunc(v) || v > float64(room) {
			return bad("%v: want a whole number of experts within 1..%d (at most %d experts in a scenario)", v, room, MaxExperts)
		}
		return out.withCount(group, idx, int(v)), nil
	case "meetings.perDay":
		if v < 0 {
			return bad("%v: want 0 or more meetings a day", v)
		}
		for _, i := range idx {
			if out.Experts[i].Meetings.PerDay == 0 && v > 0 {
				return bad("expert %s has no meetings: block to scale (set one in the file)", out.Experts[i].ID)
			}
			out.Experts[i].Meetings.PerDay = v
		}
	case "interruptBudgetPerHour":
		if v < 0 || v != math.Trunc(v) {
			return bad("%v: want a whole number, 0 or more", v)
		}
		for _, i := range idx {
			out.Experts[i].InterruptBudgetPerHour = int(v)
		}
	default:
		return bad("unknown field %q; sweepable keys: %s", field, strings.Join(SweepKeys, ", "))
	}
	return &out, nil
}

// withCount resizes the group (its experts at idx, in id order) to n.
func (s *Scenario) withCount(group string, idx []int, n int) *Scenario {
	if n <= len(idx) {
		drop := map[int]bool{}
		for _, i := range idx[n:] {
			drop[i] = true
		}
		var kept []Expert
		for i, x := range s.Experts {
			if !drop[i] {
				kept = append(kept, x)
			}
		}
		s.Experts = kept
		return s
	}
	all := true
	for _, i := range idx {
		all = all && s.Experts[i].CherryPicker
	}
	tmpl := s.Experts[idx[len(idx)-1]]
	width := max(2, len(strconv.Itoa(n)))
	taken := map[engine.ExpertID]bool{}
	for _, x := range s.Experts {
		taken[x.ID] = true
	}
	for k := len(idx) + 1; len(idx) < n; k++ {
		id := engine.ExpertID(fmt.Sprintf("%s-%0*d", group, width, k))
		if taken[id] {
			continue
		}
		x := tmpl
		x.ID, x.CherryPicker = id, all
		x.Skills = maps.Clone(tmpl.Skills)
		x.FixedMeetings = slices.Clone(tmpl.FixedMeetings)
		x.Breaks = slices.Clone(tmpl.Breaks)
		s.Experts = append(s.Experts, x)
		idx = append(idx, len(s.Experts)-1)
	}
	slices.SortFunc(s.Experts, func(a, b Expert) int { return cmp.Compare(a.ID, b.ID) })
	return s
}

// Groups lists the expert groups in order of first appearance.
func (s *Scenario) Groups() []string {
	var gs []string
	for _, x := range s.Experts {
		if x.Group != "" && !slices.Contains(gs, x.Group) {
			gs = append(gs, x.Group)
		}
	}
	return gs
}

// meanRate is the time-weighted mean arrival rate over [0, hours).
func (e *Escalations) meanRate(hours float64) float64 {
	if hours <= 0 {
		return 0
	}
	sum := 0.0
	for _, r := range e.Rates {
		from, to := r.From.Hours(), math.Min(r.To.Hours(), hours)
		if to > from {
			sum += r.PerHour * (to - from)
		}
	}
	return sum / hours
}

// ParseSweep parses "KEY=V1,V2,..." as given to `shadowq sim --sweep`,
// checking every value against s.
func (s *Scenario) ParseSweep(arg string) (Sweep, error) {
	key, list, ok := strings.Cut(arg, "=")
	if !ok || key == "" || list == "" {
		return Sweep{}, fmt.Errorf("sweep %q: write KEY=V1,V2,..., e.g. experts[platform].count=8,12,16", arg)
	}
	sw := Sweep{Key: key}
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return Sweep{}, fmt.Errorf("sweep %s: value %q is not a number", key, f)
		}
		sw.Values = append(sw.Values, v)
	}
	return sw, s.CheckSweep(sw)
}

// CheckSweep applies every value of sw to s, so a bad key or value is
// found before anything runs.
func (s *Scenario) CheckSweep(sw Sweep) error {
	if len(sw.Values) == 0 {
		return &SweepError{Key: sw.Key, Msg: "no values"}
	}
	if len(sw.Values) > MaxSweepValues {
		return &SweepError{Key: sw.Key, Msg: fmt.Sprintf("%d values: at most %d", len(sw.Values), MaxSweepValues)}
	}
	for i, v := range sw.Values {
		if slices.Contains(sw.Values[:i], v) {
			return &SweepError{Key: sw.Key, Msg: fmt.Sprintf("value %v given twice", v)}
		}
		if _, err := s.With(sw.Key, v); err != nil {
			return err
		}
	}
	return nil
}

// CheckGrid bounds the grid several sweeps span.
func CheckGrid(sweeps []Sweep) error {
	n := 1
	for _, sw := range sweeps {
		n *= max(1, len(sw.Values))
		if n > MaxSweepPoints {
			return fmt.Errorf("sweep: the grid has more than %d points; sweep fewer values or keys", MaxSweepPoints)
		}
	}
	keys := map[string]bool{}
	for _, sw := range sweeps {
		if keys[sw.Key] {
			return fmt.Errorf("sweep %s: swept twice", sw.Key)
		}
		keys[sw.Key] = true
	}
	return nil
}
