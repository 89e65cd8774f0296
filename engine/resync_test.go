package engine_test

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// A bulk read is authoritative for anything not newer than it. Issue 12,
// item 1: an expert flipped Available → "In a Meeting – Do Not Disturb"
// within one millisecond and the DND notification was lost; every resync
// reported DND with the same modifiedDate as the Available the engine held,
// the old tie rule (larger GUID) kept Available through every resync, and a
// P1 was delivered into DND.
func TestResyncSettlesSameMillisecondFlip(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	flip := t0.Add(time.Second)
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: flip, Presence: avail})
	for i := range 10 {
		h.clock.Advance(time.Minute)
		h.snapshot(engine.SnapshotEntry{Expert: "a", Presence: meetDND, PresenceSince: flip})
		if st, _ := h.eng.State("a"); st.Presence != meetDND {
			t.Fatalf("resync %d: presence %v, want DND (the read started after the engine learned Available)", i+1, st.Presence.Def)
		}
	}
	if d := h.submit("c1", engine.P1); d.Action == engine.ActDeliver {
		t.Fatalf("P1 delivered to %s in Do Not Disturb", d.Expert)
	}
	// A late duplicate of the Available notification does not undo what
	// the read settled.
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: flip, Presence: avail})
	if st, _ := h.eng.State("a"); st.Presence != meetDND {
		t.Fatalf("late duplicate event rolled the read back to %v", st.Presence.Def)
	}
}

// The ordering rules between reads and events, case by case. Each case
// holds one value, then applies a bulk read started at readAt.
func TestResyncOrdering(t *testing.T) {
	flip := t0.Add(time.Second)
	cases := []struct {
		name string
		// held is the event applied at engine time learnedAt.
		held      engine.Event
		learnedAt time.Duration // after t0
		readAt    time.Duration // after t0; the read is applied at 2 min
		entry     engine.SnapshotEntry
		want      engine.Presence
		wantRS    engine.RoutingStatus
	}{
		// a tie learned before the read started: the read wins, in both
		// directions (it may open an expert up as well as close one)
		{"tie, learned before the read: DND wins", pev(flip, avail), 10 * time.Second, 20 * time.Second, pen(flip, meetDND), meetDND, 0},
		{"tie, learned before the read: Available wins", pev(flip, meetDND), 10 * time.Second, 20 * time.Second, pen(flip, avail), avail, 0},
		// a tie learned after the read started: the event may be newer than
		// what the read saw; it is kept until the next read
		{"tie, learned during the read", pev(flip, meetDND), 30 * time.Second, 20 * time.Second, pen(flip, avail), meetDND, 0},
		// a newer event is never rolled back, however late the read
		{"newer event", pev(flip.Add(time.Millisecond), meetDND), 10 * time.Second, 20 * time.Second, pen(flip, avail), meetDND, 0},
		// an older held value is replaced
		{"older event", pev(flip, avail), 10 * time.Second, 20 * time.Second, pen(flip.Add(time.Millisecond), meetDND), meetDND, 0},
		// routing status ties follow the same rule
		{"routing tie, learned before the read",
			engine.Event{Kind: engine.EvRouting, Expert: "a", At: flip, Routing: engine.RSInteracting}, 10 * time.Second, 20 * time.Second,
			engine.SnapshotEntry{Expert: "a", Presence: avail, PresenceSince: flip, Routing: engine.RSIdle, RoutingSince: flip}, avail, engine.RSIdle},
		{"routing tie, learned during the read",
			engine.Event{Kind: engine.EvRouting, Expert: "a", At: flip, Routing: engine.RSIdle}, 30 * time.Second, 20 * time.Second,
			engine.SnapshotEntry{Expert: "a", Presence: avail, PresenceSince: flip, Routing: engine.RSInteracting, RoutingSince: flip}, avail, engine.RSIdle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testPolicy(), expert("a", 0))
			// Something else first, so that every held event is a change.
			h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: t0, Presence: onQueue})
			h.apply(engine.Event{Kind: engine.EvRouting, Expert: "a", At: t0, Routing: engine.RSOffQueue})
			h.clock.now = t0.Add(c.learnedAt)
			h.apply(c.held)
			h.clock.now = t0.Add(2 * time.Minute)
			if err := h.eng.ApplySnapshot(ctx, engine.Snapshot{At: t0.Add(c.readAt), Entries: []engine.SnapshotEntry{c.entry}}); err != nil {
				t.Fatal(err)
			}
			st, _ := h.eng.State("a")
			if st.Presence != c.want {
				t.Errorf("presence %v, want %v", st.Presence.Def, c.want.Def)
			}
			if c.wantRS != 0 && st.Routing != c.wantRS {
				t.Errorf("routing %v, want %v", st.Routing, c.wantRS)
			}
			// A second read, started after everything above, always
			// converges to what it reports.
			h.clock.Advance(time.Minute)
			h.snapshot(c.entry)
			if st, _ := h.eng.State("a"); st.Presence != c.entry.Presence && !st.PresenceSince.After(c.entry.PresenceSince) {
				t.Errorf("second read: presence %v, want %v", st.Presence.Def, c.entry.Presence.Def)
			}
		})
	}
}

// Once a read has settled a tied instant, a same-timestamp event (a late or
// duplicated notification) does not undo it, whichever GUID is larger.
func TestReadSettledTieSurvivesLateEvent(t *testing.T) {
	flip := t0.Add(time.Second)
	h := newHarness(t, testPolicy(), expert("a", 0))
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: flip, Presence: meetDND})
	h.clock.Advance(time.Minute)
	h.snapshot(engine.SnapshotEntry{Expert: "a", Presence: avail, PresenceSince: flip})
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: flip, Presence: meetDND})
	if st, _ := h.eng.State("a"); st.Presence != avail {
		t.Fatalf("late tied event overrode the read: %v", st.Presence.Def)
	}
	// A genuinely newer event still applies.
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: "a", At: flip.Add(time.Millisecond), Presence: meetDND})
	if st, _ := h.eng.State("a"); st.Presence != meetDND {
		t.Fatalf("newer event ignored: %v", st.Presence.Def)
	}
}

func pev(at time.Time, p engine.Presence) engine.Event {
	return engine.Event{Kind: engine.EvPresence, Expert: "a", At: at, Presence: p}
}

func pen(at time.Time, p engine.Presence) engine.SnapshotEntry {
	return engine.SnapshotEntry{Expert: "a", Presence: p, PresenceSince: at}
}

// snapshot applies a bulk read started now.
func (h *harness) snapshot(entries ...engine.SnapshotEntry) {
	h.t.Helper()
	if err := h.eng.ApplySnapshot(ctx, engine.Snapshot{At: h.clock.now, Entries: entries}); err != nil {
		h.t.Fatal(err)
	}
}
