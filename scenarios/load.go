package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// cherryStream is the PCG stream used to choose cherry-pickers, so the choice
// depends on the seed only and never collides with the simulator's streams.
const cherryStream = 0xc4e77e9

// Load reads the scenario file at path and the policy file it names
// (relative to the scenario's directory). On any problem it returns a nil
// Scenario and an error; problems in the files are a strictyaml.Errors
// listing every one, sorted by file and position.
func Load(path string) (*Scenario, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, strictyaml.ReadFile)
}

// Parse loads a scenario from data. file names the source in messages and
// locates the policy file (`policy: x.yaml` is read as
// filepath.Join(filepath.Dir(file), "x.yaml") unless absolute) through
// readFile, which defaults to strictyaml.ReadFile (at most
// strictyaml.MaxFileSize bytes) when nil. Errors are as for Load.
func Parse(file string, data []byte, readFile func(string) ([]byte, error)) (*Scenario, error) {
	if readFile == nil {
		readFile = strictyaml.ReadFile
	}
	var f scenarioFile
	doc, err := strictyaml.Decode(file, data, &f)
	var decodeErrs strictyaml.Errors
	if err != nil && !errors.As(err, &decodeErrs) {
		return nil, err
	}
	if _, ok := doc.Pos(&f); !ok {
		// Nothing decoded: an empty document, or the top level is not a
		// mapping (which the decoder reported).
		if len(decodeErrs) == 0 {
			decodeErrs.Add(strictyaml.Pos{File: file, Line: 1, Column: 1}, "",
				"empty scenario: expected a mapping with at least run, presences, experts, deliveries and escalations")
		}
		return nil, decodeErrs.Err()
	}
	c := &checker{doc: doc, file: file, readFile: readFile}
	failed := map[string]bool{}
	for _, e := range decodeErrs {
		failed[e.Path] = true
	}
	for i := range f.Experts {
		ef := &f.Experts[i]
		if p := doc.PathOf(&ef.Skills); p == "" || failed[p] {
			c.skillsUnknown = true // an item or its skills did not decode
		}
	}
	s := c.build(&f)
	errs := mergeErrors(decodeErrs, c.errs)
	errs = append(errs, c.policyErrs...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// mergeErrors adds the semantic problems to the decoder's, leaving out the
// ones that only echo a decoding failure: a value that did not decode is
// left zero, so a check on it fires at the same position, or (for a
// mapping that did not decode) at no position at all.
func mergeErrors(decoded, semantic strictyaml.Errors) strictyaml.Errors {
	at := map[strictyaml.Pos]bool{}
	for _, e := range decoded {
		at[e.Pos] = true
	}
	out := slices.Clone(decoded)
	for _, e := range semantic {
		if at[e.Pos] || (len(decoded) > 0 && e.Pos.Line == 0) {
			continue
		}
		out = append(out, e)
	}
	return out
}

type checker struct {
	doc           *strictyaml.Doc
	file          string
	readFile      func(string) ([]byte, error)
	errs          strictyaml.Errors
	policyErrs    strictyaml.Errors
	skillsUnknown bool // some expert's skills did not decode

	horizon     time.Duration       // 0 when unknown
	wk          *Week               // nil for a single-shift scenario
	weekHoursOK bool                // week.hours had no problem
	start       time.Time           // Run.Start
	presences   map[string]Presence // every named presence, valid or not
	names       []string            // sorted presence names
}

func (c *checker) errorf(ptr any, format string, args ...any) {
	c.doc.Errorf(&c.errs, ptr, format, args...)
}

func (c *checker) mapErrorf(m any, key, format string, args ...any) {
	c.doc.MapErrorf(&c.errs, m, key, format, args...)
}

// present reports whether the value ptr points to appeared in the source.
func (c *checker) present(ptr any) bool {
	_, ok := c.doc.Pos(ptr)
	return ok
}

func (c *checker) build(f *scenarioFile) *Scenario {
	s := &Scenario{
		Name:        f.Name,
		Description: f.Description,
		File:        c.file,
		Seed:        DefaultSeed,
	}
	if s.Name == "" && c.file != "" {
		s.Name = strings.TrimSuffix(filepath.Base(c.file), filepath.Ext(c.file))
	}
	if f.Seed != nil {
		s.Seed = *f.Seed
	}
	s.Run, s.Week = c.run(f)
	c.horizon, c.wk, c.start = s.Run.Horizon, s.Week, s.Run.Start
	s.Policy, s.PolicyFile = c.policy(f.Policy)
	s.Presences, s.PresenceNames = c.presenceDefs(&f.Presences, s.Policy)
	s.Experts = c.experts(f.Experts)
	s.OfflinePresence = c.offline(f, s)
	s.Deliveries = c.deliveries(&f.Deliveries)
	s.Escalations = c.escalations(&f.Escalations, f.Experts)
	s.CherryPickers = c.cherryPickers(f, s)
	s.Disconnects = c.disconnects(f.Disconnects)
	s.Resync = Resync{Interval: DefaultResync, OnReconnect: true}
	if r := f.Resync; r != nil {
		if r.Interval != nil {
			if *r.Interval < 0 {
				c.errorf(r.Interval, "interval %s: must not be negative (0 = no periodic resync)", fmtDur(*r.Interval))
			}
			s.Resync.Interval = *r.Interval
		}
		if r.OnReconnect != nil {
			s.Resync.OnReconnect = *r.OnReconnect
		}
	}
	s.Baselines = c.baselines(f)
	s.Economics = c.economics(f.Economics)
	c.bounds(s, &f.Run)
	for i := range f.Expect {
		e := &f.Expect[i]
		if e.Text == "" {
			c.errorf(e, "expected an expectation string, got null")
			continue
		}
		pos, _ := c.doc.Pos(e)
		s.Expect = append(s.Expect, Expectation{Text: e.Text, Pos: pos})
	}
	for _, sf := range f.Sweep {
		if sf == nil {
			continue
		}
		sw := Sweep{Key: sf.Key, Values: sf.Values}
		if len(c.errs) == 0 { // the world must be sound to try values on it
			if err := s.CheckSweep(sw); err != nil {
				c.errorf(&sf.Key, "%v", err)
				continue
			}
		}
		s.Sweep = append(s.Sweep, sw)
	}
	if err := CheckGrid(s.Sweep); err != nil && len(f.Sweep) > 0 {
		c.errorf(&f.Sweep, "%v", err)
	}
	return s
}

func (c *checker) run(f *scenarioFile) (Run, *Week) {
	r := &f.Run
	out := Run{Start: DefaultStart, Horizon: r.Horizon, Warmup: r.Warmup, Drain: r.Drain, Replications: DefaultReplications}
	if !c.present(r) {
		return out, nil // missing: reported by the decoder
	}
	if r.Start != nil {
		out.Start = *r.Start
	}
	wk := c.week(f, &out)
	switch {
	case r.Days != nil:
	case !c.present(&r.Horizon):
		c.errorf(r, `missing required field "horizon"`)
	case r.Horizon <= 0:
		c.errorf(&r.Horizon, "horizon %s: must be positive", fmtDur(r.Horizon))
	}
	switch {
	case r.Warmup < 0:
		c.errorf(&r.Warmup, "warmup %s: must not be negative", fmtDur(r.Warmup))
	case out.Horizon > 0 && r.Warmup >= out.Horizon:
		c.errorf(&r.Warmup, "warmup %s: must be shorter than the horizon (%s)", fmtDur(r.Warmup), fmtDur(out.Horizon))
	}
	if r.Drain < 0 {
		c.errorf(&r.Drain, "drain %s: must not be negative (0 = every arm stops at the horizon)", fmtDur(r.Drain))
	}
	if r.Replications != nil {
		if n := *r.Replications; n < 1 || n > MaxReplications {
			c.errorf(r.Replications, "replications %d: must be within 1..%d", n, MaxReplications)
		}
		out.Replications = *r.Replications
	}
	return out, wk
}

func (c *checker) policy(ref *policyRef) (*engine.Policy, string) {
	if ref == nil || ref.Path == "" {
		return engine.DefaultPolicy(), ""
	}
	path := ref.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(c.file), path)
	}
	data, err := c.readFile(path)
	if err != nil {
		c.errorf(ref, "cannot read policy file: %v", err)
		return nil, path
	}
	p, err := engine.ParsePolicy(path, data)
	if err != nil {
		var es strictyaml.Errors
		if errors.As(err, &es) {
			c.policyErrs = append(c.policyErrs, es...)
		} else {
			c.errorf(ref, "%v", err)
		}
		return nil, path
	}
	return p, path
}

