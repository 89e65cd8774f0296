package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// offlineDef is the system Offline presence definition, used outside
// shifts when the scenario defines no presence with system OFFLINE.
const offlineDef = engine.PresenceDefID("ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5")

// router is one routing policy under test: shadowq's engine or the
// baseline ACD. The world calls it when the truth changes.
type router interface {
	arrive(e *escState)
	presenceChanged(x *expertState)
	routingChanged(x *expertState)
	calendar(x *expertState, end time.Duration)
	hangUp(x *expertState, e *escState) // a connected conversation ended
	abandon(e *escState)
	finish() // end of the run (horizon + drain): what is still open stays open and is measured as unfinished
}

// expertState is the truth about one expert during one run.
//
// At 10,000 experts the states do not fit in cache, and a miss per line
// was a good part of the per-event cost, so the layout is by use. The
// first cache line holds what nearly every event of the expert reads or
// writes (what update, compute, trackUnscheduled, eligibility and the
// ACD's index look at, and the times of the last presence and routing
// changes; work and cherry copy the scenario's WorkPresence and
// CherryPicker, presences are presIDs, not names, indexes are int32); the
// second what the engine's events, the timers and a conversation use (id
// copies sc.ID, for the engine's events); the third is bookkeeping for
// the measurement. The size is a multiple of 64 bytes
// (TestExpertStateLines), so that in the states' slice, which the
// allocator aligns to a page, each line holds one expert's fields only.
type expertState struct {
	// Line 1 (64 bytes).
	inShift    bool
	acw        bool
	refocusing bool
	shownOnQ   bool                  // shown is one of the baseline ACD's On Queue presences
	cherry     bool                  // sc.CherryPicker
	inUnsched  bool                  // in a meeting presence no calendar block explains, since unschedSince
	shownSys   engine.SystemPresence // shown's system presence
	routing    engine.RoutingStatus
	overlay    presID // 0 if none
	blkPres    presID // the current block's presence (schedule.blocks[i][blk]), while blk >= 0
	shown      presID
	work       presID        // sc.WorkPresence
	blk        int32         // index into schedule.blocks[i] of the current block, -1 if none
	conv       int32         // escalation connected, -1 if none
	alerting   int32         // escalation alerting, -1 if none
	i          int32         // index in world.xs
	notResp    time.Duration // baseline: NOT_RESPONDING until
	free       time.Duration // when the expert last became free (longest idle)
	shownSince time.Duration
	routeSince time.Duration

	// Line 2 (64 bytes).
	id        engine.ExpertID // sc.ID
	sc        *scenarios.Expert
	alertEv   EventID
	ovEv      EventID
	busyStart time.Duration
	busy      time.Duration // busy time inside the measurement window
	// Refocus after an accepted delivery: due once the conversation and
	// its after-call work end; while refocusing (above) the expert
	// neither handles nor is available.
	refocusDue time.Duration

	// Line 3 (64 bytes).
	shiftEnd     time.Duration // end of the current (or last) shift
	refocusStart time.Duration
	refocusWin   time.Duration // refocus time inside the measurement window
	// Cherry-pick evidence: time in meeting presences outside calendar blocks.
	unsched      time.Duration
	unschedSince time.Duration
	unschedSegs  int32
	hides        int32
	interrup     int32 // deliveries into interruptible presences (counted escalations)

	_ [12]byte // to a multiple of 64 bytes
}

func (x *expertState) busyNow() bool { return x.conv >= 0 || x.acw }

// occupied is busy or refocusing: not available for routing.
func (x *expertState) occupied() bool { return x.busyNow() || x.refocusing }

// escState is one escalation during one run.
type escState struct {
	i        int
	a        *arrival
	counted  bool // arrived after warm-up
	done     bool
	outcome  string // routed, voicemail, abandoned: what happened to the caller
	fellBack bool   // shadowq handed it to the fallback queue
	engEnd   string // shadowq: the engine's terminal action
	expert   int
	connect  time.Duration
	end      time.Duration
	attempts int

	held       bool
	holdStart  time.Duration
	holdTotal  time.Duration
	holds      int
	holdRouted bool
	interrupt  bool
	stale      bool

	alertPres presID // what the expert showed when this escalation's last alert started

	abandonEv EventID
	vmEv      EventID
	vmDue     bool
	queued    bool
	ringing   int // expert alerting for this escalation, -1 if none
}

