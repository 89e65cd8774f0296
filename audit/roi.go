package audit

import (
	"slices"

	"github.com/shadowq/shadowq/reports"
)

// roi measures the three metrics from Genesys' records.
func roi(in *Input, rows []EscalationRow, convs map[string]*Conversation, tl *timeline) ROI {
	var r ROI
	var busy, shift float64
	for u := range tl.pres {
		x := expertRow(u, tl, nil, false)
		busy += x.Utilization * x.ShiftS
		shift += x.ShiftS
	}
	if shift > 0 {
		r.ExpertUtilization = busy / shift
	}
	var waits []float64
	joined, abandoned := 0, 0
	for _, row := range rows {
		if !row.InGenesys {
			continue
		}
		joined++
		switch {
		case row.AnsweredBy != "":
			waits = append(waits, row.ActualWaitS)
		case row.Abandoned:
			abandoned++
		}
		for _, o := range convs[row.ConversationID].Offers {
			if o.Result == StillOpen {
				continue
			}
			r.TransferOffers++
			if o.Result == Declined || o.Result == NotAnswered {
				r.TransferRejectRate++
			}
		}
	}
	if r.TransferOffers > 0 {
		r.TransferRejectRate /= float64(r.TransferOffers)
	}
	if joined > 0 {
		r.AbandonedShare = float64(abandoned) / float64(joined)
	}
	if len(waits) > 0 {
		slices.Sort(waits)
		r.LatencyMedianS, r.LatencyP95S, r.LatencyN = reports.Quantile(waits, 0.5), reports.Quantile(waits, 0.95), len(waits)
	}
	return r
}

// Definitions explains every column and total of the report.
var Definitions = map[string]string{
	"would / did":             "observe mode: what shadowq would have done (deliver = ring that expert, hold = wait for that expert with the ETA announced, fallback = leave it to the queue); assign mode: what it did",
	"presence":                "the expert's presence when shadowq decided (from Genesys' user details)",
	"p(accept)":               "the acceptance rate observed in the window for offers made while in that presence (pooled when fewer than 5)",
	"actual":                  "who answered the conversation and how long after the escalation arrived, or when the customer abandoned (Genesys' conversation details)",
	"expected saving":         "p(accept) × (actual wait − (decision time + ring time)) − (1 − p(accept)) × refusal time: the actual wait minus shadowq's expected one; negative when shadowq would have been slower",
	"sooner (expected)":       "Σ p(accept) over escalations an acceptance would have connected at least 10 s before they actually were (or abandoned); the interval is ±1.96·√Σp(1−p)",
	"interruptions":           "would-be deliveries to experts in a presence that allows interruptions only (e.g. a meeting that may be interrupted for P1)",
	"unused experts":          "experts shadowq would have rung who accepted no queue call in the window",
	"shift":                   "time not OFFLINE in the window",
	"meeting presence":        "time in a presence whose system presence is MEETING",
	"scheduled meeting":       "WFM scheduled activities of category Meeting (only when the org has WFM)",
	"unscheduled meeting":     "meeting-presence time not covered by a scheduled meeting",
	"offers by presence":      "alerts to the expert from any conversation, by the expert's presence when alerted: offered / accepted / declined / not answered",
	"suspicion":               "min(1, unscheduled meeting ÷ (10% of shift)); flagged at ≥ 0.5 — the simulator's cherry-pick detector on live data",
	"utilization":             "time INTERACTING or COMMUNICATING ÷ shift",
	"expert utilization":      "Σ interacting time ÷ Σ shift over every expert",
	"escalation latency":      "median and p95 of escalation arrival → answer over escalated conversations that were answered",
	"transfer reject rate":    "offers of escalated conversations that were declined or not answered ÷ all such offers",
	"abandoned share":         "escalated conversations whose customer left without an agent ÷ those in Genesys' details",
	"delivered (assign mode)": "deliveries shadowq made (deliver decisions); accepted/declined/not answered from the decision that followed each",
}
