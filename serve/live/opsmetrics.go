package live

import (
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shadowq/shadowq/engine"
)

// Version is the binary's version for shadowq_build_info and the status
// page; cmd/shadowq sets it.
var Version = "dev"

// recentDecisions is how many decisions the status page shows.
const recentDecisions = 25

// opsMetrics are the series that answer "is routing healthy?" (the
// dashboard and alert rules in deploy/ use them), and the recent history
// the status page shows. decision and outcome are called on the engine's
// goroutine (OnDecision) or the dispatcher's (OnOutcome); the mutex
// guards what the status page reads from HTTP handlers.
type opsMetrics struct {
	escalations  *prometheus.CounterVec // terminal outcome × priority
	holds        *prometheus.CounterVec // hold decisions × priority
	holdTime     prometheus.Histogram
	deliveries   *prometheus.CounterVec // delivery outcome
	forbidden    *prometheus.CounterVec // deliveries into a presence the policy forbids, as the engine saw it
	experts      *prometheus.GaugeVec   // by system presence
	eligible     *prometheus.GaugeVec   // by priority
	inFlight     prometheus.Gauge
	held         prometheus.Gauge
	gaps         prometheus.Counter
	redisErrors  *prometheus.CounterVec
	started      time.Time
	mu           sync.Mutex
	lastResync   time.Time
	open         map[string]*openEscalation // this replica's escalations not yet terminal
	recent       []engine.Decision          // ring, newest last
	assignedSeen map[string]bool
}

// openEscalation is what the status page shows of an escalation in flight.
type openEscalation struct {
	Last      engine.Decision
	Since     time.Time // first decision
	HeldSince time.Time // first hold, zero if never held
}

func newOpsMetrics(reg prometheus.Registerer, h *health, now time.Time) *opsMetrics {
	o := &opsMetrics{started: now, open: map[string]*openEscalation{},
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_escalations_total",
			Help: "Escalations ended, by outcome (routed, fallback, abandoned) and priority (P1..P5)."}, []string{"outcome", "priority"}),
		holds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_escalation_holds_total",
			Help: "Hold decisions (the caller waits for an expert about to free up), by priority."}, []string{"priority"}),
		holdTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "shadowq_hold_seconds",
			Help:    "From an escalation's first hold to its end (routed, fallback or abandoned).",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600}}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_delivery_outcomes_total",
			Help: "Delivery outcomes reported by Genesys: accepted, declined, no_answer, error (and gone, not_delivered)."}, []string{"outcome"}),
		forbidden: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_forbidden_deliveries_total",
			Help: "Deliveries attempted into a presence or routing status the policy forbids for the priority, as this replica knew it (must stay 0)."}, []string{"priority"}),
		experts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "shadowq_experts",
			Help: "Experts in the pool by system presence (UNKNOWN until the first event or resync)."}, []string{"presence"}),
		eligible: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "shadowq_experts_eligible",
			Help: "Experts whose presence and routing status the policy lets an escalation of the priority reach (claims, cool-downs and budgets aside)."}, []string{"priority"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shadowq_escalations_in_flight",
			Help: "Escalations this replica is routing (not terminal yet)."}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shadowq_escalations_held",
			Help: "Escalations this replica holds (last decision: hold)."}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{Name: "shadowq_notification_gaps_total",
			Help: "Times the notification feed may have missed events (connect, reconnect, socket closing, duplicates skipped); each triggers a resync."}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_redis_errors_total",
			Help: "Redis failures: ping (readiness probe) and write (presence and decision writes, retried)."}, []string{"op"}),
	}
	bi := prometheus.NewGauge(prometheus.GaugeOpts{Name: "shadowq_build_info", Help: "1, labelled with the version and Go version.",
		ConstLabels: prometheus.Labels{"version": Version, "goversion": runtime.Version()}})
	bi.Set(1)
	flag := func(name, help string, f func() bool) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if f() {
				return 1
			}
			return 0
		})
	}
	reg.MustRegister(o.escalations, o.holds, o.holdTime, o.deliveries, o.forbidden, o.experts, o.eligible, o.inFlight, o.held,
		o.gaps, o.redisErrors, bi,
		flag("shadowq_ready", "1 when /readyz answers 200: Redis answers, the feed is connected, a full resync landed, not shutting down.", func() bool { return h.ready() == nil }),
		flag("shadowq_feed_connected", "1 while a notification socket is subscribed.", h.feedUp.Load),
		flag("shadowq_redis_up", "1 when the last Redis ping succeeded.", func() bool { return h.storeErr.Load() == nil }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "shadowq_resync_age_seconds",
			Help: "Seconds since the last complete bulk presence resync was applied (since start while there was none)."},
			func() float64 { return time.Since(o.resyncAt()).Seconds() }))
	for _, p := range priorities {
		for _, out := range []string{"routed", "fallback", "abandoned"} {
			o.escalations.WithLabelValues(out, p.String())
		}
		o.holds.WithLabelValues(p.String())
		o.forbidden.WithLabelValues(p.String())
	}
	for _, r := range []string{"accepted", "declined", "no_answer", "error"} {
		o.deliveries.WithLabelValues(r)
	}
	for _, op := range []string{"ping", "write"} {
		o.redisErrors.WithLabelValues(op)
	}
	return o
}

