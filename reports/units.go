package reports

import (
	"slices"
	"strings"
)

// Metric units, as found in Metric.Unit.
const (
	UnitRatio        = "ratio"              // a share in [0, 1]; shown as a percentage
	UnitSeconds      = "s"                  // a duration in seconds
	UnitCount        = "count"              // a number of events per replication
	UnitPerExpertDay = "per_expert_day"     // events per expert per staffed day
	UnitMinPerExpert = "min_per_expert_day" // minutes per expert per replication (one simulated day)
	UnitMoney        = "money_per_day"      // in the scenario's currency, per replication (one simulated day)
	UnitRel          = "rel"                // a relative change, shadowq ÷ baseline − 1; shown as a signed percentage
)

// metricUnits is the unit of every name in MetricNames (see the comments at
// the metric constants). It is the single source for the expectation
// language's unit checks.
var metricUnits = map[string]string{
	MUtilization:    UnitRatio,
	MProductive:     UnitRatio,
	MRefocus:        UnitMinPerExpert,
	MMeetingLost:    UnitMinPerExpert,
	MLatencyMean:    UnitSeconds,
	MLatencyP50:     UnitSeconds,
	MLatencyP90:     UnitSeconds,
	MLatencyP95:     UnitSeconds,
	MLatencyP99:     UnitSeconds,
	MServiceLevel:   UnitRatio,
	MRejectRate:     UnitRatio,
	MAbandonment:    UnitRatio,
	MUnfinished:     UnitRatio,
	MRouted:         UnitRatio,
	MFallbacks:      UnitRatio,
	MVoicemail:      UnitRatio,
	MHolds:          UnitCount,
	MHoldMean:       UnitSeconds,
	MHoldRouted:     UnitRatio,
	MInterruptions:  UnitPerExpertDay,
	MDNDInterrupts:  UnitCount,
	MStaleMisroutes: UnitCount,
	MEscalations:    UnitCount,
	MWaitProb:       UnitRatio,
	MWaitMean:       UnitSeconds,
	MCost:           UnitMoney,
	MNetValue:       UnitMoney,
}

// MetricUnit returns the unit of a metric in MetricNames or of a
// per-priority metric (latency.p95[P1]), or "" for an unknown name. Use it
// when building a Metric with Summarize or Paired.
func MetricUnit(name string) string {
	if base, prio, ok := SplitPriority(name); ok {
		if !slices.Contains(PriorityMetrics, base) || !validPriority(prio) {
			return ""
		}
		return metricUnits[base]
	}
	return metricUnits[name]
}

// PriorityMetrics are the metrics also measured per escalation priority,
// named METRIC[P1] .. METRIC[P5].
var PriorityMetrics = []string{MLatencyMean, MLatencyP95, MServiceLevel, MRouted, MAbandonment, MWaitMean}

// PriorityMetric names metric m for priority prio ("P1"): "latency.p95[P1]".
func PriorityMetric(m, prio string) string { return m + "[" + prio + "]" }

// SplitPriority splits "latency.p95[P1]" into "latency.p95" and "P1"; ok
// is false for a name without a trailing [...].
func SplitPriority(name string) (base, prio string, ok bool) {
	i := strings.LastIndexByte(name, '[')
	if i < 0 || !strings.HasSuffix(name, "]") {
		return name, "", false
	}
	return name[:i], name[i+1 : len(name)-1], true
}

func validPriority(p string) bool { return len(p) == 2 && p[0] == 'P' && '1' <= p[1] && p[1] <= '5' }
