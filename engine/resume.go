package engine

import (
	"context"
	"slices"
)

// Taking over an escalation another replica did not finish.
//
// A replica that dies (kill -9) or hands off at shutdown leaves escalations
// whose decision log does not end in a terminal action. Once its ownership
// of the conversation is gone, a retried Data Action lands on a survivor,
// which used to route the conversation afresh: a conversation the dead
// replica had delivered, and the expert had meanwhile accepted, was then
// assigned a second time. The survivor now resumes from the log instead:
// the decision sequence and the attempt count go on, experts already tried
// are not tried again, and a delivery the log shows in flight is adopted
// (same holder) and the conversation checked (ConversationChecker) before
// anything else is done. The check settles it as for any unobserved
// delivery: connected → routed, never rang → the next candidate, still
// ringing → look again, ended or with another agent → the escalation ends.

// resume continues es from the log another replica left. It reports
// whether it adopted an in-flight delivery (then d answers the caller);
// otherwise es carries the log's history and the caller decides afresh.
func (e *Engine) resume(ctx context.Context, es *esc, log []Decision) (d Decision, adopted bool, err error) {
	first, last := &log[0], &log[len(log)-1]
	es.seq = last.Seq
	if a := first.At.Add(-first.Wait); !a.IsZero() && a.Before(es.Arrival) {
		es.Arrival = a // a hold's cap counts from the first arrival
	}
	for i := range log {
		if log[i].Action != ActDeliver {
			continue
		}
		es.attempts = max(es.attempts, log[i].Attempt)
		if idx, ok := e.index[log[i].Expert]; ok && !slices.Contains(es.tried, idx) {
			es.tried = append(es.tried, idx)
		}
	}
	if last.Action != ActDeliver || last.Holder == "" || e.check == nil {
		return Decision{}, false, nil
	}
	idx, ok := e.index[last.Expert]
	if !ok || e.experts[idx].pending != nil {
		return Decision{}, false, nil
	}
	es.tried = slices.DeleteFunc(es.tried, func(i int32) bool { return i == idx })
	es.state, es.expert, es.holder, es.interrupt = escDelivering, idx, last.Holder, last.Interrupt
	e.experts[idx].pending = es
	e.byHolder[es.holder] = es
	e.refresh(idx)
	now := e.clock.Now()
	// If no check can be made the delivery settles as a failure nobody is
	// blamed for, and the next candidate is tried.
	trigger := Outcome{ConversationID: es.ConversationID, Expert: last.Expert, Holder: es.holder, Result: DeliveryError,
		Fault: FaultTransient, At: now, Detail: "taken over from a replica that did not finish it; the conversation could not be checked"}
	err = e.startCheck(ctx, es, trigger)
	if es.state != escDelivering || es.holder != last.Holder {
		// The check could not start and the delivery was settled at once.
		return e.replay(es.ConversationID, es.lastAction(), es), true, err
	}
	d = e.replay(es.ConversationID, ActDeliver, es)
	d.Why = "taken over from another replica: the delivery to " + string(last.Expert) + " is checked before anything else"
	return d, true, err
}
