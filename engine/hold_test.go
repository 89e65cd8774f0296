package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// TestHoldPlanAgreesWithScan drives teams of experts (neighbouring ids
// changing together, so the hold passes over runs of equal states) and
// single experts through presences, routing statuses, conversations,
// calendar blocks, claims and cool-downs, and after every step plans
// holds for every skill set and priority, at several points of a hold
// and with and without patience: the plan (until when, on whom, with
// what chance, the ETA and why) must be that of the one-pass scan
// planHold was before its passes were split (HoldPlanDiff). Seeds 6 on
// change the predictor's calendar confidence, which bounds what a block
// ending after the window can give (planHold asks about those last, and
// only if they can still win; see calendarBound): with confidence 1 they
// give 0, with 0 up to 1 (ties with overdue states at 1), above 1 at
// most 0.
func TestHoldPlanAgreesWithScan(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { holdPlanAgreesWithScan(t, seed) })
	}
}

func holdPlanAgreesWithScan(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 31))
	skills := []string{"db", "sap", "net"}
	var experts []engine.Expert
	for i := range 240 {
		x := expert(fmt.Sprintf("x%03d", i), rng.IntN(3))
		for _, s := range skills {
			if rng.IntN(3) > 0 {
				x.Skills[s] = rng.IntN(6)
			}
		}
		experts = append(experts, x)
	}
	pol := testPolicy()
	pol.MicroWait.Threshold = []float64{0.05, 0.2, 0.3, 0.5, 0.6, 0.9, 0.05, 0.1, 0.3, 0.05}[seed]
	pol.MicroWait.ETABuckets = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	h := newHarness(t, pol, experts...)
	if seed >= 6 {
		h.eng.SetCalendarConfidence([]float64{1, 0, 0.5, 1.25}[seed-6])
	}
	sets := [][]string{nil, {"db"}, {"sap"}, {"net"}, {"db", "sap"}, {"sap", "net", "db"}}
	presences := []engine.Presence{avail, onQueue, meetP1, meetP2, meetDND, mystery,
		{Def: "away-guid", System: engine.SysAway}, {Def: "break-guid", System: engine.SysBreak},
		{Def: "busy-guid", System: engine.SysBusy}, {Def: "off-guid", System: engine.SysOffline}}
	statuses := []engine.RoutingStatus{engine.RSIdle, engine.RSOffQueue, engine.RSInteracting, engine.RSCommunicating, engine.RSNotResponding}
	// Everyone starts in a state that may free up, most teams offline.
	for i := range experts {
		h.presence(string(experts[i].ID), presences[6+i/40%4])
	}
	holds, differ := 0, 0
	conv := 0
	for step := 1; step <= 200; step++ {
		at := h.clock.now
		for range 1 + rng.IntN(6) {
			i := rng.IntN(len(experts))
			n := 1
			if rng.IntN(2) == 0 { // a team: the experts after i change with it
				n = 2 + rng.IntN(24)
			}
			k := rng.IntN(10)
			pr := presences[rng.IntN(len(presences))]
			st := statuses[rng.IntN(len(statuses))]
			for j := i; j < min(i+n, len(experts)); j++ {
				id := experts[j].ID
				switch {
				case k < 5:
					h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: at, Presence: pr})
				case k < 7:
					h.apply(engine.Event{Kind: engine.EvRouting, Expert: id, At: at, Routing: st})
				case k < 8:
					h.apply(engine.Event{Kind: engine.EvConversation, Expert: id, At: at, Conversation: "c", ConvState: engine.ConvConnected})
				default: // calendar blocks ending inside and beyond the window
					h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: at, Presence: presences[2+k%4]})
					end := []time.Duration{time.Minute, 3 * time.Minute, 20 * time.Minute}[k%3]
					if err := h.eng.SetCalendar(ctx, id, at.Add(end)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if rng.IntN(4) == 0 { // a real escalation: a claim, then maybe a cool-down
			conv++
			d := h.submit(fmt.Sprintf("e%d", conv), engine.Priority(1+rng.IntN(5)), sets[1+rng.IntN(len(sets)-1)]...)
			if d.Action == engine.ActDeliver && rng.IntN(2) == 0 {
				h.outcome(h.disp.last(), []engine.DeliveryResult{engine.Declined, engine.NoAnswer}[rng.IntN(2)])
			}
		}
		if rng.IntN(3) == 0 {
			h.clock.Advance(time.Duration(rng.IntN(600)) * time.Second)
		}
		for _, set := range sets {
			for p := engine.P1; p <= engine.P5; p++ {
				for _, c := range []struct{ patience, holding time.Duration }{
					{0, 0}, {0, 2 * time.Minute}, {90 * time.Second, 0}, {0, 5 * time.Minute},
				} {
					x := engine.Escalation{ConversationID: "probe", Skills: set, Priority: p,
						Arrival: h.clock.now.Add(-c.holding), Patience: c.patience}
					d, held := h.eng.HoldPlanDiff(x, c.holding)
					if d != "" {
						differ++
						if differ <= 5 {
							t.Errorf("step %d, skills %v, %v, patience %v, holding %v: %s", step, set, p, c.patience, c.holding, d)
						}
					}
					if held {
						holds++
					}
				}
			}
		}
		if differ > 0 {
			t.Fatalf("%d plans differ", differ)
		}
	}
	if holds < 200 {
		t.Fatalf("%d holds planned, want at least 200", holds)
	}
	t.Logf("%d holds planned", holds)
}