// world is the simulated organisation for one run of one policy.
type world struct {
	sc    *scenarios.Scenario
	sch   *schedule
	k     *Kernel
	start time.Time
	r     router
	acd   *acdRouter // the arm's ACD (the baseline, or shadowq's fallback queue): touch keeps its index current
	pol   *engine.Policy
	bl    *scenarios.Baseline // this arm's ACD: the baseline itself, or shadowq's fallback queue

	pt      *presTable // the schedule's presences
	onq     []bool     // by presID: one of bl.OnQueue
	offline presID
	xs      []expertState
	es      []escState
	// alertDone is, per expert alerting, the function its alert's answer
	// goes to (nil: shadowq's engine, shadowqRouter.answered).
	alertDone []func(engine.DeliveryResult)

	deliveries, rejects, stale, dndInterrupts int
	refocusTotal, meetingLost                 time.Duration // counted escalations
	violations                                []string

	tl    *timelineRec // nil unless recording
	hist  *historyRec  // nil unless recording a history day (history.go)
	queue queueSeries  // escalations waiting (arrived, not yet connected or ended) over time
	days  *dayRun      // per-day figures of a multi-day world; nil otherwise
	// pre is the shadowq arm's router in an organisation of at least
	// prefetchMin experts, nil otherwise: the records of the next
	// exogenous event's expert, and of the kernel's next call's, are
	// prefetched (see prefetch, prefetchCall).
	pre *shadowqRouter
	// refocusSrc and refocusRand draw interruptCost's refocus times,
	// reseeded per escalation: one generator for the run, not one
	// allocation per accepted delivery.
	refocusSrc  rand.PCG
	refocusRand *rand.Rand
}

// newWorld builds the world of one arm: bl is the baseline ACD it runs,
// or for shadowq the queue its fallbacks go to.
func newWorld(sc *scenarios.Scenario, sch *schedule, bl *scenarios.Baseline) *world {
	w := &world{sc: sc, sch: sch, k: NewKernel(sc.Run.Start), start: sc.Run.Start, pol: sc.Policy, bl: bl,
		pt: sch.pt, onq: make([]bool, len(sch.pt.names)), offline: sch.pt.offline}
	for _, n := range bl.OnQueue {
		if p, ok := w.pt.ids[n]; ok {
			w.onq[p] = true
		}
	}
	// The state arrays of the replication's previous arm, if any, are
	// overwritten whole: at 10,000 experts, fresh ones were megabytes of
	// page faults and zeroing per arm.
	if b := sch.spare; b != nil && len(b.xs) == len(sc.Experts) && len(b.es) == len(sch.arrivals) {
		sch.spare = nil
		w.xs, w.es, w.alertDone = b.xs, b.es, b.alertDone
		clear(w.alertDone)
	} else {
		w.xs = make([]expertState, len(sc.Experts))
		w.es = make([]escState, len(sch.arrivals))
		w.alertDone = make([]func(engine.DeliveryResult), len(w.xs))
	}
	off := w.pt.info[w.offline].System
	for i := range w.xs {
		w.xs[i] = expertState{i: int32(i), sc: &sc.Experts[i], id: sc.Experts[i].ID, work: w.pt.work[i], cherry: sc.Experts[i].CherryPicker,
			blk: -1, conv: -1, alerting: -1, shown: w.offline, shownSys: off, routing: engine.RSOffQueue}
	}
	w.k.handler = w.fire
	w.refocusRand = rand.New(&w.refocusSrc)
	w.queue = newQueueSeries(sc.Run.Horizon)
	if sc.Week != nil {
		w.days = newDayRun(sc.Week.Days)
	}
	for i := range w.es {
		a := &sch.arrivals[i]
		w.es[i] = escState{i: i, a: a, expert: -1, ringing: -1, counted: a.at >= sc.Run.Warmup}
	}
	return w
}

func (w *world) expertIndex(id engine.ExpertID) int {
	if i, ok := w.pt.expertIdx(id); ok {
		return i
	}
	return -1
}

// recycle hands w's state arrays to the next arm of its replication
// (newWorld): w must not be used after.
func (w *world) recycle() {
	w.sch.spare = &stateArrays{xs: w.xs, es: w.es, alertDone: w.alertDone}
	w.xs, w.es, w.alertDone = nil, nil, nil
}

// stateArrays are a world's per-expert and per-escalation state, passed
// from one arm of a replication to the next.
type stateArrays struct {
	xs        []expertState
	es        []escState
	alertDone []func(engine.DeliveryResult)
}

// escalation is the escalation a conversation ID names, nil if none of
// this run's.
func (w *world) escalation(conv string) *escState {
	if i := convIndex(conv); i >= 0 && i < len(w.es) && w.es[i].a.conv == conv {
		return &w.es[i]
	}
	return nil
}

