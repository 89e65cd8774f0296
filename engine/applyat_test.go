package engine_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// TestApplyAtAgreesWithApply drives two engines through the same random
// history of presence, routing, calendar and conversation events and
// escalations, one through Apply and one through ApplyAt with indexes
// from IndexOf, and compares their decisions and every expert's state
// after each step.
func TestApplyAtAgreesWithApply(t *testing.T) {
	var experts []engine.Expert
	for i := range 12 {
		experts = append(experts, expert(fmt.Sprintf("x%02d", 11-i), 2, "s", 1+i%5))
	}
	byID, byIndex := newHarness(t, testPolicy(), experts...), newHarness(t, testPolicy(), experts...)
	idx := map[engine.ExpertID]int32{}
	for _, x := range experts {
		i, ok := byIndex.eng.IndexOf(x.ID)
		if !ok {
			t.Fatalf("IndexOf(%s) not found", x.ID)
		}
		idx[x.ID] = i
	}
	if _, ok := byIndex.eng.IndexOf("nobody"); ok {
		t.Fatal("IndexOf finds an unknown expert")
	}
	presences := []engine.Presence{avail, onQueue, meetP1, meetP2, meetDND, mystery}
	rng := rand.New(rand.NewPCG(1, 2))
	conv := 0
	for step := range 3000 {
		dt := time.Duration(rng.IntN(3)) * time.Second // 0: ties included
		byID.clock.Advance(dt)
		byIndex.clock.Advance(dt)
		x := experts[rng.IntN(len(experts))].ID
		now := byID.clock.now
		ev := engine.Event{Expert: x, At: now.Add(-time.Duration(rng.IntN(2)) * time.Second)}
		switch k := rng.IntN(10); {
		case k < 4:
			ev.Kind, ev.Presence = engine.EvPresence, presences[rng.IntN(len(presences))]
		case k < 6:
			ev.Kind, ev.Routing = engine.EvRouting, engine.RoutingStatus(rng.IntN(int(engine.RSNotResponding)+1))
		case k < 7:
			ev.Kind, ev.BlockEnd = engine.EvCalendar, now.Add(time.Duration(rng.IntN(60))*time.Minute)
		case k < 9:
			// An outcome for the last delivery, if any.
			ev.Kind, ev.ConvState = engine.EvConversation, engine.ConversationState(1+rng.IntN(3))
			ev.NeverAnswered, ev.TimedOut = rng.IntN(2) == 0, rng.IntN(2) == 0
			if n := len(byID.disp.got); n > 0 {
				ev.Expert, ev.Conversation = byID.disp.got[n-1].Expert, byID.disp.got[n-1].ConversationID
			}
		default:
			conv++
			c := fmt.Sprintf("c%d", conv)
			p := engine.Priority(1 + rng.IntN(5))
			d1, d2 := byID.submit(c, p, "s"), byIndex.submit(c, p, "s")
			if !reflect.DeepEqual(d1, d2) {
				t.Fatalf("step %d: Submit differs:\n%+v\n%+v", step, d1, d2)
			}
			continue
		}
		err1 := byID.eng.Apply(ctx, ev)
		err2 := byIndex.eng.ApplyAt(ctx, idx[ev.Expert], ev)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("step %d: Apply: %v, ApplyAt: %v", step, err1, err2)
		}
		if !reflect.DeepEqual(byID.decs, byIndex.decs) {
			t.Fatalf("step %d: decisions differ after %+v", step, ev)
		}
		for _, x := range experts {
			s1, _ := byID.eng.State(x.ID)
			s2, _ := byIndex.eng.State(x.ID)
			if !reflect.DeepEqual(s1, s2) {
				t.Fatalf("step %d: %s differs after %+v:\n%+v\n%+v", step, x.ID, ev, s1, s2)
			}
		}
	}
	if len(byID.decs) < 100 || len(byID.disp.got) < 30 {
		t.Fatalf("the history decided too little: %d decisions, %d deliveries", len(byID.decs), len(byID.disp.got))
	}
}

// ApplyAt refuses an index that is not the event's expert's.
func TestApplyAtPanicsOnAWrongIndex(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0), expert("b", 0))
	i, _ := h.eng.IndexOf("a")
	defer func() {
		if recover() == nil {
			t.Fatal("ApplyAt applied b's event at a's index")
		}
	}()
	h.eng.ApplyAt(ctx, i, engine.Event{Kind: engine.EvPresence, Expert: "b", At: t0, Presence: avail})
}
