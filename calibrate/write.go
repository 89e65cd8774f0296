package calibrate

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// YAML renders the model as a commented scenario that `shadowq sim` runs
// as it is: every fitted value carries its sample size and fit statistic.
func (m *Model) YAML() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	d := m.Data
	name := m.name()
	w("# Calibrated by `shadowq calibrate` from %s to %s (%.0f days): %d conversations,\n", d.From.Format("2006-01-02"), d.To.Format("2006-01-02"), m.Days, len(d.Conversations))
	w("# %d users' presence and routing-status segments. Each fitted value says how many\n", len(d.Users))
	w("# observations it rests on and how well the chosen distribution fits (KS D and p, or for\n")
	w("# patience the censored fit against Kaplan–Meier). See calibration.md next to this file.\n")
	w("# Not calibratable from history, so not written: refocus costs, economics, expectations.\n")
	if d.ScheduleNote != "" {
		w("# WFM: %s\n", d.ScheduleNote)
	}
	if m.WFM != "" {
		w("# %s\n", m.WFM)
	}
	for _, x := range m.Warnings {
		w("# WARNING: %s\n", x)
	}
	w("name: %q\n", name)
	w("seed: %d\n", max(m.Opt.Seed, 1))
	if m.Opt.Week {
		f := d.From.In(m.loc())
		first := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, m.loc())
		w("run:\n  days: %d\n  timeZone: %s\n  start: %q\n  replications: 10\n", int(math.Round(m.Days)), m.loc(), first.Format(time.RFC3339))
	} else {
		day := d.From.Truncate(24 * time.Hour).Add(m.Start)
		w("run:\n  start: %q   # the experts' usual first login, UTC\n  horizon: %s\n  warmup: 30m\n  replications: 30\n", day.Format("2006-01-02T15:04:05Z"), dur(m.Horizon))
	}
	if m.Opt.Policy != "" {
		w("policy: %s\n", m.Opt.Policy)
	}
	w("\n# Presence definitions in use, with their GUIDs; share = of all logged-in time.\npresences:\n")
	for _, p := range m.Presences {
		note := fmt.Sprintf("%s, %.1f%% of logged-in time", p.Label, 100*m.Shares[p.Name])
		if p.Unknown {
			note += "; NO LONGER DEFINED in the org"
		}
		w("  %s: {id: %s, system: %s, label: %q}   # %s\n", p.Name, p.ID, p.System, p.Label, note)
	}
	if m.Opt.Week {
		w("\n# Every group gives its own hours; these are the largest group's.\nweek:\n  hours: %s\n", hoursYAML(m.Groups[0]))
	}
	w("\nexperts:\n")
	for _, g := range m.Groups {
		m.writeGroup(&b, g)
	}
	m.writeDeliveries(&b)
	m.writeEscalations(&b)
	vm := ""
	if m.Voicemail > 0 {
		vm = ", voicemailAfter: " + dur(m.Voicemail)
	}
	w("\n# The ACD as it is: On Queue presences, longest idle.\nbaselines:\n  - {name: today%s}\n", vm)
	if q := m.availableOnQueue(); q != nil {
		w("  # The honest bar: the same ACD with the idle presences experts actually use (AVAILABLE\n")
		w("  # and IDLE) counted as On Queue, best skill first; shadowq must beat this, not just today.\n")
		w("  - {name: available-on-queue, onQueue: [%s], select: best-skill%s}\n", strings.Join(q, ", "), vm)
	}
	return b.String()
}

// availableOnQueue names the ON_QUEUE presences and the idle ones
// (AVAILABLE, IDLE) seen in the history, or nil when there is no idle
// presence besides On Queue (the second baseline would equal today's).
func (m *Model) availableOnQueue() []string {
	var q []string
	idle := false
	for _, p := range m.Presences {
		switch p.System {
		case "ON_QUEUE":
			q = append(q, p.Name)
		case "AVAILABLE", "IDLE":
			q = append(q, p.Name)
			idle = true
		}
	}
	if !idle {
		return nil
	}
	return q
}

func (m *Model) writeGroup(b *strings.Builder, g *group) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("  - group: %s   # %d users, %d expert-days\n    count: %d\n", g.Name, len(g.Users), g.Days, len(g.Users))
	w("    skills: {")
	for i, k := range slices.Sorted(maps.Keys(g.Skills)) {
		if i > 0 {
			w(", ")
		}
		w("%s: %g", k, g.Skills[k])
	}
	w("}\n    workPresence: %s\n", g.Work)
	if m.Opt.Week {
		w("    hours: %s   # median login and logout per day of week worked\n", hoursYAML(g))
	} else {
		w("    shift: {start: %s, end: %s}   # median login and logout\n", dur(g.Start), dur(g.End))
	}
	if g.MeetPerDay > 0 && g.MeetLen != nil {
		w("    meetings:\n      perDay: %.2f   # %d meetings / %d expert-days\n", g.MeetPerDay, g.MeetLen.N, g.Days)
		w("      length: %s   # %s\n", g.MeetLen.yaml(), g.MeetLen.comment())
		w("      presence: %s\n", weights(g.MeetMix))
		if g.MinGap > 0 {
			w("      minGap: %s   # 1st percentile of the gaps between meetings\n", dur(g.MinGap))
		}
	}
	blocks := func(key string, bs []block) {
		if len(bs) == 0 {
			return
		}
		w("    %s:\n", key)
		for _, x := range bs {
			w("      - {start: %s, length: %s, presence: %s}   # on %.0f%% of expert-days\n", dur(x.Start), dur(x.Len), x.Presence, 100*x.Share)
		}
	}
	blocks("fixedMeetings", g.Fixed)
	blocks("breaks", g.Breaks)
	if g.ChurnPerHour > 0 && g.ChurnLen != nil {
		w("    churn:\n      ratePerHour: %.3f   # %d excursions per hour free in %s\n", g.ChurnPerHour, g.ChurnLen.N, g.Work)
		w("      presence: %s\n      length: %s   # %s\n", weights(g.ChurnMix), g.ChurnLen.yaml(), g.ChurnLen.comment())
	}
}