// now is the virtual time since the run's start (the kernel's start).
func (w *world) now() time.Duration { return w.k.sinceStart() }
func (w *world) at(d time.Duration) time.Time {
	return w.start.Add(d)
}

// shownEng is what x shows, as the engine sees it.
func (w *world) shownEng(x *expertState) engine.Presence { return w.pt.eng[x.shown] }

// compute is what the expert shows now.
func (w *world) compute(x *expertState) presID {
	switch {
	case !x.inShift:
		return w.offline
	case x.blk >= 0:
		return x.blkPres
	case x.overlay != 0:
		return x.overlay
	}
	return x.work
}

// update recomputes presence and routing status and tells the router.
func (w *world) update(x *expertState) {
	now := w.now()
	if s := w.compute(x); s != x.shown {
		sys := w.pt.info[s].System
		w.tl.span(x, now)
		w.trackUnscheduled(x, sys, now)
		x.shown, x.shownSince = s, now
		x.shownSys = sys
		x.shownOnQ = w.onq[s]
		w.touch(x)
		w.r.presenceChanged(x)
	}
	rs := engine.RSOffQueue
	switch {
	case x.occupied():
		rs = engine.RSInteracting
	case x.shownSys == engine.SysOnQueue:
		rs = engine.RSIdle
	}
	if rs != x.routing {
		x.routing, x.routeSince = rs, now
		w.r.routingChanged(x)
	}
}

// trackUnscheduled accumulates time in a meeting presence that no calendar
// block explains (next is the system presence x is about to show): what a cherry-pick detector can see from presence
// history and calendars.
func (w *world) trackUnscheduled(x *expertState, next engine.SystemPresence, now time.Duration) {
	if x.inUnsched {
		x.unsched += now - x.unschedSince
		x.inUnsched = false
	}
	if next == engine.SysMeeting && x.blk < 0 && x.inShift {
		x.inUnsched, x.unschedSince = true, now
		x.unschedSegs++
	}
}

// blockStart starts the block a stBlockStart event names.
func (w *world) blockStart(x *expertState, ev *staticEv) {
	if !x.inShift {
		return
	}
	w.clearOverlay(x)
	x.blk, x.blkPres = ev.k, ev.pid
	w.update(x)
	// Only shadowq's engine reads calendars: the baseline ACD's arms do
	// not read the block (at 10,000 experts a cache miss or two away).
	if sr, ok := w.r.(*shadowqRouter); ok && ev.cal {
		sr.calendar(x, w.sch.blocks[x.i][ev.k].end)
	}
}

func (w *world) blockEnd(x *expertState, bi int32) {
	if x.blk != bi {
		return
	}
	x.blk = -1
	// Only a stretching cherry-picker reads the block: at 10,000 experts
	// the schedule's blocks are a cache miss or two away.
	if cp := w.sc.CherryPickers; x.cherry && cp.Mode == scenarios.Stretch && x.inShift {
		if b := &w.sch.blocks[x.i][bi]; b.calendar {
			// Keep showing the meeting after the calendar says it ended.
			w.setOverlay(x, b.pid, cp.Stretch, 's')
			w.update(x)
			return
		}
	}
	w.becomeFree(x)
}

// churnStart starts x's ci-th churn excursion, unless x is in no state to
// wander off. The churn is read only then: at 10,000 experts the
// schedule's churn lists are a cache miss or two away, and most churns
// find the expert busy or in a block.
func (w *world) churnStart(x *expertState, ci int32) {
	if !x.inShift || x.blk >= 0 || x.overlay != 0 || x.occupied() || x.alerting >= 0 {
		return
	}
	c := &w.sch.churns[x.i][ci]
	w.setOverlay(x, c.pid, c.length, 'c')
	w.update(x)
}

func (w *world) setOverlay(x *expertState, p presID, d time.Duration, kind byte) {
	w.clearOverlay(x)
	x.overlay = p
	x.ovEv = w.k.afterCall(d, call{op: opOverlayEnd, a: x.i, c: int64(kind)})
}

func (w *world) overlayEnd(x *expertState, kind byte) {
	x.overlay, x.ovEv = 0, 0
	if kind == 'h' {
		w.update(x) // after hiding: work presence until busy again
	} else {
		w.becomeFree(x)
	}
}

func (w *world) clearOverlay(x *expertState) {
	if x.ovEv != 0 {
		w.k.Cancel(x.ovEv)
		x.ovEv = 0
	}
	x.overlay = 0
}

