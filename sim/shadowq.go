package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
)

// shadowqRouter drives the real engine in-process: the world's presence
// and routing changes become engine events (dropped during notification
// outages, repaired by bulk resync), arrivals become Submit calls, and the
// engine's deliveries ring the world's experts through the Dispatcher port.
type shadowqRouter struct {
	w    *world
	acd  *acdRouter // the Genesys queue that fallbacks go to
	eng  *engine.Engine
	ctx  context.Context
	tick time.Time // when the next engine tick is scheduled (zero: none)
	err  error     // first engine error; fails the run
	snap []engine.SnapshotEntry
	// stale lists the experts whose snap entry is out of date: their
	// presence or routing status changed since the last resync built it
	// (nil snap: every one). A month's nightly resyncs rebuild nothing.
	stale   []int
	isStale []bool
	// rebuilt lists the entries the current resync rebuilt, changed marks
	// them (engine.Snapshot.Changed); both are empty between resyncs.
	rebuilt []int
	changed []bool
	// engIdx is each expert's engine index (engine.IndexOf), resolved
	// once so that an event does not look the id up again.
	engIdx []int32
	// simIdx is its inverse: the expert (index into w.xs) at each engine
	// index, so that a delivery finds its expert from Delivery.Index.
	simIdx []int32
	// ordered: engIdx is the identity, so snap is in the engine's order
	// (engine.Snapshot.InEngineOrder).
	ordered bool
	// holder is, per expert alerting for a delivery of the engine, the
	// delivery's claim holder, for its outcome (world.alertEnd).
	holder []string
	// conv is, per expert connected to a conversation, its ID (set by
	// world.connect), for the hang-up's event: at 10,000 experts the
	// escalation's arrival, read then, was a cache miss or two away.
	conv []string
}

func newShadowqRouter(w *world) (*shadowqRouter, error) {
	r := &shadowqRouter{w: w, ctx: context.Background(), acd: newACDRouter(w)}
	pol := *w.sc.Policy
	// The simulator reads decisions through OnDecision; long explanations
	// would only cost time. Totals are still counted.
	pol.ExplainLimit = 0
	experts := make([]engine.Expert, len(w.sc.Experts))
	for i := range w.sc.Experts {
		experts[i] = w.sc.Experts[i].Engine()
	}
	eng, err := engine.New(engine.Config{
		Clock: w.k, Store: memstore.New(w.k, memstore.WithoutDecisionLog(), memstore.WithoutExpertStates(), memstore.WithoutConversationClaims()), Dispatcher: dispatcher{r},
		Predictor: engine.DefaultPredictor(), Policy: &pol, Experts: experts, ReplicaID: "sim",
		// Every conversation is submitted once (arrive), so the endings an
		// engine remembers for a repeated Submit are never asked about: at
		// 10,000 experts a ring of 10,000 and its index were a cache miss
		// or so each escalation.
		RecentDone: 1,
		OnDecision: r.onDecision,
	})
	if err != nil {
		return nil, err
	}
	r.eng = eng
	r.holder = make([]string, len(w.xs))
	r.conv = make([]string, len(w.xs))
	r.engIdx = make([]int32, len(w.xs))
	r.simIdx = make([]int32, len(w.xs))
	for i := range w.xs {
		var ok bool
		if r.engIdx[i], ok = eng.IndexOf(w.xs[i].sc.ID); !ok {
			return nil, fmt.Errorf("sim: the engine does not know expert %q", w.xs[i].sc.ID)
		}
		r.simIdx[r.engIdx[i]] = int32(i)
	}
	r.ordered = true
	for i, j := range r.engIdx {
		r.ordered = r.ordered && int(j) == i
	}
	if iv := w.sc.Resync.Interval; iv > 0 {
		var resync func()
		resync = func() {
			if !w.outage(w.now(), true) {
				r.resync()
			}
			w.k.After(iv, resync)
		}
		w.k.After(iv, resync)
	}
	if w.sc.Resync.OnReconnect {
		for _, d := range w.sc.Disconnects {
			w.k.At(w.at(d.End), r.resync)
		}
	}
	return r, nil
}

func (r *shadowqRouter) check(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
	r.scheduleTick()
}

// scheduleTick keeps one kernel event at the engine's next deadline.
func (r *shadowqRouter) scheduleTick() {
	at, ok := r.eng.NextDeadline()
	if !ok || (!r.tick.IsZero() && !at.Before(r.tick)) {
		return
	}
	if at.Before(r.w.k.Now()) {
		at = r.w.k.Now()
	}
	r.tick = at
	r.w.k.At(at, func() {
		if r.tick.Equal(at) {
			r.tick = time.Time{}
		}
		r.check(r.eng.Tick(r.ctx))
	})
}

