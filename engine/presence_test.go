package engine_test

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

func TestParseSystemPresenceSpellings(t *testing.T) {
	cases := map[string]engine.SystemPresence{
		"ON_QUEUE":  engine.SysOnQueue, // notifications, analytics
		"OnQueue":   engine.SysOnQueue, // /presence/definitions
		"On Queue":  engine.SysOnQueue, // legacy REST reads
		"on-queue":  engine.SysOnQueue,
		"Available": engine.SysAvailable,
		"AVAILABLE": engine.SysAvailable,
		"meeting":   engine.SysMeeting,
		"Break":     engine.SysBreak,
	}
	for in, want := range cases {
		if got, ok := engine.ParseSystemPresence(in); !ok || got != want {
			t.Errorf("ParseSystemPresence(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "Lunch", "AVAILABLEAVAILABLEAVAILABLE"} {
		if _, ok := engine.ParseSystemPresence(bad); ok {
			t.Errorf("ParseSystemPresence(%q) accepted", bad)
		}
	}
	for in, want := range map[string]engine.RoutingStatus{"OFF_QUEUE": engine.RSOffQueue, "OffQueue": engine.RSOffQueue, "NotResponding": engine.RSNotResponding, "IDLE": engine.RSIdle} {
		if got, ok := engine.ParseRoutingStatus(in); !ok || got != want {
			t.Errorf("ParseRoutingStatus(%q) = %v", in, got)
		}
	}
}

// The presence state machine applies events in event-time order per expert
// and kind; late and duplicated events never roll state back.
func TestPresenceEventOrdering(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	pe := func(s int, p engine.Presence) engine.Event {
		return engine.Event{Kind: engine.EvPresence, Expert: "a", At: at(s), Presence: p}
	}
	re := func(s int, r engine.RoutingStatus) engine.Event {
		return engine.Event{Kind: engine.EvRouting, Expert: "a", At: at(s), Routing: r}
	}
	cases := []struct {
		name    string
		events  []engine.Event
		want    engine.Presence
		since   time.Time
		routing engine.RoutingStatus
	}{
		{"in order", []engine.Event{pe(1, avail), pe(2, meetDND)}, meetDND, at(2), 0},
		// the older event arrives second and is ignored
		{"late event ignored", []engine.Event{pe(2, meetDND), pe(1, avail)}, meetDND, at(2), 0},
		// a duplicate of the first event after a newer one changes nothing
		{"duplicate ignored", []engine.Event{pe(1, avail), pe(2, meetP1), pe(1, avail)}, meetP1, at(2), 0},
		// redelivery of the same event is idempotent
		{"same event twice", []engine.Event{pe(3, meetP1), pe(3, meetP1)}, meetP1, at(3), 0},
		// two different presences at the same instant cannot be ordered: the
		// more restrictive one wins whatever the order (until a read settles it)
		{"equal time tie, order 1", []engine.Event{pe(3, avail), pe(3, meetDND)}, meetDND, at(3), 0},
		{"equal time tie, order 2", []engine.Event{pe(3, meetDND), pe(3, avail)}, meetDND, at(3), 0},
		{"equal time tie, interrupt beats route", []engine.Event{pe(3, meetP2), pe(3, avail)}, meetP2, at(3), 0},
		{"equal time tie, P1-only beats P1/P2", []engine.Event{pe(3, meetP1), pe(3, meetP2)}, meetP1, at(3), 0},
		// equally restrictive: the larger GUID, whatever the order
		{"equal time tie, same rank, order 1", []engine.Event{pe(3, avail), pe(3, onQueue)}, onQueue, at(3), 0}, // "e08e…" > "6a3a…"
		{"equal time tie, same rank, order 2", []engine.Event{pe(3, onQueue), pe(3, avail)}, onQueue, at(3), 0},
		// presence and routing status are ordered independently
		{"kinds independent", []engine.Event{re(5, engine.RSIdle), pe(1, avail), re(4, engine.RSOffQueue)}, avail, at(1), engine.RSIdle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testPolicy(), expert("a", 0))
			h.apply(c.events...)
			st, _ := h.eng.State("a")
			if st.Presence != c.want || !st.PresenceSince.Equal(c.since) {
				t.Errorf("presence %v since %v, want %v since %v", st.Presence, st.PresenceSince, c.want, c.since)
			}
			if c.routing != 0 && st.Routing != c.routing {
				t.Errorf("routing %v, want %v", st.Routing, c.routing)
			}
			// Written through to the store.
			stored, _ := h.store.LoadExperts(ctx)
			if len(stored) != 1 || stored[0].Presence != st.Presence {
				t.Errorf("store has %+v", stored)
			}
		})
	}
}

