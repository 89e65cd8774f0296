package engine

import (
	"context"
	"errors"
	"time"
)

// Clock is the engine's only source of time.
//
// Contract: Now is monotone non-decreasing across calls made by one Engine.
// The simulator passes its virtual clock; production passes a wall clock.
// Implementations must be safe for concurrent use if shared by several
// engines (stores also read it).
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// ErrStore wraps failures of the Store port so callers can tell them from
// domain errors with errors.Is.
var ErrStore = errors.New("store")

// Store holds what must survive an engine and be shared by replicas: the
// presence cache (write-through), expert claims and the decision log.
//
// Ownership: the Engine keeps its own in-process copy of every ExpertState
// (it must decide in microseconds) and writes every change through to the
// Store; the Store is the copy replicas load at start and the one that
// survives a crash. Slices passed in are owned by the caller and must not be
// retained; values returned are owned by the caller.
//
// Concurrency: every method is safe for concurrent use by many engines in
// one or many processes. Claims are atomic across all of them.
//
// Time: claim TTLs are measured on the store's own clock (the engine's Clock
// for the memory store, the server clock for Redis).
type Store interface {
	// PutExperts persists the state of the given experts (write-through).
	// Implementations batch: one call is one round trip. Changes are
	// written; confirmations alone (a duplicate event, a snapshot that
	// changes nothing) are not, so a stored ConfirmedAt lags until the
	// expert's next change.
	PutExperts(ctx context.Context, states []ExpertState) error
	// LoadExperts returns every persisted expert state, sorted by ID.
	LoadExperts(ctx context.Context) ([]ExpertState, error)

	// ClaimFirst atomically claims the first expert of candidates (in
	// order) that nobody holds, for holder, expiring after ttl. It returns
	// the index of the claimed candidate, or -1 when all are held. A holder
	// string identifies one delivery attempt and must be unique.
	ClaimFirst(ctx context.Context, candidates []ExpertID, holder string, ttl time.Duration) (int, error)
	// Transition replaces a claim held by holder with newHolder and a new
	// ttl (used to turn a delivery claim into a cool-down or a busy mark).
	// It returns false, changing nothing, when holder no longer holds it.
	Transition(ctx context.Context, expert ExpertID, holder, newHolder string, ttl time.Duration) (bool, error)
	// Release drops the claim if holder still holds it.
	Release(ctx context.Context, expert ExpertID, holder string) (bool, error)
	// Holder returns the current holder of an expert's claim ("" if none).
	Holder(ctx context.Context, expert ExpertID) (string, error)

	// ClaimConversation atomically makes owner the one replica routing a
	// conversation, unless another owner holds it; it returns the owner
	// now in place (owner itself when the claim succeeded or was already
	// its own). The claim expires after ttl so a dead replica's
	// conversations can be taken over.
	ClaimConversation(ctx context.Context, conversationID, owner string, ttl time.Duration) (string, error)

	// AppendDecision adds d to the log of its escalation, in order.
	AppendDecision(ctx context.Context, d *Decision) error
	// Decisions returns the log of one escalation, oldest first.
	Decisions(ctx context.Context, conversationID string) ([]Decision, error)
}

// IndexedClaims is implemented by a Store that can keep expert claims by
// the engine's expert index (engine/memstore), so that the claims made and
// settled on every delivery index an array instead of hashing an expert id
// into a map of every expert (at 10,000 experts, several cache misses a
// call). The engine offers it its experts in index order once
// (BindExperts); only when it accepts does the engine call the At methods,
// which act on the same claims as the ExpertID methods with the id at that
// index. A store shared by engines whose experts differ accepts the first
// and refuses the others, which use the ExpertID methods.
type IndexedClaims interface {
	BindExperts(ids []ExpertID) bool
	ClaimFirstAt(ctx context.Context, candidates []int32, holder string, ttl time.Duration) (int, error)
	TransitionAt(ctx context.Context, expert int32, holder, newHolder string, ttl time.Duration) (bool, error)
	ReleaseAt(ctx context.Context, expert int32, holder string) (bool, error)
}

