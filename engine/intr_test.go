package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// defMeetingAll is a presence that interrupts for every priority: the same
// level as one that routes, the other interruption.
const defMeetingAll = engine.PresenceDefID("44444444-0000-0000-0000-0000000allp5")

var meetAll = engine.Presence{Def: defMeetingAll, System: engine.SysMeeting}

// TestIndexFollowsFlips flips the gates of a group's members, nearly all
// of them in the time index's lists (touched within the fairness horizon),
// between routing and interrupting at several levels and shut out, and
// after every flip decides a probe of every priority both through the
// index and by a scan (IndexDiff, which also checks every member's class
// and list against its gate): a member the index parks in a list whose
// class dominates its own (reclass) must be ranked as a scan ranks it, and
// must be moved to its own class when a ranking meets it, a touch moves it,
// or the clock passes its last touch. Touches (deliveries) and the passing
// of time come in between, and once the clock passes the horizon of the
// earliest touches.
func TestIndexFollowsFlips(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { indexFollowsFlips(t, seed) })
	}
}

func indexFollowsFlips(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 29))
	var experts []engine.Expert
	for i := range 300 {
		experts = append(experts, expert(fmt.Sprintf("f%03d", i), 1+rng.IntN(4), "db", rng.IntN(6)))
	}
	pol := testPolicy()
	pol.ExplainLimit = int(seed % 3)
	pol.FairnessHorizon = 10 * time.Hour
	pol.Cooldown = time.Minute
	pol.Presences[defMeetingAll] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P5, Name: "interrupt for all"}
	pol.Routing[engine.RSInteracting] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P1}
	pol.Routing[engine.RSCommunicating] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P2}
	if seed%2 == 1 {
		pol.Weights.Fairness = 0.5 // fairness outweighs interruption: rankings reach far into the lists
	}
	h := newHarness(t, pol, experts...)
	conv := 0
	touch := func() {
		conv++
		h.submit(fmt.Sprintf("t%d", conv), engine.Priority(1+rng.IntN(5)), "db")
		if n := len(h.disp.got); n > 0 {
			h.outcome(h.disp.got[n-1], engine.Declined)
		}
	}
	for _, x := range experts {
		h.apply(engine.Event{Kind: engine.EvPresence, Expert: x.ID, At: h.clock.now, Presence: avail},
			engine.Event{Kind: engine.EvRouting, Expert: x.ID, At: h.clock.now, Routing: engine.RSIdle})
	}
	// Touch nearly everyone, a second apart: fresh members are ranked
	// first, so each touch takes one out of the fresh sets into a list.
	for range len(experts) {
		h.clock.Advance(time.Second)
		touch()
	}
	presences := []engine.Presence{avail, meetAll, avail, meetAll, meetP1, meetP2, meetDND}
	statuses := []engine.RoutingStatus{engine.RSIdle, engine.RSInteracting, engine.RSCommunicating}
	for step := 1; step <= 1500; step++ {
		id := experts[rng.IntN(len(experts))].ID
		if rng.IntN(2) == 0 {
			// among the longest untouched, flipped often: ranked, and
			// flipped back before a ranking meets it
			id = h.disp.got[rng.IntN(20)].Expert
		}
		if rng.IntN(2) == 0 {
			h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: h.clock.now, Presence: presences[rng.IntN(len(presences))]})
		} else {
			h.apply(engine.Event{Kind: engine.EvRouting, Expert: id, At: h.clock.now, Routing: statuses[rng.IntN(len(statuses))]})
		}
		switch k := rng.IntN(20); {
		case k < 3:
			touch()
		case k < 4:
			h.clock.Advance(time.Duration(rng.IntN(1800)) * time.Second)
		}
		if step == 1000 {
			h.clock.Advance(pol.FairnessHorizon - 30*time.Minute) // past the earliest touches' horizon
		}
		for p := engine.P1; p <= engine.P5; p++ {
			if step%8 != 0 && rng.IntN(5) != 0 {
				continue // most steps probe few priorities, so that parked members are not met at once
			}
			x := engine.Escalation{ConversationID: "probe", Skills: []string{"db"}, Priority: p}
			if d := h.eng.IndexDiff(x, nil); d != "" {
				t.Fatalf("step %d, %v:\n%s", step, p, d)
			}
		}
	}
}