func TestSnapshotReplacesWhatItCovers(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0), expert("b", 0), expert("c", 0))
	h.presence("a", avail)
	h.presence("b", avail)
	h.presence("c", avail)
	// A missed event: a went into DND at t0+10s but the engine never heard.
	// b changed after the snapshot was read: its newer event must survive.
	h.clock.Advance(30 * time.Second)
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "b", At: t0.Add(25 * time.Second), Presence: meetP1})
	snap := engine.Snapshot{At: h.clock.now, Entries: []engine.SnapshotEntry{
		{Expert: "a", Presence: meetDND, PresenceSince: t0.Add(10 * time.Second), Routing: engine.RSOffQueue, RoutingSince: t0.Add(10 * time.Second)},
		{Expert: "b", Presence: avail, PresenceSince: t0},
		{Expert: "ghost", Presence: avail, PresenceSince: t0}, // not in the pool: ignored
	}}
	if err := h.eng.ApplySnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	a, _ := h.eng.State("a")
	b, _ := h.eng.State("b")
	if a.Presence != meetDND || a.Routing != engine.RSOffQueue {
		t.Errorf("a after snapshot: %v %v, want DND / OFF_QUEUE", a.Presence, a.Routing)
	}
	if b.Presence != meetP1 {
		t.Errorf("b rolled back to %v by an older snapshot entry", b.Presence)
	}
	// Staleness: a and b are confirmed by the snapshot, c is not.
	h.clock.Advance(5 * time.Second)
	for id, want := range map[engine.ExpertID]time.Duration{"a": 5 * time.Second, "b": 5 * time.Second, "c": 35 * time.Second} {
		if got, ok := h.eng.Staleness(id); !ok || got != want {
			t.Errorf("Staleness(%s) = %v, %v; want %v", id, got, ok, want)
		}
	}
	if _, ok := h.eng.Staleness("ghost"); ok {
		t.Error("staleness reported for an unknown expert")
	}
}

func TestStaleExpertsExcludedWhenConfigured(t *testing.T) {
	pol := testPolicy()
	pol.MaxStaleness = time.Minute
	h := newHarness(t, pol, expert("a", 0), expert("b", 0))
	h.presence("a", avail)
	h.clock.Advance(2 * time.Minute)
	h.presence("b", avail)
	d := h.submit("c1", engine.P1)
	if d.Expert != "b" {
		t.Fatalf("picked %s", d.Expert)
	}
	if r, _ := excludedFor(d, "a"); r != engine.ExStale {
		t.Errorf("a excluded as %v, want stale", r)
	}
}

// A lost conversation-disconnect event does not leave an expert busy for
// ever: a newer IDLE or OFF_QUEUE routing status means the call is over.
func TestIdleRoutingStatusEndsConversation(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	h.presence("a", avail)
	h.submit("c1", engine.P1)
	h.outcome(h.disp.last(), engine.Accepted)
	if d := h.submit("c2", engine.P1); d.Action == engine.ActDeliver {
		t.Fatal("busy expert got a second conversation")
	}
	h.clock.Advance(10 * time.Minute)
	h.routing("a", engine.RSIdle)
	if st, _ := h.eng.State("a"); st.Conversation != "" {
		t.Fatalf("conversation %q still set after IDLE", st.Conversation)
	}
	h.clock.Advance(31 * time.Second) // past the busy hold in the store
	if d := h.submit("c3", engine.P1); d.Action != engine.ActDeliver {
		t.Fatalf("idle expert not routed: %v (%s)", d.Action, d.Why)
	}
}

func TestPolicyAllowsOracle(t *testing.T) {
	p := testPolicy()
	cases := []struct {
		pr         engine.Presence
		rs         engine.RoutingStatus
		onConv     bool
		prio       engine.Priority
		ok, interr bool
	}{
		{avail, engine.RSIdle, false, engine.P5, true, false},
		{meetP1, engine.RSOffQueue, false, engine.P1, true, true},
		{meetP1, engine.RSOffQueue, false, engine.P2, false, false},
		{meetDND, engine.RSOffQueue, false, engine.P1, false, false},
		{avail, engine.RSIdle, true, engine.P1, false, false}, // on a conversation = INTERACTING
		{mystery, engine.RSIdle, false, engine.P1, false, false},
	}
	for _, c := range cases {
		ok, in := p.Allows(c.pr, c.rs, c.onConv, c.prio)
		if ok != c.ok || in != c.interr {
			t.Errorf("Allows(%v, %v, %v, %v) = %v, %v; want %v, %v", c.pr.Def, c.rs, c.onConv, c.prio, ok, in, c.ok, c.interr)
		}
	}
}
