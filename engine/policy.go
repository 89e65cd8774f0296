package engine

import (
	"fmt"
	"time"
)

// Bounds on policy values. A policy outside them is a typo or an attack
// (`maxAttempts: 1000000000000` rings every expert in the company), never
// a real need.
const (
	// MaxAttemptsLimit bounds delivery.maxAttempts.
	MaxAttemptsLimit = 20
	// MaxWeight bounds each selection weight (only their ratios matter).
	MaxWeight = 1000.0
	// MaxExplainLimit bounds explainLimit (it sizes per-decision buffers).
	MaxExplainLimit = 1000
	// MaxPolicyDuration bounds every duration in a policy.
	MaxPolicyDuration = 7 * 24 * time.Hour
	maxETABuckets     = 32
)

// IsGUID reports whether s is a GUID in its canonical textual form
// (8-4-4-4-12 hexadecimal digits), as Genesys Cloud ids are.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// RuleAction is what a policy rule allows.
type RuleAction uint8

// Rule actions. The zero value is Never, so anything unset is safe.
const (
	Never RuleAction = iota
	Route
	Interrupt
)

var ruleNames = [...]string{"never", "route", "interrupt"}

func (a RuleAction) String() string {
	if int(a) < len(ruleNames) {
		return ruleNames[a]
	}
	return "unknown"
}

// Rule is one line of policy: what to do with an expert in a given presence
// definition (or routing status).
type Rule struct {
	Action RuleAction
	// MinPriority applies to Interrupt: only escalations at least this
	// urgent (P1 is the most urgent) may interrupt. "Interrupt for P1" is
	// {Interrupt, P1}.
	MinPriority Priority
	Name        string // label for explanations, e.g. "In a Meeting – Interrupt for P1"
}

// allows reports whether an escalation of priority p may be delivered under
// r, and whether that delivery is an interruption.
func (r Rule) allows(p Priority) (ok, interrupt bool) {
	switch r.Action {
	case Route:
		return true, false
	case Interrupt:
		return p.AtLeast(r.MinPriority), true
	}
	return false, false
}

// Weights weigh the parts of the selection score. See Score.
type Weights struct {
	Skill, Presence, Fairness, Budget float64
}

// MicroWait configures holding the caller when nobody is eligible.
type MicroWait struct {
	Enabled bool
	// Threshold is the probability that the best expert becomes eligible
	// within the hold window above which the caller is held.
	Threshold float64
	// MaxHold is the hard cap on a hold, measured from the first hold.
	MaxHold time.Duration
	// ETABuckets are the waits the caller may be told ("less than 2
	// minutes"), ascending; the smallest bucket whose probability clears
	// Threshold is announced.
	ETABuckets []time.Duration
}

// Policy is the routing policy. Build one with DefaultPolicy or
// ParsePolicy; the zero value routes nobody.
type Policy struct {
	// Presences are rules per presence-definition GUID. They take
	// precedence over Systems.
	Presences map[PresenceDefID]Rule
	// Systems are fallback rules per system presence for GUIDs not listed
	// in Presences. Only Route and Never are allowed here: interrupting a
	// meeting must name the meeting's GUID, so a new "Do Not Disturb"
	// variant can never be interrupted by accident. A GUID matched only
	// here (or not at all) is reported by Engine.UnknownPresences.
	Systems map[SystemPresence]Rule
	// Routing are rules per routing status (RSUnknown included: used until
	// the first routing-status event).
	Routing map[RoutingStatus]Rule

	Weights Weights
	// FairnessHorizon is the time since the last delivery at which the
	// fairness part of the score saturates at 1.
	FairnessHorizon time.Duration

	MaxAttempts  int           // deliveries per escalation before fallback
	AlertTimeout time.Duration // how long a delivery alerts before "no answer"
	ClaimTTL     time.Duration // claim lifetime while the outcome is unknown
	Cooldown     time.Duration // no delivery to an expert after a decline/no-answer
	BusyHold     time.Duration // claim kept after "accepted" until routing status catches up
	MaxStaleness time.Duration // exclude experts not confirmed for this long; 0 = off

	FallbackQueue string
	MicroWait     MicroWait
	// ExplainLimit caps the candidates and the exclusions listed in one
	// decision (their totals are always recorded).
	ExplainLimit int
}

// DefaultPolicy routes Available and On Queue experts who are idle or off
// queue, interrupts nobody, and falls back to the "Tier 3" queue.
func DefaultPolicy() *Policy {
	return &Policy{
		Presences: map[PresenceDefID]Rule{},
		Systems: map[SystemPresence]Rule{
			SysAvailable: {Action: Route, Name: "Available"},
			SysOnQueue:   {Action: Route, Name: "On Queue"},
		},
		Routing: map[RoutingStatus]Rule{
			RSUnknown:  {Action: Route},
			RSOffQueue: {Action: Route},
			RSIdle:     {Action: Route},
		},
		Weights:         Weights{Skill: 0.4, Presence: 0.3, Fairness: 0.2, Budget: 0.1},
		FairnessHorizon: 2 * time.Hour,
		MaxAttempts:     3,
		AlertTimeout:    20 * time.Second,
		ClaimTTL:        35 * time.Second,
		Cooldown:        10 * time.Minute,
		BusyHold:        30 * time.Second,
		FallbackQueue:   "Tier 3",
		MicroWait: MicroWait{
			Enabled:    true,
			Threshold:  0.6,
			MaxHold:    5 * time.Minute,
			ETABuckets: []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute},
		},
		ExplainLimit: 20,
	}
}