// outage reports whether notifications (or, with resync, bulk reads too)
// are down at t.
func (w *world) outage(t time.Duration, resync bool) bool {
	for _, d := range w.sc.Disconnects {
		if t >= d.Start && t < d.End && (!resync || d.BlockResync) {
			return true
		}
	}
	return false
}

// markStale notes that x's snapshot entry no longer shows the truth.
func (r *shadowqRouter) markStale(x *expertState) {
	if r.isStale != nil && !r.isStale[x.i] {
		r.isStale[x.i] = true
		r.stale = append(r.stale, int(x.i))
	}
}

func (r *shadowqRouter) presenceChanged(x *expertState) {
	w := r.w
	r.markStale(x)
	r.acd.take(x) // the queue sees the truth
	if w.outage(w.now(), false) {
		return
	}
	r.check(r.eng.ApplyAt(r.ctx, r.engIdx[x.i], engine.Event{Kind: engine.EvPresence, Expert: x.id, At: w.k.Now(), Presence: w.shownEng(x)}))
}

func (r *shadowqRouter) routingChanged(x *expertState) {
	w := r.w
	r.markStale(x)
	r.acd.take(x)
	if w.outage(w.now(), false) {
		return
	}
	r.check(r.eng.ApplyAt(r.ctx, r.engIdx[x.i], engine.Event{Kind: engine.EvRouting, Expert: x.id, At: w.k.Now(), Routing: x.routing}))
}

func (r *shadowqRouter) calendar(x *expertState, end time.Duration) {
	r.check(r.eng.ApplyAt(r.ctx, r.engIdx[x.i], engine.Event{Kind: engine.EvCalendar, Expert: x.id, BlockEnd: r.w.at(end)}))
}

// hangUp tells the engine that x's conversation ended: e's, whose ID
// world.connect left in r.conv.
func (r *shadowqRouter) hangUp(x *expertState, _ *escState) {
	w := r.w
	if w.outage(w.now(), false) {
		return
	}
	r.check(r.eng.ApplyAt(r.ctx, r.engIdx[x.i], engine.Event{Kind: engine.EvConversation, Expert: x.id, At: w.k.Now(),
		Conversation: r.conv[x.i], ConvState: engine.ConvDisconnected}))
}

// resync is the bulk presence read: the truth for everyone.
func (r *shadowqRouter) resync() {
	w := r.w
	if r.snap == nil {
		r.snap, r.isStale, r.changed = make([]engine.SnapshotEntry, len(w.xs)), make([]bool, len(w.xs)), make([]bool, len(w.xs))
		for i := range w.xs {
			r.snap[i].Expert = w.xs[i].id
			r.markStale(&w.xs[i])
		}
	}
	// The engine may change the world while it applies the snapshot (a
	// delivery it decides rings someone): what goes stale then is for the
	// next resync, so stale is emptied before.
	r.stale, r.rebuilt = r.rebuilt[:0], r.stale
	for _, i := range r.rebuilt {
		// The id was set when snap was made: x's line with it is not read.
		x, en := &w.xs[i], &r.snap[i]
		en.Presence, en.PresenceSince = w.shownEng(x), w.at(x.shownSince)
		en.Routing, en.RoutingSince = x.routing, w.at(x.routeSince)
		r.isStale[i], r.changed[i] = false, true
	}
	s := engine.Snapshot{At: w.k.Now(), Entries: r.snap, InEngineOrder: r.ordered}
	if r.ordered {
		// changed is in the engine's order too.
		s.Changed = r.changed
	}
	r.check(r.eng.ApplySnapshot(r.ctx, s))
	for _, i := range r.rebuilt {
		r.changed[i] = false
	}
}

func (r *shadowqRouter) arrive(e *escState) {
	_, err := r.eng.Submit(r.ctx, engine.Escalation{ConversationID: e.a.conv, Skills: e.a.skills, Priority: e.a.prio,
		Arrival: r.w.k.Now(), Patience: e.a.patience})
	r.check(err)
}

func (r *shadowqRouter) abandon(e *escState) {
	if e.fellBack {
		r.acd.abandon(e) // the queue has it now
		return
	}
	e.abandonEv = 0
	if e.done {
		return
	}
	r.w.cancelAlert(e)
	r.check(r.eng.Abandon(r.ctx, e.a.conv))
}

