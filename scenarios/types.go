// Package scenarios defines the scenario files of shadowq's discrete-event
// simulator and loads them strictly.
//
// A scenario describes a world (experts with shifts, skills, calendars,
// breaks and presence churn; how experts answer deliveries; how escalations
// arrive; cherry-pickers; notification outages) plus the routing policy under
// test, the baseline ACD it is compared with, how to run it, and what the
// results are expected to show. The file format is documented key by key in
// README.md next to this file.
//
// [Load] and [Parse] return a [Scenario] that is fully resolved: expert
// groups are expanded into individual experts, names are checked and
// resolved, weights are normalised and every optional setting carries its
// documented default, so a consumer never has to guess one. Every problem in
// a file (syntax, unknown keys, wrong types, impossible values, dangling
// references) is reported at once as a strictyaml.Errors, one line per
// problem with file:line:column.
//
// All times inside a scenario (shifts, meetings, rate windows, outages) are
// offsets from [Run.Start], the instant the simulation starts. Simulated time
// runs from 0 to [Run.Horizon]; statistics are collected after [Run.Warmup].
package scenarios

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// Defaults applied by the loader. README.md documents them per key.
const (
	DefaultReplications = 30
	DefaultSeed         = 1
	DefaultAlertTimeout = 20 * time.Second
	DefaultResponseTime = 5 * time.Second // deliveries.responseTime: fixed
	DefaultResync       = 60 * time.Second
	DefaultStretch      = 20 * time.Minute
	DefaultHideMean     = 20 * time.Minute // cherryPickers.hideLength: exponential
	DefaultAccept       = 0.9
	DefaultDecline      = 0.05
	DefaultNoAnswer     = 0.05
)

// DefaultStart is run.start when the scenario does not give one: Monday
// 5 January 2026, 08:00 UTC.
var DefaultStart = time.Date(2026, time.January, 5, 8, 0, 0, 0, time.UTC)

// Limits that keep a scenario (and a fuzzer) from exhausting memory.
const (
	MaxExperts      = 10_000
	MaxReplications = 100_000
	// MaxExpanded bounds the settings (skills, blocks, mix entries,
	// samples) held by all experts together after groups are expanded.
	MaxExpanded = 2_000_000
	// MaxRatePerHour bounds arrival and churn rates.
	MaxRatePerHour = 1e6
)

// Scenario is one loaded, validated and fully defaulted scenario file.
type Scenario struct {
	// Name defaults to the file name without directory and extension.
	Name        string
	Description string
	// File is the scenario file name as given to Load or Parse.
	File string
	// Seed is the root of all randomness (default 1). The simulator derives
	// one independent stream per replication from it; the loader uses it to
	// choose cherry-pickers (see CherryPickers).
	Seed uint64
	Run  Run
	// Week is the calendar of a multi-day world (run.days), nil for a
	// single-shift scenario. See week.go.
	Week *Week

	// Policy is the routing policy under test, never nil: the policy file
	// named by the scenario, or engine.DefaultPolicy() when none is named.
	Policy *engine.Policy
	// PolicyFile is the path the policy was read from: the scenario's
	// `policy:` joined to the scenario file's directory (unless absolute),
	// or "" for the default policy.
	PolicyFile string

	// Presences are the presence definitions of the organisation, by the
	// name the scenario uses for them; PresenceNames lists those names
	// sorted. Every presence name anywhere else in Scenario is a key here.
	Presences     map[string]Presence
	PresenceNames []string
	// OfflinePresence is what experts show outside their shift: the
	// `offlinePresence` key, by default the one presence with system
	// OFFLINE. It can be "" only when every shift covers the whole horizon.
	OfflinePresence string

	// Experts are the individual experts, groups expanded, sorted by ID.
	// Each has its own copies of maps and slices.
	Experts []Expert

	Deliveries    Deliveries
	Escalations   Escalations
	CherryPickers CherryPickers
	// Disconnects are notification outages, sorted by Start, not
	// overlapping.
	Disconnects []Disconnect
	Resync      Resync
	// Baselines are the ACD configurations shadowq is compared with, in
	// file order, at least one: the `baselines:` list, or the one entry
	// `baseline:` (named "baseline") stands for, or a default one.
	// Baselines[0] is also the queue shadowq's fallbacks go to.
	Baselines []Baseline
	// Economics prices every arm's day; nil when the scenario sets none.
	Economics *Economics

	// Expect are the expectations to evaluate after the run, in file
	// order, as written (a separate parser evaluates them).
	Expect []Expectation
	// Sweep are the settings the `sweep:` block varies (a grid when more
	// than one), each checked against the scenario; nil when none.
	Sweep []Sweep
}

