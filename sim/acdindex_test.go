package sim

import (
	"cmp"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/scenarios"
)

// scanPlace is the ACD's placement as a scan of every expert in index
// order: the definition the idle index must reproduce.
func scanPlace(r *acdRouter, e *escState) int {
	best, bestSkill := -1, 0
	now := r.w.now()
	bySkill := r.w.bl.Select == scenarios.SelectBestSkill
	for i := range r.w.xs {
		x := &r.w.xs[i]
		if !r.skilled(x, e) || !r.eligibleAt(x, now) {
			continue
		}
		sk := 0
		if bySkill {
			sk = skillSum(x, e)
		}
		if best < 0 || sk > bestSkill || sk == bestSkill && x.free < r.w.xs[best].free {
			best, bestSkill = i, sk
		}
	}
	return best
}

// scanTake is the first queued escalation x is skilled for, by a scan of
// every escalation: the definition the queue index must reproduce.
func scanTake(r *acdRouter, x *expertState) int {
	best := -1
	for i := range r.w.es {
		e := &r.w.es[i]
		if !e.queued || !r.skilled(x, e) {
			continue
		}
		if best < 0 || cmpQueue(queueKeyOf(e), queueKeyOf(&r.w.es[best])) < 0 {
			best = i
		}
	}
	return best
}

// varyLevels gives expert i proficiency (i mod 5)+1 in every skill it
// holds, so best-skill selection ranks many skill profiles.
func varyLevels(sc *scenarios.Scenario) *scenarios.Scenario {
	out := *sc
	out.Experts = append([]scenarios.Expert(nil), sc.Experts...)
	for i := range out.Experts {
		sk := maps.Clone(out.Experts[i].Skills)
		for s := range sk {
			sk[s] = i%5 + 1
		}
		out.Experts[i].Skills = sk
	}
	return &out
}

// The indexed ACD chooses exactly what a scan of every expert (place) and
// of the whole queue (take) chooses, at every choice of every shipped
// scenario, longest-idle and best-skill, with uniform and varied skill
// levels.
func TestACDIndexMatchesScan(t *testing.T) {
	var mu sync.Mutex
	checked, bad := 0, []string{}
	acdCrossCheck = func(r *acdRouter, e *escState, x *expertState, got int) {
		var want int
		var what string
		if e != nil {
			want, what = scanPlace(r, e), "place "+e.a.conv
		} else {
			want, what = scanTake(r, x), "take by "+string(x.sc.ID)
		}
		mu.Lock()
		defer mu.Unlock()
		checked++
		if got != want && len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("%s at %v (%s): index chose %d, a scan %d", what, r.w.now(), r.w.bl.Name, got, want))
		}
	}
	defer func() { acdCrossCheck = nil }()
	tier3 := load(t, "tier3-meetings.yaml")
	cases := []*scenarios.Scenario{tier3, varyLevels(tier3), load(t, "erlang-c.yaml"), load(t, "erlang-a.yaml"),
		load(t, "aa.yaml"), load(t, "cherry-pickers.yaml"), load(t, "disconnect-storm.yaml")}
	for _, sc := range cases {
		if _, _, err := Run(sc, Options{Replications: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d choices checked; the index differs from a scan:\n%v", checked, bad)
	}
	if checked < 1000 {
		t.Fatalf("only %d choices checked: the cross-check is not wired", checked)
	}
	t.Logf("%d choices checked", checked)
}

func TestOrdset(t *testing.T) {
	s := newOrdset(cmp.Compare[int])
	ref := map[int]bool{}
	r := NewStreams(3).Stream("ordset")
	for range 20000 {
		v := r.IntN(500)
		if ref[v] {
			if !s.Delete(v) {
				t.Fatalf("Delete(%d) = false for a member", v)
			}
			delete(ref, v)
		} else {
			if s.Delete(v) {
				t.Fatalf("Delete(%d) = true for a non-member", v)
			}
			s.Insert(v)
			ref[v] = true
		}
	}
	var got []int
	s.Ascend(func(v int) bool { got = append(got, v); return true })
	if len(got) != len(ref) || s.Len() != len(ref) {
		t.Fatalf("%d keys iterated, Len %d, want %d", len(got), s.Len(), len(ref))
	}
	for i, v := range got {
		if !ref[v] || i > 0 && got[i-1] >= v {
			t.Fatalf("iteration not ascending over the members at %d: %v", i, got[max(0, i-1):i+1])
		}
	}
	if m, ok := s.Min(); len(got) > 0 && (!ok || m != got[0]) {
		t.Fatalf("Min() = %d, %v; want %d", m, ok, got[0])
	}
}

// The idle list's first entry is the smallest live one not NOT_RESPONDING,
// through random inserts (mostly appends, some far back), removals,
// re-inserts under the same or a later idle-since, and compactions.
func TestIdleList(t *testing.T) {
	const n = 300
	var l idleList
	slots := make([]idleSlot, n)
	var stamp uint32
	r := NewStreams(5).Stream("idlelist")
	now := time.Duration(0)
	for step := range 50000 {
		now += time.Duration(r.IntN(3))
		i := r.IntN(n)
		s := &slots[i]
		switch {
		case s.stamp != 0 && r.IntN(2) == 0:
			s.stamp = 0
			l.live--
		case s.stamp == 0:
			free := now
			if r.IntN(4) == 0 {
				free = max(0, s.free-time.Duration(r.IntN(5))) // an old idle-since
			}
			stamp++
			s.stamp, s.free = stamp, free
			l.insert(idleEnt{free, int32(i), stamp}, slots)
		default:
			s.notResp = now + time.Duration(r.IntN(4))
		}
		want, wantOK := idleEnt{}, false
		for j := range slots {
			c := idleEnt{slots[j].free, int32(j), slots[j].stamp}
			if c.stamp != 0 && now >= slots[j].notResp && (!wantOK || idleLess(c, want)) {
				want, wantOK = c, true
			}
		}
		if got, ok := l.first(now, slots); ok != wantOK || got != want {
			t.Fatalf("step %d: first = %v, %v; want %v, %v", step, got, ok, want, wantOK)
		}
	}
}
