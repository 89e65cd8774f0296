// Package record holds what `shadowq calibrate` reads from an
// organisation's history, as plain values: genesys fills them,
// calibrate fits them. It has no dependencies, so the adapter does not
// pull in the simulator.
package record

import "time"

// Data is everything calibrate reads from the organisation over
// [From, To).
type Data struct {
	From, To  time.Time
	Queues    []string // queue ids the conversations were read for ("" = all)
	Users     []User
	Presences []PresenceDef
	// Conversations are the conversations that started in [From, To).
	Conversations []Conversation
	// Presence and Routing are each user's segments, by user id.
	Presence map[string][]Segment
	Routing  map[string][]Segment
	// Schedules are WFM meetings per user; nil when WFM was not read
	// (ScheduleNote says why, e.g. a 403 for an org without WFM).
	Schedules    map[string][]Meeting
	ScheduleNote string
}

// User is one user with routing skills (name → proficiency 0..5).
type User struct {
	ID, Name string
	Skills   map[string]float64
}

// PresenceDef is a presence definition: GUID, system presence (UPPER_SNAKE)
// and label.
type PresenceDef struct {
	ID, System, Label string
}

// Segment is one presence (Value = presence-definition GUID, System its
// system presence) or routing-status (Value = status) segment; a zero End
// is open.
type Segment struct {
	Start, End time.Time
	Value      string
	System     string
}

// Meeting is one scheduled WFM activity of category Meeting (or
// Training).
type Meeting struct {
	Start time.Time
	Len   time.Duration
}

// Conversation is the part of a conversation detail record calibrate
// uses.
type Conversation struct {
	ID       string
	Start    time.Time
	Open     bool // no conversationEnd: still waiting or running
	QueueID  string
	Skills   []string      // requested routing skills, by name
	Wait     time.Duration // time in queue (tAcd, or until abandon); for open ones, until To
	Answered bool
	Abandon  bool // tAbandon present
	// Voicemail: left the queue unanswered, not abandoned, with the
	// queue segment's disconnectType "transfer".
	Voicemail bool
	Talk      time.Duration
	Held      time.Duration
	ACW       time.Duration
	Alerts    []Alert
}

// Alert is one offer to an agent.
type Alert struct {
	UserID  string
	Start   time.Time
	Dur     time.Duration
	Outcome string // accepted, declined, noAnswer
}
