package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// TestHoldMemoAgreesWithScan drives experts through presences of
// different duration models, routing statuses, conversations and calendar
// blocks, many of them changed at the same instant (so that states share
// Since and BlockEnd but not the model), and after every step plans holds
// for every skill set and priority: the holder and probability chosen
// with the predictor's answers shared between equal states must be those
// of asking about every blocked holder.
func TestHoldMemoAgreesWithScan(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { holdMemoAgreesWithScan(t, seed) })
	}
}

func holdMemoAgreesWithScan(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 29))
	skills := []string{"db", "sap", "net"}
	var experts []engine.Expert
	for i := range 200 {
		x := expert(fmt.Sprintf("x%03d", i), rng.IntN(3))
		for _, s := range skills {
			if rng.IntN(2) == 0 {
				x.Skills[s] = rng.IntN(6)
			}
		}
		experts = append(experts, x)
	}
	pol := testPolicy()
	pol.MicroWait.Threshold = []float64{0.05, 0.3, 0.6, 0.9}[seed]
	h := newHarness(t, pol, experts...)
	sets := [][]string{{"db"}, {"sap"}, {"net"}, {"db", "sap"}, {"sap", "net", "db"}}
	presences := []engine.Presence{avail, meetP1, meetP2, meetDND, mystery,
		{Def: "away-guid", System: engine.SysAway}, {Def: "break-guid", System: engine.SysBreak},
		{Def: "busy-guid", System: engine.SysBusy}, {Def: "off-guid", System: engine.SysOffline}}
	statuses := []engine.RoutingStatus{engine.RSIdle, engine.RSOffQueue, engine.RSInteracting, engine.RSCommunicating, engine.RSNotResponding}
	holds := 0
	for step := 1; step <= 300; step++ {
		at := h.clock.now
		for range 1 + rng.IntN(8) { // several experts change at the same instant
			id := experts[rng.IntN(len(experts))].ID
			switch k := rng.IntN(10); {
			case k < 5:
				h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: at, Presence: presences[rng.IntN(len(presences))]})
			case k < 7:
				h.apply(engine.Event{Kind: engine.EvRouting, Expert: id, At: at, Routing: statuses[rng.IntN(len(statuses))]})
			case k < 8:
				h.apply(engine.Event{Kind: engine.EvConversation, Expert: id, At: at, Conversation: "c", ConvState: engine.ConvConnected})
			default: // the same presence since the same instant, calendar blocks ending inside and beyond the window
				pr := presences[1+rng.IntN(len(presences)-1)]
				for _, end := range []time.Duration{2 * time.Minute, 4 * time.Minute, 20 * time.Minute} {
					id := experts[rng.IntN(len(experts))].ID
					h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: at, Presence: pr})
					if err := h.eng.SetCalendar(ctx, id, at.Add(end)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if rng.IntN(3) == 0 {
			h.clock.Advance(time.Duration(rng.IntN(900)) * time.Second)
		}
		for _, set := range sets {
			for p := engine.P1; p <= engine.P5; p++ {
				x := engine.Escalation{ConversationID: "probe", Skills: set, Priority: p, Arrival: h.clock.now}
				d, held := h.eng.HoldDiff(x)
				if d != "" {
					t.Fatalf("step %d, skills %v, %v: %s", step, set, p, d)
				}
				if held {
					holds++
				}
			}
		}
	}
	if holds < 100 {
		t.Fatalf("%d holds planned, want at least 100", holds)
	}
	t.Logf("%d holds planned", holds)
}
