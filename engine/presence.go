package engine

import "time"

// Presence is what Genesys reports for a user: the presence definition and
// the system presence it maps to.
type Presence struct {
	Def    PresenceDefID
	System SystemPresence
}

// ExpertState is the engine's view of one expert. It is the unit the Store
// persists (write-through) and replicas load at start. All times are event
// times except ConfirmedAt, which is the engine clock when an event or
// snapshot last confirmed the state.
type ExpertState struct {
	ID ExpertID

	Presence      Presence
	PresenceSince time.Time // event time of the presence now held

	Routing      RoutingStatus
	RoutingSince time.Time

	// ConfirmedAt is when the state was last confirmed by an event or a bulk
	// snapshot (engine clock). Staleness is Now − ConfirmedAt.
	ConfirmedAt time.Time

	// Conversation is the conversation the expert is connected to, if any.
	Conversation string

	// BlockEnd is the scheduled end of the calendar block the expert is in
	// (a meeting), when known; zero otherwise. The predictor uses it.
	BlockEnd time.Time

	LastDelivery  time.Time // last delivery attempt to this expert
	LastInterrupt time.Time // last delivery into an interruptible presence
	CooldownUntil time.Time // no delivery before this (after a decline)

	// Interrupts holds the times of recent interruptions, oldest first,
	// trimmed to the last hour; it backs the interruption budget.
	Interrupts []time.Time
}

// EventKind tells which part of an expert's state an Event carries.
type EventKind uint8

// Event kinds.
const (
	EvPresence EventKind = 1 + iota
	EvRouting
	EvConversation
	EvCalendar
)

// ConversationState is the agent participant's media state on
// v2.users.{id}.conversations.
type ConversationState uint8

// Conversation states shadowq cares about.
const (
	ConvAlerting ConversationState = 1 + iota
	ConvConnected
	// ConvDisconnected: the agent left. If it was never connected, the
	// delivery was declined (DisconnectType "client" or "endpoint") or not
	// answered ("timeout", "transfer.noanswer").
	ConvDisconnected
)

// Event is one change to one expert, timestamped with the time it happened
// at the source (Genesys modifiedDate / startTime, or simulated time).
//
// Events are applied idempotently and in event-time order per expert and per
// kind: an event older than the stored one of its kind is ignored, so late or
// duplicated delivery never rolls state back.
type Event struct {
	Kind   EventKind
	Expert ExpertID
	At     time.Time

	Presence Presence      // EvPresence
	Routing  RoutingStatus // EvRouting

	// EvConversation.
	Conversation  string
	ConvState     ConversationState
	NeverAnswered bool // ConvDisconnected without ever connecting
	TimedOut      bool // ... and the reason was the alert timeout

	BlockEnd time.Time // EvCalendar: scheduled end of the current block (zero clears)
}

// Snapshot is a bulk read of presence (and optionally routing status) taken
// at At, for example from GET /api/v2/users/presences/purecloud/bulk. It
// replaces what it covers, except where a newer event has already arrived,
// and confirms every covered expert.
type Snapshot struct {
	At      time.Time
	Entries []SnapshotEntry
}

// SnapshotEntry is one expert in a Snapshot. Zero PresenceSince or
// RoutingSince means "no routing status in this snapshot".
type SnapshotEntry struct {
	Expert        ExpertID
	Presence      Presence
	PresenceSince time.Time
	Routing       RoutingStatus
	RoutingSince  time.Time
}

// applyResult tells the caller what an apply did.
type applyResult uint8

const (
	applyIgnored   applyResult = iota // older than or equal to the stored event
	applyChanged                      // state changed
	applyConfirmed                    // same content re-confirmed
)

// applyEvent updates st with ev following the ordering rules. now is the
// engine clock. It is the heart of the presence state machine and is pure.
func applyEvent(st *ExpertState, ev *Event, now time.Time) applyResult {
	switch ev.Kind {
	case EvPresence:
		if ev.At.Before(st.PresenceSince) {
			return applyIgnored
		}
		st.ConfirmedAt = now
		if ev.Presence == st.Presence {
			return applyConfirmed
		}
		if ev.At.Equal(st.PresenceSince) && !st.PresenceSince.IsZero() {
			// Two different presences with the same timestamp: keep the
			// larger GUID so every replica converges whatever the order.
			if ev.Presence.Def < st.Presence.Def {
				return applyIgnored
			}
		}
		st.Presence = ev.Presence
		st.PresenceSince = ev.At
		// A calendar block belongs to the presence that showed it.
		st.BlockEnd = time.Time{}
		return applyChanged
	case EvRouting:
		if ev.At.Before(st.RoutingSince) {
			return applyIgnored
		}
		st.ConfirmedAt = now
		if ev.Routing == st.Routing {
			return applyConfirmed
		}
		if ev.At.Equal(st.RoutingSince) && !st.RoutingSince.IsZero() && ev.Routing < st.Routing {
			return applyIgnored
		}
		st.Routing = ev.Routing
		st.RoutingSince = ev.At
		if ev.Routing == RSIdle || ev.Routing == RSOffQueue {
			// Idle or off queue after the fact: whatever conversation we
			// thought the expert was on is over (the disconnect event may
			// have been lost with a dropped socket).
			st.Conversation = ""
		}
		return applyChanged
	case EvConversation:
		st.ConfirmedAt = now
		switch ev.ConvState {
		case ConvConnected:
			if st.Conversation == ev.Conversation {
				return applyConfirmed
			}
			st.Conversation = ev.Conversation
			return applyChanged
		case ConvDisconnected:
			if st.Conversation == ev.Conversation {
				st.Conversation = ""
				return applyChanged
			}
		}
		return applyConfirmed
	case EvCalendar:
		if st.BlockEnd.Equal(ev.BlockEnd) {
			return applyConfirmed
		}
		st.BlockEnd = ev.BlockEnd
		return applyChanged
	}
	return applyIgnored
}

// applySnapshotEntry merges one snapshot entry into st.
func applySnapshotEntry(st *ExpertState, e *SnapshotEntry, now time.Time) applyResult {
	r := applyIgnored
	pe := Event{Kind: EvPresence, Expert: e.Expert, At: e.PresenceSince, Presence: e.Presence}
	r = maxResult(r, applyEvent(st, &pe, now))
	if !e.RoutingSince.IsZero() || e.Routing != RSUnknown {
		re := Event{Kind: EvRouting, Expert: e.Expert, At: e.RoutingSince, Routing: e.Routing}
		r = maxResult(r, applyEvent(st, &re, now))
	}
	// A snapshot confirms the expert even when a newer event won.
	st.ConfirmedAt = now
	return r
}

func maxResult(a, b applyResult) applyResult {
	if a == applyChanged || b == applyChanged {
		return applyChanged
	}
	if a == applyConfirmed || b == applyConfirmed {
		return applyConfirmed
	}
	return applyIgnored
}
