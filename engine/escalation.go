package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid marks a rejected escalation; the wrapped message names the field.
var ErrInvalid = fmt.Errorf("invalid escalation")

// Status is the current state of an escalation.
type Status struct {
	ConversationID string
	Action         Action // the latest decision's action
	Expert         ExpertID
	Attempts       int
	HoldUntil      time.Time
	Terminal       bool
	// Holder is the pending delivery's claim holder (Action ActDeliver);
	// Assigned says its /assign was accepted by Genesys (NoteAssigned).
	Holder   string
	Assigned bool
	Queue    string // a fallback's queue
	Seq      int    // the latest decision's sequence number (in flight)
}

// Submit routes a new escalation and returns the first decision: deliver
// (an expert is claimed and the dispatcher alerted), hold (micro-wait) or
// fallback. It is idempotent per conversation id: submitting one that is in
// flight or finished returns its current status as a decision without
// routing it again.
func (e *Engine) Submit(ctx context.Context, x Escalation) (Decision, error) {
	if err := x.Validate(); err != nil {
		return Decision{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if es, ok := e.escs[x.ConversationID]; ok {
		return e.replay(es.ConversationID, es.lastAction(), es), nil
	}
	if k, ok := e.done[x.ConversationID]; ok {
		return e.replayEnded(x.ConversationID, e.doneEnds[k]), nil
	}
	// Finished long ago, or by another replica: the decision log knows.
	log, err := e.store.Decisions(ctx, x.ConversationID)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: decision log: %w", ErrStore, err)
	} else if n := len(log); n > 0 && log[n-1].Action.Terminal() {
		return e.replayEnded(x.ConversationID, endingOf(&log[n-1])), nil
	}
	// One replica routes a conversation: a retried Data Action that lands
	// on another replica gets the state, not a second routing.
	if owner, err := e.store.ClaimConversation(ctx, x.ConversationID, e.replic, e.convTTL()); err != nil {
		return Decision{}, fmt.Errorf("%w: conversation claim: %w", ErrStore, err)
	} else if owner != e.replic {
		d := e.replay(x.ConversationID, ActHold, nil)
		d.Why = "being routed by replica " + owner
		return d, nil
	}
	if x.Arrival.IsZero() {
		x.Arrival = e.clock.Now()
	}
	// The escalation keeps its skills as ids (skillIDs; unknownSkill for
	// a name nobody holds), not the caller's slice: nothing reads the
	// names after this loop, and keeping them meant a copy per escalation.
	skills := x.Skills
	x.Skills = nil
	es := &esc{Escalation: x, expert: -1, observed: e.observe}
	if len(skills) > 0 {
		es.skillIDs = es.skillBuf[:0] // not an allocation of its own
	}
	for _, s := range skills {
		id, ok := e.skillIDs[s]
		if !ok {
			es.unknownSkill = true // nobody holds it
			continue
		}
		es.skillIDs = append(es.skillIDs, id)
	}
	e.escs[x.ConversationID] = es
	if es.observed {
		return e.observeSubmit(ctx, es)
	}
	if len(log) > 0 { // started by a replica that did not finish it: see resume.go
		if d, adopted, _ := e.resume(ctx, es, log); adopted {
			// Acted on: what the store did not take is retried later
			// (see below); the check decides what happens next.
			_ = e.settle(ctx)
			return d, nil
		}
	}
	d, err := e.decide(ctx, es)
	if err != nil && es.state == escDeciding && es.attempts == 0 {
		// Nothing was claimed or delivered: forget the escalation, so that
		// the caller's retry starts afresh.
		delete(e.escs, x.ConversationID)
		es.gen++
		return Decision{}, err
	}
	if err != nil && d.Action == 0 {
		d = e.replay(es.ConversationID, es.lastAction(), es)
		d.Duplicate = false
	}
	// A decision was made and acted on. What the store has not taken yet
	// (write-through, decision log, a claim transition) is retried by
	// later calls (see StoreBacklog); failing the call now would tell the
	// caller to fall back while the delivery is under way.
	_ = e.settle(ctx)
	return d, nil
}

// convTTL bounds how long one replica owns a conversation: long enough for
// every attempt and the longest hold, short enough for another replica to
// take over from a dead one.
func (e *Engine) convTTL() time.Duration {
	return time.Duration(e.pol.MaxAttempts+1)*e.pol.ClaimTTL + e.pol.MicroWait.MaxHold
}

func (es *esc) lastAction() Action {
	switch es.state {
	case escDelivering:
		return ActDeliver
	case escHeld:
		return ActHold
	}
	// Deciding: between two attempts (a store retry pending). The caller
	// is told to hold on; nothing is routed twice.
	return ActHold
}

// ending is what a finished escalation answers to a repeated Submit: its
// terminal action and, for routed, the expert who accepted, for fallback,
// the queue.
type ending struct {
	Action Action
	Expert ExpertID
	Queue  string
}

func endingOf(d *Decision) ending { return ending{Action: d.Action, Expert: d.Expert, Queue: d.Queue} }

// replayEnded answers a repeated Submit of a finished escalation with its
// true final state, never a "routed" without the expert.
func (e *Engine) replayEnded(conv string, end ending) Decision {
	d := e.replay(conv, end.Action, nil)
	d.Queue = end.Queue
	if end.Action == ActRouted {
		d.Expert = end.Expert
	}
	return d
}

// replay answers a duplicate Submit without side effects.
func (e *Engine) replay(conv string, a Action, es *esc) Decision {
	d := Decision{ConversationID: conv, At: e.clock.Now(), Action: a, Duplicate: true, Why: "duplicate submission: current state, nothing re-routed"}
	if es != nil {
		d.Seq, d.Priority, d.Attempt, d.HoldUntil = es.seq, es.Priority, es.attempts, es.holdUntil
		if es.expert >= 0 {
			d.Expert = e.experts[es.expert].ID
		}
	}
	return d
}

// Status returns the state of an escalation this engine knows.
func (e *Engine) Status(conv string) (Status, bool) {
	if es, ok := e.escs[conv]; ok {
		s := Status{ConversationID: conv, Action: es.lastAction(), Attempts: es.attempts, HoldUntil: es.holdUntil, Seq: es.seq}
		if es.expert >= 0 {
			s.Expert = e.experts[es.expert].ID
		}
		if s.Action == ActDeliver {
			s.Holder, s.Assigned = es.holder, es.assigned != "" && es.assigned == es.holder
		}
		return s, true
	}
	if k, ok := e.done[conv]; ok {
		end := &e.doneEnds[k]
		s := Status{ConversationID: conv, Action: end.Action, Terminal: true, Queue: end.Queue}
		if end.Action == ActRouted {
			s.Expert = end.Expert
		}
		return s, true
	}
	return Status{}, false // older ones: see Store.Decisions
}

// StateAt is State for the expert with engine index i (IndexOf), without
// looking the id up; ok is false when i is out of range.
func (e *Engine) StateAt(i int32) (ExpertState, bool) {
	if i < 0 || int(i) >= len(e.experts) {
		return ExpertState{}, false
	}
	st := e.experts[i].st
	st.ConfirmedAt = e.confirmedAt(&st)
	st.Interrupts = slices.Clone(st.Interrupts)
	return st, true
}

// NoteAssigned records that Genesys accepted the /assign of the delivery
// with this claim holder (the dispatcher's request returned 2xx). Status
// then reports it Assigned: the Data Action answers "routed" only for a
// delivery Genesys has taken, never for one still being made. A holder
// that is no longer pending (the delivery settled, or another followed)
// is ignored. Nothing is logged: it is this replica's knowledge of its
// own requests.
func (e *Engine) NoteAssigned(holder string) {
	if es, ok := e.byHolder[holder]; ok && es.holder == holder {
		es.assigned = holder
	}
}

// InFlight is the number of escalations not yet terminal.
func (e *Engine) InFlight() int { return len(e.escs) }

// decide picks an expert for es, or holds it, or falls back.
func (e *Engine) decide(ctx context.Context, es *esc) (Decision, error) {
	now := e.clock.Now()
	if es.attempts-es.refused >= e.pol.MaxAttempts {
		return e.finish(ctx, es, ActFallback, fmt.Sprintf("%d delivery attempts failed (delivery.maxAttempts)", es.attempts-es.refused), nil)
	}
	es.skip = es.skip[:0]
	ev := e.evaluate(es, now)
	for len(ev.cands) > 0 {
		var ids []ExpertID // a store claiming by index (claimsAt) needs none
		if e.claimsAt() == nil {
			ids = e.scratch.ids[:0]
			for i := range ev.cands {
				ids = append(ids, ev.cands[i].Expert)
			}
			e.scratch.ids = ids
		}
		holder := e.replic + "/" + es.ConversationID + "/" + strconv.Itoa(es.attempts+1)
		got, err := e.claimFirst(ctx, ids, ev.idxs, holder, e.pol.ClaimTTL)
		if err != nil {
			if es.state == escDeciding {
				// Nothing claimed, nothing lost: decide again on a later
				// Tick. (A held escalation stays held: its next wake-up or
				// its cap decides again.)
				e.pushDeadline(es, now.Add(StoreRetryInterval))
			}
			return Decision{}, fmt.Errorf("%w: claim: %w", ErrStore, err)
		}
		if got >= 0 {
			// Candidates ranked ahead of the claimed one are held
			// elsewhere (another replica's delivery, a cool-down or a
			// busy mark).
			for _, c := range ev.cands[:got] {
				ev.counts[ExClaimed]++
				ev.eligible--
				if len(ev.excluded) < e.pol.ExplainLimit {
					ev.excluded = append(ev.excluded, Exclusion{Expert: c.Expert, Reason: ExClaimed, Detail: "held in store"})
				}
			}
			ev.cands, ev.idxs = ev.cands[got:], ev.idxs[got:]
			if es.observed {
				return e.observeDeliver(es, &ev, holder, now), nil
			}
			return e.deliver(ctx, es, &ev, holder, now)
		}
		// Every ranked candidate is held elsewhere: skip them for the rest
		// of this decision and rank the others.
		es.skip = append(es.skip, ev.idxs...)
		ev = e.evaluate(es, now)
	}
	if es.observed {
		return e.observeHold(ctx, es, &ev, now)
	}
	return e.holdOrFallback(ctx, es, &ev, now)
}

// claimsAt is the store's IndexedClaims if it keeps claims by this
// engine's expert indexes, else nil (asked once).
func (e *Engine) claimsAt() IndexedClaims {
	if !e.icAsked {
		e.icAsked = true
		if ic, ok := e.store.(IndexedClaims); ok {
			ids := make([]ExpertID, len(e.experts))
			for i := range e.experts {
				ids[i] = e.experts[i].ID
			}
			if ic.BindExperts(ids) {
				e.ic = ic
			}
		}
	}
	return e.ic
}

// claimFirst is Store.ClaimFirst of ids, whose expert indexes are idxs.
func (e *Engine) claimFirst(ctx context.Context, ids []ExpertID, idxs []int32, holder string, ttl time.Duration) (int, error) {
	if ic := e.claimsAt(); ic != nil {
		return ic.ClaimFirstAt(ctx, idxs, holder, ttl)
	}
	return e.store.ClaimFirst(ctx, ids, holder, ttl)
}

// transition is Store.Transition of expert i.
func (e *Engine) transition(ctx context.Context, i int32, holder, newHolder string, ttl time.Duration) (bool, error) {
	if ic := e.claimsAt(); ic != nil {
		return ic.TransitionAt(ctx, i, holder, newHolder, ttl)
	}
	return e.store.Transition(ctx, e.experts[i].ID, holder, newHolder, ttl)
}

// release is Store.Release of expert i.
func (e *Engine) release(ctx context.Context, i int32, holder string) (bool, error) {
	if ic := e.claimsAt(); ic != nil {
		return ic.ReleaseAt(ctx, i, holder)
	}
	return e.store.Release(ctx, e.experts[i].ID, holder)
}

func (e *Engine) deliver(ctx context.Context, es *esc, ev *evaluation, holder string, now time.Time) (Decision, error) {
	c, idx := ev.cands[0], ev.idxs[0]
	r := &e.experts[idx]
	es.attempts++
	es.state = escDelivering
	es.expert = idx
	es.holder = holder
	es.interrupt = c.Interrupt
	es.holdUntil = time.Time{}
	e.removeHeld(es)
	r.pending = es
	e.byHolder[holder] = es
	r.st.LastDelivery = now
	if c.Interrupt {
		r.st.LastInterrupt = now
		r.st.Interrupts = append(trimHour(r.st.Interrupts, now), now)
	}
	e.markDirty(idx)
	d := e.newDecision(es, ActDeliver, now)
	d.Expert, d.Attempt, d.Holder, d.Interrupt = c.Expert, es.attempts, holder, c.Interrupt
	d.Why = bestOfWhy(ev.eligible, c.Score)
	e.explain(&d, ev)
	e.pushDeadline(es, now.Add(e.pol.ClaimTTL))
	e.logDecision(ctx, &d)
	del := Delivery{ConversationID: es.ConversationID, Expert: c.Expert, Attempt: es.attempts, Holder: holder,
		Interrupt: c.Interrupt, Priority: es.Priority, At: now, AlertTimeout: e.pol.AlertTimeout,
		Expires: now.Add(e.pol.ClaimTTL), Index: idx}
	if err := e.disp.Deliver(del); err != nil {
		// Not started: treat as a failed delivery now, and answer with
		// what followed (the next expert, a hold or a fallback), never
		// with a delivery that did not start.
		o := Outcome{ConversationID: es.ConversationID, Expert: c.Expert, Holder: holder,
			Result: DeliveryError, Fault: FaultOf(err), RetryAfter: RetryAfterOf(err), At: now, Detail: err.Error()}
		if o.Fault == FaultUncertain || o.Fault == FaultConversation {
			// A conversation check decides first; the caller holds on.
			err2 := e.handleOutcome(ctx, o)
			return Decision{ConversationID: es.ConversationID, Action: ActHold, At: now}, err2
		}
		es.checking = false
		return e.settleWith(ctx, es, o)
	}
	return d, nil
}

// bestOfWhy is fmt.Sprintf("best of %d eligible (score %.3f)", n, score)
// in one allocation, not three: it explains every delivery.
func bestOfWhy(n int, score float64) string {
	var num [32]byte
	var b strings.Builder
	b.Grow(48)
	b.WriteString("best of ")
	b.Write(strconv.AppendInt(num[:0], int64(n), 10))
	b.WriteString(" eligible (score ")
	b.Write(strconv.AppendFloat(num[:0], score, 'f', 3, 64))
	b.WriteByte(')')
	return b.String()
}

func trimHour(ts []time.Time, now time.Time) []time.Time {
	cut := now.Add(-time.Hour)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return append(ts[:0], ts[i:]...)
}

func (e *Engine) explain(d *Decision, ev *evaluation) {
	d.SkillHolders = ev.skillHolders
	d.EligibleCount = ev.eligible
	n := min(len(ev.cands), e.pol.ExplainLimit)
	d.Candidates = slices.Clone(ev.cands[:n])
	d.Excluded = ev.excluded
	d.ExcludedCounts = ev.counts
}

func (e *Engine) holdOrFallback(ctx context.Context, es *esc, ev *evaluation, now time.Time) (Decision, error) {
	if es.state == escHeld {
		// A held escalation stays held until someone is eligible or its
		// cap: the predictor is consulted once, when the hold starts.
		// Still nobody; keep holding (Tick ends the hold at its cap).
		return Decision{ConversationID: es.ConversationID, Action: ActHold, At: now, HoldUntil: es.holdUntil}, nil
	}
	if es.holdStart.IsZero() {
		es.holdStart = now
	}
	h, ok := e.planHold(es, now)
	if !ok {
		return e.finish(ctx, es, ActFallback, h.why, ev)
	}
	es.state = escHeld
	es.expert = -1
	es.holdUntil = h.limit
	e.insertHeld(es)
	e.pushDeadline(es, h.limit)
	d := e.newDecision(es, ActHold, now)
	h.fill(&d, e)
	e.explain(&d, ev)
	e.logDecision(ctx, &d)
	return d, nil
}

// holdPlan is a micro-wait hold: until when, on whom, with what chance of
// them freeing up in time, and the ETA announced.
type holdPlan struct {
	limit time.Time
	prob  float64
	who   int32
	eta   time.Duration
	why   string // why the hold, or why not
}

func (h *holdPlan) fill(d *Decision, e *Engine) {
	d.HoldUntil, d.HoldProb, d.HoldExpert = h.limit, h.prob, e.experts[h.who].ID
	d.ETA, d.ETAMessage = h.eta, etaMessage(h.eta)
	d.Why = h.why
}

// holdLimit is the latest es may be held to: MaxHold from its hold's
// start (es.holdStart, or now if it is not held yet), and no later than
// its caller's patience allows.
func holdLimit(es *esc, mw MicroWait, now time.Time) time.Time {
	start := es.holdStart
	if start.IsZero() {
		start = now
	}
	limit := start.Add(mw.MaxHold)
	if es.Patience > 0 {
		limit = minTime(limit, es.Arrival.Add(es.Patience))
	}
	return limit
}

// planHold says, changing nothing, whether es may be held from now (its
// hold started at es.holdStart, or now): ok false means fall back, and
// why says why.
func (e *Engine) planHold(es *esc, now time.Time) (holdPlan, bool) {
	mw := e.pol.MicroWait
	if e.pred == nil || !mw.Enabled {
		return holdPlan{why: "no eligible expert (micro-wait off)"}, false
	}
	limit := holdLimit(es, mw, now)
	window := limit.Sub(now)
	if window <= 0 {
		return holdPlan{why: "no eligible expert; hold window used up"}, false
	}
	best, who := 0.0, int32(-1)
	memo := &e.scratch.probs
	memo.reset()
	// The holders who may free up with time, in expert order (the lower
	// index is the lower id, and wins a tie of p). The predictor is pure
	// (its contract), so only the first holder in each distinct state can
	// win: a later one has the same p and a higher index. The holders in
	// the run of experts sharing the state of the last holder looked at (a
	// team offline since its shift ended, see setBlk) are passed over in
	// one step; the others (~220 of ~3,000 holders at 10,000 experts) are
	// looked up in the memo; the predictor is asked about the rest, ~50
	// states, those blocked by a calendar block past the window last, and
	// only if they can still win (calendarBound).
	pool, _ := e.pool(es)
	multi := len(es.skillIDs) > 1
	pr, nowNs := uint8(es.Priority), now.UnixNano()
	end := int32(0) // the end of the run of the last holder looked at
	calLate, calMax := e.calendarBound(nowNs, window)
	late := e.scratch.late[:0]
	for j := 0; j < len(pool); j++ {
		idx := pool[j]
		if idx < end {
			for j+1 < len(pool) && pool[j+1] < end { // ~4 holders a run
				j++
			}
			continue
		}
		if multi && !e.hasSkills(idx, es.skillIDs) {
			continue
		}
		if r := gateReason(e.gates[idx], pr); r != 0 { // eligibility's first tests
			if !mayFree(r) {
				continue
			}
		} else if r, _ := e.eligibility(idx, es, nowNs); r == 0 || !mayFree(r) {
			continue
		}
		end = e.runEnd(idx)
		k := e.blk[idx].key(es.Priority)
		if memo.add(&k) {
			continue
		}
		if !k.byRouting && k.end != never && k.end > calLate {
			// At most calMax (see calendarBound): asked about after the
			// others, if their best does not exceed that.
			if best < calMax {
				late = append(late, idx)
			}
			continue
		}
		p := e.pred.ProbFreeWithin(e.blocking(idx, es), now, window)
		if p > best {
			best, who = p, idx
		}
	}
	// The holders set aside, in expert order: one wins with a higher p,
	// or the same p and a lower index (the scan's order). None can when
	// the others' best exceeds their bound.
	if !(best > calMax) {
		for _, idx := range late {
			p := e.pred.ProbFreeWithin(e.blocking(idx, es), now, window)
			if p > best || p == best && idx < who {
				best, who = p, idx
			}
		}
	}
	e.scratch.late = late
	if who < 0 || best < mw.Threshold {
		why := fmt.Sprintf("no eligible expert; best chance to free up within %v is %.2f < threshold %.2f", window.Round(time.Second), best, mw.Threshold)
		return holdPlan{why: why}, false
	}
	// The ETA is the smallest announced bucket (within the window) whose
	// probability clears the threshold; else the window itself.
	eta := window
	for _, b := range mw.ETABuckets {
		if b >= window {
			break
		}
		if e.pred.ProbFreeWithin(e.blocking(who, es), now, b) >= mw.Threshold {
			eta = b
			break
		}
	}
	why := fmt.Sprintf("no eligible expert; %s frees up within %v with p=%.2f ≥ %.2f", e.experts[who].ID, window.Round(time.Second), best, mw.Threshold)
	return holdPlan{limit: limit, prob: best, who: who, eta: eta, why: why}, true
}

// calendarBound bounds what the predictor can answer for a holder whose
// presence blocks until a calendar block known to end after the window
// (its key: not byRouting, end > late), for a predictor that states such
// a bound (lateCalendarCap: the default ModelPredictor). planHold asks
// about such holders last, and not at all once the others' best exceeds
// the bound, since none of them could then win (a win needs a higher p,
// or the same p and a lower index). At 10,000 experts four in five of a hold's ~50 predictions were
// such blocks, each a few logs and erfcs. The bound reads the key's
// instants as unix nanoseconds, as the memo does (see probMemo). For
// another predictor nothing is bounded (bound +Inf, late MaxInt64).
func (e *Engine) calendarBound(nowNs int64, window time.Duration) (late int64, bound float64) {
	mp, ok := e.pred.(interface{ lateCalendarCap() float64 })
	if !ok || nowNs > math.MaxInt64-int64(window) {
		return math.MaxInt64, math.Inf(1)
	}
	return nowNs + int64(window), mp.lateCalendarCap()
}

func (e *Engine) blocking(idx int32, es *esc) Blocking {
	r := &e.experts[idx]
	b := Blocking{Presence: r.st.Presence, Routing: r.st.Routing, Since: r.st.PresenceSince, BlockEnd: r.st.BlockEnd}
	if ok, _ := r.rule.allows(es.Priority); ok && r.ruleOK {
		// The presence allows; the routing status (or a claim) blocks.
		b.ByRouting = true
		b.Since = r.st.RoutingSince
		if r.st.Conversation != "" && b.Routing != RSCommunicating {
			b.Routing = RSInteracting
		}
		b.BlockEnd = time.Time{}
	}
	return b
}

// etaMessage is what the caller hears.
func etaMessage(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "less than 1 minute"
	}
	return fmt.Sprintf("less than %d minutes", m)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (e *Engine) newDecision(es *esc, a Action, now time.Time) Decision {
	es.seq++
	d := Decision{ConversationID: es.ConversationID, Seq: es.seq, At: now, Action: a, Priority: es.Priority,
		Result: es.lastRes, Wait: now.Sub(es.Arrival), Observed: es.observed}
	es.lastRes = ""
	return d
}

// finish ends an escalation with a terminal action.
func (e *Engine) finish(ctx context.Context, es *esc, a Action, why string, ev *evaluation) (Decision, error) {
	now := e.clock.Now()
	d := e.newDecision(es, a, now)
	d.Why = why
	if es.expert >= 0 {
		d.Expert = e.experts[es.expert].ID
		d.Attempt = es.attempts
	} else if es.routedTo != "" {
		d.Expert = es.routedTo
	}
	if a == ActFallback {
		d.Queue = cmp.Or(es.Queue, e.pol.FallbackQueue)
	}
	if ev != nil {
		e.explain(&d, ev)
	}
	e.removeHeld(es)
	delete(e.escs, es.ConversationID)
	e.remember(es.ConversationID, endingOf(&d))
	es.gen++
	e.logDecision(ctx, &d)
	return d, nil
}

// logDecision is log of a copy of d in e.logBuf. log hands its decision to
// the OnDecision hook and the store, interfaces the compiler cannot see
// through, so a decision passed to it directly is moved to the heap: one
// ~400-byte allocation per delivery, hold and ending, whose fresh spans
// cost page-zeroing and cache misses at 10,000 experts. Neither the hook
// nor the store retains the pointer (their contracts). A hook that calls
// back into the engine and logs again gets a copy of its own.
func (e *Engine) logDecision(ctx context.Context, d *Decision) {
	if e.logBusy {
		c := *d
		e.log(ctx, &c)
		return
	}
	e.logBusy = true
	e.logBuf = *d
	e.log(ctx, &e.logBuf)
	e.logBusy = false
}

// remember keeps conv's ending, forgetting the oldest of the last
// doneKeep once there are more. doneOrder is a ring once full (doneNext
// is its oldest): shifting a 10,000-entry slice on every ending was a
// tenth of the simulator's shadowq arm at 10,000 experts. The map holds
// only each conversation's slot, not its ending: a smaller map, probed on
// every Submit and written on every ending, stays closer in cache.
func (e *Engine) remember(conv string, end ending) {
	if len(e.doneOrder) < e.doneKeep {
		e.done[conv] = int32(len(e.doneOrder))
		e.doneOrder = append(e.doneOrder, conv)
		e.doneEnds = append(e.doneEnds, end)
		return
	}
	// Set before the oldest is forgotten, as when the map held the
	// endings: a conversation ending again as its oldest entry is
	// forgotten (TestRememberKeepsTheLastEndings).
	k := e.doneNext
	e.done[conv] = int32(k)
	delete(e.done, e.doneOrder[k])
	e.doneOrder[k], e.doneEnds[k] = conv, end
	e.doneNext = (k + 1) % len(e.doneOrder)
}

// redecideHeld retries held escalations, most urgent first.
func (e *Engine) redecideHeld(ctx context.Context) error {
	held := slices.Clone(e.held)
	var errs []error
	for _, es := range held {
		if es.state != escHeld {
			continue
		}
		if es.attempts < e.pol.MaxAttempts && !e.anyEligible(es, e.clock.Now().UnixNano()) {
			continue // deciding would find nobody and change nothing
		}
		if _, err := e.decide(ctx, es); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func heldLess(a, b *esc) int {
	return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.Arrival.Compare(b.Arrival), cmp.Compare(a.ConversationID, b.ConversationID))
}

func (e *Engine) insertHeld(es *esc) {
	i, _ := slices.BinarySearchFunc(e.held, es, heldLess)
	e.held = slices.Insert(e.held, i, es)
}

func (e *Engine) removeHeld(es *esc) {
	if i, ok := slices.BinarySearchFunc(e.held, es, heldLess); ok {
		e.held = slices.Delete(e.held, i, i+1)
	}
}

// PendingDeadlines is the size of the deadline queue, superseded entries
// included (for tests and metrics).
func (e *Engine) PendingDeadlines() int { return len(e.deadlines) }

// ReleaseClaims is for a graceful shutdown: every expert this engine is
// delivering to keeps a short "draining" mark for the alert timeout (the
// alert may still be ringing) instead of the full claim, so other replicas
// can route to them soon after; conversations stay in the decision log.
func (e *Engine) ReleaseClaims(ctx context.Context) error {
	var errs []error
	for holder, es := range e.byHolder {
		if es.expert < 0 {
			continue
		}
		if _, err := e.store.Transition(ctx, e.experts[es.expert].ID, holder, "draining:"+es.ConversationID, e.pol.AlertTimeout); err != nil {
			errs = append(errs, fmt.Errorf("%w: release: %w", ErrStore, err))
		}
	}
	return errors.Join(errs...)
}

// Stalest returns the expert whose state was confirmed longest ago and how
// long ago (0 when nobody has been heard of yet).
func (e *Engine) Stalest() (ExpertID, time.Duration) {
	var who ExpertID
	var worst time.Duration
	now := e.clock.Now()
	for i := range e.experts {
		c := e.confirmedAt(&e.experts[i].st)
		if c.IsZero() {
			continue
		}
		if d := now.Sub(c); d > worst {
			worst, who = d, e.experts[i].ID
		}
	}
	return who, worst
}
