package engine

import (
	"context"
	"errors"
	"time"
)

// maxChecks bounds the conversation checks of one delivery; when they are
// used up (the conversation cannot be read, or keeps alerting), the
// delivery is settled as it would be without a checker.
const maxChecks = 3

// Reconciling from the conversation itself.
//
// An outcome the engine did not observe is never guessed while the
// conversation can be read: when a delivery's claim TTL runs out, or
// /assign fails with an unknown effect (FaultUncertain) or because of the
// conversation (FaultConversation), the engine asks the ConversationChecker
// and settles from what the conversation says: connected to the expert →
// accepted (busy mark, no re-route); the expert's leg ended unanswered or
// never rang while the conversation waits → the next candidate; the
// conversation ended or is with another agent → the escalation ends, and
// nobody is cooled down. While a check is in flight the delivery stays
// pending and its claim is renewed, so nobody else is routed the
// conversation and the expert is not claimed by another escalation.

func (e *Engine) canCheck(es *esc) bool { return e.check != nil && es.checks < maxChecks }

// startCheck asks the checker about the pending delivery of es; trigger is
// how the delivery settles if the checks fail.
func (e *Engine) startCheck(ctx context.Context, es *esc, trigger Outcome) error {
	now := e.clock.Now()
	r := &e.experts[es.expert]
	es.checking = true
	es.checks++
	es.checkFor = &trigger
	// Keep the expert claimed while we look. A failure here is harmless:
	// the claim then expires and the check still decides.
	ok, err := e.store.Transition(ctx, r.ID, es.holder, es.holder, e.pol.ClaimTTL)
	if err == nil && !ok {
		// It ran out just now (the TTL deadline is the claim's expiry):
		// claim again unless someone else got there first.
		_, err = e.store.ClaimFirst(ctx, []ExpertID{r.ID}, es.holder, e.pol.ClaimTTL)
	}
	if err != nil {
		err = errors.Join(ErrStore, err)
	}
	d := Delivery{ConversationID: es.ConversationID, Expert: r.ID, Attempt: es.attempts, Holder: es.holder,
		Interrupt: es.interrupt, Priority: es.Priority, At: now, AlertTimeout: e.pol.AlertTimeout, Index: es.expert}
	if cerr := e.check.Check(d); cerr != nil {
		es.checking = false
		return errors.Join(err, e.settleOutcome(ctx, es, trigger))
	}
	// An unanswered check is retried (or the delivery settled) then.
	e.pushDeadline(es, now.Add(e.pol.AlertTimeout))
	return err
}

// checkAnswered settles the pending delivery of es from a check's answer.
func (e *Engine) checkAnswered(ctx context.Context, es *esc, o Outcome) error {
	if !es.checking {
		return nil // a late answer to a check already given up on
	}
	es.checking = false
	trigger := *es.checkFor
	switch o.Result {
	case Accepted:
		return e.settleOutcome(ctx, es, o)
	case NoAnswer, Declined:
		if trigger.Result == DeliveryError {
			return e.settleOutcome(ctx, es, trigger) // the failure's own reading
		}
		return e.settleOutcome(ctx, es, o)
	case NotDelivered:
		if trigger.Result == DeliveryError {
			return e.settleOutcome(ctx, es, trigger)
		}
		// It never rang: nobody is to blame.
		o.Result, o.Fault = DeliveryError, FaultTransient
		return e.settleOutcome(ctx, es, o)
	case Gone:
		return e.settleGone(ctx, es, o)
	}
	// Still alerting, or the conversation could not be read: look again
	// later while checks remain, else settle as without a checker.
	if es.checks < maxChecks {
		e.pushDeadline(es, e.clock.Now().Add(e.pol.AlertTimeout))
		return nil
	}
	return e.settleOutcome(ctx, es, trigger)
}

// settleGone ends an escalation whose conversation is no longer waiting:
// routed to the agent it is connected to, if any (an earlier attempt was
// accepted after all, or the queue delivered it), else fallback. The
// expert of the pending delivery is released without blame.
func (e *Engine) settleGone(ctx context.Context, es *esc, o Outcome) error {
	if err := e.settleClaim(ctx, es, es.expert, false, false); err != nil {
		o.Result, o.Fault = DeliveryError, FaultConversation
		es.unsettled = &o // settled later without blame, as a conversation-level failure
		e.pushDeadline(es, e.clock.Now().Add(StoreRetryInterval))
		return err
	}
	e.dropPending(es)
	e.markDirty(es.expert)
	es.lastRes = o.Result.String()
	if o.ConnectedTo == "" {
		_, err := e.finish(ctx, es, ActFallback, "conversation no longer waiting: "+o.Detail, nil)
		return err
	}
	var err error
	es.expert, es.routedTo = -1, o.ConnectedTo
	if idx, ok := e.index[o.ConnectedTo]; ok {
		err = e.markBusy(ctx, idx, es.ConversationID, o.At)
	}
	_, ferr := e.finish(ctx, es, ActRouted, "conversation already connected to "+string(o.ConnectedTo), nil)
	return errors.Join(err, ferr)
}

// markBusy records that expert idx is connected to conv (found by a check,
// not by the delivery the engine was waiting on): busy in memory, and a
// busy mark in the store unless someone else holds the expert.
func (e *Engine) markBusy(ctx context.Context, idx int32, conv string, at time.Time) error {
	x := &e.experts[idx]
	x.st.Conversation = conv
	if !at.Before(x.st.RoutingSince) {
		x.st.Routing, x.st.RoutingSince = RSInteracting, at
		e.prov[idx].rout.learned(e.clock.Now(), false)
	}
	e.markDirty(idx)
	ok, err := e.store.Transition(ctx, x.ID, "cooldown:"+conv, "busy:"+conv, e.pol.BusyHold)
	if err == nil && !ok {
		_, err = e.store.ClaimFirst(ctx, []ExpertID{x.ID}, "busy:"+conv, e.pol.BusyHold)
	}
	if err != nil {
		return errors.Join(ErrStore, err)
	}
	return nil
}

// dropPending forgets the pending delivery of es (its claim is settled).
func (e *Engine) dropPending(es *esc) {
	es.unsettled, es.checking, es.checks, es.checkFor = nil, false, 0, nil
	delete(e.byHolder, es.holder)
	e.experts[es.expert].pending = nil
}
