package live

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shadowq/shadowq/genesys"
)

// budgetMetrics counts Platform API calls by budget class and status.
type budgetMetrics struct {
	calls *prometheus.CounterVec
	wait  *prometheus.HistogramVec
}

func newBudgetMetrics(reg prometheus.Registerer) *budgetMetrics {
	m := &budgetMetrics{calls: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shadowq_genesys_api_calls_by_class_total",
		Help: "Platform API calls by budget class (delivery, resync, history) and HTTP status (0: no response).",
	}, []string{"class", "status"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shadowq_genesys_budget_wait_seconds",
			Help:    "How long Platform API requests waited for a slot in the OAuth clients' request budgets, by class.",
			Buckets: []float64{0.001, 0.01, 0.05, 0.15, 0.5, 1, 2, 5, 15, 60},
		}, []string{"class"})}
	reg.MustRegister(m.calls, m.wait)
	return m
}

// APIBudgetWait implements genesys.BudgetMetrics.
func (m *budgetMetrics) APIBudgetWait(c genesys.Class, wait time.Duration) {
	if m == nil {
		return
	}
	m.wait.WithLabelValues(c.String()).Observe(wait.Seconds())
}

// APIClassCall implements genesys.BudgetMetrics.
func (m *budgetMetrics) APIClassCall(c genesys.Class, status int) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(c.String(), strconv.Itoa(status)).Inc()
}

// registerBudgetLeft exports how many requests of each class every OAuth
// client together could send now, and the allowance per minute.
func registerBudgetLeft(reg prometheus.Registerer, c *genesys.Client) {
	for _, cl := range genesys.Classes() {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "shadowq_genesys_budget_left",
			Help:        "Platform API requests of the class the OAuth clients' budgets allow now.",
			ConstLabels: prometheus.Labels{"class": cl.String()},
		}, func() float64 { return float64(c.BudgetLeft(cl)) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "shadowq_genesys_budget_per_minute",
		Help: "Platform API requests a minute all configured OAuth clients together may send.",
	}, func() float64 { return float64(c.BudgetLimit()) }))
}
