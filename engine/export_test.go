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
