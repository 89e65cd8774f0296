package audit

import (
	"time"

	"github.com/shadowq/shadowq/reports"
)

// Report is an audit's result; audit.json is this value.
type Report struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Mode        string    `json:"mode"` // observe, assign, or mixed
	Escalations int       `json:"escalations"`
	// Joined counts escalations Genesys has a conversation record for;
	// the others are listed with "not in Genesys' details" and counted in
	// no total.
	Joined int `json:"joined"`

	Counterfactual *Counterfactual   `json:"counterfactual,omitempty"` // observe-mode decisions
	Deliveries     *Deliveries       `json:"deliveries,omitempty"`     // assign-mode decisions
	Rows           []EscalationRow   `json:"escalationRows"`
	CherryPick     CherryPickReport  `json:"cherryPick"`
	ROI            ROI               `json:"roi"`
	Definitions    map[string]string `json:"definitions"`
	Notes          []string          `json:"notes,omitempty"`
}

// EscalationRow is one escalation: what shadowq would have done (or did)
// and what actually happened.
type EscalationRow struct {
	ConversationID string    `json:"conversationId"`
	Arrival        time.Time `json:"arrival"`
	Observed       bool      `json:"observed"`
	// Would (observe) or Did (assign): deliver, hold or fallback; the
	// expert, and their presence when decided.
	Action        string  `json:"action"`
	Expert        string  `json:"expert,omitempty"`
	Presence      string  `json:"presence,omitempty"`
	Interrupt     bool    `json:"interrupt,omitempty"`
	DecidedAfterS float64 `json:"decidedAfterSeconds"`
	ETA           string  `json:"eta,omitempty"`
	Why           string  `json:"why"` // the engine's reason for the would-be (or first) decision
	// PAccept is the acceptance probability assumed for Expert in
	// Presence (observe mode).
	PAccept float64 `json:"pAccept,omitempty"`
	// KnownAnswer is the chosen expert's actual answer when the ACD
	// offered them this conversation (accepted, declined, not_answered);
	// PAccept is then 1 or 0.
	KnownAnswer string `json:"knownAnswer,omitempty"`
	// Actual: who answered and after how long, or abandoned.
	InGenesys     bool    `json:"inGenesys"`
	AnsweredBy    string  `json:"answeredBy,omitempty"`
	ActualWaitS   float64 `json:"actualWaitSeconds,omitempty"`
	Abandoned     bool    `json:"abandoned,omitempty"`
	ExpectedSaveS float64 `json:"expectedSavingSeconds,omitempty"` // negative: shadowq would have been slower
	// Sooner: an acceptance would have connected at least SoonerMargin
	// before the actual answer (or abandonment).
	Sooner bool `json:"sooner,omitempty"`
	// Assign mode: the deliveries made and how each ended.
	Attempts []Attempt `json:"attempts,omitempty"`
	Summary  string    `json:"summary"`
}

// Attempt is one delivery made in assign mode.
type Attempt struct {
	Expert string `json:"expert"`
	Result string `json:"result"` // accepted, declined, not_answered, error, or pending
}

// Counterfactual is observe mode's total: what shadowq would have changed.
type Counterfactual struct {
	Assumption string `json:"assumption"`
	// WouldDeliver, WouldHold, WouldFallback count the joined escalations
	// by the would-be decision.
	WouldDeliver  int `json:"wouldDeliver"`
	WouldHold     int `json:"wouldHold"`
	WouldFallback int `json:"wouldFallback"`
	// SoonerExpected is the expected number of escalations shadowq would
	// have connected at least SoonerMargin sooner, with a 95% interval
	// from the acceptance
	// draws alone (a sum of independent Bernoullis).
	SoonerExpected float64 `json:"soonerExpected"`
	SoonerLo       float64 `json:"soonerLo"`
	SoonerHi       float64 `json:"soonerHi"`
	// SavingPerEscalation is the expected latency saved per joined
	// escalation (s), mean with a 95% Student-t interval over
	// escalations; SavingTotalS is its sum.
	SavingPerEscalation reports.Metric `json:"savingPerEscalation"`
	SavingTotalS        float64        `json:"savingTotalSeconds"`
	// InterruptionsByPresence: would-be deliveries into a presence that
	// allows only interruptions, by presence.
	InterruptionsByPresence map[string]int `json:"interruptionsByPresence"`
	// UnusedExperts: experts shadowq would have rung who took no queue
	// call in the window.
	UnusedExperts []string `json:"unusedExperts"`
	// AcceptByPresence is the observed acceptance rate of offers by the
	// agent's presence when alerted (all conversations of the window).
	AcceptByPresence map[string]Rate `json:"acceptByPresence"`
	RingS            float64         `json:"ringSeconds"`    // median alert time of accepted offers
	RefusalS         float64         `json:"refusalSeconds"` // median alert time of declined or unanswered offers
}