// keysInFileOrder returns the keys of a decoded map in source order.
func (c *checker) keysInFileOrder(m any, keys []string) []string {
	slices.SortStableFunc(keys, func(a, b string) int {
		pa, _ := c.doc.MapKeyPos(m, a)
		pb, _ := c.doc.MapKeyPos(m, b)
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Column, pb.Column), cmp.Compare(a, b))
	})
	return keys
}

func (c *checker) presenceDefs(field *map[string]*presenceFile, pol *engine.Policy) (map[string]Presence, []string) {
	c.presences = map[string]Presence{}
	m := *field
	if m == nil {
		return c.presences, nil // missing: reported by the decoder
	}
	if len(m) == 0 {
		c.errorf(field, "define at least one presence")
	}
	c.names = sortedKeys(m)
	byID := map[string]string{}
	for _, name := range c.keysInFileOrder(m, slices.Clone(c.names)) {
		c.presences[name] = Presence{Name: name, Label: name}
		pf := m[name]
		if name == "" {
			c.mapErrorf(m, name, "empty presence name")
		}
		if pf == nil {
			c.mapErrorf(m, name, "expected a mapping {id, system}, got null")
			continue
		}
		p := Presence{Name: name, ID: engine.PresenceDefID(pf.ID), Label: pf.Label}
		if strings.TrimSpace(pf.ID) == "" {
			c.errorf(&pf.ID, "empty presence-definition id")
		} else if other, dup := byID[strings.ToLower(pf.ID)]; dup {
			c.errorf(&pf.ID, "presence-definition id %s is also presence %q", pf.ID, other)
		} else {
			byID[strings.ToLower(pf.ID)] = name
		}
		sys, ok := engine.ParseSystemPresence(pf.System)
		if !ok {
			c.errorf(&pf.System, "unknown system presence %q (AVAILABLE, AWAY, BUSY, OFFLINE, IDLE, ON_QUEUE, MEAL, TRAINING, MEETING, BREAK)", pf.System)
		}
		p.System = sys
		if p.Label == "" && pol != nil {
			p.Label = pol.Presences[p.ID].Name
		}
		if p.Label == "" {
			p.Label = name
		}
		if pf.Refocus != nil {
			p.Refocus = c.dist(pf.Refocus, false)
		}
		c.presences[name] = p
	}
	return c.presences, c.names
}

// presenceRef checks that name is a defined presence; report places the
// problem.
func (c *checker) presenceRef(name string, report func(format string, args ...any)) bool {
	if _, ok := c.presences[name]; ok {
		return true
	}
	if len(c.names) == 0 {
		return false // no presences at all: reported once, elsewhere
	}
	hint := ""
	if s := suggest(name, c.names); s != "" {
		hint = fmt.Sprintf(", did you mean %q?", s)
	}
	report("unknown presence %q%s (%s)", name, hint, listNames("known", c.names))
	return false
}

// uniqueBySystem returns the one presence with the given system presence
// ("" and the number found unless exactly one).
func (c *checker) uniqueBySystem(sys engine.SystemPresence) (string, int) {
	var found []string
	for _, n := range c.names {
		if c.presences[n].System == sys {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0], 1
	}
	return "", len(found)
}

// mix validates a weighted presence map; field points at the map field.
func (c *checker) mix(m map[string]float64, field any) PresenceMix {
	var out PresenceMix
	total := 0.0
	for _, k := range sortedKeys(m) {
		w := m[k]
		c.presenceRef(k, func(format string, args ...any) { c.mapErrorf(m, k, format, args...) })
		if !finite(w) || w < 0 {
			c.mapErrorf(m, k, "weight %s: must be a number >= 0", fmtNum(w))
			continue
		}
		total += w
		out = append(out, PresenceWeight{Presence: k, Weight: w})
	}
	switch {
	case len(m) > 0 && total == 0:
		c.errorf(field, "weights must not all be 0")
	case !finite(total):
		c.errorf(field, "weights too large")
	}
	normalize(len(out), total, func(i int) *float64 { return &out[i].Weight })
	return out
}

