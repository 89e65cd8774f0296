package engine_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
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

// A snapshot with Changed (the simulator's) leaves every expert exactly as
// the same snapshot without it does: a seeded mix of events (some lost,
// some late, some tied), deliveries and their outcomes, and reads (some
// started before changes they do not show, one started earlier than the
// read before it), and restarts (Load) go to two engines, one told which
// entries changed (mostly). What reads ConfirmedAt (State, Staleness,
// Stalest, eligibility under maxStaleness, the write-through) agrees.
func TestSnapshotChangedAgreesWithFullRead(t *testing.T) {
	// maxStaleness before and from step 2000 (a SetPolicy): stale
	// experts are excluded from the decisions compared.
	for _, c := range []struct{ before, after time.Duration }{{0, 0}, {5 * time.Second, 5 * time.Second}, {0, 5 * time.Second}} {
		t.Run(fmt.Sprintf("maxStaleness %v then %v", c.before, c.after), func(t *testing.T) {
			snapshotChangedAgreesWithFullRead(t, c.before, c.after)
		})
	}
}

func snapshotChangedAgreesWithFullRead(t *testing.T, before, after time.Duration) {
	const n = 8
	var experts []engine.Expert
	for i := range n {
		experts = append(experts, expert(fmt.Sprintf("x%d", i), 0))
	}
	policy := func(stale time.Duration) *engine.Policy {
		p := testPolicy()
		p.MaxStaleness = stale
		p.Cooldown = 20 * time.Second // a decline does not shut an expert for long
		return p
	}
	full, delta := newHarness(t, policy(before), experts...), newHarness(t, policy(before), experts...)
	both := []*harness{full, delta}
	rng := rand.New(rand.NewPCG(13, 1))
	// Mostly open to work, so that many escalations are delivered.
	presences := []engine.Presence{avail, avail, avail, onQueue, meetP1, meetP2, meetDND}
	routings := []engine.RoutingStatus{engine.RSIdle, engine.RSIdle, engine.RSIdle, engine.RSIdle, engine.RSInteracting, engine.RSOffQueue, engine.RSNotResponding}
	entries := make([]engine.SnapshotEntry, n)
	for i := range entries {
		entries[i] = engine.SnapshotEntry{Expert: experts[i].ID, Presence: avail, PresenceSince: t0, Routing: engine.RSIdle, RoutingSince: t0}
	}
	changed := make([]bool, n)
	for i := range changed {
		changed[i] = true
	}
	readAt := t0
	for step := range 4000 {
		if step == 2000 {
			for _, h := range both {
				if err := h.eng.SetPolicy(policy(after)); err != nil {
					t.Fatal(err)
				}
			}
		}
		now := full.clock.now
		switch r := rng.IntN(100); {
		case r < 40: // the truth changes; the event may be lost
			i := rng.IntN(n)
			en := &entries[i]
			at := now
			if rng.IntN(8) == 0 { // the same millisecond as the last change
				at = en.PresenceSince
				if en.RoutingSince.After(at) {
					at = en.RoutingSince
				}
			}
			var ev engine.Event
			if rng.IntN(2) == 0 {
				en.Presence, en.PresenceSince = presences[rng.IntN(len(presences))], at
				ev = engine.Event{Kind: engine.EvPresence, Expert: en.Expert, At: at, Presence: en.Presence}
			} else {
				en.Routing, en.RoutingSince = routings[rng.IntN(len(routings))], at
				ev = engine.Event{Kind: engine.EvRouting, Expert: en.Expert, At: at, Routing: en.Routing}
			}
			changed[i] = true
			if rng.IntN(4) != 0 {
				for _, h := range both {
					h.apply(ev)
				}
			}
		case r < 50: // a late, older event
			en := &entries[rng.IntN(n)]
			ev := engine.Event{Kind: engine.EvPresence, Expert: en.Expert, At: en.PresenceSince.Add(-time.Second), Presence: presences[rng.IntN(len(presences))]}
			for _, h := range both {
				h.apply(ev)
			}
		case r < 60: // an escalation, delivered or not, accepted or not
			conv := fmt.Sprintf("c%d", step)
			var ds []engine.Decision
			prio := engine.Priority(1 + rng.IntN(3))
			for _, h := range both {
				ds = append(ds, h.submit(conv, prio))
			}
			if ds[0].Action != ds[1].Action || ds[0].Expert != ds[1].Expert {
				t.Fatalf("step %d: decisions differ: %+v and %+v", step, ds[0], ds[1])
			}
			if ds[0].Action == engine.ActDeliver {
				res := []engine.DeliveryResult{engine.Accepted, engine.Declined, engine.NoAnswer}[rng.IntN(3)]
				for _, h := range both {
					h.outcome(h.disp.last(), res)
				}
			}
		case r < 75: // a bulk read, started a little before it is applied
			if rng.IntN(10) != 0 { // else it starts before the last one did
				readAt = now.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond)
			}
			// Now and then the delta engine gets a read without Changed
			// too, as the full one always does.
			untracked := rng.IntN(8) == 0
			for _, h := range both {
				s := engine.Snapshot{At: readAt, Entries: slices.Clone(entries), InEngineOrder: true}
				if h == delta && !untracked {
					s.Changed = slices.Clone(changed)
				}
				if err := h.eng.ApplySnapshot(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			clear(changed)
		case r < 76: // a restart: the engines reload what they wrote through
			for _, h := range both {
				if err := h.eng.Load(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		d := time.Duration(rng.IntN(4)) * time.Second
		for _, h := range both {
			h.clock.Advance(d)
			if err := h.eng.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			a, _ := full.eng.State(experts[i].ID)
			b, _ := delta.eng.State(experts[i].ID)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("step %d, expert %d:\nfull read: %+v\nChanged:   %+v", step, i, a, b)
			}
			sa, oka := full.eng.Staleness(experts[i].ID)
			sb, okb := delta.eng.Staleness(experts[i].ID)
			if sa != sb || oka != okb {
				t.Fatalf("step %d, expert %d: staleness %v %v (full read), %v %v (Changed)", step, i, sa, oka, sb, okb)
			}
		}
		if wa, da := full.eng.Stalest(); true {
			if wb, db := delta.eng.Stalest(); wa != wb || da != db {
				t.Fatalf("step %d: stalest %s %v (full read), %s %v (Changed)", step, wa, da, wb, db)
			}
		}
		// What each wrote through (a restart's Load reads it back).
		sta, err := full.store.LoadExperts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stb, err := delta.store.LoadExperts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sta, stb) {
			t.Fatalf("step %d: stored states differ:\nfull read: %+v\nChanged:   %+v", step, sta, stb)
		}
	}
}