// Rate is k of n.
type Rate struct {
	K int     `json:"k"`
	N int     `json:"n"`
	P float64 `json:"p"`
}

// Deliveries is assign mode's total: what shadowq did.
type Deliveries struct {
	Delivered   int `json:"delivered"`
	Accepted    int `json:"accepted"`
	Declined    int `json:"declined"`
	NotAnswered int `json:"notAnswered"`
	Errors      int `json:"errors"`
	Pending     int `json:"pending"`
	// OffersInGenesys counts the alerts Genesys recorded to experts on
	// escalated conversations (deliveries seen from the other side).
	OffersInGenesys int            `json:"offersInGenesys"`
	Routed          int            `json:"routed"`
	Fallback        int            `json:"fallback"`
	ByPresence      map[string]int `json:"firstDeliveryByPresence"` // each escalation's first delivery, by the expert's presence
}

// CherryPickReport is the per-expert table, most suspicious first.
type CherryPickReport struct {
	Threshold      float64     `json:"threshold"`
	SchedulesKnown bool        `json:"schedulesKnown"`
	Experts        []ExpertRow `json:"experts"`
	Flagged        []string    `json:"flagged"`
}

// ExpertRow is one expert's cherry-pick evidence.
type ExpertRow struct {
	ID               string  `json:"id"`
	Name             string  `json:"name,omitempty"`
	ShiftS           float64 `json:"shiftSeconds"`
	MeetingPresenceS float64 `json:"meetingPresenceSeconds"`
	// ScheduledMeetingS and UnscheduledMeetingS are absent when schedules
	// are not known.
	ScheduledMeetingS   *float64              `json:"scheduledMeetingSeconds,omitempty"`
	UnscheduledMeetingS *float64              `json:"unscheduledMeetingSeconds,omitempty"`
	UnscheduledStretch  int                   `json:"unscheduledStretches"`
	Offers              map[string]OfferCount `json:"offersByPresence"`
	Suspicion           float64               `json:"suspicion"`
	Flagged             bool                  `json:"flagged"`
	Evidence            string                `json:"evidence"`
	Utilization         float64               `json:"utilization"`
}

// OfferCount is the offers to one expert in one presence.
type OfferCount struct {
	Offered     int `json:"offered"`
	Accepted    int `json:"accepted"`
	Declined    int `json:"declined"`
	NotAnswered int `json:"notAnswered"`
}

// ROI is the design notes' three metrics, measured from Genesys' records.
type ROI struct {
	// ExpertUtilization: time interacting over time logged in (not
	// OFFLINE), pooled over the experts.
	ExpertUtilization float64 `json:"expertUtilization"`
	// EscalationLatency: arrival to answer of the escalated
	// conversations that were answered (s), and the abandoned share.
	LatencyMedianS float64 `json:"latencyMedianSeconds"`
	LatencyP95S    float64 `json:"latencyP95Seconds"`
	LatencyN       int     `json:"latencyN"`
	AbandonedShare float64 `json:"abandonedShare"`
	// TransferRejectRate: offers of escalated conversations to experts
	// that were declined or not answered, over all such offers.
	TransferRejectRate float64 `json:"transferRejectRate"`
	TransferOffers     int     `json:"transferOffers"`
}