// dist validates a distribution. positive requires values > 0 (lengths,
// handle times, patience); otherwise 0 is allowed.
func (c *checker) dist(d *distFile, positive bool) Dist {
	out := Dist{Kind: DistKind(d.Dist)}
	type param struct {
		name  string
		given bool
		ptr   any
	}
	params := []param{
		{"mean", d.Mean != nil, d.Mean},
		{"median", d.Median != nil, d.Median},
		{"sigma", d.Sigma != nil, d.Sigma},
		{"value", d.Value != nil, d.Value},
		{"samples", d.Samples != nil, &d.Samples},
	}
	var takes []string
	switch out.Kind {
	case Exponential:
		takes = []string{"mean"}
	case Lognormal:
		takes = []string{"median", "sigma"}
	case Fixed:
		takes = []string{"value"}
	case Empirical:
		takes = []string{"samples"}
	default:
		if d.Dist != "" {
			c.errorf(&d.Dist, "unknown dist %q (exponential, lognormal, fixed, empirical)", d.Dist)
		}
		return Dist{}
	}
	for _, p := range params {
		if p.given && !slices.Contains(takes, p.name) {
			c.errorf(p.ptr, "%s does not apply to dist %s (it takes %s)", p.name, d.Dist, strings.Join(takes, " and "))
		}
	}
	need := func(given bool, ptr any, name string) bool {
		if !given {
			c.errorf(ptr, "dist %s needs %s", d.Dist, name)
		}
		return given
	}
	lowest := "0"
	if positive {
		lowest = "positive"
	}
	switch out.Kind {
	case Exponential:
		if need(d.Mean != nil, &d.Mean, "mean") {
			if out.Mean = *d.Mean; out.Mean <= 0 {
				c.errorf(d.Mean, "mean %s: must be positive", fmtDur(out.Mean))
			}
		}
	case Lognormal:
		if need(d.Median != nil, &d.Median, "median") {
			if out.Median = *d.Median; out.Median <= 0 {
				c.errorf(d.Median, "median %s: must be positive", fmtDur(out.Median))
			}
		}
		if need(d.Sigma != nil, &d.Sigma, "sigma") {
			if out.Sigma = *d.Sigma; !finite(out.Sigma) || out.Sigma < 0 || out.Sigma > 10 {
				c.errorf(d.Sigma, "sigma %s: must be within 0..10", fmtNum(out.Sigma))
			}
		}
	case Fixed:
		if need(d.Value != nil, &d.Value, "value") {
			if out.Value = *d.Value; out.Value < 0 || (positive && out.Value == 0) {
				c.errorf(d.Value, "value %s: must be %s", fmtDur(out.Value), atLeast(lowest))
			}
		}
	case Empirical:
		if need(d.Samples != nil, &d.Samples, "samples") {
			if len(d.Samples) == 0 {
				c.errorf(&d.Samples, "samples: give at least one value")
			}
			for i, v := range d.Samples {
				if v < 0 || (positive && v == 0) {
					c.errorf(&d.Samples[i], "sample %s: must be %s", fmtDur(v), atLeast(lowest))
				}
			}
			out.Samples = slices.Clone(d.Samples)
		}
	}
	return out
}

func atLeast(lowest string) string {
	if lowest == "positive" {
		return "positive"
	}
	return "at least 0"
}

// window checks start and end-or-length; it returns the resolved window.
func (c *checker) window(w *windowFile) (start, end time.Duration, ok bool) {
	ok = true
	start = w.Start
	if start < 0 {
		c.errorf(&w.Start, "start %s: must not be negative", fmtDur(start))
		ok = false
	}
	switch {
	case w.End != nil && w.Length != nil:
		c.errorf(w.Length, "give end or length, not both")
		ok = false
	case w.End != nil:
		end = *w.End
		if end <= start {
			c.errorf(w.End, "end %s: must be after start %s", fmtDur(end), fmtDur(start))
			ok = false
		}
	case w.Length != nil:
		if *w.Length <= 0 {
			c.errorf(w.Length, "length %s: must be positive", fmtDur(*w.Length))
			ok = false
		} else if *w.Length > maxDur-max(start, 0) {
			c.errorf(w.Length, "length %s: too long", fmtDur(*w.Length))
			ok = false
		}
		end = start + *w.Length
	default:
		c.errorf(w, "needs end or length")
		ok = false
	}
	return start, end, ok
}

