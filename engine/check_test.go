package engine_test

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memcheck"
	"github.com/shadowq/shadowq/engine/memstore"
)

// newCheckHarness is newHarness with a conversation checker (the in-memory
// twin of GET /api/v2/conversations/{id}).
func newCheckHarness(t *testing.T, experts ...engine.Expert) (*harness, *memcheck.Checker) {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}, disp: &recorder{fail: map[engine.ExpertID]bool{}}}
	h.store = memstore.New(h.clock)
	chk := memcheck.New(h.clock)
	eng, err := engine.New(engine.Config{
		Clock: h.clock, Store: h.store, Dispatcher: h.disp, Checker: chk, Predictor: engine.DefaultPredictor(),
		Policy: testPolicy(), Experts: experts, ReplicaID: "r1",
		OnDecision: func(d *engine.Decision) { h.decs = append(h.decs, *d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	for _, x := range experts {
		h.presence(string(x.ID), avail)
	}
	return h, chk
}

// answer hands the checker's queued answers to the engine.
func (h *harness) answer(chk *memcheck.Checker) int {
	h.t.Helper()
	as := chk.Drain()
	for _, o := range as {
		if err := h.eng.HandleOutcome(ctx, o); err != nil {
			h.t.Fatal(err)
		}
	}
	return len(as)
}

func (h *harness) cooling(id engine.ExpertID) bool {
	st, _ := h.eng.State(id)
	return !st.CooldownUntil.IsZero()
}

// Issue 12, item 3: with notifications paused, a conversation connected to
// expert A was, after the claim TTL, taken for unanswered: /assign to B and
// C (400 from Genesys), cool-downs for B and C, log "fallback". The engine
// now reads the conversation first and finds A connected.
func TestUnobservedAcceptSettledByCheck(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "s", 1))
	d := h.submit("c1", engine.P1, "s")
	chk.SetLeg("c1", d.Expert, memcheck.Connected) // accepted; the event never arrives
	if err := h.tick(35 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(h.disp.got) != 1 || chk.Checks() != 1 {
		t.Fatalf("after the claim TTL: %d deliveries, %d checks; want 1 delivery, 1 check", len(h.disp.got), chk.Checks())
	}
	if st, _ := h.eng.Status("c1"); st.Terminal || st.Expert != d.Expert {
		t.Fatalf("while checking: %+v, want still delivering to %s", st, d.Expert)
	}
	h.answer(chk)
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("ended %v, want routed", a)
	}
	if st, _ := h.eng.Status("c1"); st.Expert != d.Expert {
		t.Errorf("routed to %q, want %s", st.Expert, d.Expert)
	}
	if holder, _ := h.store.Holder(ctx, d.Expert); holder != "busy:c1" {
		t.Errorf("%s held by %q, want busy:c1", d.Expert, holder)
	}
	for _, x := range []engine.ExpertID{"a", "b", "c"} {
		if h.cooling(x) {
			t.Errorf("%s cooling down", x)
		}
	}
	if len(h.disp.got) != 1 {
		t.Errorf("%d deliveries, want 1", len(h.disp.got))
	}
}

// The conversation says what happened; each answer settles as it should.
func TestCheckAnswersSettleDelivery(t *testing.T) {
	cases := []struct {
		name     string
		truth    memcheck.Conversation // about c1; "a" is the first expert tried
		terminal engine.Action         // 0: not terminal
		next     bool                  // b was tried next
		coolA    bool
	}{
		{"accepted", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{"a": memcheck.Connected}}, engine.ActRouted, false, false},
		{"unanswered: next, a cools down", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{"a": memcheck.Unanswered}}, 0, true, true},
		{"declined: next, a cools down", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{"a": memcheck.Declined}}, 0, true, true},
		{"never rang: next, nobody blamed", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{}}, 0, true, false},
		{"ended: finish, nobody blamed", memcheck.Conversation{Ended: true}, engine.ActFallback, false, false},
		{"with another agent: finish, nobody blamed", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{"z": memcheck.Connected}}, engine.ActRouted, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, chk := newCheckHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 1))
			h.submit("c1", engine.P1, "s")
			chk.Set("c1", c.truth)
			if err := h.tick(35 * time.Second); err != nil {
				t.Fatal(err)
			}
			if n := h.answer(chk); n != 1 {
				t.Fatalf("%d check answers, want 1", n)
			}
			st, _ := h.eng.Status("c1")
			if c.terminal != 0 && (!st.Terminal || st.Action != c.terminal) {
				t.Errorf("status %+v, want terminal %v", st, c.terminal)
			}
			if c.terminal == 0 && st.Terminal {
				t.Errorf("ended %v, want the escalation to go on", st.Action)
			}
			if got := len(h.disp.got) == 2 && h.disp.got[1].Expert == "b"; got != c.next {
				t.Errorf("b tried = %v, want %v", got, c.next)
			}
			if h.cooling("a") != c.coolA || h.cooling("b") {
				t.Errorf("cooling: a %v (want %v), b %v", h.cooling("a"), c.coolA, h.cooling("b"))
			}
		})
	}
}

