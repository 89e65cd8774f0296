package reports

// Metric units, as found in Metric.Unit.
const (
	UnitRatio        = "ratio"              // a share in [0, 1]; shown as a percentage
	UnitSeconds      = "s"                  // a duration in seconds
	UnitCount        = "count"              // a number of events per replication
	UnitPerExpertDay = "per_expert_day"     // events per expert per staffed day
	UnitMinPerExpert = "min_per_expert_day" // minutes per expert per replication (one simulated day)
	UnitMoney        = "money_per_day"      // in the scenario's currency, per replication (one simulated day)
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

// MetricUnit returns the unit of a metric in MetricNames, or "" for an
// unknown name. Use it when building a Metric with Summarize or Paired.
func MetricUnit(name string) string { return metricUnits[name] }
