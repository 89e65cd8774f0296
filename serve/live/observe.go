package live

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/genesys"
)

// Observe mode (delivery.mode: observe) runs the engine beside the ACD:
// every escalation is decided and logged (Observed), every Data Action
// answer is fallback, and no routing endpoint is ever called. Switching a
// deployment to assign is the config value and a restart.

// ModeObserve is delivery.mode's value for observe mode.
const ModeObserve = "observe"

// ObserveRetention is how long decision logs are kept in observe mode
// (assign mode keeps redisstore.DefaultDecisionRetention, 7 days).
const ObserveRetention = 30 * 24 * time.Hour

// errObserveMode is what the dispatcher's client answers in observe mode.
// The engine never delivers in that mode; this is the second lock on the
// door, so no code path (an adopted orphan, a resumed escalation) can
// reach /assign, the routing PATCH or replace.
var errObserveMode = errors.New("observe mode: shadowq makes no routing calls (delivery.mode: observe)")

// observeClient refuses every delivery. It reads no conversation either:
// with nothing delivered there is nothing to check.
type observeClient struct{}

func (observeClient) Deliver(context.Context, engine.Delivery, genesys.Mode) error {
	return &engine.DeliveryFailure{Fault: engine.FaultCapacity, Err: errObserveMode}
}

// observeMetrics says observe mode on /metrics: shadowq_observe_mode is 1
// (0 in the other modes, so a dashboard can alert on either), and the
// would-be decisions are counted apart from the decisions acted on.
type observeMetrics struct {
	mode     prometheus.Gauge
	observed *prometheus.CounterVec
}

func newObserveMetrics(reg prometheus.Registerer, on bool) *observeMetrics {
	m := &observeMetrics{
		mode: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shadowq_observe_mode",
			Help: "1 when delivery.mode is observe: escalations are decided and logged, never routed; every answer is fallback."}),
		observed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shadowq_observed_decisions_total",
			Help: "Would-be decisions made in observe mode, by action (deliver, hold, fallback); nothing was sent."}, []string{"action"}),
	}
	if on {
		m.mode.Set(1)
	}
	reg.MustRegister(m.mode, m.observed)
	return m
}

// announceObserve is the startup line: loud on purpose, so nobody mistakes
// an observing deployment for one that routes.
func announceObserve(log *slog.Logger) {
	log.Warn("OBSERVE MODE: every escalation is decided and logged (observed=true) but NONE is routed; " +
		"every Data Action answer is fallback and the flow carries on to its queue. " +
		"To route: set delivery.mode: assign and restart.")
}
