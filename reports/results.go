// Package reports holds the versioned result records of a simulation run
// (the stream between running and reporting, as in vegeta), the statistics
// over replications (gonum), and every rendering of them: tables
// (tablewriter), JSON, CSV, Markdown, HTML with plots (gonum/plot), JUnit,
// and the evaluation of a scenario's expectations.
package reports

// SchemaVersion is the version of the results.json schema. Bump it on any
// incompatible change; `shadowq report` refuses versions it does not know.
const SchemaVersion = 3

// OldestSchema is the oldest results.json schema `shadowq report` reads:
// schema 3 only added fields (relative changes, per-priority metrics,
// sweeps) to schema 2.
const OldestSchema = 2

// Policy names in Results. A scenario names its baselines; Baseline is the
// name of the one the `baseline:` shorthand defines.
const (
	Baseline = "baseline"
	Shadowq  = "shadowq"
)

// Results is everything one `shadowq sim` run produced, in the versioned
// form written to results.json and re-rendered by `shadowq report`. All
// durations are in seconds. It contains nothing that depends on wall-clock
// time or the number of cores, so one seed gives byte-identical JSON.
type Results struct {
	Schema       int     `json:"schema"`
	Scenario     string  `json:"scenario"`
	File         string  `json:"file"`
	Seed         uint64  `json:"seed"`
	Replications int     `json:"replications"`
	HorizonS     float64 `json:"horizonSeconds"`
	WarmupS      float64 `json:"warmupSeconds"`
	// ServiceLevelS is T in "service level within T".
	ServiceLevelS float64 `json:"serviceLevelSeconds"`
	Experts       int     `json:"experts"`
	// Currency of the money metrics (cost_per_day, net_value_per_day);
	// "" when the scenario sets no economics.
	Currency string `json:"currency,omitempty"`

	// Policies holds every arm by name: the scenario's baselines in file
	// order, then "shadowq", each with the same metric list in the same
	// order. All arms ran on common random numbers.
	Policies []PolicyResult `json:"policies"`
	// Deltas holds, per baseline in Policies order, shadowq − that
	// baseline per metric, paired by replication.
	Deltas []DeltaResult `json:"deltas"`

	PerExpert  []ExpertResult `json:"perExpert"`
	CherryPick CherryPick     `json:"cherryPick"`
	LatencyCDF []CDF          `json:"latencyCDF"` // one per policy
	Timeline   Timeline       `json:"timeline"`   // replication 0, shadowq
	Invariants Invariants     `json:"invariants"`
	// WarmupCheck estimates the initial transient from the run itself.
	WarmupCheck *WarmupCheck   `json:"warmupCheck,omitempty"`
	Expectation []ExpectResult `json:"expectations,omitempty"`
	// Days and HourOfWeek break a multi-day world (run.days) down by
	// simulated day and by local hour of week (see DayResult); absent for
	// a single-shift scenario.
	TimeZone   string       `json:"timeZone,omitempty"`
	Days       []DayResult  `json:"days,omitempty"`
	HourOfWeek []HourResult `json:"hourOfWeek,omitempty"`
	// Sweep is set when the run swept settings (shadowq sim --sweep or a
	// scenario's sweep:); the rest of Results is the scenario as written.
	Sweep *SweepResult `json:"sweep,omitempty"`
}

// DeltaResult is shadowq − one baseline, paired by replication, in the
// order of the policies' metrics (plus delta-only metrics such as
// net_value_per_day).
type DeltaResult struct {
	Baseline string   `json:"baseline"`
	Metrics  []Metric `json:"metrics"`
	// Relative is shadowq ÷ that baseline − 1 per metric (unit UnitRel),
	// paired by replication; replications where the baseline is 0 are
	// left out (N says how many remain). Absent in schema 2 files.
	Relative []Metric `json:"relative,omitempty"`
}

// PolicyResult is the metrics of one policy across replications.
type PolicyResult struct {
	Name    string   `json:"name"`
	Metrics []Metric `json:"metrics"`
}