// presenceRule returns the rule for a presence and whether the GUID is
// listed by id (false means it was resolved by the system fallback or not
// at all).
func (p *Policy) presenceRule(pr Presence) (r Rule, byGUID, found bool) {
	if r, ok := p.Presences[pr.Def]; ok {
		return r, true, true
	}
	if r, ok := p.Systems[pr.System]; ok {
		return r, false, true
	}
	return Rule{}, false, false
}

// Validate checks the invariants ParsePolicy also checks, for policies built
// in code.
func (p *Policy) Validate() error {
	for s, r := range p.Systems {
		if r.Action == Interrupt {
			return fmt.Errorf("systemPresences.%s: interrupt must name a presence-definition GUID", s)
		}
	}
	for id, r := range p.Presences {
		if r.Action == Interrupt && !r.MinPriority.Valid() {
			return fmt.Errorf("presences[%s]: interrupt needs minPriority P1..P5", id)
		}
	}
	for s, r := range p.Routing {
		if r.Action == Interrupt && !r.MinPriority.Valid() {
			return fmt.Errorf("routingStatus.%s: interrupt needs minPriority P1..P5", s)
		}
	}
	w := p.Weights
	sum := 0.0
	for _, v := range [...]float64{w.Skill, w.Presence, w.Fairness, w.Budget} {
		// !(v >= 0) also rejects NaN.
		if !(v >= 0 && v <= MaxWeight) {
			return fmt.Errorf("selection.weights: %v is not a number within 0..%v", v, MaxWeight)
		}
		sum += v
	}
	switch {
	case sum == 0:
		return fmt.Errorf("selection.weights: all zero")
	case p.MaxAttempts < 1 || p.MaxAttempts > MaxAttemptsLimit:
		return fmt.Errorf("delivery.maxAttempts: %d outside 1..%d", p.MaxAttempts, MaxAttemptsLimit)
	case p.AlertTimeout <= 0:
		return fmt.Errorf("delivery.alertTimeout: must be positive")
	case p.ClaimTTL <= p.AlertTimeout:
		return fmt.Errorf("delivery.claimTTL (%v): must exceed alertTimeout (%v)", p.ClaimTTL, p.AlertTimeout)
	case p.Cooldown < 0 || p.BusyHold < 0 || p.MaxStaleness < 0:
		return fmt.Errorf("delivery: negative duration")
	case p.FairnessHorizon <= 0:
		return fmt.Errorf("selection.fairnessHorizon: must be positive")
	case p.ExplainLimit < 0 || p.ExplainLimit > MaxExplainLimit:
		return fmt.Errorf("explainLimit: %d outside 0..%d", p.ExplainLimit, MaxExplainLimit)
	}
	for _, d := range [...]time.Duration{p.AlertTimeout, p.ClaimTTL, p.Cooldown, p.BusyHold, p.MaxStaleness, p.FairnessHorizon, p.MicroWait.MaxHold} {
		if d > MaxPolicyDuration {
			return fmt.Errorf("duration %v: over the %v limit", d, MaxPolicyDuration)
		}
	}
	if m := p.MicroWait; m.Enabled {
		if !(m.Threshold >= 0 && m.Threshold <= 1) { // also NaN
			return fmt.Errorf("microWait.threshold: %v outside 0..1", m.Threshold)
		}
		if m.MaxHold <= 0 {
			return fmt.Errorf("microWait.maxHold: must be positive")
		}
		for i, b := range m.ETABuckets {
			if b <= 0 || (i > 0 && b <= m.ETABuckets[i-1]) {
				return fmt.Errorf("microWait.etaBuckets[%d]: must be positive and ascending", i)
			}
		}
	}
	return nil
}

// Allows evaluates the policy for one expert state, independently of any
// engine: may an escalation of priority prio be delivered to an expert
// showing pr with routing status rs (onConversation: connected to one),
// and would that interrupt? Unknown GUIDs without a fallback rule are
// never allowed. The simulator's invariant checkers use it as an oracle.
func (p *Policy) Allows(pr Presence, rs RoutingStatus, onConversation bool, prio Priority) (ok, interrupt bool) {
	r, _, found := p.presenceRule(pr)
	if !found {
		return false, false
	}
	ok, interrupt = r.allows(prio)
	if !ok {
		return false, false
	}
	if onConversation && rs != RSCommunicating {
		rs = RSInteracting
	}
	rok, rintr := p.Routing[rs].allows(prio)
	return rok, interrupt || rintr
}

// Rule returns the presence rule for pr and whether one matched.
func (p *Policy) Rule(pr Presence) (Rule, bool) {
	r, _, found := p.presenceRule(pr)
	return r, found
}
