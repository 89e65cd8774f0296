package calibrate

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Options tune a calibration.
type Options struct {
	// Priorities is the priority mix (P1..P5 → weight). Conversation
	// details carry no priority, so it cannot be read; nil writes {P3: 1}
	// and says so.
	Priorities map[string]float64
	Policy     string // policy path written into the scenario ("" = the engine's default)
	Name       string
	Seed       uint64
	// Week writes a multi-day world (run.days = the history's days,
	// working hours per day of week, arrivals perHour × byDay × byHour)
	// instead of one shift; Location is its time zone (nil: UTC), also
	// the zone times of day are read in.
	Week     bool
	Location *time.Location
}

// Model is a calibrated organisation: every fitted value with its
// evidence, ready to be written as a scenario.
type Model struct {
	Data      *Data
	Opt       Options
	Days      float64
	Start     time.Duration // run start, time of day
	Horizon   time.Duration
	Presences []presence // in name order
	Groups    []*group
	Rates     []float64 // arrivals per hour, hour h from Start
	Outside   int       // conversations arriving outside [Start, Start+Horizon)
	SkillMix  map[string]float64
	Handle    Fit
	ACW       Fit
	Response  Fit
	Patience  *Fit
	KM        []kmPoint
	Timeout   time.Duration
	Outcomes  map[string][3]int // presence name → accepted, declined, noAnswer
	Voicemail time.Duration
	Warnings  []string
	// Shares is each presence's share of shift time over all experts
	// (on-queue usage among them), by presence name.
	Shares map[string]float64
	// Starts is how often each presence starts per expert working day;
	// SegMedian its median segment length.
	Starts    map[string]float64
	SegMedian map[string]time.Duration
	WFM       string // what the WFM schedules said
	// Week mode: expected arrivals per weekday (time.Weekday) and their
	// shares by local hour of day.
	ByDay  [7]float64
	DayN   [7]int // occurrences of each weekday in the interval
	ByHour [24]float64
}

func (m *Model) loc() *time.Location {
	if m.Opt.Location != nil {
		return m.Opt.Location
	}
	return time.UTC
}

// local is t's day index (local dates since From's), time of day (wall
// clock since local midnight) and weekday in the model's time zone.
func (m *Model) local(t time.Time) (int, time.Duration, time.Weekday) {
	loc := m.loc()
	lt := t.In(loc)
	mid := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	f := m.Data.From.In(loc)
	f0 := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	day := int(math.Round(mid.Sub(f0).Hours() / 24))
	return day, time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute + time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond()), lt.Weekday()
}

type presence struct {
	Name, ID, System, Label string
	Unknown                 bool // not among the org's current definitions
}

type group struct {
	Name         string
	Users        []string
	Skills       map[string]float64
	Work         string // presence name
	Start, End   time.Duration
	Fixed        []block // fixed meetings
	Breaks       []block
	MeetPerDay   float64
	MeetLen      *Fit
	MeetMix      map[string]float64
	MinGap       time.Duration
	ChurnPerHour float64
	ChurnLen     *Fit
	ChurnMix     map[string]float64
	Days         int // expert-days observed
	// Hours (week mode) are the working hours by time.Weekday: the median
	// login and logout of the days of week the group's members worked on
	// at least half the time; Open false otherwise.
	Hours [7]struct {
		Open       bool
		Start, End time.Duration
	}
}

type block struct {
	Start, Len time.Duration
	Presence   string
	Share      float64 // of expert-days it occurred on
}

// Calibrate fits a model to the data. It stops with an error when there
// is nothing to calibrate from (no conversations, no user with presence),
// and records every other oddity as a warning.
func Calibrate(d *Data, opt Options) (*Model, error) {
	m := &Model{Data: d, Opt: opt, Days: d.To.Sub(d.From).Hours() / 24, Outcomes: map[string][3]int{}, Shares: map[string]float64{}}
	if m.Days <= 0 {
		return nil, fmt.Errorf("calibrate: empty interval %s/%s", d.From.Format(time.RFC3339), d.To.Format(time.RFC3339))
	}
	if len(d.Conversations) == 0 {
		q := "all queues"
		if len(d.Queues) > 0 {
			q = "queue(s) " + strings.Join(d.Queues, ", ")
		}
		return nil, fmt.Errorf("calibrate: no conversations in %s between %s and %s: there is no traffic to fit arrivals, handle times or patience from (check --queue and the interval)",
			q, d.From.Format("2006-01-02"), d.To.Format("2006-01-02"))
	}
	m.presences()
	for t := d.From; t.Before(d.To); t = t.Add(24 * time.Hour) {
		_, _, wd := m.local(t.Add(12 * time.Hour))
		m.DayN[wd]++
	}
	if err := m.experts(); err != nil {
		return nil, err
	}
	if err := m.traffic(); err != nil {
		return nil, err
	}
	m.crossCheckWFM()
	return m, nil
}

