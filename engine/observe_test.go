package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
)

func newObserveHarness(t *testing.T, experts ...engine.Expert) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}, disp: &recorder{fail: map[engine.ExpertID]bool{}}}
	h.store = memstore.New(h.clock)
	eng, err := engine.New(engine.Config{
		Clock: h.clock, Store: h.store, Dispatcher: h.disp, Predictor: engine.DefaultPredictor(),
		Policy: testPolicy(), Experts: experts, ReplicaID: "r1", Observe: true,
		OnDecision: func(d *engine.Decision) { h.decs = append(h.decs, *d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	return h
}

// In observe mode every answer is a fallback, the dispatcher is never
// called, and the decision log holds the would-be decision (deliver with
// its ranking, or hold with its ETA) marked observed, then the fallback.
func TestObserveLogsWouldBeDecisionAndFallsBack(t *testing.T) {
	h := newObserveHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "t", 5))
	h.presence("a", avail)
	h.presence("b", avail)
	h.presence("c", meetDND)
	if err := h.eng.SetCalendar(ctx, "c", t0.Add(60*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// A deliver: a is best, b second.
	d := h.submit("c1", engine.P2, "s")
	if d.Action != engine.ActFallback || !d.Observed || !strings.Contains(d.Why, "would have delivered to a") {
		t.Fatalf("c1 answer %v observed=%v (%s), want an observed fallback naming a", d.Action, d.Observed, d.Why)
	}
	log, err := h.store.Decisions(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != engine.ActDeliver || log[0].Expert != "a" || !log[0].Observed ||
		len(log[0].Candidates) != 2 || log[0].Candidates[1].Expert != "b" || log[1].Action != engine.ActFallback || !log[1].Observed {
		t.Fatalf("c1 log %+v, want observed deliver to a (a, b ranked) then observed fallback", log)
	}
	// The next escalation moments later does not name a again: a's claim
	// stands for ClaimTTL, as a real delivery's would.
	h.clock.Advance(time.Second)
	h.submit("c2", engine.P2, "s")
	if log, _ := h.store.Decisions(ctx, "c2"); len(log) != 2 || log[0].Expert != "b" {
		t.Fatalf("c2 log %+v, want the would-be delivery to b", log)
	}

	// A hold: c frees up near the end of its calendar block.
	h.clock.Advance(55 * time.Minute)
	d = h.submit("c3", engine.P1, "t")
	if d.Action != engine.ActFallback || !d.Observed {
		t.Fatalf("c3 answer %v, want fallback", d.Action)
	}
	if log, _ := h.store.Decisions(ctx, "c3"); len(log) != 2 || log[0].Action != engine.ActHold || log[0].HoldExpert != "c" ||
		log[0].ETAMessage == "" || !log[0].Observed {
		t.Fatalf("c3 log %+v, want an observed hold on c with an ETA", log)
	}

	// Nobody at all: one observed fallback.
	d = h.submit("c4", engine.P2, "nobody-has-it")
	if log, _ := h.store.Decisions(ctx, "c4"); d.Action != engine.ActFallback || len(log) != 1 || !log[0].Observed {
		t.Fatalf("c4 %v, log %+v, want one observed fallback", d.Action, log)
	}

	if len(h.disp.got) != 0 {
		t.Fatalf("observe mode called the dispatcher: %+v", h.disp.got)
	}
	if h.eng.InFlight() != 0 {
		t.Fatalf("%d escalations left in flight", h.eng.InFlight())
	}
	// A repeated Submit answers the same fallback, nothing re-decided.
	if d := h.submit("c1", engine.P2, "s"); d.Action != engine.ActFallback {
		t.Fatalf("repeat c1 = %v", d.Action)
	}
	if err := h.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.disp.got) != 0 {
		t.Fatalf("a tick delivered in observe mode: %+v", h.disp.got)
	}
}