// finish: escalations the engine still owns (held, ringing, waiting for a
// candidate) stay open and are measured as unfinished; measure checks that
// every ended one had the engine's terminal decision.
func (r *shadowqRouter) finish() { r.acd.finish() }

// onDecision follows the engine's decisions for metrics and invariants.
func (r *shadowqRouter) onDecision(d *engine.Decision) {
	e := r.w.escalation(d.ConversationID)
	if e == nil {
		return
	}
	w := r.w
	now := w.now()
	if e.held && d.Action != engine.ActHold {
		e.holdTotal += now - e.holdStart
		e.held = false
		if d.Action == engine.ActDeliver {
			e.holdRouted = true // provisionally; cleared if the hold's delivery fails for good
		}
	}
	switch d.Action {
	case engine.ActHold:
		if !e.held {
			e.held, e.holdStart = true, now
			e.holds++
		}
	case engine.ActDeliver:
		e.attempts++
	case engine.ActRouted:
		e.engEnd = "routed"
		w.end(e, "routed")
	case engine.ActFallback:
		// Into the Genesys queue, where the standard ACD carries on.
		e.engEnd, e.fellBack, e.holdRouted = "fallback", true, false
		if e.held {
			e.holdTotal += now - e.holdStart
			e.held = false
		}
		r.acd.admit(e)
	case engine.ActAbandoned:
		e.engEnd, e.holdRouted = "abandoned", false
		w.end(e, "abandoned")
	}
}

// dispatcher is the engine's Dispatcher port in the simulator.
type dispatcher struct{ r *shadowqRouter }

// Deliver checks the invariants, then rings the expert; the answer returns
// to the engine as an outcome event on the kernel, never re-entrantly.
func (d dispatcher) Deliver(del engine.Delivery) error {
	r, w := d.r, d.r.w
	e := w.escalation(del.ConversationID)
	xi := -1
	if i := del.Index; i >= 0 && int(i) < len(r.simIdx) && w.xs[r.simIdx[i]].id == del.Expert {
		xi = int(r.simIdx[i])
	} else {
		xi = w.expertIndex(del.Expert)
	}
	if e == nil || xi < 0 {
		return fmt.Errorf("sim: delivery for unknown conversation %q or expert %q", del.ConversationID, del.Expert)
	}
	x := &w.xs[xi]
	// Invariant: the engine never delivers into a `never` presence as it
	// sees it (a stale cache may differ from the truth: counted apart).
	seen, _ := r.eng.StateAt(r.engIdx[xi])
	if ok, _ := w.pol.Allows(seen.Presence, seen.Routing, false, del.Priority); !ok {
		w.dndInterrupts++
		w.violations = append(w.violations, fmt.Sprintf("shadowq delivered %s to %s in %s, which the policy forbids for %v",
			del.ConversationID, del.Expert, seen.Presence.Def, del.Priority))
	}
	// Invariant: never two escalations to one expert at once. (An alert
	// from the fallback queue's ACD is invisible to the engine; the
	// delivery then fails like an /assign to a busy agent.)
	if x.alerting >= 0 && !w.es[x.alerting].fellBack {
		w.violations = append(w.violations, fmt.Sprintf("shadowq delivered %s to %s while it was alerting for %s",
			del.ConversationID, del.Expert, w.es[x.alerting].a.conv))
	}
	if !w.trueAllowed(x, del.Priority) {
		e.stale = true
		if e.counted {
			w.stale++
		}
	}
	if del.Interrupt {
		e.interrupt = true
	}
	if !w.ring(x, e, del.Attempt, del.Interrupt, nil) {
		holder, interrupt := del.Holder, del.Interrupt
		w.k.After(0, func() {
			w.tl.delivery(x, w.now(), engine.DeliveryError, interrupt)
			r.answered(x, e, holder, engine.DeliveryError)
		})
		return nil
	}
	r.holder[x.i] = del.Holder
	return nil
}

// answered is the answer to the engine's delivery of e to x with claim
// holder holder.
func (r *shadowqRouter) answered(x *expertState, e *escState, holder string, res engine.DeliveryResult) {
	w := r.w
	if res == engine.Accepted {
		// The expert picks up: busy from now, whatever the engine does.
		if !e.done {
			w.connect(x, e)
		}
	}
	r.check(r.eng.HandleOutcome(r.ctx, engine.Outcome{ConversationID: e.a.conv, Expert: x.id,
		Holder: holder, Result: res, At: w.k.Now()}))
}
