// Package audit joins shadowq's decision log with what Genesys Cloud
// recorded (conversation details, user presence and routing-status
// segments, WFM schedules) and reports what shadowq would have done
// (observe mode) or did (assign mode), who looks like a cherry-picker,
// and the three ROI metrics, measured. It is pure: the inputs are plain
// values read elsewhere (genesys reads them from the Platform API;
// cmd/shadowq/audit.go wires it), the output a Report rendered as JSON,
// Markdown and HTML.
package audit

import (
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Input is everything an audit reads, over the window [From, To).
type Input struct {
	From, To time.Time
	// Decisions is the decision log of the window (any order; grouped
	// by conversation).
	Decisions []engine.Decision
	// Conversations are Genesys' records of the conversations (all
	// conversations of the window, not only the escalated ones: the
	// acceptance rates by presence and the cherry-pick offers come from
	// all of them).
	Conversations []Conversation
	// Presence and Routing are the users' status segments (the pool's).
	Presence []PresenceSegment
	Routing  []RoutingSegment
	// Schedules are WFM's scheduled activities; SchedulesKnown is false
	// when the org has no WFM (403/404) or none was asked for: scheduled
	// meeting time is then unknown, not zero.
	Schedules      []Activity
	SchedulesKnown bool
	// Names maps user ids to display names and presence definition ids to
	// their labels; both optional.
	Names         map[string]string
	PresenceNames map[string]string
}

// Conversation is one conversation as Genesys recorded it.
type Conversation struct {
	ID    string
	Start time.Time
	End   time.Time // zero while open
	// Offers are the alerts to agents, in order.
	Offers []Offer
	// AnsweredBy and Answered are the agent who connected first and when
	// (zero when nobody did).
	AnsweredBy string
	Answered   time.Time
	// Abandoned: the customer left the queue without an agent, at End.
	Abandoned bool
	// Transfers counts agent-to-agent hand-offs after the first answer.
	Transfers int
}

// Offer is one alert of a conversation to one agent.
type Offer struct {
	User       string
	Start, End time.Time
	Result     OfferResult
}

// OfferResult is how an alert ended.
type OfferResult string

// Offer results.
const (
	Accepted    OfferResult = "accepted"
	Declined    OfferResult = "declined"
	NotAnswered OfferResult = "not_answered"
	StillOpen   OfferResult = "alerting"
)

// PresenceSegment is one stretch of a user's primary presence.
type PresenceSegment struct {
	User       string
	Start, End time.Time // End zero: still open (clipped to the window)
	System     string    // ON_QUEUE, AVAILABLE, MEETING, BUSY, BREAK, MEAL, OFFLINE, ...
	DefID      string    // organizationPresenceId
}

// RoutingSegment is one stretch of a user's routing status.
type RoutingSegment struct {
	User       string
	Start, End time.Time
	Status     string // IDLE, INTERACTING, COMMUNICATING, NOT_RESPONDING, OFF_QUEUE
}

// Activity is one scheduled WFM activity of a user, or (CategoryShift) a
// whole scheduled shift.
type Activity struct {
	User       string
	Start, End time.Time
	Category   string // Meeting, Break, Meal, OnQueueWork, Training, ..., or CategoryShift
}

// CategoryShift marks an Activity that is a whole WFM shift: an expert
// with none in the window has no schedule to compare with, and is not
// scored (rather than counted as having no meetings).
const CategoryShift = "Shift"