func (c *checker) experts(items []expertFile) []Expert {
	var out []Expert
	from := map[engine.ExpertID]string{} // id -> path of the item it came from
	expanded := 0                        // settings held by all experts
	availDefault, availCount := c.uniqueBySystem(engine.SysAvailable)
	breakDefault, breakCount := c.uniqueBySystem(engine.SysBreak)
	for i := range items {
		ef := &items[i]
		path := c.doc.PathOf(ef)
		tmpl, ok := c.expertTemplate(ef, availDefault, availCount, breakDefault, breakCount)
		if c.wk != nil && ok {
			hours, hoursOK := c.wk.Hours, c.weekHoursOK
			if ef.Hours != nil {
				hours, hoursOK = c.weekHours(ef.Hours)
			}
			ok = c.expandDays(&tmpl, hours, hoursOK, ef) && hoursOK
		}
		var ids []engine.ExpertID
		var idField any
		switch {
		case ef.ID != "" && ef.Group != "":
			c.errorf(&ef.Group, "give id (one expert) or group and count, not both")
			ok = false
		case ef.ID != "":
			if ef.Count != nil {
				c.errorf(ef.Count, "count applies to a group, not to an expert given by id")
				ok = false
			}
			ids = []engine.ExpertID{engine.ExpertID(ef.ID)}
			idField = &ef.ID
		case ef.Group != "":
			idField = &ef.Group
			if ef.Count == nil {
				c.errorf(ef, "group %q needs count", ef.Group)
				ok = false
				break
			}
			n := *ef.Count
			if n < 1 || n > MaxExperts {
				c.errorf(ef.Count, "count %d: must be within 1..%d", n, MaxExperts)
				ok = false
				break
			}
			width := max(2, len(strconv.Itoa(n)))
			for k := 1; k <= n; k++ {
				ids = append(ids, engine.ExpertID(fmt.Sprintf("%s-%0*d", ef.Group, width, k)))
			}
			tmpl.Group = ef.Group
		default:
			if c.present(ef) {
				c.errorf(ef, "needs id (one expert) or group and count")
			}
			ok = false
		}
		if len(out)+len(ids) > MaxExperts {
			c.errorf(idField, "too many experts: at most %d in a scenario", MaxExperts)
			break
		}
		size := 1 + len(tmpl.Shifts) + len(tmpl.Skills) + len(tmpl.FixedMeetings) + len(tmpl.Breaks) + len(tmpl.Meetings.Presence) +
			len(tmpl.Meetings.Length.Samples) + len(tmpl.Churn.Presence) + len(tmpl.Churn.Length.Samples)
		if expanded += size * len(ids); expanded > MaxExpanded {
			c.errorf(idField, "scenario too large: more than %d expert settings after expanding groups", MaxExpanded)
			break
		}
		for _, id := range ids {
			if other, dup := from[id]; dup {
				c.errorf(idField, "expert id %q is also defined by %s", id, other)
				ok = false
				break
			}
			from[id] = path
		}
		if !ok {
			continue
		}
		for _, id := range ids {
			e := tmpl
			e.ID = id
			e.Skills = clone(tmpl.Skills)
			e.FixedMeetings = slices.Clone(tmpl.FixedMeetings)
			e.Breaks = slices.Clone(tmpl.Breaks)
			e.Shifts = slices.Clone(tmpl.Shifts)
			e.Meetings.Presence = slices.Clone(tmpl.Meetings.Presence)
			e.Meetings.Length.Samples = slices.Clone(tmpl.Meetings.Length.Samples)
			e.Churn.Presence = slices.Clone(tmpl.Churn.Presence)
			e.Churn.Length.Samples = slices.Clone(tmpl.Churn.Length.Samples)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Expert) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// expertTemplate resolves everything of an experts[] item but its ids.
func (c *checker) expertTemplate(ef *expertFile, availDefault string, availCount int, breakDefault string, breakCount int) (Expert, bool) {
	ok := true
	e := Expert{
		Skills:                 map[string]int{},
		InterruptBudgetPerHour: ef.InterruptBudgetPerHour,
		CherryPicker:           ef.CherryPicker,
	}
	for _, k := range sortedKeys(ef.Skills) {
		p := ef.Skills[k]
		switch {
		case k == "":
			c.mapErrorf(ef.Skills, k, "empty skill name")
			ok = false
		case p < 0 || p > 5:
			c.mapErrorf(ef.Skills, k, "proficiency %d: must be within 0..5", p)
			ok = false
		}
		e.Skills[k] = p
	}
	if ef.InterruptBudgetPerHour < 0 {
		c.errorf(&ef.InterruptBudgetPerHour, "interruptBudgetPerHour %d: must not be negative (0 = no cap)", ef.InterruptBudgetPerHour)
		ok = false
	}

	// Work presence.
	switch {
	case ef.WorkPresence != "":
		if !c.presenceRef(ef.WorkPresence, func(format string, args ...any) { c.errorf(&ef.WorkPresence, format, args...) }) {
			ok = false
		}
		e.WorkPresence = ef.WorkPresence
	case availCount == 1:
		e.WorkPresence = availDefault
	case len(c.names) > 0:
		c.errorf(&ef.WorkPresence, "workPresence is required: there is no single presence with system AVAILABLE to default to (found %d)", availCount)
		ok = false
	}

	// Shift. In a multi-day world the template's shift is the whole day
	// (blocks are times of day), expanded into working days by expandDays.
	e.Shift = Shift{Start: 0, End: c.horizon}
	shiftLen := c.horizon
	if c.wk != nil {
		e.Shift = Shift{Start: 0, End: 24 * time.Hour}
		shiftLen = longestDay(c.wk.Hours)
		if ef.Hours != nil {
			h, _ := c.weekHours(ef.Hours) // problems reported by experts()
			shiftLen = longestDay(h)
		}
		if ef.Shift != nil {
			c.errorf(ef.Shift, "a multi-day scenario gives working hours by day (week.hours, or the expert's hours), not shift")
			ok = false
		}
	} else if ef.Hours != nil {
		c.errorf(&ef.Hours, "hours apply to multi-day scenarios (run.days); give shift: {start, end}")
		ok = false
	}
	if sf := ef.Shift; sf != nil && c.wk == nil {
		e.Shift.Start = sf.Start
		if sf.End != nil {
			e.Shift.End = *sf.End
		}
		switch {
		case sf.Start < 0:
			c.errorf(&sf.Start, "start %s: must not be negative", fmtDur(sf.Start))
			ok = false
		case c.horizon > 0 && sf.Start >= c.horizon:
			c.errorf(&sf.Start, "start %s: the shift starts at or after the horizon (%s)", fmtDur(sf.Start), fmtDur(c.horizon))
			ok = false
		case e.Shift.End <= e.Shift.Start && (sf.End != nil || c.horizon > 0):
			c.errorf(&sf.End, "end %s: must be after start %s", fmtDur(e.Shift.End), fmtDur(e.Shift.Start))
			ok = false
		}
		shiftLen = e.Shift.End - e.Shift.Start
	}
	e.Shifts = []Shift{e.Shift}
	shiftOK := e.Shift.End > e.Shift.Start && e.Shift.Start >= 0 && (c.horizon <= 0 || e.Shift.Start < c.horizon)

	// Fixed meetings and breaks.
	type placed struct {
		b    Block
		path string
		ptr  any
	}
	var blocks []placed
	resolveBlocks := func(list []windowFile, kind string, defPresence string, defCount int, sys string) []Block {
		var out []Block
		for j := range list {
			w := &list[j]
			if w.BlockResync != nil {
				c.errorf(w.BlockResync, "blockResync applies to disconnects")
				ok = false
			}
			start, end, wok := c.window(w)
			b := Block{Start: start, End: end}
			switch {
			case w.Presence != nil:
				b.Presence = *w.Presence
				if !c.presenceRef(b.Presence, func(format string, args ...any) { c.errorf(w.Presence, format, args...) }) {
					wok = false
				}
			case defCount == 1:
				b.Presence = defPresence
			case len(c.names) > 0:
				if sys == "" {
					c.errorf(&w.Presence, "%s needs presence", kind)
				} else {
					c.errorf(&w.Presence, "%s needs presence: there is no single presence with system %s to default to (found %d)", kind, sys, defCount)
				}
				wok = false
			}
			if wok && shiftOK && !e.Shift.Contains(start, end) {
				c.errorf(w, "%s %s–%s is outside the shift %s–%s", kind, fmtDur(start), fmtDur(end), fmtDur(e.Shift.Start), fmtDur(e.Shift.End))
				wok = false
			}
			if !wok {
				ok = false
				continue
			}
			out = append(out, b)
			blocks = append(blocks, placed{b, strings.TrimPrefix(c.doc.PathOf(w), c.doc.PathOf(ef)+"."), w})
		}
		slices.SortStableFunc(out, func(a, b Block) int { return cmp.Compare(a.Start, b.Start) })
		return out
	}
	e.FixedMeetings = resolveBlocks(ef.FixedMeetings, "meeting", "", 0, "")
	e.Breaks = resolveBlocks(ef.Breaks, "break", breakDefault, breakCount, "BREAK")
	// Overlaps are reported at the block that starts later (ties: the later
	// one in the file).
	slices.SortStableFunc(blocks, func(a, b placed) int { return cmp.Compare(a.b.Start, b.b.Start) })
	last := 0 // the block ending last so far
	for j := 1; j < len(blocks); j++ {
		if k := last; blocks[k].b.End > blocks[j].b.Start {
			c.errorf(blocks[j].ptr, "overlaps %s (%s–%s)", blocks[k].path, fmtDur(blocks[k].b.Start), fmtDur(blocks[k].b.End))
			ok = false
		}
		if blocks[j].b.End > blocks[last].b.End {
			last = j
		}
	}
	var blocked time.Duration
	for _, b := range blocks {
		blocked += b.b.End - b.b.Start
	}

	// Generated meetings.
	if m := ef.Meetings; m != nil {
		switch {
		case !finite(m.PerDay) || m.PerDay < 0:
			c.errorf(&m.PerDay, "perDay %s: must be a number >= 0", fmtNum(m.PerDay))
			ok = false
		case m.PerDay > 0 && m.Length == nil:
			c.errorf(&m.Length, "meetings need length (a dist)")
			ok = false
		case m.PerDay > 0 && len(m.Presence) == 0:
			c.errorf(&m.Presence, "meetings need presence (a mapping of presence to weight)")
			ok = false
		}
		var gen MeetingGen
		gen.PerDay = m.PerDay
		if m.Length != nil {
			gen.Length = c.dist(m.Length, true)
		}
		gen.Presence = c.mix(m.Presence, &m.Presence)
		if m.MinGap < 0 {
			c.errorf(&m.MinGap, "minGap %s: must not be negative", fmtDur(m.MinGap))
			ok = false
		}
		gen.MinGap = m.MinGap
		if gen.PerDay > 0 && gen.Length.Kind != "" && shiftOK && finite(gen.PerDay) {
			need := gen.PerDay*float64(gen.Length.Expected()) + float64(blocked)
			if shift := shiftLen; need > float64(shift) {
				c.errorf(&m.PerDay, "perDay %s meetings of %s on average plus %s of fixed meetings and breaks do not fit in the %s shift",
					fmtNum(gen.PerDay), fmtDur(gen.Length.Expected()), fmtDur(blocked), fmtDur(shift))
				ok = false
			}
		}
		if gen.PerDay > 0 {
			e.Meetings = gen
		}
	}

	// Churn.
	if ch := ef.Churn; ch != nil {
		switch {
		case !finite(ch.RatePerHour) || ch.RatePerHour < 0 || ch.RatePerHour > MaxRatePerHour:
			c.errorf(&ch.RatePerHour, "ratePerHour %s: must be within 0..%s", fmtNum(ch.RatePerHour), fmtNum(MaxRatePerHour))
			ok = false
		case ch.RatePerHour > 0 && ch.Length == nil:
			c.errorf(&ch.Length, "churn needs length (a dist)")
			ok = false
		case ch.RatePerHour > 0 && len(ch.Presence) == 0:
			c.errorf(&ch.Presence, "churn needs presence (a mapping of presence to weight)")
			ok = false
		}
		var churn Churn
		churn.RatePerHour = ch.RatePerHour
		if ch.Length != nil {
			churn.Length = c.dist(ch.Length, true)
		}
		churn.Presence = c.mix(ch.Presence, &ch.Presence)
		if churn.RatePerHour > 0 && finite(churn.RatePerHour) {
			e.Churn = churn
		}
	}
	return e, ok
}

// offline resolves offlinePresence.
func (c *checker) offline(f *scenarioFile, s *Scenario) string {
	if f.Offline != nil {
		c.presenceRef(*f.Offline, func(format string, args ...any) { c.errorf(f.Offline, format, args...) })
		return *f.Offline
	}
	name, n := c.uniqueBySystem(engine.SysOffline)
	if n == 1 || len(c.names) == 0 || c.horizon <= 0 {
		return name
	}
	for i := range s.Experts {
		if sh := s.Experts[i].Shift; sh.Start > 0 || sh.End < c.horizon || len(s.Experts[i].Shifts) != 1 {
			c.errorf(&f.Offline, "offlinePresence is required: expert %s is off shift during the run and there is no single presence with system OFFLINE to default to (found %d)", s.Experts[i].ID, n)
			break
		}
	}
	return ""
}

func (c *checker) outcome(o *outcomeFile) Outcome {
	var out Outcome
	ok := true
	for _, p := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"accept", o.Accept, &out.Accept}, {"decline", o.Decline, &out.Decline}, {"noAnswer", o.NoAnswer, &out.NoAnswer}} {
		if p.v == nil {
			continue
		}
		if !finite(*p.v) || *p.v < 0 || *p.v > 1 {
			c.errorf(p.v, "%s %s: a probability must be within 0..1", p.name, fmtNum(*p.v))
			ok = false
		}
		*p.dst = *p.v
	}
	if !ok {
		return out
	}
	const eps = 1e-9
	if o.NoAnswer == nil {
		rest := 1 - out.Accept - out.Decline
		if rest < -eps {
			c.errorf(o, "accept + decline = %s: must not exceed 1", fmtNum(out.Accept+out.Decline))
		}
		out.NoAnswer = max(0, round12(rest))
		return out
	}
	switch sum := out.Accept + out.Decline + out.NoAnswer; {
	case sum > 1+eps:
		c.errorf(o, "accept + decline + noAnswer = %s: must not exceed 1", fmtNum(sum))
	case sum < 1-eps:
		c.errorf(o, "accept + decline + noAnswer = %s: must be 1 (leave noAnswer out to make it the remainder)", fmtNum(sum))
	}
	return out
}

