package engine

import (
	"fmt"
	"reflect"
	"slices"
)

// IndexDiff decides a probe escalation (tried: experts already tried for
// it) both through the skill-set index and by a scan of every holder, at
// the clock's time and without acting on it, and describes the first
// difference ("" when they agree). It is for the differential test.
func (e *Engine) IndexDiff(x Escalation, tried []ExpertID) string {
	es := &esc{Escalation: x, expert: -1}
	for _, s := range x.Skills {
		if id, ok := e.skillIDs[s]; ok {
			es.skillIDs = append(es.skillIDs, id)
		} else {
			es.unknownSkill = true
		}
	}
	for _, id := range tried {
		es.tried = append(es.tried, e.index[id])
	}
	gr := e.groupOf(es)
	if gr == nil {
		return ""
	}
	now := e.clock.Now().UnixNano()
	got := e.evalGroup(gr, es, now)
	got.cands = slices.Clone(got.cands)
	want := e.scanHolders(es, now)
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("index:\n%+v\nscan:\n%+v", got, want)
	}
	if any := e.anyEligible(es, now); any != (want.eligible > 0) {
		return fmt.Sprintf("anyEligible %v, scan found %d eligible", any, want.eligible)
	}
	return ""
}

// HoldDiff plans a hold for a probe escalation (no patience, so the
// window is MaxHold) at the clock's time without acting on it, and checks
// the chosen holder and probability against a direct call of the
// predictor for every blocked holder (no memo). It describes the first
// difference ("" when they agree) and reports whether a hold was planned.
func (e *Engine) HoldDiff(x Escalation) (string, bool) {
	es := &esc{Escalation: x, expert: -1}
	for _, s := range x.Skills {
		if id, ok := e.skillIDs[s]; ok {
			es.skillIDs = append(es.skillIDs, id)
		} else {
			es.unknownSkill = true
		}
	}
	now := e.clock.Now()
	got, ok := e.planHold(es, now)
	best, who := 0.0, int32(-1)
	for _, idx := range slices.Clone(e.blockedHolders(es, now)) {
		p := e.pred.ProbFreeWithin(e.blocking(idx, es), now, e.pol.MicroWait.MaxHold)
		if p > best || (p == best && who >= 0 && e.experts[idx].ID < e.experts[who].ID) {
			best, who = p, idx
		}
	}
	want := who >= 0 && best >= e.pol.MicroWait.Threshold
	switch {
	case ok != want:
		return fmt.Sprintf("memo: hold %v (%s); scan: hold %v (best p=%v)", ok, got.why, want, best), ok
	case ok && (got.who != who || got.prob != best):
		return fmt.Sprintf("memo: %s p=%v; scan: %s p=%v", e.experts[got.who].ID, got.prob, e.experts[who].ID, best), ok
	}
	return "", ok
}

// RememberDiff remembers n endings of conversations drawn from ids (with
// repeats) in an engine that keeps keep of them, and compares what it then
// remembers with the first-in-first-out slice it replaced (append, then
// drop the oldest), after every call. It describes the first difference.
func RememberDiff(keep int, convs []string) string {
	e := &Engine{done: map[string]ending{}, doneKeep: keep}
	want := map[string]ending{}
	var order []string
	for i, c := range convs {
		end := ending{Queue: fmt.Sprint(i)}
		e.remember(c, end)
		want[c] = end
		order = append(order, c)
		if len(order) > keep {
			drop := len(order) - keep
			for _, o := range order[:drop] {
				delete(want, o)
			}
			order = append(order[:0], order[drop:]...)
		}
		if !reflect.DeepEqual(e.done, want) {
			return fmt.Sprintf("after %d (%s): remembered %v, want %v", i, c, e.done, want)
		}
	}
	return ""
}