// Metric names, the same for every policy and for Delta. Units in
// parentheses.
const (
	MUtilization    = "utilization"                         // (ratio) busy / staffed time
	MProductive     = "productive_utilization"              // (ratio) (busy − refocus) / staffed time
	MRefocus        = "refocus_minutes_per_expert_day"      // (min_per_expert_day) expert time lost refocusing after accepted deliveries
	MMeetingLost    = "meeting_minutes_lost_per_expert_day" // (min_per_expert_day) meeting time an accepted delivery took the attendee out of
	MLatencyMean    = "latency.mean"                        // (s) arrival → connected, routed only
	MLatencyP50     = "latency.p50"                         // (s)
	MLatencyP90     = "latency.p90"                         // (s)
	MLatencyP95     = "latency.p95"                         // (s)
	MLatencyP99     = "latency.p99"                         // (s)
	MServiceLevel   = "service_level"                       // (ratio) answered within ServiceLevelS / all arrivals
	MRejectRate     = "reject_rate"                         // (ratio) (declines + no-answers) / deliveries
	MAbandonment    = "abandonment"                         // (ratio) abandoned / arrivals
	MUnfinished     = "unfinished_rate"                     // (ratio) still in the system when the run ends (horizon + drain) / arrivals
	MRouted         = "routed_rate"                         // (ratio) routed / arrivals
	MFallbacks      = "fallback_rate"                       // (ratio) shadowq only: handed to the fallback queue / arrivals
	MVoicemail      = "voicemail_rate"                      // (ratio) sent to voicemail after waiting in the queue / arrivals
	MHolds          = "holds"                               // (count) micro-waits started
	MHoldMean       = "hold.mean"                           // (s) mean hold length
	MHoldRouted     = "hold.routed_share"                   // (ratio) holds that ended routed
	MInterruptions  = "interruptions_per_expert_day"        // (per_expert_day) deliveries into interruptible meetings
	MDNDInterrupts  = "dnd_interruptions"                   // (count) deliveries into a `never` presence (must be 0)
	MStaleMisroutes = "stale_misroutes"                     // (count) deliveries the true state did not allow
	MEscalations    = "escalations"                         // (count) arrivals after warm-up
	MWaitProb       = "wait.probability"                    // (ratio) arrivals not connected at once (Erlang C's P(wait))
	MCost           = "cost_per_day"                        // (money_per_day) with economics: expert time lost + waiting + losses (+ shadowq's own cost)
	MNetValue       = "net_value_per_day"                   // (money_per_day) deltas only: baseline's cost − shadowq's, paired (positive: shadowq saves)
	MWaitMean       = "wait.mean"                           // (s) arrival → connected, or → abandoned/voicemail, or → run end (unfinished); all arrivals
)

// MetricNames lists every metric in report order.
var MetricNames = []string{MUtilization, MProductive, MLatencyMean, MLatencyP50, MLatencyP90, MLatencyP95, MLatencyP99,
	MServiceLevel, MRejectRate, MAbandonment, MUnfinished, MRouted, MFallbacks, MVoicemail, MHolds, MHoldMean, MHoldRouted,
	MWaitProb, MWaitMean, MInterruptions, MRefocus, MMeetingLost, MDNDInterrupts, MStaleMisroutes, MEscalations}

// MoneyMetrics are present only when the scenario sets economics: per arm
// MCost, per delta MNetValue (after the other metrics).
var MoneyMetrics = []string{MCost, MNetValue}

// Metric is a statistic over replications: the mean of the per-replication
// values with a 95% Student-t confidence interval [Lo, Hi].
type Metric struct {
	Name string  `json:"name"` // e.g. "utilization", "latency.p95"
	Unit string  `json:"unit"` // "ratio", "s", "count", "per_expert_day"
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	N    int     `json:"n"` // replications with a value (latency needs one routed escalation)
}

// ExpertResult is one expert's figures, means over replications.
type ExpertResult struct {
	ID           string    `json:"id"`
	Group        string    `json:"group,omitempty"`
	CherryPicker bool      `json:"cherryPicker,omitempty"` // scripted as one by the scenario
	Utilization  []float64 `json:"utilization"`            // per policy, in Policies order
	Interrupts   float64   `json:"interruptsPerDay"`       // shadowq
	Suspicion    float64   `json:"suspicion"`              // 0..1, shadowq run
	Evidence     string    `json:"evidence,omitempty"`
	Flagged      bool      `json:"flagged,omitempty"`
}

