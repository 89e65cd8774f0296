package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// TestIndexAgreesWithScan drives an engine through random presence,
// routing-status, conversation and calendar events, escalations, outcomes,
// a policy reload and the passing of time, and after every step decides
// probe escalations for every skill set and priority both through the
// eligibility index and by a scan of every holder: candidates, counts and
// listed exclusions must be the same. Seeds 4-7 run without MaxStaleness,
// so that the time index (eligtime.go) counts and ranks, with short
// explanation lists (0 = all through the index) and a fairness horizon
// that the passing time crosses, changed by the reload. Seeds 8-9 give
// most experts most skills, so that several-skill groups are large enough
// for the time index (its bands of summed proficiency). Seeds 10-13 touch
// most experts (a delivery and an outcome every other step, a fairness
// horizon of 10 h), so that rankings come from the time index's lists of
// last touches, and move the clock back as often as forward, and by
// nothing a third of the time: many experts are touched at the same
// instant (ties), a touch can be earlier than the one before, and
// decisions come at times before ones already made (which the time index
// leaves to the scan). Seeds 11 and 13 weigh fairness little, so that the
// same experts are picked again, at times before their last touch.
func TestIndexAgreesWithScan(t *testing.T) {
	for seed := range uint64(14) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { indexAgreesWithScan(t, seed) })
	}
}

func indexAgreesWithScan(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 13))
	skills := []string{"db", "sap", "net"}
	var experts []engine.Expert
	n := 150
	if seed >= 6 {
		n = 500 // many never touched: rankings fill up with fresh experts
	}
	back := seed >= 10
	if back {
		n = 200
	}
	for i := range n {
		x := expert(fmt.Sprintf("x%03d", i), rng.IntN(3))
		for _, s := range skills {
			if rng.IntN(2) == 0 || seed >= 8 && rng.IntN(2) == 0 {
				x.Skills[s] = rng.IntN(6)
			}
		}
		experts = append(experts, x)
	}
	pol := testPolicy()
	pol.MaxStaleness = 20 * time.Minute
	pol.ExplainLimit = 5 + int(seed)
	if seed >= 4 {
		pol.MaxStaleness = 0
		pol.ExplainLimit = int(seed-4) % 8
		pol.FairnessHorizon = time.Duration(20+rng.IntN(40)) * time.Minute
	}
	if back {
		pol.FairnessHorizon = 10 * time.Hour
		if seed%2 == 1 {
			pol.Weights.Fairness = 0.01 // the same best experts picked again and again
		}
	}
	if seed%2 == 1 {
		pol.Systems = nil // unknown GUIDs are never routed
	}
	h := newHarness(t, pol, experts...)
	sets := [][]string{nil, {"db"}, {"sap"}, {"net"}, {"db", "sap"}, {"sap", "net", "db"}, {"db", "db"}, {"sap", "db", "sap"}}
	presences := []engine.Presence{avail, onQueue, meetP1, meetP2, meetDND, mystery}
	statuses := []engine.RoutingStatus{engine.RSIdle, engine.RSOffQueue, engine.RSInteracting, engine.RSCommunicating, engine.RSNotResponding}
	probe := func(step int) {
		t.Helper()
		for _, set := range sets {
			for p := engine.P1; p <= engine.P5; p++ {
				var tried []engine.ExpertID
				if rng.IntN(3) == 0 {
					tried = []engine.ExpertID{experts[rng.IntN(len(experts))].ID, experts[rng.IntN(len(experts))].ID}
				}
				x := engine.Escalation{ConversationID: "probe", Skills: set, Priority: p}
				if d := h.eng.IndexDiff(x, tried); d != "" {
					t.Fatalf("step %d, skills %v, %v, tried %v:\n%s", step, set, p, tried, d)
				}
			}
		}
	}
	probe(0)
	conv := 0
	for step := 1; step <= 400; step++ {
		if back {
			h.clock.Advance(time.Duration(rng.IntN(3)-1) * time.Duration(rng.IntN(1200)) * time.Second)
		}
		id := experts[rng.IntN(len(experts))].ID
		at := h.clock.now
		if back && rng.IntN(2) == 0 {
			conv++
			h.submit(fmt.Sprintf("e%d", conv), engine.Priority(1+rng.IntN(5)), sets[rng.IntN(len(sets))]...)
			if n := len(h.disp.got); n > 0 {
				results := []engine.DeliveryResult{engine.Accepted, engine.Declined, engine.NoAnswer}
				h.outcome(h.disp.got[rng.IntN(n)], results[rng.IntN(len(results))])
			}
		}
		switch k := rng.IntN(10); {
		case k < 4:
			h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: at, Presence: presences[rng.IntN(len(presences))]})
		case k < 6:
			h.apply(engine.Event{Kind: engine.EvRouting, Expert: id, At: at, Routing: statuses[rng.IntN(len(statuses))]})
		case k < 7:
			h.apply(engine.Event{Kind: engine.EvConversation, Expert: id, At: at, Conversation: "c", ConvState: engine.ConvConnected})
		case k < 9:
			conv++
			h.submit(fmt.Sprintf("e%d", conv), engine.Priority(1+rng.IntN(5)), sets[rng.IntN(len(sets))]...)
			if n := len(h.disp.got); n > 0 && rng.IntN(2) == 0 {
				results := []engine.DeliveryResult{engine.Accepted, engine.Declined, engine.NoAnswer}
				h.outcome(h.disp.got[rng.IntN(n)], results[rng.IntN(len(results))])
			}
		default:
			h.clock.Advance(time.Duration(rng.IntN(600)) * time.Second)
			if err := h.eng.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if step == 200 {
			p2 := testPolicy()
			p2.MaxStaleness = pol.MaxStaleness
			p2.ExplainLimit = pol.ExplainLimit
			p2.FairnessHorizon = pol.FairnessHorizon
			if seed >= 4 {
				p2.FairnessHorizon = pol.FairnessHorizon / 2
			}
			p2.Systems = pol.Systems
			p2.Presences[defMeetingDND] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P3, Name: "reloaded"}
			p2.Routing[engine.RSInteracting] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P2}
			if err := h.eng.SetPolicy(p2); err != nil {
				t.Fatal(err)
			}
		}
		probe(step)
	}
}