// becomeFree is the moment an expert would be available: a cherry-picker
// in hide mode shows the hide presence instead.
func (w *world) becomeFree(x *expertState) {
	cp := w.sc.CherryPickers
	if x.cherry && cp.Mode == scenarios.Hide && x.inShift && x.blk < 0 && x.overlay == 0 && !x.occupied() && w.pt.hide != 0 {
		x.hides++
		w.setOverlay(x, w.pt.hide, w.sch.hideLength(int(x.i), int(x.hides)-1), 'h')
	}
	x.free = w.now()
	w.touch(x)
	w.update(x)
}

// alert rings expert x for escalation e (attempt k, 1-based). The answer
// comes back through done after the expert's response time (or the alert
// timeout). An expert who is already alerting or busy cannot take it: the
// delivery fails at once, as Genesys answers such an /assign with an error.
func (w *world) alert(x *expertState, e *escState, k int, interrupt bool, done func(engine.DeliveryResult)) {
	if done == nil {
		panic("sim: alert without an answer function")
	}
	if !w.ring(x, e, k, interrupt, done) {
		w.k.After(0, func() { w.tl.delivery(x, w.now(), engine.DeliveryError, interrupt); done(engine.DeliveryError) })
	}
}

// ring is alert, with done nil for shadowq's engine (the answer goes to
// shadowqRouter.answered: no closure to allocate), except that it reports
// false instead of answering an expert who cannot take the alert: the
// caller then answers DeliveryError at once.
func (w *world) ring(x *expertState, e *escState, k int, interrupt bool, done func(engine.DeliveryResult)) bool {
	if e.counted {
		w.deliveries++
		if interrupt {
			x.interrup++
		}
	}
	if x.alerting >= 0 || x.occupied() || !x.inShift {
		return false
	}
	x.alerting, e.ringing = int32(e.i), int(x.i)
	w.touch(x)
	e.alertPres = x.shown
	mix := w.pt.mix[x.shown]
	resp, u := w.sch.draw(e.a, k)
	res := engine.NoAnswer
	switch {
	case u < mix.Accept:
		res = engine.Accepted
	case u < mix.Accept+mix.Decline:
		res = engine.Declined
	}
	timeout := w.sc.Deliveries.AlertTimeout
	delay := resp
	if res == engine.NoAnswer || resp >= timeout {
		res, delay = engine.NoAnswer, timeout
	}
	w.hist.alert(e, x, w.pt.names[x.shown], w.now(), delay, res)
	w.alertDone[x.i] = done
	c := int64(res)
	if interrupt {
		c |= 1 << 8
	}
	x.alertEv = w.k.afterCall(delay, call{op: opAlertEnd, a: x.i, b: int32(e.i), c: c})
	return true
}

// alertEnd is the answer to x's alert for e: res, after the response
// time or the alert timeout.
func (w *world) alertEnd(x *expertState, e *escState, res engine.DeliveryResult, interrupt bool) {
	x.alerting, x.alertEv, e.ringing = -1, 0, -1
	w.touch(x)
	if res != engine.Accepted && e.counted {
		w.rejects++
	}
	w.tl.delivery(x, w.now(), res, interrupt)
	if done := w.alertDone[x.i]; done != nil {
		w.alertDone[x.i] = nil
		done(res)
		return
	}
	r := w.r.(*shadowqRouter)
	holder := r.holder[x.i]
	r.holder[x.i] = ""
	r.answered(x, e, holder, res)
}

// cancelAlert stops an alert whose caller hung up.
func (w *world) cancelAlert(e *escState) {
	if e.ringing < 0 {
		return
	}
	x := &w.xs[e.ringing]
	w.k.Cancel(x.alertEv)
	x.alerting, x.alertEv, e.ringing = -1, 0, -1
	w.alertDone[x.i] = nil
	w.touch(x)
}

// connect starts a conversation; the expert is busy for the handle time
// and after-call work, then free.
func (w *world) connect(x *expertState, e *escState) {
	now := w.now()
	e.connect, e.expert = now, int(x.i)
	x.conv = int32(e.i)
	if r, ok := w.r.(*shadowqRouter); ok {
		r.conv[x.i] = e.a.conv
	}
	w.touch(x)
	x.busyStart = now
	w.interruptCost(x, e, now)
	w.update(x)
	// acw is read with handle: at the hang-up the arrival is a cache miss away.
	w.k.afterCall(e.a.handle, call{op: opHangUp, a: x.i, b: int32(e.i), c: int64(e.a.acw)})
}