// Run says how long to simulate and how often.
type Run struct {
	// Start is the wall-clock instant of simulated time 0 (default
	// DefaultStart). Events handed to the engine are stamped Start+offset.
	// In a multi-day world it is local midnight of run.start's date in
	// the scenario's time zone.
	Start time.Time
	// Horizon is the simulated length of one replication (required, > 0;
	// in a multi-day world, run.days local days from Start).
	Horizon time.Duration
	// Warmup is the initial part of each replication excluded from
	// statistics (default 0, always < Horizon).
	Warmup time.Duration
	// Drain is how long after the horizon every arm keeps running so that
	// escalations already in the system can finish (default 0). Arrivals
	// stop at Horizon; every arm stops at Horizon+Drain, and whatever is
	// still open then is unfinished.
	Drain time.Duration
	// Replications is the number of independent runs (default 30).
	Replications int
}

// Presence is one presence definition of the organisation.
type Presence struct {
	Name   string               // the scenario's name for it, e.g. "meeting-dnd"
	ID     engine.PresenceDefID // the presence-definition GUID
	System engine.SystemPresence
	// Label is the display name in Genesys Cloud, e.g. "In a Meeting – Do
	// Not Disturb"; it defaults to the label the policy gives the GUID, or
	// else Name.
	Label string
	// Refocus is the expert time lost after a delivery reaches (is
	// accepted by) an expert who was showing this presence when it
	// alerted: after the conversation and its after-call work the expert
	// neither handles nor is available for a drawn time. Kind "" means
	// none (the default), as for On Queue.
	Refocus Dist
}

// Engine returns the presence as the engine sees it.
func (p Presence) Engine() engine.Presence {
	return engine.Presence{Def: p.ID, System: p.System}
}

// Expert is one simulated expert.
type Expert struct {
	// ID is the expert's user id: the `id` of a single expert, or
	// "<group>-NN" (01, 02, ...; wider when the group has 100 or more).
	ID engine.ExpertID
	// Group is the `group` the expert was expanded from, "" for an expert
	// given by `id`.
	Group string
	// Skills map a skill name to a proficiency 0–5.
	Skills map[string]int
	// InterruptBudgetPerHour caps interruptions per rolling hour; 0 = no cap.
	InterruptBudgetPerHour int
	// WorkPresence is the presence shown while working and not in a
	// calendar block, break, churn or cherry-picking hide.
	WorkPresence string
	// Shift is the expert's first (in a single-shift scenario: only)
	// shift; Shifts are all of them, sorted, not overlapping: one per
	// working day in a multi-day world (none when the expert's hours open
	// on no day of the run).
	Shift  Shift
	Shifts []Shift
	// Meetings are generated randomly per replication and working day;
	// FixedMeetings and Breaks are the same every replication (in a
	// multi-day world repeated on every working day they fit in). They are
	// sorted by Start, inside a shift, and do not overlap each other.
	Meetings      MeetingGen
	FixedMeetings []Block
	Breaks        []Block
	Churn         Churn
	// CherryPicker is true when the expert's group is marked
	// `cherryPicker: true` or the expert was drawn by CherryPickers.Share.
	CherryPicker bool
}

// Engine returns the expert as the engine sees it (Skills is shared).
func (e *Expert) Engine() engine.Expert {
	return engine.Expert{ID: e.ID, Name: string(e.ID), Skills: e.Skills, InterruptBudgetPerHour: e.InterruptBudgetPerHour}
}

// Shift is when an expert works, as offsets from Run.Start. Outside it the
// expert is offline. One shift per replication in a single-shift scenario,
// one per working day in a multi-day world.
type Shift struct {
	Start, End time.Duration
}

// Contains reports whether [start, end) lies within the shift.
func (s Shift) Contains(start, end time.Duration) bool {
	return start >= s.Start && end <= s.End
}

// Block is a calendar block (a meeting) or a break: the expert shows
// Presence from Start to End (offsets from Run.Start).
type Block struct {
	Start, End time.Duration
	Presence   string
}

// MeetingGen generates random meetings for an expert in each replication:
// the number of meetings in each shift (each working day) is Poisson with
// mean PerDay, each has a
// length drawn from Length and a presence drawn from Presence, placed
// uniformly at random in the shift without overlapping each other, the
// fixed meetings or the breaks, and at least MinGap apart from them.
type MeetingGen struct {
	// PerDay is the mean number of meetings per working day (per shift:
	// a single-shift scenario has one); 0 = none (then the
	// other fields are zero and unused).
	PerDay   float64
	Length   Dist
	Presence PresenceMix
	MinGap   time.Duration
}