func (c *checker) deliveries(d *deliveriesFile) Deliveries {
	out := Deliveries{
		AlertTimeout:  DefaultAlertTimeout,
		ResponseTime:  Dist{Kind: Fixed, Value: DefaultResponseTime},
		ByPresence:    map[string]Outcome{},
		Default:       Outcome{Accept: DefaultAccept, Decline: DefaultDecline, NoAnswer: DefaultNoAnswer},
		AfterCallWork: Dist{Kind: Fixed},
	}
	if d.AlertTimeout != nil {
		if *d.AlertTimeout <= 0 {
			c.errorf(d.AlertTimeout, "alertTimeout %s: must be positive", fmtDur(*d.AlertTimeout))
		}
		out.AlertTimeout = *d.AlertTimeout
	}
	if d.ResponseTime != nil {
		out.ResponseTime = c.dist(d.ResponseTime, false)
	}
	if d.Default != nil {
		out.Default = c.outcome(d.Default)
	}
	for _, k := range sortedKeys(d.ByPresence) {
		c.presenceRef(k, func(format string, args ...any) { c.mapErrorf(d.ByPresence, k, format, args...) })
		o := d.ByPresence[k]
		if o == nil {
			c.mapErrorf(d.ByPresence, k, "expected a mapping {accept, decline, noAnswer}, got null")
			continue
		}
		out.ByPresence[k] = c.outcome(o)
	}
	for _, n := range c.names {
		if _, ok := out.ByPresence[n]; !ok {
			out.ByPresence[n] = out.Default
		}
	}
	if d.HandleTime != nil {
		out.HandleTime = c.dist(d.HandleTime, true)
	}
	if d.AfterCallWork != nil {
		out.AfterCallWork = c.dist(d.AfterCallWork, false)
	}
	return out
}

