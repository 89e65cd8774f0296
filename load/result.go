package load

import (
	"encoding/json"
	"fmt"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"io"
	"slices"
	"sort"
	"time"
)

// Result is what a run measured. Its JSON form (WriteJSON) is the
// documented output of `shadowq load --format json`: exactly these fields.
type Result struct {
	// ReadySeconds: from starting the replicas until every one is ready
	// (store reachable, feed subscribed, a full resync applied).
	ReadySeconds float64 `json:"readySeconds"`
	// EventsPerSecond: presence events applied to the engine per second
	// of the measured phase, averaged over replicas (each ingests all).
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// Staleness: presence change at the fake (its modifiedDate) → applied
	// to a replica's engine, over every event of every replica.
	Staleness Percentiles `json:"staleness"`
	// Decision: the Data Action's POST /v1/escalations round trip.
	Decision    Percentiles `json:"decision"`
	Escalations Escalations `json:"escalations"`
	// APICalls: Platform API calls by budget class (delivery, resync,
	// history), all replicas, from start to end, whatever their status.
	APICalls map[string]int `json:"apiCalls"`
	// DecisionByAction is Decision for each answer (routed, hold,
	// fallback) apart: a slow routed would hide in a fast overall p99.
	// Not in the JSON.
	DecisionByAction map[string]Percentiles `json:"-"`
	// DeliveryBudgetWaits: how long delivery-class requests (/assign,
	// outcome checks) waited for a budget slot, all replicas, whole run,
	// from serve's shadowq_genesys_budget_wait_seconds. Not in the JSON.
	DeliveryBudgetWaits BudgetWaits `json:"-"`
	// Series is the measured phase second by second (the HTML report's
	// plots); not in the JSON.
	Series Series `json:"-"`
	// Generated is what the fake's presence generator made (--target
	// runs only; nil otherwise). Not in the JSON.
	Generated *fake.GenerateStatus `json:"-"`
}

// Percentiles in milliseconds.
type Percentiles struct {
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
}

// Escalations counts the escalations sent and what became of them.
type Escalations struct {
	Sent     int `json:"sent"`
	Routed   int `json:"routed"`   // answered "routed"
	Hold     int `json:"hold"`     // answered "hold"
	Fallback int `json:"fallback"` // answered "fallback" (or anything else that is not routed or hold)
	// Delivered: escalations with at least one delivery (/assign that
	// alerted an agent) in the fake's delivery log, whatever the answer.
	Delivered int `json:"delivered"`
	// Lost: answered "routed" and never delivered per the fake's log
	// by the end of the drain.
	Lost int `json:"lost"`
}

func percentiles(xs []time.Duration) Percentiles {
	if len(xs) == 0 {
		return Percentiles{P50Ms: -1, P99Ms: -1}
	}
	slices.Sort(xs)
	at := func(p float64) float64 {
		i := min(len(xs)-1, int(p*float64(len(xs))))
		return float64(xs[i].Microseconds()) / 1000
	}
	return Percentiles{P50Ms: at(0.50), P99Ms: at(0.99)}
}

// WriteJSON writes r as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r for a terminal, each figure with its definition.
func (r *Result) WriteTable(w io.Writer) error {
	for _, row := range r.rows() {
		if _, err := fmt.Fprintf(w, "%-12s %s\n", row[0], row[1]); err != nil {
			return err
		}
	}
	return nil
}

// rows are the figures of r, each with its definition.
func (r *Result) rows() [][2]string {
	e := r.Escalations
	rows := [][2]string{
		{"ready", fmt.Sprintf("%.1f s (start → every replica ready)", r.ReadySeconds)},
		{"ingested", fmt.Sprintf("%.0f presence events/s per replica", r.EventsPerSecond)},
		{"staleness", fmt.Sprintf("p50 %.2f ms, p99 %.2f ms (change at Genesys → applied)", r.Staleness.P50Ms, r.Staleness.P99Ms)},
		{"decision", fmt.Sprintf("p50 %.2f ms, p99 %.2f ms (Data Action round trip)%s", r.Decision.P50Ms, r.Decision.P99Ms, r.byAction())},
		{"escalations", fmt.Sprintf("%d sent: %d routed, %d hold, %d fallback", e.Sent, e.Routed, e.Hold, e.Fallback)},
		{"delivered", fmt.Sprintf("%d (the fake's delivery log)", e.Delivered)},
		{"budget wait", fmt.Sprintf("%d delivery-class requests, %d waited > 150 ms for a slot, %d > 1 s", r.DeliveryBudgetWaits.Requests, r.DeliveryBudgetWaits.Over150ms, r.DeliveryBudgetWaits.Over1s)},
		{"lost", fmt.Sprintf("%d (answered routed, never delivered)", e.Lost)},
	}
	if g := r.Generated; g != nil {
		rows = append(rows[:2], append([][2]string{{"generated", fmt.Sprintf("%d of %d presence changes due at %g/s (the fake's generator)", g.Generated, g.Due, g.EventsPerSecond)}}, rows[2:]...)...)
	}
	classes := make([]string, 0, len(r.APICalls))
	for c := range r.APICalls {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	calls := ""
	for i, c := range classes {
		if i > 0 {
			calls += ", "
		}
		calls += fmt.Sprintf("%s %d", c, r.APICalls[c])
	}
	return append(rows, [2]string{"API calls", calls})
}

// byAction is the decision percentiles per answer, for the table.
func (r *Result) byAction() string {
	out := ""
	for _, a := range []string{"routed", "hold", "fallback"} {
		if p, ok := r.DecisionByAction[a]; ok {
			out += fmt.Sprintf("; %s p50 %.2f ms, p99 %.2f ms", a, p.P50Ms, p.P99Ms)
		}
	}
	return out
}

// BudgetWaits counts requests by how long they waited for a budget slot
// (at the histogram's bucket bounds).
type BudgetWaits struct {
	Requests, Over150ms, Over1s int
}

// Thresholds fail a run (exit 1) when exceeded; zero values are not
// checked (MaxLost: negative is not checked, 0 means none allowed).
type Thresholds struct {
	MaxStalenessP99 time.Duration
	MaxDecisionP99  time.Duration
	MaxReady        time.Duration
	MaxLost         int
}

// Check lists every threshold r exceeds.
func (t Thresholds) Check(r *Result) []string {
	var out []string
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if t.MaxStalenessP99 > 0 && r.Staleness.P99Ms > ms(t.MaxStalenessP99) {
		out = append(out, fmt.Sprintf("staleness p99 %.2f ms > --max-staleness-p99 %v", r.Staleness.P99Ms, t.MaxStalenessP99))
	}
	if t.MaxDecisionP99 > 0 && r.Decision.P99Ms > ms(t.MaxDecisionP99) {
		out = append(out, fmt.Sprintf("decision p99 %.2f ms > --max-decision-p99 %v", r.Decision.P99Ms, t.MaxDecisionP99))
	}
	if t.MaxReady > 0 && r.ReadySeconds > t.MaxReady.Seconds() {
		out = append(out, fmt.Sprintf("ready after %.1f s > --max-ready %v", r.ReadySeconds, t.MaxReady))
	}
	if t.MaxLost >= 0 && r.Escalations.Lost > t.MaxLost {
		out = append(out, fmt.Sprintf("%d lost > --max-lost %d", r.Escalations.Lost, t.MaxLost))
	}
	return out
}
