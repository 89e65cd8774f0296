package live

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// The invariants on hand-made truth logs: each can fire, and the
// delivery rule fires only on presence the replica had been told.
func TestChaosInvariantsOnSyntheticTruth(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ptr := func(x time.Time) *time.Time { return &x }
	const conv = "c-1"
	dnd := genesys.TruthPresence{At: at(0), UserID: alanID, PresenceID: genesys.PresenceMeetingDoNotDisturb, SystemPresence: "MEETING"}
	delivery := func(prio int, def, sys string) genesys.TruthDelivery {
		return genesys.TruthDelivery{Delivery: genesys.Delivery{ConversationID: conv, UserID: alanID, Kind: "assign", Outcome: "accepted",
			AlertTime: at(3000), EndTime: ptr(at(3300))}, Priority: prio, PresenceID: def, SystemPresence: sys}
	}
	assign := genesys.TruthAssign{At: at(3000), ConversationID: conv, UserID: alanID, Caller: "r0.1", Status: 202}
	arrival := genesys.TruthArrival{At: at(3000), ConversationID: conv, UserID: alanID, Caller: "r0.1"}
	read := func(ms int, caller string) genesys.TruthBulkRead {
		return genesys.TruthBulkRead{At: at(ms), Caller: caller, UserIDs: []string{alanID}}
	}
	cases := []struct {
		name    string
		truth   genesys.Truth
		answers []chaosAnswer
		want    []string // invariants broken, in order
	}{
		{"P1 into DND after two reads by the assigning replica",
			genesys.Truth{Presence: []genesys.TruthPresence{dnd}, BulkReads: []genesys.TruthBulkRead{read(1000, "r0.1"), read(2000, "r0.1")},
				Deliveries: []genesys.TruthDelivery{delivery(1, dnd.PresenceID, "MEETING")}, Assigns: []genesys.TruthAssign{assign}, Arrivals: []genesys.TruthArrival{arrival}},
			nil, []string{InvForbiddenDelivery}},
		{"P1 into DND after one read: a race, not knowable",
			genesys.Truth{Presence: []genesys.TruthPresence{dnd}, BulkReads: []genesys.TruthBulkRead{read(1000, "r0.1")},
				Deliveries: []genesys.TruthDelivery{delivery(1, dnd.PresenceID, "MEETING")}, Assigns: []genesys.TruthAssign{assign}, Arrivals: []genesys.TruthArrival{arrival}},
			nil, nil},
		{"P1 into DND read twice only after the Data Action called: the decision may predate both",
			genesys.Truth{Presence: []genesys.TruthPresence{dnd}, BulkReads: []genesys.TruthBulkRead{read(2600, "r0.1"), read(2900, "r0.1")},
				Deliveries: []genesys.TruthDelivery{delivery(1, dnd.PresenceID, "MEETING")}, Assigns: []genesys.TruthAssign{assign}, Arrivals: []genesys.TruthArrival{arrival}},
			nil, nil},
		{"P1 into DND after two reads by another replica",
			genesys.Truth{Presence: []genesys.TruthPresence{dnd}, BulkReads: []genesys.TruthBulkRead{read(1000, "r1.1"), read(2000, "r1.1")},
				Deliveries: []genesys.TruthDelivery{delivery(1, dnd.PresenceID, "MEETING")}, Assigns: []genesys.TruthAssign{assign}, Arrivals: []genesys.TruthArrival{arrival}},
			nil, nil},
		{"P1 into Interrupt-for-P1 is allowed",
			genesys.Truth{BulkReads: []genesys.TruthBulkRead{read(1000, "r0.1"), read(2000, "r0.1")},
				Deliveries: []genesys.TruthDelivery{delivery(1, genesys.PresenceMeetingInterruptP1, "MEETING")}, Assigns: []genesys.TruthAssign{assign}},
			nil, nil},
		{"P2 into Interrupt-for-P1 is not",
			genesys.Truth{BulkReads: []genesys.TruthBulkRead{read(1000, "r0.1"), read(2000, "r0.1")},
				Deliveries: []genesys.TruthDelivery{delivery(2, genesys.PresenceMeetingInterruptP1, "MEETING")}, Assigns: []genesys.TruthAssign{assign}},
			nil, []string{InvForbiddenDelivery}},
		{"/assign after the conversation was accepted",
			genesys.Truth{Deliveries: []genesys.TruthDelivery{delivery(3, genesys.PresenceAvailable, "AVAILABLE")},
				Assigns: []genesys.TruthAssign{assign, {At: at(9000), ConversationID: conv, UserID: graceID, Caller: "r1.1", Status: 400}}},
			nil, []string{InvAssignedTwice}},
		{"routed to a user never assigned, and routed to nobody",
			genesys.Truth{Assigns: []genesys.TruthAssign{assign}},
			[]chaosAnswer{{Replica: "r0.1", EscalationResponse: serve.EscalationResponse{Action: "routed", UserID: graceID}},
				{Replica: "r0.1", EscalationResponse: serve.EscalationResponse{Action: "routed", UserID: ""}}},
			[]string{InvRoutedUnassigned}},
		{"routed to a user whose /assign arrived but was refused with a 503",
			genesys.Truth{Arrivals: []genesys.TruthArrival{{At: at(100), ConversationID: conv, UserID: graceID, Caller: "r0.1"}}},
			[]chaosAnswer{{Replica: "r0.1", EscalationResponse: serve.EscalationResponse{Action: "routed", UserID: graceID}}},
			nil},
		{"routed to the user assigned",
			genesys.Truth{Assigns: []genesys.TruthAssign{assign}},
			[]chaosAnswer{{Replica: "r0.1", EscalationResponse: serve.EscalationResponse{Action: "routed", UserID: alanID}}},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &chaosRun{start: t0, escs: []*chaosEsc{{conv: conv, sent: at(2500), answers: c.answers}}}
			var got []string
			for _, v := range r.check(c.truth, nil, nil) {
				got = append(got, v.Invariant)
			}
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Fatalf("violations %v, want %v", got, c.want)
			}
		})
	}
	// Not terminal and a diverged cache are reported as such.
	r := &chaosRun{start: t0}
	vs := r.check(genesys.Truth{}, []*chaosEsc{{conv: conv, step: Step{Priority: 1, Skill: "Databases"}}},
		[]cacheDiff{{Replica: "r0.1", User: alanID, Cached: genesys.PresenceAvailable, True: dnd.PresenceID}})
	if len(vs) != 2 || vs[0].Invariant != InvNotTerminal || vs[1].Invariant != InvCacheDiverged {
		t.Fatalf("%+v", vs)
	}
}