func (c *checker) escalations(e *escalationsFile, experts []expertFile) Escalations {
	var out Escalations
	if !c.present(e) {
		return out // missing: reported by the decoder
	}
	if c.wk == nil && (e.ByDay != nil || e.ByHour != nil) {
		c.errorf(e, "byDay and byHour apply to multi-day scenarios (run.days)")
	}
	switch {
	case c.wk != nil && e.Rates != nil:
		c.errorf(&e.Rates, "a multi-day scenario gives arrivals as perHour with byDay and byHour factors, not rates")
	case c.wk != nil && e.PerHour == nil:
		c.errorf(e, "needs perHour (the base rate; byDay and byHour scale it by day of week and local hour)")
	case c.wk != nil:
		if r := *e.PerHour; !finite(r) || r < 0 || r > MaxRatePerHour {
			c.errorf(e.PerHour, "perHour %s: must be within 0..%s", fmtNum(r), fmtNum(MaxRatePerHour))
		} else {
			out.Rates = c.weekRates(e, r)
		}
	case e.PerHour != nil && e.Rates != nil:
		c.errorf(e.PerHour, "give perHour (a constant rate) or rates (by time of day), not both")
	case e.PerHour != nil:
		if r := *e.PerHour; !finite(r) || r < 0 || r > MaxRatePerHour {
			c.errorf(e.PerHour, "perHour %s: must be within 0..%s", fmtNum(r), fmtNum(MaxRatePerHour))
		} else if c.horizon > 0 {
			out.Rates = []Rate{{From: 0, To: c.horizon, PerHour: r}}
		}
	case e.Rates != nil:
		out.Rates = c.rates(e.Rates, &e.Rates)
	default:
		c.errorf(e, "needs perHour (a constant rate) or rates (by time of day)")
	}

	// Skill mix.
	out.Skills = []SkillCombo{{Weight: 1}}
	if m := e.Skills; m != nil {
		out.Skills = c.skillMix(m, &e.Skills, experts)
	}

	// Priority mix.
	out.Priorities = []PriorityWeight{{Priority: engine.P3, Weight: 1}}
	if e.Priorities != nil {
		var ws [engine.P5 + 1]float64
		var keyOf [engine.P5 + 1]string
		total := 0.0
		for _, k := range c.keysInFileOrder(e.Priorities, sortedKeys(e.Priorities)) {
			w := e.Priorities[k]
			p, err := engine.ParsePriority(k)
			switch {
			case err != nil:
				c.mapErrorf(e.Priorities, k, "unknown priority %q: must be one of P1, P2, P3, P4, P5", k)
				continue
			case keyOf[p] != "":
				c.mapErrorf(e.Priorities, k, "%s is the same priority as %s", k, keyOf[p])
				continue
			case !finite(w) || w < 0:
				c.mapErrorf(e.Priorities, k, "weight %s: must be a number >= 0", fmtNum(w))
				continue
			}
			keyOf[p] = k
			ws[p] = w
			total += w
		}
		switch {
		case len(e.Priorities) == 0:
			c.errorf(&e.Priorities, "give at least one priority (or leave priorities out: all P3)")
		case total == 0 || !finite(total):
			c.errorf(&e.Priorities, "weights must be finite and not all 0")
		default:
			out.Priorities = nil
			for p := engine.P1; p <= engine.P5; p++ {
				if keyOf[p] != "" {
					out.Priorities = append(out.Priorities, PriorityWeight{Priority: p, Weight: ws[p]})
				}
			}
			normalize(len(out.Priorities), total, func(i int) *float64 { return &out.Priorities[i].Weight })
		}
	}

	if e.Patience != nil {
		d := c.dist(e.Patience, true)
		out.Patience = &d
	}
	return out
}

func (c *checker) rates(list []rateFile, field any) []Rate {
	if len(list) == 0 {
		c.errorf(field, "give at least one rate window")
		return nil
	}
	var out []Rate
	for i := range list {
		r := &list[i]
		ok := true
		if r.From < 0 {
			c.errorf(&r.From, "from %s: must not be negative", fmtDur(r.From))
			ok = false
		} else if c.horizon > 0 && r.From >= c.horizon {
			c.errorf(&r.From, "from %s: at or after the horizon (%s)", fmtDur(r.From), fmtDur(c.horizon))
			ok = false
		}
		if !finite(r.PerHour) || r.PerHour < 0 || r.PerHour > MaxRatePerHour {
			c.errorf(&r.PerHour, "perHour %s: must be within 0..%s", fmtNum(r.PerHour), fmtNum(MaxRatePerHour))
			ok = false
		}
		to := c.horizon
		switch {
		case r.To != nil:
			to = *r.To
		case i+1 < len(list):
			to = list[i+1].From
		}
		if r.To == nil && i+1 == len(list) && c.horizon <= 0 {
			ok = false // the horizon did not decode: reported already
		}
		if to <= r.From && ok {
			if r.To != nil {
				c.errorf(r.To, "to %s: must be after from %s", fmtDur(to), fmtDur(r.From))
			} else {
				c.errorf(&r.From, "from %s: windows must be in time order (the next starts at %s)", fmtDur(r.From), fmtDur(to))
			}
			ok = false
		}
		if ok && len(out) > 0 && r.From < out[len(out)-1].To {
			prev := out[len(out)-1]
			c.errorf(&r.From, "from %s: overlaps the previous window %s–%s (list windows in time order)", fmtDur(r.From), fmtDur(prev.From), fmtDur(prev.To))
			ok = false
		}
		if ok {
			out = append(out, Rate{From: r.From, To: to, PerHour: r.PerHour})
		}
	}
	return out
}

