// Package memcheck is the in-memory twin of the engine's
// ConversationChecker port: a table of what is true about each
// conversation (who is connected, who is ringing, whose leg ended how)
// that answers checks the way GET /api/v2/conversations/{id} does through
// the Genesys adapter. Answers are queued, never handed to the engine from
// inside Check: the owner of the engine drains them (Drain) and passes each
// to Engine.HandleOutcome, as the simulator's event loop or a test does.
package memcheck

import (
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/shadowq/shadowq/engine"
)

// Leg is what happened to one expert's leg of a conversation.
type Leg uint8

// Legs.
const (
	NeverRang Leg = iota // no leg: the delivery did not take effect
	Ringing
	Connected
	Unanswered // ended without connecting after the alert timeout
	Declined   // ended without connecting, refused
)

// Conversation is the truth about one conversation.
type Conversation struct {
	// Legs by expert; experts not listed never rang.
	Legs map[engine.ExpertID]Leg
	// Ended: the conversation is over (or never existed).
	Ended bool
}

// Checker answers checks from the table. The zero value is not usable;
// call New. It is safe for concurrent use.
type Checker struct {
	clock engine.Clock

	mu      sync.Mutex
	convs   map[string]*Conversation
	answers []engine.Outcome
	down    bool
	checks  int
}

// New returns an empty table whose answers are stamped with clock.
func New(clock engine.Clock) *Checker {
	return &Checker{clock: clock, convs: map[string]*Conversation{}}
}

// ErrDown is what Check returns while SetDown(true).
var ErrDown = errors.New("memcheck: conversations cannot be read")

// Set records the truth about conv (a copy is kept).
func (c *Checker) Set(conv string, st Conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := Conversation{Ended: st.Ended, Legs: make(map[engine.ExpertID]Leg, len(st.Legs))}
	for k, v := range st.Legs {
		cp.Legs[k] = v
	}
	c.convs[conv] = &cp
}

// SetLeg records one expert's leg of conv.
func (c *Checker) SetLeg(conv string, expert engine.ExpertID, leg Leg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cv := c.convs[conv]
	if cv == nil {
		cv = &Conversation{Legs: map[engine.ExpertID]Leg{}}
		c.convs[conv] = cv
	}
	cv.Legs[expert] = leg
}

// SetDown makes checks fail to start (down) as when the API is unreachable.
func (c *Checker) SetDown(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

// Check implements engine.ConversationChecker: it queues the answer.
func (c *Checker) Check(d engine.Delivery) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return ErrDown
	}
	c.checks++
	c.answers = append(c.answers, c.answer(d))
	return nil
}

// answer reads the table the way the Genesys adapter reads a conversation.
func (c *Checker) answer(d engine.Delivery) engine.Outcome {
	o := engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder, Checked: true, At: c.clock.Now()}
	cv := c.convs[d.ConversationID]
	if cv == nil || cv.Ended {
		o.Result, o.Detail = engine.Gone, "conversation ended or not found"
		return o
	}
	switch cv.Legs[d.Expert] {
	case Connected:
		o.Result = engine.Accepted
		return o
	case Ringing:
		o.Result = engine.StillAlerting
		return o
	}
	for _, x := range slices.Sorted(maps.Keys(cv.Legs)) {
		if cv.Legs[x] == Connected {
			o.Result, o.ConnectedTo, o.Detail = engine.Gone, x, "connected to another agent"
			return o
		}
	}
	switch cv.Legs[d.Expert] {
	case Unanswered:
		o.Result = engine.NoAnswer
	case Declined:
		o.Result = engine.Declined
	default:
		o.Result = engine.NotDelivered
	}
	return o
}

// Drain returns the queued answers, oldest first, and empties the queue.
func (c *Checker) Drain() []engine.Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.answers
	c.answers = nil
	return out
}

// Checks is how many checks were started.
func (c *Checker) Checks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checks
}

var _ engine.ConversationChecker = (*Checker)(nil)
