package sim

import (
	"maps"
	"slices"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// presID is a presence of one replication's presTable, by index; 0 is no
// presence (no overlay). An expert's record holds presences as presIDs,
// not names: two bytes instead of a string's sixteen keep what nearly every
// event reads of an expert in one cache line, and what a presence means
// (system presence, engine presence, delivery mix, On Queue) is a slice
// index into a table the size of the scenario's presences, not a string
// map lookup.
type presID uint16

// presTable is every presence name a replication can show: the scenario's
// presences, the default offline presence, and any other name its experts,
// cherry-pickers, blocks or churns give (known to the table, with the
// zero scenarios.Presence, as a name map lookup would give). Built with
// the schedule, read-only afterwards but for idx (built on first use),
// shared by the replication's arms (which run on one goroutine).
type presTable struct {
	names   []string // by presID; names[0] is ""
	ids     map[string]presID
	info    []scenarios.Presence    // the scenario's definition, zero if none
	eng     []engine.Presence       // info[p].Engine()
	mix     []scenarios.Outcome     // Deliveries.ByPresence, zero if none
	offline presID                  // what an expert out of shift shows
	hide    presID                  // the cherry-pickers' hide presence, 0 if none
	work    []presID                // by expert: sc.Experts[i].WorkPresence
	idx     map[engine.ExpertID]int // by expert ID: its index in sc.Experts, built on first use

	sc *scenarios.Scenario
}

func newPresTable(sc *scenarios.Scenario) *presTable {
	t := &presTable{ids: map[string]presID{}, sc: sc}
	t.intern("")
	var offline string
	for _, n := range slices.Sorted(maps.Keys(sc.Presences)) {
		t.intern(n)
		if offline == "" && sc.Presences[n].System == engine.SysOffline {
			offline = n
		}
	}
	if offline == "" {
		offline = "(offline)"
		t.offline = t.intern(offline)
		t.info[t.offline] = scenarios.Presence{Name: offline, ID: offlineDef, System: engine.SysOffline}
		t.eng[t.offline] = t.info[t.offline].Engine()
	} else {
		t.offline = t.ids[offline]
	}
	t.work = make([]presID, len(sc.Experts))
	for i := range sc.Experts {
		t.work[i] = t.intern(sc.Experts[i].WorkPresence)
	}
	if p := sc.CherryPickers.Presence; p != "" {
		t.hide = t.intern(p)
	}
	return t
}

// intern is name's presID, added to the table if new.
func (t *presTable) intern(name string) presID {
	if p, ok := t.ids[name]; ok {
		return p
	}
	if len(t.names) > 1<<16-1 {
		panic("sim: more than 65535 presence names")
	}
	p := presID(len(t.names))
	t.ids[name] = p
	t.names = append(t.names, name)
	info, mix := t.sc.Presences[name], t.sc.Deliveries.ByPresence[name]
	t.info = append(t.info, info)
	t.eng = append(t.eng, info.Engine())
	t.mix = append(t.mix, mix)
	return p
}

// expertIdx is the index in sc.Experts of the expert id names.
func (t *presTable) expertIdx(id engine.ExpertID) (int, bool) {
	if t.idx == nil {
		t.idx = make(map[engine.ExpertID]int, len(t.sc.Experts))
		for i := range t.sc.Experts {
			t.idx[t.sc.Experts[i].ID] = i
		}
	}
	i, ok := t.idx[id]
	return i, ok
}