func (m *Model) warn(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

// presences names every definition in use (by label, made unique) and
// adds the GUIDs segments use that the org no longer defines.
func (m *Model) presences() {
	defs := map[string]PresenceDef{}
	for _, p := range m.Data.Presences {
		defs[p.ID] = p
	}
	used := map[string]string{} // GUID → system
	for _, segs := range m.Data.Presence {
		for _, s := range segs {
			used[s.Value] = s.System
		}
	}
	taken := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(used)) {
		p, ok := defs[id]
		pr := presence{ID: id, System: p.System, Label: p.Label}
		if !ok {
			pr.Unknown, pr.System, pr.Label = true, used[id], "unknown "+id[:min(8, len(id))]
			m.warn("presence %s (%s) appears in user history but is no longer defined: kept as %q", id, used[id], pr.Label)
		}
		if pr.System == "" {
			pr.System = "OFFLINE"
		}
		name := slug(pr.Label)
		if name == "" {
			name = strings.ToLower(pr.System)
		}
		for base, i := name, 2; taken[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		taken[name] = true
		pr.Name = name
		m.Presences = append(m.Presences, pr)
	}
	slices.SortFunc(m.Presences, func(a, b presence) int { return cmp.Compare(a.Name, b.Name) })
}

func (m *Model) presenceByID(id string) *presence {
	for i := range m.Presences {
		if m.Presences[i].ID == id {
			return &m.Presences[i]
		}
	}
	return nil
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// traffic fits arrivals, the skill mix, handle and after-call work,
// offers and patience.
func (m *Model) traffic() error {
	d := m.Data
	hours := int(math.Ceil(m.Horizon.Hours()))
	m.Rates = make([]float64, hours)
	skillSets := map[string]float64{}
	var talk, acw, resp, aband, cens, vm []float64
	var byDay [7]float64
	var byHour [24]float64
	for _, c := range d.Conversations {
		_, tod, wd := m.local(c.Start)
		byDay[wd]++
		byHour[int(tod/time.Hour)]++
		tod -= m.Start
		if tod < 0 || tod >= m.Horizon {
			m.Outside++
		} else {
			m.Rates[int(tod/time.Hour)]++
		}
		sk := slices.Clone(c.Skills)
		slices.Sort(sk)
		skillSets[strings.Join(sk, "+")]++
		switch {
		case c.Answered:
			talk = append(talk, (c.Talk + c.Held).Seconds())
			acw = append(acw, c.ACW.Seconds())
			cens = append(cens, c.Wait.Seconds())
		case c.Abandon:
			aband = append(aband, c.Wait.Seconds())
		case c.Voicemail:
			vm = append(vm, c.Wait.Seconds())
			cens = append(cens, c.Wait.Seconds())
		default:
			cens = append(cens, c.Wait.Seconds())
		}
		for _, a := range c.Alerts {
			pname := m.presenceAt(a.UserID, a.Start)
			o := m.Outcomes[pname]
			switch a.Outcome {
			case "accepted":
				o[0]++
				resp = append(resp, a.Dur.Seconds())
			case "declined":
				o[1]++
				resp = append(resp, a.Dur.Seconds())
			default:
				o[2]++
				m.Timeout = max(m.Timeout, a.Dur.Round(time.Second))
			}
			m.Outcomes[pname] = o
		}
	}
	for h := range m.Rates {
		m.Rates[h] /= m.Days
	}
	for w := range byDay {
		if m.DayN[w] > 0 {
			m.ByDay[w] = byDay[w] / float64(m.DayN[w])
		}
	}
	for h := range byHour {
		m.ByHour[h] = byHour[h] / float64(len(d.Conversations))
	}
	if m.Opt.Week {
		m.Outside = 0
	}
	if m.Outside > 0 {
		m.warn("%d of %d conversations arrived outside the experts' working hours (%s–%s UTC): not in the rates", m.Outside, len(d.Conversations),
			dur(m.Start), dur(m.Start+m.Horizon))
	}
	total := float64(len(d.Conversations))
	m.SkillMix = map[string]float64{}
	for k, v := range skillSets {
		m.SkillMix[k] = v / total
	}
	var err error
	if m.Handle, err = fitDurations("handle time (tTalk + tHeld)", talk); err != nil {
		return fmt.Errorf("calibrate: %w: too few answered conversations", err)
	}
	if m.ACW, err = fitDurations("after-call work (tAcw)", acw); err != nil {
		m.ACW = Fit{What: "after-call work (tAcw)", Kind: "fixed", N: len(acw), Note: "no after-call work recorded"}
	}
	if m.Response, err = fitDurations("response time (tAlert of answered or declined offers)", resp); err != nil {
		m.warn("%v: the scenario's default response time is kept", err)
	}
	if pf, km, err := fitPatience(aband, cens); err != nil {
		m.warn("%v: no patience written (callers never abandon)", err)
	} else {
		m.Patience, m.KM = &pf, km
	}
	if len(vm) >= minSamples {
		slices.Sort(vm)
		m.Voicemail = time.Duration(vm[len(vm)/2] * float64(time.Second)).Round(time.Second)
	}
	return nil
}

// presenceAt is the name of the presence user showed at t ("" unknown).
func (m *Model) presenceAt(user string, t time.Time) string {
	segs := m.Data.Presence[user]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].Start.After(t) }) - 1
	if i >= 0 && (segs[i].End.IsZero() || segs[i].End.After(t)) {
		if p := m.presenceByID(segs[i].Value); p != nil {
			return p.Name
		}
	}
	return ""
}

// crossCheckWFM compares the meetings WFM scheduled with those presence
// shows (fixed and random, per expert-day). The scenario's meetings come
// from presence (what experts actually showed); the comparison says how
// far the calendar is from it.
func (m *Model) crossCheckWFM() {
	if m.Data.Schedules == nil {
		return
	}
	scheduled, days, shown := 0, 0, 0.0
	for _, g := range m.Groups {
		days += g.Days
		shown += float64(g.Days) * (g.MeetPerDay + float64(len(g.Fixed)))
		for _, u := range g.Users {
			scheduled += len(m.Data.Schedules[u])
		}
	}
	if days == 0 {
		return
	}
	m.WFM = fmt.Sprintf("WFM scheduled %.2f activities per expert-day; presence showed %.2f meetings per expert-day (fixed and random, as observed)",
		float64(scheduled)/float64(days), shown/float64(days))
}
