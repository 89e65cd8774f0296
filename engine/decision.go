package engine

import (
	"encoding/json"
	"fmt"
	"time"
)

// Action is what a decision does with an escalation.
type Action uint8

// Actions. Deliver and Hold are intermediate; Routed, Fallback and Abandoned
// are terminal and each escalation reaches exactly one of them.
const (
	ActDeliver Action = 1 + iota
	ActHold
	ActRouted
	ActFallback
	ActAbandoned
)

var actionNames = [...]string{"", "deliver", "hold", "routed", "fallback", "abandoned"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// Terminal reports whether a is one of routed, fallback, abandoned.
func (a Action) Terminal() bool { return a >= ActRouted }

// ParseAction is the inverse of Action.String.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if i > 0 && n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	*a = v
	return err
}

// Reason says why an expert was not a candidate.
type Reason uint8

// Exclusion reasons, in the order they are checked.
const (
	ExNoPresence       Reason = 1 + iota // nothing known about the expert yet
	ExStale                              // cache older than policy.maxStaleness
	ExUnknownPresence                    // presence GUID the policy does not know
	ExPresenceNever                      // presence rule is `never`
	ExPresencePriority                   // presence is `interrupt` for a more urgent priority only
	ExRoutingNever                       // routing status rule is `never`
	ExRoutingPriority                    // routing status is `interrupt` for a more urgent priority only
	ExOnConversation                     // connected to a conversation
	ExCooldown                           // declined recently
	ExBudget                             // interruption budget for the hour used up
	ExTried                              // already tried for this escalation
	ExClaimed                            // claimed by another escalation (maybe on another replica)
	numReasons
)

// NumReasons bounds the Reason values (for ReasonCounts).
const NumReasons = int(numReasons)

var reasonNames = [...]string{"", "no_presence", "stale", "unknown_presence", "presence_never", "presence_priority",
	"routing_never", "routing_priority", "on_conversation", "cooldown", "budget", "tried", "claimed"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if i > 0 && n == string(b) {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("unknown reason %q", b)
}

// ReasonCounts counts exclusions by Reason. It is an array, not a map, so
// a decision does not allocate for it; in JSON it is an object of the
// non-zero counts by reason name ({"presence_never": 3, "claimed": 1}).
type ReasonCounts [NumReasons]int

// MarshalJSON implements json.Marshaler.
func (c ReasonCounts) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for r, n := range c {
		if n == 0 || r == 0 {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q:%d", Reason(r).String(), n)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *ReasonCounts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = ReasonCounts{}
	for name, n := range m {
		var r Reason
		if err := r.UnmarshalText([]byte(name)); err != nil {
			return err
		}
		(*c)[r] = n
	}
	return nil
}

// Candidate is an eligible expert with its score and the score's parts.
type Candidate struct {
	Expert    ExpertID `json:"expert"`
	Score     float64  `json:"score"`
	Skill     float64  `json:"skill"`
	Presence  float64  `json:"presence"`
	Fairness  float64  `json:"fairness"`
	Budget    float64  `json:"budget"`
	Interrupt bool     `json:"interrupt,omitempty"`
}

// Exclusion is an expert holding the required skills who was not eligible.
type Exclusion struct {
	Expert ExpertID `json:"expert"`
	Reason Reason   `json:"reason"`
	Detail string   `json:"detail,omitempty"`
}

// Decision is one step in an escalation's life, recorded in the decision
// log. Deliver decisions carry the full explanation: every candidate with
// its score and every excluded skill-holder with the reason (both capped at
// Policy.ExplainLimit, with totals in EligibleCount and ExcludedCounts).
type Decision struct {
	ConversationID string        `json:"conversationId"`
	Seq            int           `json:"seq"` // 1-based position in the escalation's log
	At             time.Time     `json:"at"`
	Action         Action        `json:"action"`
	Priority       Priority      `json:"priority"`
	Expert         ExpertID      `json:"expert,omitempty"`
	Attempt        int           `json:"attempt,omitempty"`
	Holder         string        `json:"holder,omitempty"`
	Interrupt      bool          `json:"interrupt,omitempty"`
	Queue          string        `json:"queue,omitempty"`
	Result         string        `json:"result,omitempty"` // outcome of the previous delivery, if this decision follows one
	Wait           time.Duration `json:"waitNs,omitempty"`
	ETA            time.Duration `json:"etaNs,omitempty"`
	ETAMessage     string        `json:"etaMessage,omitempty"`
	HoldUntil      time.Time     `json:"holdUntil,omitzero"`
	HoldProb       float64       `json:"holdProbability,omitempty"`
	HoldExpert     ExpertID      `json:"holdExpert,omitempty"`
	Why            string        `json:"why"`
	// Duplicate marks the answer to a repeated Submit: the current state,
	// not a new decision (it is not logged).
	Duplicate bool `json:"duplicate,omitempty"`
	// Observed marks a decision made in observe mode: nothing was
	// delivered; a deliver or hold is what the engine would have done, and
	// the escalation's terminal decision is the fallback it answered.
	Observed bool `json:"observed,omitempty"`

	SkillHolders   int          `json:"skillHolders"`
	EligibleCount  int          `json:"eligible"`
	Candidates     []Candidate  `json:"candidates,omitempty"`
	ExcludedCounts ReasonCounts `json:"excludedCounts,omitzero"`
	Excluded       []Exclusion  `json:"excluded,omitempty"`
}

// ID is the decision's stable identifier: conversation id and sequence.
func (d *Decision) ID() string { return fmt.Sprintf("%s#%d", d.ConversationID, d.Seq) }
