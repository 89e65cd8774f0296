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

	// Presence, Routing, RoutingSince and ConfirmedAt are together: a
	// periodic resync that changes nothing reads the first three and
	// writes the fourth for every expert (80 bytes, 2 cache lines more
	// often than the 104 with PresenceSince among them).
	Presence     Presence
	Routing      RoutingStatus
	RoutingSince time.Time

	// ConfirmedAt is when the state was last confirmed by an event or a bulk
	// snapshot (engine clock). Staleness is Now − ConfirmedAt.
	ConfirmedAt time.Time

	PresenceSince time.Time // event time of the presence now held

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
	// InEngineOrder vouches that Entries[k] is the engine's expert k
	// (IndexOf) for every k, so the ids are not compared. A caller that
	// resolved every id with IndexOf sets it (the simulator does: at
	// 10,000 experts the comparison was a cache miss per entry); a bulk
	// read from Genesys does not. It is ignored unless Entries covers every
	// expert.
	InEngineOrder bool
	// Changed, when it has an element per entry (and InEngineOrder holds),
	// vouches that Entries[k] is the entry k of the previous snapshot
	// applied to this engine wherever Changed[k] is false. Such an expert,
	// if nothing changed it since that snapshot, is confirmed without
	// reading its entry or its state (the simulator sets it: at 10,000
	// experts those reads were half the cache misses of a run). Nil: any
	// entry may have changed. Such a snapshot confirms every expert at
	// once, by raising a floor under every ConfirmedAt rather than writing
	// each; that is exact while the engine's clock does not run backwards
	// between tracked snapshots (the simulator's virtual clock does not).
	Changed []bool
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

// hasRouting reports whether e carries a routing status.
func hasRouting(e *SnapshotEntry) bool { return !e.RoutingSince.IsZero() || e.Routing != RSUnknown }

// onlyConfirms reports whether merging e into st would change no value:
// the presence and routing status are those held, and the read's routing
// status is not newer than the one held.
func onlyConfirms(e *SnapshotEntry, st *ExpertState) bool {
	return e.Presence == st.Presence && e.Routing == st.Routing && (e.RoutingSince.IsZero() || !e.RoutingSince.After(st.RoutingSince))
}

// applyResult tells the caller what an apply did.
type applyResult uint8

const (
	applyIgnored   applyResult = iota // older than or equal to the stored event
	applyChanged                      // state changed
	applyConfirmed                    // same content re-confirmed
)

// provenance is how the engine learned the presence (or routing status) it
// holds. Genesys stamps changes to the millisecond, so two different values
// can carry the same timestamp; provenance settles such ties. It lives in
// the engine's memory only: a state loaded from the store has none, which
// makes the next bulk read authoritative for it.
type provenance struct {
	seen     time.Time // engine clock when the held value was first learned
	fromRead bool      // a bulk read set or confirmed the held value
}

// learned records that the held value was just set at engine time at.
func (p *provenance) learned(at time.Time, fromRead bool) {
	*p = provenance{seen: at, fromRead: fromRead}
}

// confirmedByRead records that a bulk read started at readAt showed the
// held value.
func (p *provenance) confirmedByRead(readAt time.Time) {
	p.fromRead = true
	if readAt.Before(p.seen) {
		p.seen = readAt
	}
}

// provenances are an expert's presence and routing-status provenance.
type provenances struct{ pres, rout provenance }

// settledBy reports whether confirming e by a read started at or after
// readAt would leave p as it is.
func (p *provenances) settledBy(e *SnapshotEntry, readAt time.Time) bool {
	settled := func(q *provenance) bool { return q.fromRead && !readAt.Before(q.seen) }
	return settled(&p.pres) && (!hasRouting(e) || settled(&p.rout))
}

// rankFunc orders presences for same-timestamp event ties: lower is more
// restrictive (see Engine.presenceRank).
type rankFunc func(Presence) int

