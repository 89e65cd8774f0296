package engine_test

import (
	"errors"
	"testing"

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
