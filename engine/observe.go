package engine

import (
	"context"
	"fmt"
	"time"
)

// Observe mode (Config.Observe) runs the engine beside the real ACD: every
// escalation is decided exactly as it would be, the decision is logged
// with Observed set, and the answer is a fallback, so the flow carries on
// to its queue and Genesys routes it as if shadowq were not there. The
// Dispatcher is never called.
//
// The would-be pick still takes the expert's claim in the store for
// ClaimTTL (the claim is never delivered and simply expires), and counts
// as a delivery for fairness and the interruption budget (LastDelivery,
// Interrupts): escalations observed one after another then spread over
// the experts as real deliveries would, instead of all naming the same
// best expert. Presence, routing status and conversations still follow
// what Genesys reports, which is what actually happened.

// observeSubmit decides es in observe mode: the would-be decision (deliver
// or hold, logged) and then the fallback answered; or just the fallback
// when that is what the engine would have done.
func (e *Engine) observeSubmit(ctx context.Context, es *esc) (Decision, error) {
	would, err := e.decide(ctx, es)
	if err != nil {
		// A store failure while claiming: nothing to observe, and the
		// caller must not be kept waiting for an answer that is always
		// fallback.
		return e.finish(ctx, es, ActFallback, "observe mode: no decision ("+err.Error()+")", nil)
	}
	if would.Action.Terminal() {
		return would, nil // finish logged it
	}
	e.log(ctx, &would)
	var what string
	if would.Action == ActDeliver {
		what = fmt.Sprintf("would have delivered to %s", would.Expert)
	} else {
		what = fmt.Sprintf("would have held for %s (%s)", would.HoldExpert, would.ETAMessage)
	}
	d, err := e.finish(ctx, es, ActFallback, "observe mode: "+what+"; nothing sent, the flow carries on to its queue", nil)
	return d, err
}

// observeDeliver is the deliver decision the engine would have made for
// es with ev's best candidate (claimed in the store, its fairness and
// budget charged); nothing is delivered and es does not change state.
func (e *Engine) observeDeliver(es *esc, ev *evaluation, holder string, now time.Time) Decision {
	c, idx := ev.cands[0], ev.idxs[0]
	r := &e.experts[idx]
	r.st.LastDelivery = now
	if c.Interrupt {
		r.st.LastInterrupt = now
		r.st.Interrupts = append(trimHour(r.st.Interrupts, now), now)
	}
	e.markDirty(idx)
	d := e.newDecision(es, ActDeliver, now)
	d.Expert, d.Attempt, d.Holder, d.Interrupt = c.Expert, 1, holder, c.Interrupt
	d.Why = fmt.Sprintf("observe mode: best of %d eligible (score %.3f); not delivered", ev.eligible, c.Score)
	e.explain(&d, ev)
	return d
}

// observeHold is the hold the engine would have made for es, or the
// fallback it would have answered (logged through finish).
func (e *Engine) observeHold(ctx context.Context, es *esc, ev *evaluation, now time.Time) (Decision, error) {
	h, ok := e.planHold(es, now)
	if !ok {
		return e.finish(ctx, es, ActFallback, "observe mode: "+h.why, ev)
	}
	d := e.newDecision(es, ActHold, now)
	h.fill(&d, e)
	d.Why = "observe mode: " + d.Why + "; not held"
	e.explain(&d, ev)
	return d, nil
}