func (o *opsMetrics) resyncAt() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastResync.IsZero() {
		return o.started
	}
	return o.lastResync
}

func (o *opsMetrics) resynced(at time.Time) {
	o.mu.Lock()
	o.lastResync = at
	o.mu.Unlock()
}

// decision counts d (on the engine's goroutine: e may be read).
func (o *opsMetrics) decision(e *engine.Engine, d *engine.Decision) {
	prio := d.Priority.String()
	if d.Action == engine.ActDeliver && e != nil {
		if st, ok := e.State(d.Expert); ok {
			if allowed, _ := e.Policy().Allows(st.Presence, st.Routing, st.Conversation != "", d.Priority); !allowed {
				o.forbidden.WithLabelValues(prio).Inc()
			}
		}
	}
	if d.Duplicate {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recent = append(o.recent, *d)
	if len(o.recent) > recentDecisions {
		o.recent = append(o.recent[:0], o.recent[len(o.recent)-recentDecisions:]...)
	}
	x := o.open[d.ConversationID]
	if x == nil {
		x = &openEscalation{Since: d.At}
		o.open[d.ConversationID] = x
	}
	x.Last = *d
	switch {
	case d.Action == engine.ActHold:
		o.holds.WithLabelValues(prio).Inc()
		if x.HeldSince.IsZero() {
			x.HeldSince = d.At
		}
	case d.Action.Terminal():
		o.escalations.WithLabelValues(d.Action.String(), prio).Inc()
		if !x.HeldSince.IsZero() {
			o.holdTime.Observe(d.At.Sub(x.HeldSince).Seconds())
		}
		delete(o.open, d.ConversationID)
	}
	held := 0
	for _, x := range o.open {
		if x.Last.Action == engine.ActHold {
			held++
		}
	}
	o.inFlight.Set(float64(len(o.open)))
	o.held.Set(float64(held))
}

// outcome counts a delivery's result as Genesys reported it (a
// conversation check's answer is not a delivery outcome).
func (o *opsMetrics) outcome(out engine.Outcome) {
	if out.Checked {
		return
	}
	o.deliveries.WithLabelValues(out.Result.String()).Inc()
}

// pool sets the expert gauges from the engine (on its goroutine).
func (o *opsMetrics) pool(e *engine.Engine, ids []engine.ExpertID) {
	byPresence := map[string]int{}
	eligible := make([]int, len(priorities))
	pol := e.Policy()
	for _, id := range ids {
		st, _ := e.State(id)
		byPresence[st.Presence.System.String()]++
		for i, p := range priorities {
			if ok, _ := pol.Allows(st.Presence, st.Routing, st.Conversation != "", p); ok {
				eligible[i]++
			}
		}
	}
	o.experts.Reset()
	for k, n := range byPresence {
		o.experts.WithLabelValues(k).Set(float64(n))
	}
	for i, p := range priorities {
		o.eligible.WithLabelValues(p.String()).Set(float64(eligible[i]))
	}
}

// snapshot returns copies of the recent decisions (newest first) and the
// open escalations, for the status page.
func (o *opsMetrics) snapshot() ([]engine.Decision, []openEscalation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := make([]engine.Decision, len(o.recent))
	for i, d := range o.recent {
		rec[len(rec)-1-i] = d
	}
	open := make([]openEscalation, 0, len(o.open))
	for _, x := range o.open {
		open = append(open, *x)
	}
	return rec, open
}

var priorities = []engine.Priority{engine.P1, engine.P2, engine.P3, engine.P4, engine.P5}