// A conversation still ringing the expert is left alone and checked again.
func TestCheckStillAlertingWaits(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0), expert("b", 0))
	d := h.submit("c1", engine.P1)
	chk.SetLeg("c1", d.Expert, memcheck.Ringing)
	_ = h.tick(35 * time.Second)
	h.answer(chk)
	if len(h.disp.got) != 1 {
		t.Fatalf("re-routed while ringing: %+v", h.disp.got)
	}
	if holder, _ := h.store.Holder(ctx, d.Expert); holder != d.Holder {
		t.Errorf("%s held by %q while ringing, want the delivery's claim", d.Expert, holder)
	}
	chk.SetLeg("c1", d.Expert, memcheck.Connected)
	_ = h.tick(20 * time.Second)
	h.answer(chk)
	if a := h.terminal("c1"); a != engine.ActRouted || chk.Checks() != 2 {
		t.Fatalf("ended %v after %d checks, want routed after 2", a, chk.Checks())
	}
}

// Issue 12, item 3, the second half: /assign to the next expert failed with
// 400 (not waiting in a queue) because the conversation was connected to an
// expert tried earlier. The check finds that expert: routed, nobody cools
// down, nobody else is tried.
func TestNotWaitingSettledFromConversation(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "s", 1))
	h.disp.failErr = map[engine.ExpertID]error{
		"b": &engine.DeliveryFailure{Fault: engine.FaultConversation, Err: errString("400 operation.failed: not waiting in a queue")},
	}
	h.submit("c1", engine.P1, "s")
	// a's alert timed out as far as the feed knows; a picked up anyway.
	chk.SetLeg("c1", "a", memcheck.Connected)
	h.outcome(h.disp.got[0], engine.NoAnswer)
	h.answer(chk)
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("ended %v, want routed", a)
	}
	if st, _ := h.eng.Status("c1"); st.Expert != "a" {
		t.Errorf("routed to %q, want a", st.Expert)
	}
	if h.cooling("b") || h.cooling("c") {
		t.Errorf("b or c cooling down after a conversation-level error")
	}
	if len(h.disp.got) != 2 {
		t.Errorf("deliveries %+v, want a then b only", h.disp.got)
	}
	if st, _ := h.eng.State("a"); st.Conversation != "c1" {
		t.Errorf("a not marked on c1: %+v", st)
	}
}

// /assign failed with an unknown effect: the conversation decides whether
// it happened. It did (ringing, then connected): no second /assign.
func TestUncertainAssignCheckedBeforeRetry(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.disp.failErr = map[engine.ExpertID]error{"a": &engine.DeliveryFailure{Fault: engine.FaultUncertain, Err: errString("504")}}
	chk.SetLeg("c1", "a", memcheck.Connected) // the /assign did happen
	h.submit("c1", engine.P1, "s")
	h.answer(chk)
	if a := h.terminal("c1"); a != engine.ActRouted || len(h.disp.got) != 1 {
		t.Fatalf("ended %v after %d deliveries, want routed after 1", a, len(h.disp.got))
	}
}

// Without a readable conversation the engine settles as it did before
// checks existed (no answer, next expert), never hangs.
func TestChecksUnavailable(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.submit("c1", engine.P1, "s")
	chk.SetDown(true)
	if err := h.tick(35 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(h.disp.got) != 2 || h.disp.got[1].Expert != "b" {
		t.Fatalf("deliveries %+v, want a then b", h.disp.got)
	}
	// Checks that start but are never answered are bounded too.
	chk.SetDown(false)
	for range 10 {
		_ = h.tick(35 * time.Second)
		chk.Drain() // answers lost
	}
	if st, _ := h.eng.Status("c1"); !st.Terminal {
		t.Fatalf("never settled: %+v", st)
	}
}

// An outcome from the feed beats a check in flight; the late answer is
// ignored.
func TestFeedOutcomeBeatsCheck(t *testing.T) {
	h, chk := newCheckHarness(t, expert("a", 0), expert("b", 0))
	d := h.submit("c1", engine.P1)
	_ = h.tick(35 * time.Second) // check in flight; the table knows nothing yet
	h.outcome(h.disp.got[0], engine.Accepted)
	h.answer(chk) // says "never rang": ignored
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("ended %v", a)
	}
	if st, _ := h.eng.Status("c1"); st.Expert != d.Expert || len(h.disp.got) != 1 {
		t.Errorf("status %+v, %d deliveries", st, len(h.disp.got))
	}
}

type errString string

func (e errString) Error() string { return string(e) }
