package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Issue 12, item 6: an unknown conversation (404 on /assign) put every
// expert tried into a 10-minute cool-down. A conversation-level failure
// ends the escalation at once and penalises nobody.
func TestConversationFaultPenalisesNobody(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "s", 1))
	for _, x := range []string{"a", "b", "c"} {
		h.presence(x, avail)
	}
	notFound := &engine.DeliveryFailure{Fault: engine.FaultConversation, Err: errors.New("404 resource.not.found")}
	h.disp.failErr = map[engine.ExpertID]error{"a": notFound, "b": notFound, "c": notFound}
	h.submit("c1", engine.P1, "s")
	if len(h.disp.got) != 1 {
		t.Errorf("%d deliveries, want 1: a conversation nobody can take is not offered to the next expert", len(h.disp.got))
	}
	if a := h.terminal("c1"); a != engine.ActFallback {
		t.Errorf("terminal action %v, want fallback", a)
	}
	for _, x := range []engine.ExpertID{"a", "b", "c"} {
		if st, _ := h.eng.State(x); !st.CooldownUntil.IsZero() {
			t.Errorf("%s cooling down until %v after a conversation-level error", x, st.CooldownUntil)
		}
		if holder, _ := h.store.Holder(ctx, x); holder != "" {
			t.Errorf("%s still held by %q", x, holder)
		}
	}
	// The same experts take the next escalation at once.
	h.disp.failErr = nil
	if d := h.submit("c2", engine.P1, "s"); d.Action != engine.ActDeliver || d.EligibleCount != 3 {
		t.Errorf("next escalation: %v to %q, %d eligible (%s); want a delivery with all 3 eligible", d.Action, d.Expert, d.EligibleCount, d.Why)
	}
}

// The same through an outcome reported later (the production dispatcher
// reports failures asynchronously).
func TestConversationFaultOutcome(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0), expert("b", 0))
	h.presence("a", avail)
	h.presence("b", avail)
	d := h.submit("c1", engine.P1)
	if err := h.eng.HandleOutcome(ctx, engine.Outcome{ConversationID: "c1", Expert: d.Expert, Holder: d.Holder,
		Result: engine.DeliveryError, Fault: engine.FaultConversation, At: h.clock.now, Detail: "400 operation.failed"}); err != nil {
		t.Fatal(err)
	}
	if a := h.terminal("c1"); a != engine.ActFallback || len(h.disp.got) != 1 {
		t.Errorf("terminal %v after %d deliveries, want fallback after 1", a, len(h.disp.got))
	}
	if st, _ := h.eng.State(d.Expert); !st.CooldownUntil.IsZero() {
		t.Errorf("%s cooling down", d.Expert)
	}
}

// Each class of failure, and whom it penalises.
func TestDeliveryFaultClasses(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		cooldown bool // the failed expert cools down
		next     bool // the next candidate is tried
	}{
		{"unclassified error blames the expert", errors.New("boom"), true, true},
		{"expert-level", &engine.DeliveryFailure{Fault: engine.FaultExpert, Err: errors.New("400 invalid.status")}, true, true},
		{"transient", &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("queue full")}, false, true},
		{"uncertain", &engine.DeliveryFailure{Fault: engine.FaultUncertain, Err: errors.New("504")}, false, true},
		{"conversation-level", &engine.DeliveryFailure{Fault: engine.FaultConversation, Err: errors.New("404")}, false, false},
		{"wrapped", errors.Join(errors.New("ctx"), &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("429")}), false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 1))
			h.presence("a", avail)
			h.presence("b", avail)
			h.disp.failErr = map[engine.ExpertID]error{"a": c.err}
			h.submit("c1", engine.P1, "s")
			st, _ := h.eng.State("a")
			if got := !st.CooldownUntil.IsZero(); got != c.cooldown {
				t.Errorf("a cooling down = %v, want %v", got, c.cooldown)
			}
			if got := len(h.disp.got) == 2 && h.disp.got[1].Expert == "b"; got != c.next {
				t.Errorf("next candidate tried = %v, want %v (deliveries %+v)", got, c.next, h.disp.got)
			}
		})
	}
}

// Issue 12, item 6: a retry after an escalation finished answered
// {"action":"routed","userId":""}. It answers the true final state.
func TestRetryAfterFinishAnswersFinalState(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0), expert("b", 0))
	h.presence("a", avail)
	d := h.submit("c1", engine.P1)
	h.outcome(h.disp.last(), engine.Accepted)
	check := func(who string, got engine.Decision, wantAction engine.Action, wantExpert engine.ExpertID, wantQueue string) {
		t.Helper()
		if got.Action != wantAction || got.Expert != wantExpert || got.Queue != wantQueue || !got.Duplicate {
			t.Errorf("%s: %v expert %q queue %q duplicate %v; want %v expert %q queue %q", who, got.Action, got.Expert, got.Queue, got.Duplicate, wantAction, wantExpert, wantQueue)
		}
	}
	check("retry, same engine", h.submit("c1", engine.P1), engine.ActRouted, d.Expert, "")
	if st, _ := h.eng.Status("c1"); st.Expert != d.Expert {
		t.Errorf("Status expert %q, want %q", st.Expert, d.Expert)
	}

	// A fallback answers with its queue and no expert.
	h.clock.Advance(time.Second)
	h.submit("c2", engine.P2) // nobody free: a is busy, b has no presence
	if a := h.terminal("c2"); a != engine.ActFallback {
		t.Fatalf("c2 ended %v", a)
	}
	check("fallback retry", h.submit("c2", engine.P2), engine.ActFallback, "", "Tier 3")

	// Another replica (or a restart) answers from the decision log.
	e2, err := engine.New(engine.Config{Clock: h.clock, Store: h.store, Dispatcher: h.disp, Policy: testPolicy(),
		Experts: []engine.Expert{expert("a", 0), expert("b", 0)}, ReplicaID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	for conv, want := range map[string]struct {
		a engine.Action
		x engine.ExpertID
		q string
	}{"c1": {engine.ActRouted, d.Expert, ""}, "c2": {engine.ActFallback, "", "Tier 3"}} {
		got, err := e2.Submit(ctx, engine.Escalation{ConversationID: conv, Priority: engine.P1})
		if err != nil {
			t.Fatal(err)
		}
		check("other replica, "+conv, got, want.a, want.x, want.q)
	}
}