// skillMix resolves the skill mix. Skills are checked against the skills
// of all experts[] items as written, valid or not, so that a problem in an
// item does not also make its skills look unknown.
func (c *checker) skillMix(m *skillMixFile, field any, experts []expertFile) []SkillCombo {
	var out []SkillCombo
	known := map[string]bool{}
	holders := map[string][]int{} // skill -> indices of the items holding it
	for i, e := range experts {
		for s := range e.Skills {
			known[s] = true
			holders[s] = append(holders[s], i)
		}
	}
	knownList := sortedKeys(known)
	at := func(p strictyaml.Pos) strictyaml.Pos { p.File = c.file; return p }
	seen := map[string]string{}
	total := 0.0
	for _, en := range m.Entries {
		ok := true
		if !finite(en.Weight) || en.Weight < 0 {
			c.errs.Add(at(en.WeightPos), en.Path, "weight %s: must be a number >= 0", fmtNum(en.Weight))
			ok = false
		}
		skills := slices.Clone(en.Skills)
		slices.Sort(skills)
		if d := slices.Compact(slices.Clone(skills)); len(d) != len(skills) {
			c.errs.Add(at(en.Pos), en.Path, "a skill is listed twice")
			ok = false
		}
		key := strings.Join(skills, "\x00")
		if other, dup := seen[key]; dup {
			c.errs.Add(at(en.Pos), en.Path, "same skill combination as %s", other)
			ok = false
		} else {
			seen[key] = en.Path
		}
		if !c.skillsUnknown && len(experts) > 0 {
			missing := false
			for i, s := range en.Skills {
				if !known[s] {
					hint := ""
					if sg := suggest(s, knownList); sg != "" {
						hint = fmt.Sprintf(", did you mean %q?", sg)
					}
					have := listNames("experts' skills", knownList)
					if len(knownList) == 0 {
						have = "no expert has any skill"
					}
					c.errs.Add(at(en.SkillPos[i]), en.Path, "no expert has skill %q%s (%s)", s, hint, have)
					missing, ok = true, false
				}
			}
			if !missing && len(skills) > 1 && !slices.ContainsFunc(holders[rarest(skills, holders)], func(i int) bool {
				for _, s := range skills {
					if _, ok := experts[i].Skills[s]; !ok {
						return false
					}
				}
				return true
			}) {
				c.errs.Add(at(en.Pos), en.Path, "no expert has all of %s", strings.Join(skills, ", "))
				ok = false
			}
		}
		if ok {
			total += en.Weight
			out = append(out, SkillCombo{Skills: skills, Weight: en.Weight})
		}
	}
	if m.Empty {
		c.errorf(field, "give at least one skill (or leave skills out: escalations any expert can take)")
	}
	if len(out) > 0 && (total == 0 || !finite(total)) {
		c.errorf(field, "weights must be finite and not all 0")
	}
	normalize(len(out), total, func(i int) *float64 { return &out[i].Weight })
	for i := range out {
		if len(out[i].Skills) == 0 {
			out[i].Skills = nil
		}
	}
	return out
}

// rarest returns the skill of skills with the fewest holders.
func rarest(skills []string, holders map[string][]int) string {
	best := skills[0]
	for _, s := range skills[1:] {
		if len(holders[s]) < len(holders[best]) {
			best = s
		}
	}
	return best
}

func (c *checker) cherryPickers(f *scenarioFile, s *Scenario) CherryPickers {
	out := CherryPickers{Mode: Hide, Stretch: DefaultStretch, HideLength: Dist{Kind: Exponential, Mean: DefaultHideMean}}
	cf := f.CherryPickers
	if cf != nil {
		if !finite(cf.Share) || cf.Share < 0 || cf.Share > 1 {
			c.errorf(&cf.Share, "share %s: must be within 0..1", fmtNum(cf.Share))
		} else {
			out.Share = cf.Share
		}
		switch CherryPickerMode(cf.Mode) {
		case "", Hide:
		case Stretch:
			out.Mode = Stretch
		default:
			c.errorf(&cf.Mode, "unknown mode %q (hide, stretch)", cf.Mode)
		}
		if cf.Stretch != nil {
			if out.Mode != Stretch {
				c.errorf(cf.Stretch, "stretch applies to mode stretch")
			} else if *cf.Stretch <= 0 {
				c.errorf(cf.Stretch, "stretch %s: must be positive", fmtDur(*cf.Stretch))
			}
			out.Stretch = *cf.Stretch
		}
		if cf.HideLength != nil {
			if out.Mode != Hide {
				c.errorf(cf.HideLength, "hideLength applies to mode hide")
			}
			out.HideLength = c.dist(cf.HideLength, true)
		}
		if cf.Presence != "" {
			if out.Mode != Hide {
				c.errorf(&cf.Presence, "presence applies to mode hide")
			} else {
				c.presenceRef(cf.Presence, func(format string, args ...any) { c.errorf(&cf.Presence, format, args...) })
			}
			out.Presence = cf.Presence
		}
	}
	// Choose the cherry-pickers.
	var unmarked []int
	marked := 0
	for i := range s.Experts {
		if s.Experts[i].CherryPicker {
			marked++
		} else {
			unmarked = append(unmarked, i)
		}
	}
	k := min(int(math.Round(out.Share*float64(len(s.Experts)))), len(unmarked))
	if k > 0 {
		r := rand.New(rand.NewPCG(s.Seed, cherryStream))
		r.Shuffle(len(unmarked), func(i, j int) { unmarked[i], unmarked[j] = unmarked[j], unmarked[i] })
		for _, i := range unmarked[:k] {
			s.Experts[i].CherryPicker = true
		}
	}
	if out.Mode == Hide && out.Presence == "" && marked+k > 0 && len(c.names) > 0 {
		if cf != nil {
			c.errorf(&cf.Presence, "cherry-pickers in mode hide need presence (what they show when hiding)")
		} else {
			for i := range f.Experts {
				if f.Experts[i].CherryPicker {
					c.errorf(&f.Experts[i].CherryPicker, "cherry-pickers need cherryPickers.presence (what they show when hiding)")
					break
				}
			}
		}
	}
	if out.Mode != Stretch {
		out.Stretch = 0
	}
	if out.Mode != Hide {
		out.HideLength = Dist{}
	}
	return out
}

