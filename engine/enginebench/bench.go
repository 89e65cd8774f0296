// Package enginebench builds realistic engine workloads for the benchmarks
// in this directory (memory and Redis stores): 10,000 experts over 20
// skills in a mix of presences, and a stream of presence events.
package enginebench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Start is the virtual start time of every workload.
var Start = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// Presences of the workload and the policy that names them.
var (
	Available  = engine.Presence{Def: "6a3af858-942f-489d-9700-5f9bcdcdae9b", System: engine.SysAvailable}
	MeetingP1  = engine.Presence{Def: "3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01", System: engine.SysMeeting}
	MeetingDND = engine.Presence{Def: "3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a03", System: engine.SysMeeting}
	Offline    = engine.Presence{Def: "ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5", System: engine.SysOffline}
)

// Policy routes Available, interrupts MeetingP1 for P1 and never touches
// the rest.
func Policy() *engine.Policy {
	p := engine.DefaultPolicy()
	p.Presences = map[engine.PresenceDefID]engine.Rule{
		Available.Def:  {Action: engine.Route},
		MeetingP1.Def:  {Action: engine.Interrupt, MinPriority: engine.P1},
		MeetingDND.Def: {Action: engine.Never},
		Offline.Def:    {Action: engine.Never},
	}
	return p
}

// Experts returns n experts with 3 of `skills` skills each, seeded.
func Experts(n, skills int, seed uint64) []engine.Expert {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]engine.Expert, n)
	for i := range out {
		x := engine.Expert{ID: engine.ExpertID(fmt.Sprintf("user-%05d", i)), Skills: map[string]int{}, InterruptBudgetPerHour: 4}
		for len(x.Skills) < 3 {
			x.Skills[fmt.Sprintf("skill-%02d", r.IntN(skills))] = r.IntN(6)
		}
		out[i] = x
	}
	return out
}

// InitialEvents gives every expert a presence and routing status: 40%
// available, 20% in an interruptible meeting, 20% in a DND meeting, 10% on
// a call, 10% offline.
func InitialEvents(experts []engine.Expert, seed uint64) []engine.Event {
	r := rand.New(rand.NewPCG(seed, 2))
	evs := make([]engine.Event, 0, 2*len(experts))
	for _, x := range experts {
		p, rs := Available, engine.RSIdle
		switch k := r.IntN(10); {
		case k < 4:
		case k < 6:
			p, rs = MeetingP1, engine.RSOffQueue
		case k < 8:
			p, rs = MeetingDND, engine.RSOffQueue
		case k < 9:
			rs = engine.RSInteracting
		default:
			p, rs = Offline, engine.RSOffQueue
		}
		at := Start.Add(-time.Duration(r.IntN(3600)) * time.Second)
		evs = append(evs, engine.Event{Kind: engine.EvPresence, Expert: x.ID, At: at, Presence: p},
			engine.Event{Kind: engine.EvRouting, Expert: x.ID, At: at, Routing: rs})
	}
	return evs
}

// PresenceStream returns n presence events cycling over the experts with
// strictly increasing times, alternating between presences so each one is
// a real change.
func PresenceStream(experts []engine.Expert, n int) []engine.Event {
	ps := []engine.Presence{Available, MeetingP1, MeetingDND, Available, Offline}
	evs := make([]engine.Event, n)
	for i := range evs {
		x := experts[i%len(experts)]
		evs[i] = engine.Event{Kind: engine.EvPresence, Expert: x.ID, At: Start.Add(time.Duration(i+1) * time.Millisecond), Presence: ps[(i/len(experts)+i)%len(ps)]}
	}
	return evs
}

// Escalations returns n escalations for one random skill each, priorities
// P1..P5 uniformly.
func Escalations(n, skills int, seed uint64) []engine.Escalation {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]engine.Escalation, n)
	for i := range out {
		out[i] = engine.Escalation{ConversationID: fmt.Sprintf("conv-%07d", i), Skills: []string{fmt.Sprintf("skill-%02d", r.IntN(skills))},
			Priority: engine.Priority(1 + r.IntN(5)), Arrival: Start}
	}
	return out
}

// Clock is a settable clock for benchmarks.
type Clock struct{ T time.Time }

// Now implements engine.Clock.
func (c *Clock) Now() time.Time { return c.T }

// NopDispatcher accepts every delivery and reports nothing.
type NopDispatcher struct{}

// Deliver implements engine.Dispatcher.
func (NopDispatcher) Deliver(engine.Delivery) error { return nil }