// CherryPick is the detector's quality against the scripted cherry-pickers.
type CherryPick struct {
	Threshold float64  `json:"threshold"`
	Flagged   []string `json:"flagged"`
	Scripted  []string `json:"scripted"`
	Precision float64  `json:"precision"` // 1 when nothing is flagged (no false positives)
	Recall    float64  `json:"recall"`    // 1 when nothing scripted
}

// CDF is an empirical latency distribution at fixed quantiles.
type CDF struct {
	Policy string    `json:"policy"`
	P      []float64 `json:"p"`       // 0, 0.01, ..., 1
	S      []float64 `json:"seconds"` // latency at each P
	// Arrivals is every escalation after warm-up over all replications
	// and Routed those that connected (the samples of P and S); 0 in
	// schema 2 files. The share of arrivals connected within S[i] is
	// P[i]·Routed/Arrivals: the others never connected.
	Arrivals int `json:"arrivals,omitempty"`
	Routed   int `json:"routed,omitempty"`
}

// Timeline is a sample day of presence and deliveries.
type Timeline struct {
	Spans      []Span     `json:"spans"`
	Deliveries []Delivery `json:"deliveries"`
}

// Span is an expert showing a presence (or being busy) over [Start, End).
type Span struct {
	Expert string  `json:"expert"`
	Start  float64 `json:"start"`
	End    float64 `json:"end"`
	What   string  `json:"what"` // presence name, or "busy"
}

// Delivery is one delivery attempt on the timeline.
type Delivery struct {
	Expert    string  `json:"expert"`
	At        float64 `json:"at"`
	Result    string  `json:"result"` // accepted, declined, no_answer, error
	Interrupt bool    `json:"interrupt,omitempty"`
}

// WarmupCheck is the warm-up estimated from the run itself: Method (MSER-5)
// on the first baseline arm's number of escalations waiting, averaged over
// replications. Warning is set when the chosen warm-up is shorter.
type WarmupCheck struct {
	Method     string  `json:"method"`
	Arm        string  `json:"arm"`
	SuggestedS float64 `json:"suggestedSeconds"`
	ChosenS    float64 `json:"chosenSeconds"`
	Warning    string  `json:"warning,omitempty"`
}

// Invariants is what the invariant checkers saw in every run.
type Invariants struct {
	Checked    int      `json:"checked"` // runs checked (arms × replications)
	Violations []string `json:"violations,omitempty"`
}

// Baselines returns the names of the baseline arms, in Policies order.
func (r *Results) Baselines() []string {
	var out []string
	for _, p := range r.Policies {
		if p.Name != Shadowq {
			out = append(out, p.Name)
		}
	}
	return out
}

// DeltaFor returns the deltas of shadowq against the named baseline ("":
// the first), or nil.
func (r *Results) DeltaFor(baseline string) []Metric {
	for _, d := range r.Deltas {
		if baseline == "" || d.Baseline == baseline {
			return d.Metrics
		}
	}
	return nil
}

// RelFor returns the relative changes of shadowq against the named
// baseline ("": the first), or nil.
func (r *Results) RelFor(baseline string) []Metric {
	for _, d := range r.Deltas {
		if baseline == "" || d.Baseline == baseline {
			if d.Relative == nil {
				return []Metric{}
			}
			return d.Relative
		}
	}
	return nil
}

// ExpectResult is one evaluated expect: line.
type ExpectResult struct {
	Text   string  `json:"text"`
	Pos    string  `json:"pos"`
	Passed bool    `json:"passed"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// Record is one escalation in one replication under one policy, written as
// a JSON line (records.jsonl) or CSV row.
type Record struct {
	Replication int      `json:"rep"`
	Policy      string   `json:"policy"`
	ID          string   `json:"id"`
	ArrivalS    float64  `json:"arrival"`
	Priority    string   `json:"priority"`
	Skills      []string `json:"skills"`
	Outcome     string   `json:"outcome"` // routed, voicemail, abandoned, unfinished
	Expert      string   `json:"expert,omitempty"`
	LatencyS    float64  `json:"latency"` // arrival → connected; for others, arrival → end
	Attempts    int      `json:"attempts"`
	HoldS       float64  `json:"hold,omitempty"`
	Interrupt   bool     `json:"interrupt,omitempty"`
	Stale       bool     `json:"staleMisroute,omitempty"`
}