// Delivery is one attempt to hand a conversation to one expert.
type Delivery struct {
	ConversationID string
	Expert         ExpertID
	Attempt        int    // 1-based
	Holder         string // claim holder id, unique per attempt
	Interrupt      bool   // the expert is in an interruptible presence
	Priority       Priority
	At             time.Time
	AlertTimeout   time.Duration
	// Expires is when the delivery's claim runs out (engine clock, like
	// At; zero: no limit). A Dispatcher whose clock differs measures
	// Expires-At from the moment Deliver is called. From then on the engine settles the delivery without it
	// (a conversation check, the next expert, a fallback), so a
	// Dispatcher must not start a request for it at or after Expires —
	// neither the first nor a retry. A request already in flight may
	// finish: the engine's conversation check settles it.
	Expires time.Time
	// Index is the expert's engine index (Engine.IndexOf), set by the
	// engine on Deliver, so that a dispatcher keeping per-expert data in
	// the engine's order need not look Expert up again (at 10,000 experts
	// a map probe is a cache miss or two). Not serialised: a delivery
	// read back has Index 0, and a dispatcher checks that the index names
	// Expert before trusting it.
	Index int32 `json:"-"`
}

// DeliveryResult is how a delivery ended.
type DeliveryResult uint8

// Delivery results.
const (
	Accepted DeliveryResult = 1 + iota
	Declined
	NoAnswer
	DeliveryError
	// The results below only answer a conversation check (Outcome.Checked;
	// see ConversationChecker).

	// StillAlerting: the expert is still being alerted.
	StillAlerting
	// NotDelivered: the expert was never alerted and the conversation still
	// waits in a queue (the delivery did not take effect).
	NotDelivered
	// Gone: the conversation ended, does not exist, or is connected to
	// another agent (Outcome.ConnectedTo).
	Gone
)

var resultNames = [...]string{"", "accepted", "declined", "no_answer", "error", "alerting", "not_delivered", "gone"}

func (r DeliveryResult) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// Outcome reports how a Delivery ended. It arrives as an event through
// Engine.HandleOutcome (or is derived from a conversation event).
type Outcome struct {
	ConversationID string
	Expert         ExpertID
	Holder         string
	Result         DeliveryResult
	// Fault classifies a DeliveryError (see Fault); ignored otherwise.
	Fault Fault
	// Checked marks the answer to a ConversationChecker.Check (a
	// DeliveryError then means the check itself failed).
	Checked bool
	// ConnectedTo is the agent a Gone conversation is connected to, if any.
	ConnectedTo ExpertID
	// RetryAfter, on a FaultCapacity DeliveryError, is when the dispatcher
	// expects to have capacity again, from At (0: unknown). The engine
	// then holds the escalation that long, if its hold window allows, and
	// decides again, instead of falling back at once.
	RetryAfter time.Duration
	At         time.Time
	Detail     string
}

// Fault says what a failed delivery (a DeliveryError) tells about whom, so
// that only an expert who refused is penalised.
type Fault uint8

// Faults. The zero value, FaultExpert, is what an unclassified error means.
const (
	// FaultExpert: Genesys refused this expert (their routing status, not
	// a member, unknown user). The expert cools down; the next candidate
	// is tried.
	FaultExpert Fault = iota
	// FaultTransient: the request did not get through and had no effect
	// (rate limit, request budget, a full or stopped dispatcher). Nobody is
	// to blame: the expert is released without a cool-down and the next
	// candidate is tried.
	FaultTransient
	// FaultUncertain: the request may or may not have taken effect (a
	// timeout or 5xx on /assign). Treated like FaultTransient, except that
	// the engine checks the conversation first when it can.
	FaultUncertain
	// FaultConversation: the conversation cannot be delivered to anyone
	// (unknown or ended conversation, not waiting in a queue, manual
	// assignment disabled). The escalation ends; no expert is penalised.
	FaultConversation
	// FaultCapacity: the dispatcher cannot start a delivery now (the API
	// budget or its queue cannot take one within its admission wait).
	// Nobody is to blame and any other expert would meet the same refusal:
	// the escalation falls back at once instead of being answered "routed"
	// for a delivery that would not happen.
	FaultCapacity
)

var faultNames = [...]string{"expert", "transient", "uncertain", "conversation", "capacity"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "unknown"
}

