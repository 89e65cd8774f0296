package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Events refresh only the state part of an expert's hot record
// (refreshState); deliveries, outcomes, abandons, policy reloads and
// resyncs in between must leave every hot record, gate and hold source
// what a full refresh derives from the expert's state.
func TestHotRecordsMatchState(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 29))
			skills := []string{"db", "sap"}
			var experts []engine.Expert
			for i := range 40 {
				x := expert(fmt.Sprintf("x%02d", i), rng.IntN(3))
				for _, s := range skills {
					if rng.IntN(2) == 0 {
						x.Skills[s] = rng.IntN(6)
					}
				}
				experts = append(experts, x)
			}
			pol := testPolicy()
			if seed%2 == 1 {
				pol.Systems = nil
			}
			h := newHarness(t, pol, experts...)
			presences := []engine.Presence{avail, onQueue, meetP1, meetP2, meetDND, mystery}
			statuses := []engine.RoutingStatus{engine.RSIdle, engine.RSOffQueue, engine.RSInteracting, engine.RSCommunicating, engine.RSNotResponding}
			results := []engine.DeliveryResult{engine.Accepted, engine.Declined, engine.NoAnswer}
			conv := 0
			for step := 1; step <= 600; step++ {
				x := experts[rng.IntN(len(experts))].ID
				at := h.clock.now
				switch k := rng.IntN(14); {
				case k < 3:
					h.apply(engine.Event{Kind: engine.EvPresence, Expert: x, At: at, Presence: presences[rng.IntN(len(presences))]})
				case k < 5:
					h.apply(engine.Event{Kind: engine.EvRouting, Expert: x, At: at, Routing: statuses[rng.IntN(len(statuses))]})
				case k < 6:
					st := []engine.ConversationState{engine.ConvConnected, engine.ConvDisconnected}[rng.IntN(2)]
					h.apply(engine.Event{Kind: engine.EvConversation, Expert: x, At: at, Conversation: fmt.Sprintf("e%d", rng.IntN(conv+1)), ConvState: st})
				case k < 7:
					end := time.Time{}
					if rng.IntN(3) > 0 {
						end = at.Add(time.Duration(rng.IntN(60)) * time.Minute)
					}
					h.apply(engine.Event{Kind: engine.EvCalendar, Expert: x, BlockEnd: end})
				case k < 10:
					conv++
					h.submit(fmt.Sprintf("e%d", conv), engine.Priority(1+rng.IntN(5)), skills[:rng.IntN(3)]...)
				case k < 12:
					if n := len(h.disp.got); n > 0 {
						h.outcome(h.disp.got[rng.IntN(n)], results[rng.IntN(len(results))])
					}
				case k < 13:
					if err := h.eng.Abandon(ctx, fmt.Sprintf("e%d", rng.IntN(conv+1))); err != nil {
						t.Fatal(err)
					}
				default:
					var entries []engine.SnapshotEntry
					for _, y := range experts {
						if rng.IntN(4) == 0 {
							entries = append(entries, engine.SnapshotEntry{Expert: y.ID, Presence: presences[rng.IntN(len(presences))],
								PresenceSince: at, Routing: statuses[rng.IntN(len(statuses))], RoutingSince: at})
						}
					}
					h.snapshot(entries...)
				}
				h.clock.Advance(time.Duration(rng.IntN(300)) * time.Second)
				if err := h.eng.Tick(ctx); err != nil {
					t.Fatal(err)
				}
				if step == 300 {
					p2 := testPolicy()
					p2.Systems = pol.Systems
					p2.Presences[defMeetingDND] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P3, Name: "reloaded"}
					if err := h.eng.SetPolicy(p2); err != nil {
						t.Fatal(err)
					}
				}
				if d := h.eng.RefreshDiff(); d != "" {
					t.Fatalf("step %d: %s", step, d)
				}
			}
		})
	}
}
