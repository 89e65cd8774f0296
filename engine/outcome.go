package engine

import (
	"context"
	"fmt"
	"time"
)

// StoreRetryInterval is how soon a store write that failed is tried again
// (NextDeadline reports it; Tick retries).
const StoreRetryInterval = time.Second

// HandleOutcome applies the result of a delivery. Outcomes for deliveries
// that are no longer in flight (late, duplicated, or for a holder that lost
// its claim) are ignored.
//
// Store failures never drop the delivery: if the claim cannot be turned
// into a busy mark or a cool-down, the delivery stays pending with its
// outcome, and Tick settles it once the store answers again. An accepted
// delivery is therefore never mistaken for an unanswered one.
func (e *Engine) HandleOutcome(ctx context.Context, o Outcome) error {
	return join2(e.handleOutcome(ctx, o), e.settle(ctx))
}

func (e *Engine) handleOutcome(ctx context.Context, o Outcome) error {
	es, ok := e.byHolder[o.Holder]
	if !ok || es.state != escDelivering || es.ConversationID != o.ConversationID {
		return nil
	}
	if o.Checked {
		return e.checkAnswered(ctx, es, o)
	}
	// An outcome the feed or the dispatcher reports beats any check in
	// flight; a failure whose effect is unknown is checked first.
	es.checking = false
	if es.unsettled == nil && o.Result == DeliveryError && (o.Fault == FaultUncertain || o.Fault == FaultConversation) && e.canCheck(es) {
		return e.startCheck(ctx, es, o)
	}
	return e.settleOutcome(ctx, es, o)
}

// settleOutcome ends the pending delivery of es with o: the claim becomes a
// busy mark, a cool-down or nothing, then the escalation is routed, ends,
// or moves on to the next candidate.
func (e *Engine) settleOutcome(ctx context.Context, es *esc, o Outcome) error {
	_, err := e.settleWith(ctx, es, o)
	return err
}

// settleWith is settleOutcome returning the decision that followed: the
// terminal one, the next delivery or hold, or (while the store cannot
// take the outcome) a hold.
func (e *Engine) settleWith(ctx context.Context, es *esc, o Outcome) (Decision, error) {
	if u := es.unsettled; u != nil && o.Result != Accepted {
		// The first outcome stands until the store has taken it; only the
		// feed's word that the expert picked up overrides it.
		o = *u
	}
	idx := es.expert
	r := &e.experts[idx]
	now := e.clock.Now()
	blame := o.Result != Accepted && (o.Result != DeliveryError || o.Fault == FaultExpert)
	if err := e.settleClaim(ctx, es, idx, o.Result == Accepted, blame); err != nil {
		u := o // a copy, so that o itself stays on the stack
		es.unsettled = &u
		e.pushDeadline(es, now.Add(StoreRetryInterval))
		return Decision{ConversationID: es.ConversationID, Action: ActHold, At: now}, err
	}
	e.dropPending(es)
	es.lastRes = o.Result.String()
	if o.Result == Accepted {
		// The expert is busy from now; the feed confirms it later, and an
		// event older than this cannot roll it back.
		r.st.Conversation = es.ConversationID
		if !o.At.Before(r.st.RoutingSince) {
			r.st.Routing, r.st.RoutingSince = RSInteracting, o.At
			e.prov[idx].rout.learned(now, false)
		}
		e.markDirty(idx)
		return e.finish(ctx, es, ActRouted, e.acceptedBy(idx), nil)
	}
	if blame {
		r.st.CooldownUntil = now.Add(e.pol.Cooldown)
	}
	e.markDirty(idx)
	if o.Result == DeliveryError && o.Fault == FaultConversation {
		// Nobody can take this conversation (unknown, ended, no longer
		// queued): trying the next expert would only fail again and
		// penalise them.
		return e.finish(ctx, es, ActFallback, "conversation cannot be delivered to anyone: "+o.Detail, nil)
	}
	if o.Result == DeliveryError && o.Fault == FaultCapacity {
		// Every other expert would meet the same refusal: hold until the
		// dispatcher expects capacity, when that is within the hold
		// window, else fall back.
		if d, ok := e.holdForCapacity(ctx, es, o, now); ok {
			return d, nil
		}
		return e.finish(ctx, es, ActFallback, "no delivery capacity now: "+o.Detail, nil)
	}
	es.tried = append(es.tried, idx)
	es.state = escDeciding
	es.expert = -1
	es.holder = ""
	es.gen++
	return e.decide(ctx, es)
}

// acceptedBy is "accepted by " + expert idx's ID, the why of every routed
// escalation: built once per expert rather than allocated per escalation.
func (e *Engine) acceptedBy(idx int32) string {
	if e.acceptedWhy == nil {
		e.acceptedWhy = make([]string, len(e.experts))
	}
	s := e.acceptedWhy[idx]
	if s == "" {
		s = "accepted by " + string(e.experts[idx].ID)
		e.acceptedWhy[idx] = s
	}
	return s
}