// DeliveryFailure is an error that carries its Fault. Adapters return it
// (or wrap it) from Dispatcher.Deliver and put its Fault on the Outcome
// they report; FaultOf reads it back.
type DeliveryFailure struct {
	Fault Fault
	Err   error
	// RetryAfter, for FaultCapacity, is how soon the dispatcher expects
	// to be able to start a delivery (0: unknown); see Outcome.RetryAfter.
	RetryAfter time.Duration
}

func (e *DeliveryFailure) Error() string {
	return e.Fault.String() + "-level delivery failure: " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *DeliveryFailure) Unwrap() error { return e.Err }

// RetryAfterOf is the RetryAfter of the first *DeliveryFailure in err's
// chain (0 when there is none).
func RetryAfterOf(err error) time.Duration {
	var df *DeliveryFailure
	if errors.As(err, &df) {
		return df.RetryAfter
	}
	return 0
}

// FaultOf is the Fault of the first *DeliveryFailure in err's chain, or
// FaultExpert when there is none.
func FaultOf(err error) Fault {
	var df *DeliveryFailure
	if errors.As(err, &df) {
		return df.Fault
	}
	return FaultExpert
}

// Dispatcher delivers conversations to experts (in production through the
// Genesys Platform API; in the simulator by scheduling the expert's answer).
//
// Contract: Deliver must not block on the network and must not call back
// into the Engine; it starts the delivery and the result comes back later as
// an Outcome through Engine.HandleOutcome, from the goroutine that owns the
// engine. A non-nil error means the delivery was not started; the engine
// treats it as a DeliveryError outcome at once, and the decision Submit
// returns is the one that followed (the next expert, a hold or a
// fallback), never the refused delivery.
//
// Admission: nil promises that the delivery starts soon (production: the
// request budget has a slot for it within a bounded wait, and the queue
// has room). A Dispatcher that cannot promise that returns a
// *DeliveryFailure with FaultCapacity: the escalation is held until its
// RetryAfter and decided again when that is known and within the hold
// window (micro-wait MaxHold and the caller's patience), and falls back
// otherwise.
type Dispatcher interface {
	Deliver(d Delivery) error
}

// ConversationChecker reads a conversation's current state, so that the
// engine settles a delivery whose outcome it did not observe (the claim TTL
// ran out while notifications may have been lost; /assign failed with an
// unknown effect, or because the conversation was not waiting) from the
// conversation itself before it routes anyone else. In production it is
// GET /api/v2/conversations/{id}; a Dispatcher that implements it is used
// unless Config.Checker says otherwise.
//
// Contract: like Deliver, Check must not block on the network and must not
// call back into the Engine. The answer arrives later as an Outcome for d
// (same ConversationID, Expert and Holder) with Checked set, through
// Engine.HandleOutcome from the goroutine that owns the engine:
//
//   - Accepted: d.Expert is connected to the conversation;
//   - NoAnswer or Declined: d.Expert's leg ended without connecting;
//   - StillAlerting: d.Expert is still being alerted;
//   - NotDelivered: d.Expert was never alerted and the conversation waits;
//   - Gone: the conversation ended, does not exist, or is connected to
//     another agent (ConnectedTo);
//   - DeliveryError: the conversation could not be read.
//
// A non-nil error means the check was not started.
type ConversationChecker interface {
	Check(d Delivery) error
}

// Predictor estimates how likely an expert who is not eligible now becomes
// eligible within a window.
//
// Contract: pure and deterministic for equal inputs; safe to call many times
// per decision (it is on the hold path, not the routing hot path). A hold
// decision asks once per distinct Blocking among the blocked holders and
// reuses the answer for the others in the same state (probmemo.go).
type Predictor interface {
	// ProbFreeWithin returns P(the expert leaves its current blocking state
	// within window | it has been in it since `since`), in [0,1].
	// blocking names what blocks the expert (presence definition, or a
	// routing status) so the predictor can choose a duration model.
	ProbFreeWithin(b Blocking, now time.Time, window time.Duration) float64
}

// Blocking describes why an expert is not eligible, for the predictor.
type Blocking struct {
	Presence Presence
	Routing  RoutingStatus
	// ByRouting is true when the routing status blocks (e.g. INTERACTING),
	// false when the presence does.
	ByRouting bool
	Since     time.Time // when the blocking state started
	BlockEnd  time.Time // scheduled end of a calendar block, zero if unknown
}
