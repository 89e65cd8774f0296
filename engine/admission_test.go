package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// A delivery the dispatcher refuses synchronously is never the answer:
// Submit returns what followed.
func TestRefusedDeliveryIsNotTheAnswer(t *testing.T) {
	cases := []struct {
		name     string
		refuse   map[engine.ExpertID]error
		want     engine.Action
		wantTo   engine.ExpertID
		attempts int
	}{
		// No capacity (API budget, full queue): another expert would meet
		// the same refusal, so the escalation falls back at once.
		{"capacity", map[engine.ExpertID]error{"a": &engine.DeliveryFailure{Fault: engine.FaultCapacity, Err: errors.New("no budget")}},
			engine.ActFallback, "", 1},
		// A transient refusal for a: b is tried and the answer is b's delivery.
		{"transient", map[engine.ExpertID]error{"a": &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("stopped")}},
			engine.ActDeliver, "b", 2},
		// Everyone refuses: after maxAttempts the answer is the fallback.
		{"all refuse", map[engine.ExpertID]error{
			"a": &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("x")},
			"b": &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("x")},
			"c": &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: errors.New("x")},
		}, engine.ActFallback, "", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "s", 1))
			for _, id := range []string{"a", "b", "c"} {
				h.presence(id, avail)
			}
			h.disp.failErr = c.refuse
			d := h.submit("c1", engine.P1, "s")
			if d.Action != c.want || d.Expert != c.wantTo && c.want == engine.ActDeliver {
				t.Fatalf("Submit answered %v to %q (%s); want %v to %q", d.Action, d.Expert, d.Why, c.want, c.wantTo)
			}
			if len(h.disp.got) != c.attempts {
				t.Fatalf("%d deliveries attempted, want %d", len(h.disp.got), c.attempts)
			}
		})
	}
}

// A capacity refusal with an estimate holds the escalation that long, with
// the estimate as its ETA, and decides again then; it blames nobody and
// does not count against maxAttempts. Past the hold window it falls back.
func TestCapacityRefusalHoldsUntilTheEstimate(t *testing.T) {
	refusal := func(after time.Duration) error {
		return &engine.DeliveryFailure{Fault: engine.FaultCapacity, Err: errors.New("no budget"), RetryAfter: after}
	}
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 3))
	h.presence("a", avail)
	h.presence("b", avail)
	// Refused five times (more than maxAttempts = 3), each time with an
	// estimate of 2 s: held each time, never fallen back.
	h.disp.failErr = map[engine.ExpertID]error{"a": refusal(2 * time.Second), "b": refusal(2 * time.Second)}
	holds := func() int {
		n := 0
		for _, d := range h.decs {
			if d.ConversationID == "c1" && d.Action == engine.ActHold {
				n++
			}
		}
		return n
	}
	d := h.submit("c1", engine.P1, "s")
	for i := range 5 {
		if d.Action != engine.ActHold || d.ETA != 2*time.Second || !d.HoldUntil.Equal(h.clock.now.Add(2*time.Second)) {
			t.Fatalf("refusal %d: answered %v ETA %v until %v (%s); want hold for 2 s", i+1, d.Action, d.ETA, d.HoldUntil, d.Why)
		}
		st, _ := h.eng.Status("c1")
		if st.Action != engine.ActHold || st.Terminal || !st.HoldUntil.Equal(d.HoldUntil) {
			t.Fatalf("refusal %d: status %+v; want held until %v", i+1, st, d.HoldUntil)
		}
		// Nothing happens before the estimate.
		n := len(h.decs)
		if err := h.tick(time.Second); err != nil {
			t.Fatal(err)
		}
		if len(h.decs) != n {
			t.Fatalf("refusal %d: decided again before the estimate", i+1)
		}
		if err := h.tick(time.Second); err != nil {
			t.Fatal(err)
		}
		if holds() != i+2 {
			t.Fatalf("refusal %d: not decided again at the estimate (%d holds)", i+1, holds())
		}
		d = h.decs[len(h.decs)-1] // the decision that followed the new refusal
	}
	// Capacity is back: delivered, and nobody was put in a cool-down.
	h.disp.failErr = nil
	if err := h.tick(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.eng.Status("c1"); st.Action != engine.ActDeliver || len(h.disp.got) != 7 {
		t.Fatalf("after capacity returned: status %+v, %d deliveries tried; want 6 refused, then delivering", st, len(h.disp.got))
	}
	if h.cooling("a") || h.cooling("b") {
		t.Fatal("a capacity refusal put an expert in a cool-down")
	}

	// An estimate past the hold window (micro-wait maxHold) falls back.
	h.disp.failErr = map[engine.ExpertID]error{"a": refusal(time.Hour), "b": refusal(time.Hour)}
	if d := h.submit("c2", engine.P1, "s"); d.Action != engine.ActFallback {
		t.Fatalf("estimate past the window: answered %v (%s); want fallback", d.Action, d.Why)
	}
}