// Churn is random presence changes while working: at rate RatePerHour
// (Poisson, counted only while the expert shows WorkPresence and is not on
// a conversation) the expert switches to a presence drawn from Presence for
// a time drawn from Length, then back to WorkPresence.
type Churn struct {
	RatePerHour float64 // 0 = no churn (then the other fields are zero)
	Presence    PresenceMix
	Length      Dist
}

// PresenceMix is a weighted choice of presence names, sorted by name, with
// weights normalised to sum to 1.
type PresenceMix []PresenceWeight

// PresenceWeight is one entry of a PresenceMix.
type PresenceWeight struct {
	Presence string
	Weight   float64
}

// Pick draws a presence name by weight; "" for an empty mix.
func (m PresenceMix) Pick(r *rand.Rand) string {
	i := pick(r, len(m), func(i int) float64 { return m[i].Weight })
	if i < 0 {
		return ""
	}
	return m[i].Presence
}

// Deliveries says how experts react when shadowq or the baseline ACD
// delivers a conversation to them.
type Deliveries struct {
	// AlertTimeout is how long a delivery alerts before it ends unanswered
	// (default 20s). Keep it equal to the policy's delivery.alertTimeout
	// unless testing a mismatch.
	AlertTimeout time.Duration
	// ResponseTime is the time from the start of the alert to an accept or
	// decline (default fixed 5s). A drawn time at or beyond AlertTimeout
	// becomes a no-answer.
	ResponseTime Dist
	// ByPresence has an entry for EVERY presence in Scenario.Presences:
	// those listed in the file, and Default for the rest. The expert's
	// presence when the alert starts selects the entry.
	ByPresence map[string]Outcome
	// Default is the outcome mix for presences not listed (default
	// {0.9, 0.05, 0.05}).
	Default Outcome
	// HandleTime is the talk time of an accepted conversation (required).
	HandleTime Dist
	// AfterCallWork follows every handled conversation; the expert is not
	// available during it (default fixed 0).
	AfterCallWork Dist
}

// Outcome gives the probabilities of the three delivery outcomes. They are
// each within 0..1 and sum to 1.
type Outcome struct {
	Accept, Decline, NoAnswer float64
}

// OutcomeKind is the result of one delivery.
type OutcomeKind uint8

// Delivery outcomes.
const (
	Accepted OutcomeKind = iota
	Declined
	NotAnswered
)

func (k OutcomeKind) String() string {
	switch k {
	case Accepted:
		return "accepted"
	case Declined:
		return "declined"
	case NotAnswered:
		return "no-answer"
	}
	return "unknown"
}

// Draw draws an outcome.
func (o Outcome) Draw(r *rand.Rand) OutcomeKind {
	u := r.Float64()
	switch {
	case u < o.Accept:
		return Accepted
	case u < o.Accept+o.Decline:
		return Declined
	}
	return NotAnswered
}

// Escalations says how escalations arrive: a non-homogeneous Poisson process
// with piecewise-constant rate, each escalation requiring a skill combination
// and carrying a priority drawn from the mixes.
type Escalations struct {
	// Rates are the arrival-rate windows, sorted by From, not overlapping.
	// Outside every window the rate is 0.
	Rates []Rate
	// Skills is the skill-combination mix. An escalation requires all
	// skills of the drawn combination; a combination with no skills can go
	// to any expert. Default: one empty combination (no skill required).
	Skills []SkillCombo
	// Priorities is the priority mix, sorted P1..P5 (default all P3).
	Priorities []PriorityWeight
	// Patience is how long a caller waits before abandoning; nil means
	// callers never abandon.
	Patience *Dist
}

// Rate is a constant arrival rate over [From, To).
type Rate struct {
	From, To time.Duration
	PerHour  float64
}

// RateAt returns the arrival rate per hour at offset t.
func (e *Escalations) RateAt(t time.Duration) float64 {
	for _, r := range e.Rates {
		if t >= r.From && t < r.To {
			return r.PerHour
		}
	}
	return 0
}

// MaxRate returns the highest rate per hour (for thinning).
func (e *Escalations) MaxRate() float64 {
	m := 0.0
	for _, r := range e.Rates {
		m = max(m, r.PerHour)
	}
	return m
}

// SkillCombo is one entry of the skill mix. Skills are sorted; Weight is
// normalised (all weights sum to 1).
type SkillCombo struct {
	Skills []string
	Weight float64
}