// holdForCapacity holds es, whose delivery the dispatcher refused for want
// of capacity (o, FaultCapacity), until o.RetryAfter and then decides
// again (Tick), when the dispatcher gave an estimate and the hold stays
// within micro-wait's MaxHold from the first hold and the caller's
// patience. The refusal does not count against MaxAttempts and blames
// nobody. The claim is already released. ok is false when es is not held
// (no estimate, micro-wait off, or past the window): the caller falls
// back.
func (e *Engine) holdForCapacity(ctx context.Context, es *esc, o Outcome, now time.Time) (Decision, bool) {
	mw := e.pol.MicroWait
	if o.RetryAfter <= 0 || !mw.Enabled {
		return Decision{}, false
	}
	limit := holdLimit(es, mw, now)
	until := now.Add(o.RetryAfter)
	if until.After(limit) {
		return Decision{}, false
	}
	if es.holdStart.IsZero() {
		es.holdStart = now // the hold starts here (holdLimit counted from now)
	}
	es.refused++
	es.state = escDeciding
	es.expert = -1
	es.holder = ""
	es.gen++
	es.holdUntil = until
	e.pushDeadline(es, until)
	d := e.newDecision(es, ActHold, now)
	d.HoldUntil, d.ETA, d.ETAMessage = until, o.RetryAfter, etaMessage(o.RetryAfter)
	d.Why = fmt.Sprintf("no delivery capacity now; deciding again in %v: %s", o.RetryAfter.Round(time.Millisecond), o.Detail)
	e.logDecision(ctx, &d)
	return d, true
}

// settleClaim turns the delivery's claim into a busy mark (accepted), a
// cool-down (the expert is to blame) or nothing.
func (e *Engine) settleClaim(ctx context.Context, es *esc, idx int32, accepted, blame bool) error {
	var err error
	switch {
	case accepted:
		var ok bool
		ok, err = e.transition(ctx, idx, es.holder, "busy:"+es.ConversationID, e.pol.BusyHold)
		if err == nil && !ok {
			// The delivery claim ran out (the store was away past its TTL):
			// mark the expert busy afresh unless someone else holds them.
			_, err = e.claimFirst(ctx, []ExpertID{e.experts[idx].ID}, []int32{idx}, "busy:"+es.ConversationID, e.pol.BusyHold)
		}
	case blame && e.pol.Cooldown > 0:
		_, err = e.transition(ctx, idx, es.holder, "cooldown:"+es.ConversationID, e.pol.Cooldown)
	default:
		_, err = e.release(ctx, idx, es.holder)
	}
	if err != nil {
		return fmt.Errorf("%w: claim: %w", ErrStore, err)
	}
	return nil
}

// Abandon records that the caller hung up. An in-flight delivery's claim is
// released (if the store cannot release it now, it expires with its TTL).
// Unknown or finished escalations are ignored.
func (e *Engine) Abandon(ctx context.Context, conv string) error {
	es, ok := e.escs[conv]
	if !ok {
		return nil
	}
	var errs []error
	if es.state == escDelivering {
		r := &e.experts[es.expert]
		r.pending = nil
		e.refresh(es.expert)
		delete(e.byHolder, es.holder)
		if _, err := e.release(ctx, es.expert, es.holder); err != nil {
			errs = append(errs, fmt.Errorf("%w: claim: %w", ErrStore, err))
		}
	}
	_, err := e.finish(ctx, es, ActAbandoned, "caller hung up", nil)
	return joinErrs(errs, join2(err, e.settle(ctx)))
}

// NextDeadline is when Tick next has work: a delivery whose outcome is
// overdue (treated as no answer), a hold that runs out (fallback), or a
// store write to retry.
func (e *Engine) NextDeadline() (time.Time, bool) {
	for len(e.deadlines) > 0 {
		top := &e.deadlines[0]
		if top.live() {
			if e.backlog() > 0 && e.retryAt.Before(top.at) {
				return e.retryAt, true
			}
			return top.at, true
		}
		e.deadlines.pop()
	}
	if e.backlog() > 0 {
		return e.retryAt, true
	}
	return time.Time{}, false
}

// Tick processes every deadline at or before the clock's now and retries
// what the store has not taken yet. Every deadline due is processed even
// when some fail; the errors are joined.
func (e *Engine) Tick(ctx context.Context) error {
	now := e.clock.Now()
	var errs []error
	for len(e.deadlines) > 0 {
		top := e.deadlines[0]
		if !top.live() {
			e.deadlines.pop()
			continue
		}
		if top.at.After(now) {
			break
		}
		e.deadlines.pop()
		es := top.es
		if err := e.expire(ctx, es, now); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrs(errs, e.settle(ctx))
}

// expire handles an escalation whose deadline passed.
func (e *Engine) expire(ctx context.Context, es *esc, now time.Time) error {
	switch es.state {
	case escDelivering:
		if u := es.unsettled; u != nil {
			return e.settleOutcome(ctx, es, *u) // the store failed last time
		}
		// The outcome was not observed (or a check is overdue): check the
		// conversation before anyone else is tried, while checks remain.
		trigger := es.checkFor
		if trigger == nil {
			trigger = &Outcome{ConversationID: es.ConversationID, Expert: e.experts[es.expert].ID,
				Holder: es.holder, Result: NoAnswer, At: now, Detail: "no outcome before the claim TTL"}
		}
		es.checking = false
		if e.canCheck(es) {
			return e.startCheck(ctx, es, *trigger)
		}
		return e.settleOutcome(ctx, es, *trigger)
	case escDeciding:
		_, err := e.decide(ctx, es) // a claim failed in the store last time
		return err
	case escHeld:
		_, err := e.finish(ctx, es, ActFallback, "hold reached its cap with nobody eligible", nil)
		return err
	}
	return nil
}
