package reports

// glossaryEntry defines one metric for readers of a report.
type glossaryEntry struct {
	Metric, Unit, Meaning string
}

// glossary defines every metric a report can show, in report order. Each
// says its unit and exactly what counts.
var glossary = []glossaryEntry{
	{MUtilization, "% of staffed time", "Time experts spent handling escalations (talk and after-call work) over their staffed time between warm-up and horizon. The design target is +20% relative to the baseline."},
	{MProductive, "% of staffed time", "Utilization net of refocus time lost after interruptions: (busy − refocus) ÷ staffed time."},
	{MLatencyMean, "seconds", "Arrival to connected with an expert, mean over routed escalations only (it flatters an arm that loses more callers: read it with wait.mean and routed_rate)."},
	{MLatencyP50 + ", " + MLatencyP90 + ", " + MLatencyP95 + ", " + MLatencyP99, "seconds", "Quantiles of the same latency over routed escalations, per replication, then averaged."},
	{MServiceLevel, "% of arrivals", "Arrivals connected within T (the run's service-level threshold) over all arrivals after warm-up."},
	{MRejectRate, "% of deliveries", "Transfer reject rate: deliveries declined or not answered over all deliveries (offers to an expert)."},
	{MAbandonment, "% of arrivals", "Callers who hung up before connecting (only with a patience configured)."},
	{MUnfinished, "% of arrivals", "Escalations still waiting, held or alerting when the run ends (horizon + drain); never counted as abandoned."},
	{MRouted, "% of arrivals", "Escalations connected to an expert."},
	{MFallbacks, "% of arrivals", "shadowq only: escalations handed to the fallback queue (no suitable expert in time)."},
	{MVoicemail, "% of arrivals", "Escalations sent to voicemail after waiting in the queue (voicemailAfter)."},
	{MHolds, "count per day", "Micro-waits started: shadowq holding an escalation briefly for an expert about to free up."},
	{MHoldMean, "seconds", "Mean total hold time of the escalations that were held."},
	{MHoldRouted, "% of held", "Held escalations that ended routed."},
	{MWaitProb, "% of arrivals", "Arrivals not connected at once (Erlang C's P(wait))."},
	{MWaitMean, "seconds", "Escalation loop time as used by the design target (−15%): every arrival's wait until connected, or until it abandoned, went to voicemail or the run ended."},
	{MInterruptions, "per expert-day", "Deliveries into interruptible meetings or research time, per expert per day."},
	{MRefocus, "minutes per expert-day", "Expert time lost refocusing after an accepted delivery reached someone at project work or in a meeting (the presence's refocus distribution)."},
	{MMeetingLost, "minutes per expert-day", "Meeting time an accepted delivery took its attendee out of."},
	{MDNDInterrupts, "count per day", "Deliveries into a Do-Not-Disturb (never) presence. Must be 0."},
	{MStaleMisroutes, "count per day", "Deliveries the expert's true state did not allow (the cached presence was stale)."},
	{MEscalations, "count per day", "Arrivals after warm-up."},
	{MCost, "currency per day", "With economics: expert time lost (refocus, meetings) + customer waiting + abandonments, voicemails and unfinished escalations (+ shadowq's running cost in its arm)."},
	{MNetValue, "currency per day", "A baseline's cost − shadowq's cost, paired by replication: positive means shadowq saves money."},
	{"METRIC[P1] … METRIC[P5]", "as the metric", "latency.mean, latency.p95, service_level, routed_rate, abandonment and wait.mean for the escalations of one priority."},
	{"delta (abs)", "pp for shares, s, min, count", "shadowq − baseline, paired by replication (common random numbers). Differences of percentages are in percentage points (pp)."},
	{"rel", "%", "shadowq ÷ baseline − 1, paired by replication: +17% means shadowq's value is 1.17 times the baseline's."},
	{"better / worse / no significant change", "", "Whether the 95% CI of the paired difference lies entirely on the good side of 0, the bad side, or contains 0."},
}