func (c *checker) disconnects(list []windowFile) []Disconnect {
	type item struct {
		d   Disconnect
		ptr *windowFile
	}
	var items []item
	for i := range list {
		w := &list[i]
		if w.Presence != nil {
			c.errorf(w.Presence, "presence applies to meetings and breaks")
		}
		start, end, ok := c.window(w)
		if ok && c.horizon > 0 && start >= c.horizon {
			c.errorf(&w.Start, "start %s: at or after the horizon (%s)", fmtDur(start), fmtDur(c.horizon))
			ok = false
		}
		if !ok {
			continue
		}
		d := Disconnect{Start: start, End: end}
		if w.BlockResync != nil {
			d.BlockResync = *w.BlockResync
		}
		items = append(items, item{d, w})
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.d.Start, b.d.Start) })
	var out []Disconnect
	for i, it := range items {
		if i > 0 && it.d.Start < items[i-1].d.End {
			p := items[i-1]
			c.errorf(it.ptr, "overlaps %s (%s–%s)", c.doc.PathOf(p.ptr), fmtDur(p.d.Start), fmtDur(p.d.End))
			continue
		}
		out = append(out, it.d)
	}
	return out
}

func (c *checker) economics(f *economicsFile) *Economics {
	if f == nil {
		return nil
	}
	out := &Economics{Currency: f.Currency}
	if out.Currency == "" {
		out.Currency = "EUR"
	}
	for _, v := range []struct {
		src *float64
		dst *float64
	}{
		{f.ExpertCostPerHour, &out.ExpertCostPerHour}, {f.WaitCostPerMinute, &out.WaitCostPerMinute},
		{f.AbandonmentCost, &out.AbandonmentCost}, {f.VoicemailCost, &out.VoicemailCost},
		{f.UnfinishedCost, &out.UnfinishedCost}, {f.ShadowqCostPerDay, &out.ShadowqCostPerDay},
	} {
		if v.src == nil {
			continue
		}
		if !finite(*v.src) || *v.src < 0 || *v.src > 1e12 {
			c.errorf(v.src, "%s: must be an amount within 0..1e12", fmtNum(*v.src))
			continue
		}
		*v.dst = *v.src
	}
	return out
}

// reservedArmNames cannot name a baseline: they mean something else in
// results and in the expectation language.
var reservedArmNames = []string{"shadowq", "delta", "rel", "invariants"}

func (c *checker) baselines(f *scenarioFile) []Baseline {
	if f.Baselines == nil {
		b := c.baseline(f.Baseline)
		if f.Baseline != nil && f.Baseline.Name != "" {
			c.errorf(&f.Baseline.Name, "name applies to entries of baselines: (the baseline: shorthand is named %q)", DefaultBaselineName)
		}
		b.Name = DefaultBaselineName
		return []Baseline{b}
	}
	if f.Baseline != nil {
		c.errorf(f.Baseline, "give baseline: or baselines:, not both (baseline: is the one-entry shorthand)")
	}
	if len(f.Baselines) == 0 {
		c.errorf(&f.Baselines, "list at least one baseline")
	}
	var out []Baseline
	seen := map[string]bool{}
	for i, bf := range f.Baselines {
		if bf == nil {
			c.errorf(&f.Baselines[i], "expected a mapping {name, onQueue, select, voicemailAfter}, got null")
			continue
		}
		b := c.baseline(bf)
		b.Name = bf.Name
		switch {
		case bf.Name == "":
			c.errorf(bf, "missing name (e.g. name: today): it names the arm in results and expectations")
		case !validArmName(bf.Name):
			c.errorf(&bf.Name, "name %q: use letters, digits, '-' and '_' only", bf.Name)
		case slices.Contains(reservedArmNames, bf.Name):
			c.errorf(&bf.Name, "name %q is reserved (%s)", bf.Name, strings.Join(reservedArmNames, ", "))
		case seen[bf.Name]:
			c.errorf(&bf.Name, "baseline %q is listed twice", bf.Name)
		}
		seen[bf.Name] = true
		out = append(out, b)
	}
	return out
}

func validArmName(n string) bool {
	for _, r := range n {
		if !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return n != ""
}

func (c *checker) baseline(b *baselineFile) Baseline {
	out := Baseline{Select: SelectLongestIdle}
	if b != nil {
		switch Selection(b.Select) {
		case "":
		case SelectLongestIdle, SelectBestSkill:
			out.Select = Selection(b.Select)
		default:
			c.errorf(&b.Select, "unknown select %q (%s, %s)", b.Select, SelectLongestIdle, SelectBestSkill)
		}
		if b.VoicemailAfter < 0 {
			c.errorf(&b.VoicemailAfter, "voicemailAfter %s: must not be negative (0 = never)", fmtDur(b.VoicemailAfter))
		}
		out.VoicemailAfter = b.VoicemailAfter
		if b.OnQueue != nil {
			out.OnQueue = []string{}
			for i, n := range b.OnQueue {
				ok := c.presenceRef(n, func(format string, args ...any) { c.errorf(&b.OnQueue[i], format, args...) })
				if slices.Contains(out.OnQueue, n) {
					c.errorf(&b.OnQueue[i], "presence %q is listed twice", n)
					ok = false
				}
				if ok {
					out.OnQueue = append(out.OnQueue, n)
				}
			}
			slices.Sort(out.OnQueue)
			return out
		}
	}
	for _, n := range c.names {
		if c.presences[n].System == engine.SysOnQueue {
			out.OnQueue = append(out.OnQueue, n)
		}
	}
	return out
}

// normalize divides n weights by their total, unless they already sum to 1
// (up to rounding), which keeps weights written as probabilities exact.
func normalize(n int, total float64, w func(int) *float64) {
	if total <= 0 || !finite(total) || math.Abs(total-1) < 1e-9 {
		return
	}
	for i := range n {
		*w(i) /= total
	}
}

// round12 hides binary rounding in a computed probability (1-0.92-0.05).
func round12(f float64) float64 { return math.Round(f*1e12) / 1e12 }

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

// fmtDur formats a duration without trailing zero units: 8h, 2h30m, 90s.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// fmtNum formats a float, hiding binary rounding (0.7+0.2+0.2 = 1.1).
func fmtNum(f float64) string {
	if finite(f) && math.Abs(f) < 1e15 {
		f = math.Round(f*1e9) / 1e9
		if f == math.Trunc(f) {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// maxListed and maxSuggest bound the names a message lists and the names
// a typo is compared with.
const (
	maxListed  = 30
	maxSuggest = 300
)

// listNames formats "label: a, b, c", or only the count when there are too
// many names to list.
func listNames(label string, names []string) string {
	if len(names) > maxListed {
		return fmt.Sprintf("%s: %d names", label, len(names))
	}
	return label + ": " + strings.Join(names, ", ")
}

// suggest is strictyaml.Suggest, bounded so pathological files stay fast.
func suggest(name string, known []string) string {
	if len(known) > maxSuggest {
		return ""
	}
	return strictyaml.Suggest(name, known)
}