func (m *Model) writeDeliveries(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("\ndeliveries:\n")
	if m.Timeout > 0 {
		w("  alertTimeout: %s   # longest unanswered offer\n", dur(m.Timeout))
	}
	if m.Response.Kind != "" {
		w("  responseTime: %s   # %s\n", m.Response.yaml(), m.Response.comment())
	}
	var tot [3]int
	w("  byPresence:   # shares of offers by the presence shown when the alert started\n")
	for _, n := range slices.Sorted(maps.Keys(m.Outcomes)) {
		o := m.Outcomes[n]
		for i := range o {
			tot[i] += o[i]
		}
		all := o[0] + o[1] + o[2]
		if n == "" || all < 20 {
			continue
		}
		w("    %s: {accept: %.3f, decline: %.3f}   # n=%d offers, %d unanswered\n", n, float64(o[0])/float64(all), float64(o[1])/float64(all), all, o[2])
	}
	if all := tot[0] + tot[1] + tot[2]; all > 0 {
		w("  default: {accept: %.3f, decline: %.3f}   # all %d offers\n", float64(tot[0])/float64(all), float64(tot[1])/float64(all), all)
	}
	w("  handleTime: %s   # %s\n", m.Handle.yaml(), m.Handle.comment())
	w("  afterCallWork: %s   # %s\n", m.ACW.yaml(), m.ACW.comment())
}

func (m *Model) writeEscalations(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("\nescalations:\n")
	if m.Opt.Week {
		m.writeWeekRates(b)
	} else {
		m.writeRates(b)
	}
	m.writeMixes(b)
}

// writeWeekRates writes perHour × byDay × byHour: byDay is each day of
// week's mean arrivals, byHour each local hour's share of all arrivals
// times 24, so perHour 1 reproduces both margins (the separable fit).
func (m *Model) writeWeekRates(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("  perHour: 1   # byDay × byHour give the rate; fitted on %d arrivals over %.0f days\n  byDay:   # mean arrivals per day of week (n = days of that weekday in the interval)\n", len(m.Data.Conversations), m.Days)
	for _, wd := range []time.Weekday{1, 2, 3, 4, 5, 6, 0} {
		if m.ByDay[wd] > 0 {
			w("    %s: %.2f   # n=%d days\n", dayNames[wd], m.ByDay[wd], m.DayN[wd])
		}
	}
	w("  byHour:   # share of arrivals in each local hour, per hour\n")
	for h, v := range m.ByHour {
		if v > 0 {
			w("    %d: %.5f\n", h, v)
		}
	}
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func hoursYAML(g *group) string {
	var parts []string
	for _, wd := range []time.Weekday{1, 2, 3, 4, 5, 6, 0} {
		h := g.Hours[wd]
		if h.Open {
			parts = append(parts, fmt.Sprintf("%s: %s-%s", dayNames[wd], clock(h.Start), clock(h.End)))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func (m *Model) writeRates(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("  rates:   # arrivals per hour of the day, averaged over %.0f days\n", m.Days)
	for h, r := range m.Rates {
		n := int(r*m.Days + 0.5)
		w("    - {from: %s, to: %s, perHour: %.2f}   # n=%d, ±%.2f (1 s.e., Poisson)\n", dur(time.Duration(h)*time.Hour), dur(min(time.Duration(h+1)*time.Hour, m.Horizon)),
			r, n, sqrtF(float64(n))/m.Days)
	}
}

func (m *Model) writeMixes(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("  skills:\n")
	for _, k := range slices.Sorted(maps.Keys(m.SkillMix)) {
		var sk []string
		if k != "" {
			sk = strings.Split(k, "+")
		}
		w("    - {skills: [%s], weight: %.4f}\n", strings.Join(sk, ", "), m.SkillMix[k])
	}
	if len(m.Opt.Priorities) > 0 {
		w("  priorities: %s   # given with --priorities: conversation details carry no priority\n", weights(m.Opt.Priorities))
	} else {
		w("  priorities: {P3: 1}   # conversation details carry no priority: set the mix with --priorities\n")
	}
	if m.Patience != nil {
		w("  patience: %s   # %s\n", m.Patience.yaml(), m.Patience.comment())
	}
}

func weights(mp map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(mp)) {
		parts = append(parts, fmt.Sprintf("%s: %.4g", k, mp[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sqrtF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	z := x
	for range 30 {
		z = (z + x/z) / 2
	}
	return z
}

// name is the scenario's name: --name, else "Calibrated org".
func (m *Model) name() string {
	if m.Opt.Name == "" {
		return "Calibrated org"
	}
	return m.Opt.Name
}
