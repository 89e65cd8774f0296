// Package engine is shadowq's routing core: the domain types, the presence
// state machine, the routing policy, expert selection, atomic claims and
// delivery outcomes, and the micro-wait predictor.
//
// The package is a synchronous state machine in the style of etcd's raft:
// events go in (presence, routing status, conversation, delivery outcomes,
// escalations), decisions come out. Time is an input (the Clock port) and all
// I/O happens behind ports (Store, Dispatcher, ConversationChecker,
// Predictor), so the simulator and production drive exactly the same code.
// Answers from the outside (delivery outcomes, conversation checks) come
// back as events; nothing is lost when the store fails (see backlog.go and
// outcome.go), and a delivery whose outcome was not observed is settled
// from the conversation itself (check.go). The package imports no network,
// Redis, os, SDK or WebSocket code, never calls time.Now and never uses the
// global math/rand; purity_test.go enforces this.
package engine

import (
	"fmt"
	"strings"
	"time"
)

// ExpertID is a Genesys Cloud user id.
type ExpertID string

// PresenceDefID is a presence-definition GUID from GET /api/v2/presence/definitions.
type PresenceDefID string

// Expert is a routable person. Skills map a routing skill name to a
// proficiency 0–5 (0 means "holds the skill, lowest proficiency").
type Expert struct {
	ID     ExpertID
	Name   string
	Skills map[string]int
	// InterruptBudgetPerHour caps how many interruptions (deliveries into an
	// `interrupt` presence) the expert takes in any rolling hour. 0 means no cap.
	InterruptBudgetPerHour int
}

// Validate reports the first problem with an expert definition.
func (e Expert) Validate() error {
	if e.ID == "" {
		return fmt.Errorf("expert %q: empty id", e.Name)
	}
	for s, p := range e.Skills {
		if p < 0 || p > 5 {
			return fmt.Errorf("expert %s: skill %q proficiency %d outside 0..5", e.ID, s, p)
		}
	}
	if e.InterruptBudgetPerHour < 0 {
		return fmt.Errorf("expert %s: negative interruption budget", e.ID)
	}
	return nil
}

// SystemPresence is the normalised Genesys system presence.
type SystemPresence uint8

// System presences. The zero value means "unknown".
const (
	SysUnknown SystemPresence = iota
	SysAvailable
	SysAway
	SysBusy
	SysOffline
	SysIdle
	SysOnQueue
	SysMeal
	SysTraining
	SysMeeting
	SysBreak
)

var sysNames = [...]string{"UNKNOWN", "AVAILABLE", "AWAY", "BUSY", "OFFLINE", "IDLE", "ON_QUEUE", "MEAL", "TRAINING", "MEETING", "BREAK"}

// String returns the analytics/notification spelling (UPPER_SNAKE).
func (s SystemPresence) String() string {
	if int(s) < len(sysNames) {
		return sysNames[s]
	}
	return fmt.Sprintf("SystemPresence(%d)", s)
}

// ParseSystemPresence normalises the spellings Genesys uses in different
// places: "ON_QUEUE" (notifications, analytics), "OnQueue"
// (/presence/definitions), "On Queue" (legacy REST reads), "Available" and
// "available". Case, spaces, hyphens and underscores are ignored.
func ParseSystemPresence(s string) (SystemPresence, bool) {
	var b [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '_' || c == '-':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if n == len(b) {
			return SysUnknown, false
		}
		b[n] = c
		n++
	}
	switch string(b[:n]) {
	case "AVAILABLE":
		return SysAvailable, true
	case "AWAY":
		return SysAway, true
	case "BUSY":
		return SysBusy, true
	case "OFFLINE":
		return SysOffline, true
	case "IDLE":
		return SysIdle, true
	case "ONQUEUE":
		return SysOnQueue, true
	case "MEAL":
		return SysMeal, true
	case "TRAINING":
		return SysTraining, true
	case "MEETING":
		return SysMeeting, true
	case "BREAK":
		return SysBreak, true
	}
	return SysUnknown, false
}

// RoutingStatus is the ACD routing status of a user.
type RoutingStatus uint8

// Routing statuses. The zero value means "not known yet".
const (
	RSUnknown RoutingStatus = iota
	RSOffQueue
	RSIdle
	RSInteracting
	RSCommunicating
	RSNotResponding
)

var rsNames = [...]string{"UNKNOWN", "OFF_QUEUE", "IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING"}

func (r RoutingStatus) String() string {
	if int(r) < len(rsNames) {
		return rsNames[r]
	}
	return fmt.Sprintf("RoutingStatus(%d)", r)
}

// ParseRoutingStatus accepts OFF_QUEUE (notifications) and OffQueue (the
// event-injection API) spellings alike.
func ParseRoutingStatus(s string) (RoutingStatus, bool) {
	n := strings.ToUpper(strings.NewReplacer("_", "", " ", "", "-", "").Replace(s))
	switch n {
	case "OFFQUEUE":
		return RSOffQueue, true
	case "IDLE":
		return RSIdle, true
	case "INTERACTING":
		return RSInteracting, true
	case "COMMUNICATING":
		return RSCommunicating, true
	case "NOTRESPONDING":
		return RSNotResponding, true
	}
	return RSUnknown, false
}

// Priority is an escalation priority, P1 (most urgent) to P5.
type Priority uint8

// Priorities.
const (
	P1 Priority = 1 + iota
	P2
	P3
	P4
	P5
)

func (p Priority) String() string { return fmt.Sprintf("P%d", uint8(p)) }

// Valid reports whether p is one of P1..P5.
func (p Priority) Valid() bool { return p >= P1 && p <= P5 }

// AtLeast reports whether p is at least as urgent as min (P1 is the most urgent).
func (p Priority) AtLeast(min Priority) bool { return p <= min }

// ParsePriority accepts "P1".."P5", "p3" and "1".."5".
func ParsePriority(s string) (Priority, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "P"), "p")
	if len(t) == 1 && t[0] >= '1' && t[0] <= '5' {
		return Priority(t[0] - '0'), nil
	}
	return 0, fmt.Errorf("priority %q: must be one of P1, P2, P3, P4, P5", s)
}

// Escalation is a request to route one conversation to one expert.
type Escalation struct {
	ConversationID string
	Skills         []string // all required
	Priority       Priority
	Arrival        time.Time
	// Patience is how long the caller is expected to wait before hanging up;
	// 0 means unknown. A hold never outlasts it.
	Patience time.Duration
	// Queue overrides the policy's fallback queue for this escalation.
	Queue string
}

// Validate reports what is wrong with an escalation, naming the field.
func (e Escalation) Validate() error {
	switch {
	case e.ConversationID == "":
		return fmt.Errorf("conversationId: required")
	case !e.Priority.Valid():
		return fmt.Errorf("priority: %d is not one of P1..P5", e.Priority)
	case e.Patience < 0:
		return fmt.Errorf("patience: negative")
	}
	for i, s := range e.Skills {
		if s == "" {
			return fmt.Errorf("skills[%d]: empty skill name", i)
		}
	}
	return nil
}