// PickSkills draws a skill combination by weight. The returned slice is
// shared; copy it before modifying.
func (e *Escalations) PickSkills(r *rand.Rand) []string {
	i := pick(r, len(e.Skills), func(i int) float64 { return e.Skills[i].Weight })
	if i < 0 {
		return nil
	}
	return e.Skills[i].Skills
}

// PriorityWeight is one entry of the priority mix (weights sum to 1).
type PriorityWeight struct {
	Priority engine.Priority
	Weight   float64
}

// PickPriority draws a priority by weight (P3 for an empty mix).
func (e *Escalations) PickPriority(r *rand.Rand) engine.Priority {
	i := pick(r, len(e.Priorities), func(i int) float64 { return e.Priorities[i].Weight })
	if i < 0 {
		return engine.P3
	}
	return e.Priorities[i].Priority
}

// CherryPickerMode is what cherry-pickers do.
type CherryPickerMode string

// Cherry-picker modes.
const (
	// Hide: whenever a cherry-picker would become free (start of shift, end
	// of a meeting, break, churn or after-call work), they show
	// CherryPickers.Presence instead of their work presence for a time
	// drawn from HideLength, then their work presence until they are busy
	// again.
	Hide CherryPickerMode = "hide"
	// Stretch: a cherry-picker keeps showing a meeting's presence for
	// Stretch after the meeting's calendar end (the calendar, and so the
	// engine's BlockEnd, still says the scheduled end).
	Stretch CherryPickerMode = "stretch"
)

// CherryPickers configures experts who avoid work. Which experts they are is
// resolved by the loader into Expert.CherryPicker.
type CherryPickers struct {
	// Share is the fraction of all experts (0..1) drawn as cherry-pickers
	// in addition to those of groups marked `cherryPicker: true`: the loader
	// picks round(Share × len(Experts)) of the unmarked experts uniformly,
	// using a generator seeded from Scenario.Seed only (so the same experts
	// in every replication). Default 0.
	Share float64
	Mode  CherryPickerMode // default Hide
	// Stretch is how long meetings are stretched in Stretch mode (default 20m).
	Stretch time.Duration
	// Presence is what a cherry-picker shows when hiding: always set when
	// Mode is Hide and there are cherry-pickers, always "" in Stretch mode.
	Presence string
	// HideLength is how long one hide lasts (default exponential, mean 20m).
	HideLength Dist
}

// Disconnect is a notification outage over [Start, End): presence and
// routing-status events that happen inside it never reach the engine, whose
// cache goes stale until the next bulk resync. Delivery outcomes still
// arrive (they come back through the dispatcher).
type Disconnect struct {
	Start, End time.Duration
	// BlockResync makes it a full outage: bulk resyncs due inside the
	// window fail too (default false: only the notification channel is
	// down, periodic resyncs still run).
	BlockResync bool
}

// Resync is the engine's periodic bulk presence resync.
type Resync struct {
	// Interval between bulk resyncs, from time 0 (default 60s; 0 = never).
	Interval time.Duration
	// OnReconnect also resyncs once at the end of each disconnect (default
	// true), as production does when the notification channel reconnects.
	OnReconnect bool
}

// Baseline configures one standard ACD shadowq is compared with: an
// escalation waits in queue until an expert with all its skills is idle in
// an OnQueue presence (chosen by Select), and goes to voicemail after
// VoicemailAfter.
type Baseline struct {
	// Name names the arm in results ("baseline" for the `baseline:`
	// shorthand): letters, digits, '-' and '_', unique, not "shadowq",
	// "delta" or "invariants".
	Name string
	// Select is how the ACD picks among idle eligible agents (default
	// SelectLongestIdle).
	Select Selection
	// VoicemailAfter is the queue time after which an escalation goes to
	// voicemail (default 0 = never).
	VoicemailAfter time.Duration
	// OnQueue are the presence names the ACD routes to, sorted (default:
	// every presence whose system presence is ON_QUEUE).
	OnQueue []string
}

// Economics turns an arm's replication (one simulated day) into money. All
// amounts are in Currency and >= 0. Handling time is not charged: every
// escalation has to be handled eventually; what differs between arms is
// the waiting, the losses and the expert time interruptions destroy.
type Economics struct {
	Currency string // e.g. "EUR"; default "EUR"
	// ExpertCostPerHour prices expert time lost to refocus and to
	// interrupted meetings.
	ExpertCostPerHour float64
	// WaitCostPerMinute prices a minute a customer waits (every
	// escalation's wait, as in wait.mean).
	WaitCostPerMinute float64
	AbandonmentCost   float64 // per abandoned escalation
	VoicemailCost     float64 // per escalation sent to voicemail
	UnfinishedCost    float64 // per escalation still open at the run's end
	// ShadowqCostPerDay is charged to the shadowq arm only (licence,
	// hosting, operations): once per replication, or once per simulated
	// day (run.days) in a multi-day world.
	ShadowqCostPerDay float64
}

