package sim

import (
	"math"
	"slices"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// priorities lists the priorities the scenario's escalations can carry,
// P1 first: the ones with a per-priority metric in the results.
func priorities(sc *scenarios.Scenario) []string {
	var out []string
	for _, p := range sc.Escalations.Priorities {
		if p.Weight > 0 {
			out = append(out, p.Priority.String())
		}
	}
	if len(out) == 0 {
		out = []string{"P3"} // the default mix
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// priorityMetricNames lists every per-priority metric, priority by
// priority, in reports.PriorityMetrics order.
func priorityMetricNames(sc *scenarios.Scenario) []string {
	var out []string
	for _, p := range priorities(sc) {
		for _, m := range reports.PriorityMetrics {
			out = append(out, reports.PriorityMetric(m, p))
		}
	}
	return out
}

// prioCounts is one priority's escalations in one run.
type prioCounts struct {
	n, routed, inSL, abandoned int
	waitSum                    float64
	lat                        []float64
}

func (c *prioCounts) add(outcome string, wait, sl time.Duration) {
	c.n++
	c.waitSum += wait.Seconds()
	switch outcome {
	case "routed":
		c.routed++
		c.lat = append(c.lat, wait.Seconds())
		if wait <= sl {
			c.inSL++
		}
	case "abandoned":
		c.abandoned++
	}
}

// values sets the per-priority metrics of prio in v (NaN where
// undefined); c may be nil (no escalation of that priority in this run).
func (c *prioCounts) values(v map[string]float64, prio string) {
	if c == nil {
		c = &prioCounts{}
	}
	ratio := func(a int) float64 {
		if c.n == 0 {
			return math.NaN()
		}
		return float64(a) / float64(c.n)
	}
	set := func(m string, x float64) { v[reports.PriorityMetric(m, prio)] = x }
	set(reports.MServiceLevel, ratio(c.inSL))
	set(reports.MRouted, ratio(c.routed))
	set(reports.MAbandonment, ratio(c.abandoned))
	set(reports.MWaitMean, math.NaN())
	if c.n > 0 {
		set(reports.MWaitMean, c.waitSum/float64(c.n))
	}
	set(reports.MLatencyMean, math.NaN())
	set(reports.MLatencyP95, math.NaN())
	if len(c.lat) > 0 {
		slices.Sort(c.lat)
		sum := 0.0
		for _, l := range c.lat {
			sum += l
		}
		set(reports.MLatencyMean, sum/float64(len(c.lat)))
		set(reports.MLatencyP95, reports.Quantile(c.lat, 0.95))
	}
}