// TestHoldPlanCalendarBound puts experts in meetings whose calendar
// blocks end after the hold window, which give at most 1 − the
// predictor's CalendarConfidence (planHold asks about them last, and
// only if they can still win; see calendarBound), and others in meetings
// without a block, with a p just below the bound: one at the bound must
// win over one below it whichever comes first, and the lower id a tie,
// at the bound or (confidence 0, where a block changes nothing) between
// the same meeting with and without a block. The plans must be those of
// the scan that asks about everyone.
func TestHoldPlanCalendarBound(t *testing.T) {
	window := engine.DefaultPolicy().MicroWait.MaxHold
	now := t0
	// An hour into a meeting without a block; its p, plus a little, is
	// the bound.
	below := engine.DefaultPredictor().ProbFreeWithin(engine.Blocking{Presence: meetDND, Since: now.Add(-time.Hour)}, now, window)
	conf := 1 - (below + 0.01)
	bound := 1 - conf
	const overdue = 100 * time.Hour // past the meeting model's every duration: p is the bound
	type state struct {
		in    time.Duration // how long in the meeting
		block bool          // a calendar block ending after the window
	}
	atBound, under := state{overdue, true}, state{time.Hour, false}
	for _, c := range []struct {
		name   string
		x      [2]state
		winner engine.ExpertID
		p      float64
	}{
		{"the later at the bound", [2]state{under, atBound}, "x1", bound},
		{"the earlier at the bound", [2]state{atBound, under}, "x0", bound},
		{"a tie at the bound", [2]state{atBound, {overdue + time.Hour, true}}, "x0", bound},
		{"both below", [2]state{under, {2 * time.Hour, false}}, "x0", below},
		// With confidence 0 a block ending after the window changes
		// nothing: the same meeting gives the same p with or without one,
		// and the lower id wins the tie.
		{"a tie with the block first", [2]state{{time.Hour, true}, under}, "x0", below},
		{"a tie with the block second", [2]state{under, {time.Hour, true}}, "x0", below},
		{"a tie with the block first, overdue", [2]state{{overdue, true}, {overdue, false}}, "x0", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			pol := testPolicy()
			pol.MicroWait.Threshold = below / 2
			h := newHarness(t, pol, expert("x0", 0, "db", 3), expert("x1", 0, "db", 3))
			if strings.HasPrefix(c.name, "a tie with") {
				h.eng.SetCalendarConfidence(0)
			} else {
				h.eng.SetCalendarConfidence(conf)
			}
			for i, id := range []engine.ExpertID{"x0", "x1"} {
				h.apply(engine.Event{Kind: engine.EvPresence, Expert: id, At: now.Add(-c.x[i].in), Presence: meetDND})
				if c.x[i].block {
					if err := h.eng.SetCalendar(ctx, id, now.Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
				}
			}
			x := engine.Escalation{ConversationID: "probe", Skills: []string{"db"}, Priority: engine.P3, Arrival: now}
			if d, held := h.eng.HoldPlanDiff(x, 0); d != "" || !held {
				t.Fatalf("held %v, differs from the scan: %q", held, d)
			}
			if d := h.submit("e1", engine.P3, "db"); d.Action != engine.ActHold || d.HoldExpert != c.winner || d.HoldProb != c.p {
				t.Fatalf("%v on %s with p=%v, want a hold on %s with p=%v", d.Action, d.HoldExpert, d.HoldProb, c.winner, c.p)
			}
		})
	}
}