// Selection is how an ACD picks among idle eligible agents.
type Selection string

// Agent selections.
const (
	// SelectLongestIdle offers to the agent idle the longest.
	SelectLongestIdle Selection = "longest-idle"
	// SelectBestSkill offers to the agent with the highest mean proficiency
	// over the escalation's skills, then the longest idle (as Genesys
	// skills-based routing does).
	SelectBestSkill Selection = "best-skill"
)

// DefaultBaselineName names the arm of the `baseline:` shorthand (and of
// the default baseline).
const DefaultBaselineName = "baseline"

// Expectation is one line of the expect: list, kept verbatim with where it
// was written.
type Expectation struct {
	Text string
	Pos  strictyaml.Pos
}

// DistKind names a distribution family.
type DistKind string

// Distribution kinds.
const (
	Exponential DistKind = "exponential" // parameter Mean
	Lognormal   DistKind = "lognormal"   // parameters Median and Sigma
	Fixed       DistKind = "fixed"       // parameter Value
	Empirical   DistKind = "empirical"   // parameter Samples, drawn uniformly
)

// Dist is a distribution of durations. Only the fields of its Kind are set.
// The zero Dist (Kind "") only appears in settings documented as unused.
type Dist struct {
	Kind   DistKind
	Mean   time.Duration // exponential: mean (> 0)
	Median time.Duration // lognormal: median (> 0)
	Sigma  float64       // lognormal: standard deviation of the log (>= 0)
	Value  time.Duration // fixed: the value (>= 0)
	// Samples (empirical): observed values (each >= 0, at least one), drawn
	// uniformly with replacement.
	Samples []time.Duration
}

// maxDur is the largest Duration; samples beyond it are clamped.
const maxDur = time.Duration(math.MaxInt64)

// Sample draws one value. It uses only r, so equal generators give equal
// samples. The result is never negative; huge draws clamp to the largest
// time.Duration.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case Exponential:
		return clampDur(r.ExpFloat64() * float64(d.Mean))
	case Lognormal:
		return clampDur(float64(d.Median) * math.Exp(d.Sigma*r.NormFloat64()))
	case Fixed:
		return d.Value
	case Empirical:
		if len(d.Samples) == 0 {
			return 0
		}
		return d.Samples[r.IntN(len(d.Samples))]
	}
	return 0
}

// Expected returns the mean of the distribution: Mean, Median·e^(σ²/2),
// Value, or the average of Samples.
func (d Dist) Expected() time.Duration {
	switch d.Kind {
	case Exponential:
		return d.Mean
	case Lognormal:
		return clampDur(float64(d.Median) * math.Exp(d.Sigma*d.Sigma/2))
	case Fixed:
		return d.Value
	case Empirical:
		if len(d.Samples) == 0 {
			return 0
		}
		var sum float64
		for _, s := range d.Samples {
			sum += float64(s)
		}
		return clampDur(sum / float64(len(d.Samples)))
	}
	return 0
}

func clampDur(f float64) time.Duration {
	switch {
	case f != f || f <= 0: // NaN or non-positive
		return 0
	case f >= float64(maxDur):
		return maxDur
	}
	return time.Duration(f)
}

// pick draws an index in [0, n) with probability proportional to weight(i);
// -1 if n is 0. Weights are assumed non-negative with a positive sum.
func pick(r *rand.Rand, n int, weight func(int) float64) int {
	if n == 0 {
		return -1
	}
	total := 0.0
	for i := range n {
		total += weight(i)
	}
	u := r.Float64() * total
	for i := range n {
		u -= weight(i)
		if u < 0 {
			return i
		}
	}
	// Rounding: return the last entry with positive weight.
	for i := n - 1; i >= 0; i-- {
		if weight(i) > 0 {
			return i
		}
	}
	return n - 1
}

// Expert returns the expert with the given id, or nil.
func (s *Scenario) Expert(id engine.ExpertID) *Expert {
	i, ok := slices.BinarySearchFunc(s.Experts, id, func(e Expert, id engine.ExpertID) int {
		switch {
		case e.ID < id:
			return -1
		case e.ID > id:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return &s.Experts[i]
}