// Ordering rules, per expert and kind (presence, routing status):
//
//   - a value with a newer timestamp replaces one with an older timestamp,
//     whatever the source; an older one is ignored, so late and duplicated
//     events and a bulk read never roll back a newer event;
//   - a bulk read is authoritative for anything not newer than it: on a
//     timestamp tie it replaces the held value when the engine learned that
//     value before the read started (the read then reflects it or
//     something later). A value learned after the read started may be
//     newer than the read and is kept; the next read settles it;
//   - two events with the same timestamp cannot be ordered. Unless a read
//     already settled that instant (then the event is ignored), the tie goes
//     to the more restrictive presence under the policy (Do Not Disturb
//     beats Available, so an ambiguous flip never opens an expert up until
//     a read confirms it), then to the larger GUID; for routing statuses to
//     the larger status. Every replica with the same policy picks the same.

// applyEvent updates st with ev following the ordering rules. now is the
// engine clock. It is the heart of the presence state machine and is pure.
func applyEvent(st *ExpertState, pv *provenances, ev *Event, now time.Time, rank rankFunc) applyResult {
	switch ev.Kind {
	case EvPresence:
		if ev.At.Before(st.PresenceSince) {
			return applyIgnored
		}
		st.ConfirmedAt = now
		if ev.Presence == st.Presence {
			return applyConfirmed
		}
		if ev.At.Equal(st.PresenceSince) && !st.PresenceSince.IsZero() && !eventWinsPresenceTie(st.Presence, ev.Presence, pv.pres, rank) {
			return applyIgnored
		}
		setPresence(st, ev.Presence, ev.At)
		pv.pres.learned(now, false)
		return applyChanged
	case EvRouting:
		if ev.At.Before(st.RoutingSince) {
			return applyIgnored
		}
		st.ConfirmedAt = now
		if ev.Routing == st.Routing {
			return applyConfirmed
		}
		if ev.At.Equal(st.RoutingSince) && !st.RoutingSince.IsZero() && (pv.rout.fromRead || ev.Routing < st.Routing) {
			return applyIgnored
		}
		setRouting(st, ev.Routing, ev.At)
		pv.rout.learned(now, false)
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

// eventWinsPresenceTie decides a same-timestamp conflict between the held
// presence and an event's (see the ordering rules).
func eventWinsPresenceTie(held, ev Presence, pv provenance, rank rankFunc) bool {
	if pv.fromRead {
		return false
	}
	rh, re := rank(held), rank(ev)
	if rh != re {
		return re < rh
	}
	return ev.Def > held.Def
}

func setPresence(st *ExpertState, p Presence, since time.Time) {
	st.Presence = p
	st.PresenceSince = since
	// A calendar block belongs to the presence that showed it.
	st.BlockEnd = time.Time{}
}

func setRouting(st *ExpertState, r RoutingStatus, since time.Time) {
	st.Routing = r
	st.RoutingSince = since
	if r == RSIdle || r == RSOffQueue {
		// Idle or off queue after the fact: whatever conversation we
		// thought the expert was on is over (the disconnect event may
		// have been lost with a dropped socket).
		st.Conversation = ""
	}
}

// readWins reports whether a bulk read started at readAt showing a value
// stamped at since replaces a different held value stamped at held.
func readWins(since, held time.Time, pv provenance, readAt time.Time) bool {
	if since.Before(held) {
		return false // the held value is newer than what the read saw
	}
	if since.Equal(held) && !held.IsZero() && pv.seen.After(readAt) {
		return false // learned after the read started: may be newer than it
	}
	return true
}

// applySnapshotEntry merges one entry of a bulk read started at readAt into
// st (see the ordering rules). now is the engine clock.
func applySnapshotEntry(st *ExpertState, pv *provenances, e *SnapshotEntry, now, readAt time.Time) applyResult {
	r := applyIgnored
	switch {
	case e.Presence == st.Presence:
		pv.pres.confirmedByRead(readAt)
		r = applyConfirmed
	case readWins(e.PresenceSince, st.PresenceSince, pv.pres, readAt):
		setPresence(st, e.Presence, e.PresenceSince)
		pv.pres.learned(readAt, true)
		r = applyChanged
	}
	if hasRouting(e) {
		switch {
		case e.Routing == st.Routing:
			pv.rout.confirmedByRead(readAt)
			r = maxResult(r, applyConfirmed)
		case readWins(e.RoutingSince, st.RoutingSince, pv.rout, readAt):
			setRouting(st, e.Routing, e.RoutingSince)
			pv.rout.learned(readAt, true)
			r = applyChanged
		}
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