// hangUp ends x's conversation e; after-call work acw follows.
func (w *world) hangUp(x *expertState, e *escState, acw time.Duration) {
	x.conv = -1
	w.touch(x)
	w.r.hangUp(x, e)
	if acw > 0 {
		x.acw = true
		w.touch(x)
		w.update(x)
		w.k.afterCall(acw, call{op: opACWEnd, a: x.i})
		return
	}
	w.endBusy(x)
}

func (w *world) endBusy(x *expertState) {
	w.addBusy(x, x.busyStart, w.now())
	w.tl.busy(x, x.busyStart, w.now())
	if d := x.refocusDue; d > 0 {
		x.refocusDue, x.refocusing, x.refocusStart = 0, true, w.now()
		w.touch(x)
		w.k.afterCall(d, call{op: opRefocusEnd, a: x.i})
		return
	}
	w.becomeFree(x)
}

func (w *world) refocusEnd(x *expertState) {
	x.refocusing = false
	w.touch(x)
	x.refocusWin += w.inWindow(x.refocusStart, w.now())
	w.becomeFree(x)
}

// The world's timers are kernel calls (Kernel.afterCall), not closures;
// a is the expert's index (the escalation's for opAbandon), b the
// escalation's.
const (
	opAlertEnd   = iota + 1 // c: the delivery result, | 1<<8 if an interrupt
	opHangUp                // c: the after-call work that follows
	opACWEnd                //
	opRefocusEnd            //
	opOverlayEnd            // c: the overlay's kind
	opAbandon               //
)

// fire runs the world's kernel calls.
func (w *world) fire(c call) {
	if w.pre != nil {
		w.prefetchCall()
	}
	switch c.op {
	case opAlertEnd:
		w.alertEnd(&w.xs[c.a], &w.es[c.b], engine.DeliveryResult(c.c&0xff), c.c&(1<<8) != 0)
	case opHangUp:
		w.hangUp(&w.xs[c.a], &w.es[c.b], time.Duration(c.c))
	case opACWEnd:
		x := &w.xs[c.a]
		x.acw = false
		w.touch(x)
		w.endBusy(x)
	case opRefocusEnd:
		w.refocusEnd(&w.xs[c.a])
	case opOverlayEnd:
		w.overlayEnd(&w.xs[c.a], byte(c.c))
	case opAbandon:
		e := &w.es[c.a]
		w.r.abandon(e)
	default:
		panic(fmt.Sprintf("sim: unknown kernel call %d", c.op))
	}
}

// addBusy counts x's busy time [from, to] inside the measurement window,
// and per day in a multi-day world.
func (w *world) addBusy(x *expertState, from, to time.Duration) {
	x.busy += w.inWindow(from, to)
	if w.days != nil {
		w.days.addBusy(w.sc.Week, max(from, w.sc.Run.Warmup), min(to, w.sc.Run.Horizon))
	}
}

// expertDays is what "per expert day" metrics divide by: the experts
// (one shift each) in a single-shift scenario, their working days (shifts)
// in a multi-day world.
func (w *world) expertDays() int {
	if w.sc.Week == nil {
		return len(w.xs)
	}
	n := 0
	for i := range w.xs {
		n += len(w.xs[i].sc.Shifts)
	}
	return n
}

// inWindow is the part of [from, to] inside the measurement window
// [warm-up, horizon].
func (w *world) inWindow(from, to time.Duration) time.Duration {
	lo, hi := max(from, w.sc.Run.Warmup), min(to, w.sc.Run.Horizon)
	return max(0, hi-lo)
}

// end closes an escalation with its terminal outcome.
func (w *world) end(e *escState, outcome string) {
	if e.done {
		w.violations = append(w.violations, "escalation "+e.a.conv+" ended twice ("+e.outcome+", then "+outcome+")")
		return
	}
	e.done, e.outcome, e.end = true, outcome, w.now()
	w.queue.add(w.now(), -1)
	if e.held {
		e.holdTotal += w.now() - e.holdStart
		e.held = false
	}
	if e.abandonEv != 0 {
		w.k.Cancel(e.abandonEv)
	}
	if e.vmEv != 0 {
		w.k.Cancel(e.vmEv)
	}
}

// trueAllowed is the invariant oracle: does the policy allow a delivery to
// x as x really is now?
func (w *world) trueAllowed(x *expertState, prio engine.Priority) bool {
	ok, _ := w.pol.Allows(w.shownEng(x), x.routing, x.conv >= 0, prio)
	return ok && x.inShift
}
