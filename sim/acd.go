package sim

import (
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// notRespondingPenalty is how long the baseline ACD leaves an agent who
// declined or missed an alert out of routing (Genesys sets NOT_RESPONDING
// until the agent goes back on queue; we assume they do after a minute).
const notRespondingPenalty = time.Minute

// acdRouter is the standard-ACD baseline: an escalation waits in one queue
// (priority, then arrival order) until an agent holding all its skills is
// On Queue and idle; the longest-idle such agent gets it. Nobody in a
// meeting, on a break or off queue is ever routed to. After
// Baseline.VoicemailAfter in queue it goes to voicemail (a fallback).
type acdRouter struct {
	w  *world
	ix acdIndex // idle experts and queued escalations, see acdindex.go
	// skills as bit masks: skill names get bits in first-seen order
	// (experts in index order, each one's skills sorted); a skill no expert
	// holds gets no bit and makes the escalation unroutable.
	bit   map[string]uint64
	xmask []uint64
	// For best-skill selection without a map lookup per skill and
	// candidate: each classified escalation's skills as bit numbers,
	// repeats kept (see escClass), and per idle group (one skill profile)
	// its level per bit number.
	eskill []uint8
	glevel [][64]int32
}

func newACDRouter(w *world) *acdRouter {
	r := &acdRouter{w: w, bit: map[string]uint64{}}
	r.buildIndex()
	w.acd = r
	return r
}

func (r *acdRouter) eligible(x *expertState) bool {
	return r.eligibleAt(x, r.w.now())
}

// eligibleAt is eligible with the clock read once by the caller.
func (r *acdRouter) eligibleAt(x *expertState, now time.Duration) bool {
	return x.inShift && x.shownOnQ && !x.occupied() && x.alerting < 0 && now >= x.notResp
}

func (r *acdRouter) skilled(x *expertState, e *escState) bool {
	m, ok := r.skillMask(e)
	return ok && r.xmask[x.i]&m == m
}

// skillMask is e's skills as bits; ok is false when one has no bit (nobody
// holds it, or more than 64 skills exist).
func (r *acdRouter) skillMask(e *escState) (m uint64, ok bool) {
	for _, s := range e.a.skills {
		b, ok := r.bit[s]
		if !ok {
			return 0, false
		}
		m |= b
	}
	return m, true
}

func (r *acdRouter) arrive(e *escState) {
	r.admit(e)
}

// admit starts an escalation's time in the queue (at arrival for the
// baseline, at the fallback for shadowq): voicemail after VoicemailAfter.
func (r *acdRouter) admit(e *escState) {
	if vm := r.w.bl.VoicemailAfter; vm > 0 {
		e.vmEv = r.w.k.After(vm, func() {
			e.vmEv = 0
			switch {
			case e.done:
			case e.queued:
				r.dequeue(e)
				r.w.end(e, "voicemail")
			default:
				e.vmDue = true // alerting now: voicemail if this offer fails
			}
		})
	}
	r.place(e)
}

func (r *acdRouter) enqueue(e *escState) {
	e.queued = true
	r.ix.queued++
	if q := r.queueGroup(e); q >= 0 {
		r.ix.qgroups[q].set.Insert(queueKeyOf(e))
	}
}

func (r *acdRouter) dequeue(e *escState) {
	if !e.queued {
		return
	}
	e.queued = false
	r.ix.queued--
	if q := r.queueGroup(e); q >= 0 {
		r.ix.qgroups[q].set.Delete(queueKeyOf(e))
	}
}

// place offers a new (or re-queued) escalation to the eligible skilled
// agent the baseline's selection prefers (longest idle; or best skill,
// then longest idle), or queues it.
func (r *acdRouter) place(e *escState) {
	best := r.bestIdle(e, r.w.now(), r.w.bl.Select == scenarios.SelectBestSkill)
	if acdCrossCheck != nil {
		acdCrossCheck(r, e, nil, best)
	}
	if best < 0 {
		r.enqueue(e)
		return
	}
	r.offer(&r.w.xs[best], e)
}

// skillSum is x's total proficiency over e's skills: with the same skills
// for every candidate, ordering by it orders by the mean.
func skillSum(x *expertState, e *escState) int {
	n := 0
	for _, s := range e.a.skills {
		n += x.sc.Skills[s]
	}
	return n
}

// groupSkillSum is skillSum for any expert of idle group g (one skill
// profile) and a routable escalation e.
func (r *acdRouter) groupSkillSum(g int, e *escState) int {
	n := 0
	c := r.ix.ecls[e.i]
	for _, b := range r.eskill[c.off : c.off+c.n] {
		n += int(r.glevel[g][b])
	}
	return n
}

// take gives an agent who may just have become eligible the first queued
// escalation (priority, then arrival order) they are skilled for.
func (r *acdRouter) take(x *expertState) {
	if r.ix.queued == 0 || !r.eligible(x) {
		return
	}
	e := r.firstQueued(x)
	if acdCrossCheck != nil {
		i := -1
		if e != nil {
			i = e.i
		}
		acdCrossCheck(r, nil, x, i)
	}
	if e != nil {
		r.dequeue(e)
		r.offer(x, e)
	}
}

// acdCrossCheck, when set (by tests), is called with every choice the
// indexes make: place (e set; got an expert index or -1) and take (x set;
// got an escalation index or -1), to compare with a scan.
var acdCrossCheck func(r *acdRouter, e *escState, x *expertState, got int)

func (r *acdRouter) offer(x *expertState, e *escState) {
	w := r.w
	e.attempts++
	w.alert(x, e, e.attempts, false, func(res engine.DeliveryResult) {
		if e.done {
			return
		}
		if res == engine.Accepted {
			w.connect(x, e)
			w.end(e, "routed")
			return
		}
		// Declined or missed: the agent goes NOT_RESPONDING for a while and
		// the escalation is offered again, keeping its place in the queue.
		x.notResp = w.now() + notRespondingPenalty
		r.ix.slots[x.i].notResp = x.notResp
		w.k.After(notRespondingPenalty, func() { r.take(x) })
		if e.vmDue {
			w.end(e, "voicemail")
			return
		}
		r.place(e)
	})
}

func (r *acdRouter) presenceChanged(x *expertState)       { r.take(x) }
func (r *acdRouter) routingChanged(x *expertState)        { r.take(x) }
func (r *acdRouter) calendar(*expertState, time.Duration) {}
func (r *acdRouter) hangUp(*expertState, *escState)       {}

func (r *acdRouter) abandon(e *escState) {
	e.abandonEv = 0
	if e.done {
		return
	}
	r.w.cancelAlert(e)
	r.dequeue(e)
	r.w.end(e, "abandoned")
}

// finish leaves callers still waiting where they are: the measurement
// counts them as unfinished, with their waits censored at the run's end.
func (r *acdRouter) finish() {}
