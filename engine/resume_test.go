package engine_test

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memcheck"
	"github.com/shadowq/shadowq/engine/memstore"
)

// takeover is two replicas on one store: r1 starts an escalation and dies
// (it is simply never called again); r2 gets the retried Data Action once
// r1's ownership of the conversation has run out.
type takeover struct {
	t      *testing.T
	clock  *clock
	store  *memstore.Store
	r1, r2 *engine.Engine
	d1, d2 *recorder
	chk    *memcheck.Checker
}

func newTakeover(t *testing.T) *takeover {
	t.Helper()
	k := &takeover{t: t, clock: &clock{now: t0}, d1: &recorder{}, d2: &recorder{}}
	k.store = memstore.New(k.clock)
	k.chk = memcheck.New(k.clock)
	experts := []engine.Expert{expert("a", 0, "s", 5), expert("b", 0, "s", 3)}
	for i, r := range []**engine.Engine{&k.r1, &k.r2} {
		eng, err := engine.New(engine.Config{Clock: k.clock, Store: k.store, Dispatcher: []*recorder{k.d1, k.d2}[i], Checker: k.chk,
			Policy: testPolicy(), Experts: experts, ReplicaID: []string{"r1", "r2"}[i]})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range experts {
			if err := eng.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: x.ID, At: k.clock.now, Presence: avail}); err != nil {
				t.Fatal(err)
			}
		}
		*r = eng
	}
	return k
}

// r1 delivers c1 to a, then dies; its ownership runs out.
func (k *takeover) r1DiesAfterDelivering() {
	k.t.Helper()
	d, err := k.r1.Submit(ctx, engine.Escalation{ConversationID: "c1", Skills: []string{"s"}, Priority: engine.P2})
	if err != nil || d.Action != engine.ActDeliver || d.Expert != "a" {
		k.t.Fatalf("r1: %+v %v", d, err)
	}
	pol := testPolicy()
	k.clock.Advance(time.Duration(pol.MaxAttempts+1)*pol.ClaimTTL + pol.MicroWait.MaxHold + time.Second)
}

func (k *takeover) retryOnR2() engine.Decision {
	k.t.Helper()
	d, err := k.r2.Submit(ctx, engine.Escalation{ConversationID: "c1", Skills: []string{"s"}, Priority: engine.P2})
	if err != nil {
		k.t.Fatal(err)
	}
	for _, o := range k.chk.Drain() {
		if err := k.r2.HandleOutcome(ctx, o); err != nil {
			k.t.Fatal(err)
		}
	}
	return d
}

// Issue 12, item 5: after kill -9 of a replica mid-delivery, a retry on
// the survivor (once the ownership TTL ran out) routed the conversation
// again although the expert had accepted it. The survivor now resumes
// from the log and checks the conversation first.
func TestTakeoverAfterCrashDoesNotRouteAnAcceptedConversationAgain(t *testing.T) {
	k := newTakeover(t)
	k.r1DiesAfterDelivering()
	k.chk.SetLeg("c1", "a", memcheck.Connected) // a accepted; r1 never saw it
	d := k.retryOnR2()
	if len(k.d2.got) != 0 {
		t.Fatalf("r2 delivered %+v: the accepted conversation was routed twice", k.d2.got)
	}
	if d.Expert != "a" {
		t.Errorf("r2 answered %+v, want the delivery to a", d)
	}
	st, ok := k.r2.Status("c1")
	if !ok || !st.Terminal || st.Action != engine.ActRouted {
		t.Fatalf("r2 status %+v, want routed", st)
	}
	log, _ := k.store.Decisions(ctx, "c1")
	for i := range log {
		if log[i].Seq != i+1 {
			t.Fatalf("decision log sequence %d at position %d: the log was not resumed: %+v", log[i].Seq, i+1, log)
		}
	}
	if last := log[len(log)-1]; last.Action != engine.ActRouted || last.Expert != "a" {
		t.Fatalf("log ends %+v, want routed to a", last)
	}
}

// The delivery never took effect (r1 died before /assign): r2 routes on,
// as the second attempt, to someone other than a, who is not blamed.
func TestTakeoverOfADeliveryThatNeverRang(t *testing.T) {
	k := newTakeover(t)
	k.r1DiesAfterDelivering()
	k.chk.Set("c1", memcheck.Conversation{Legs: map[engine.ExpertID]memcheck.Leg{}})
	k.retryOnR2()
	if len(k.d2.got) != 1 || k.d2.got[0].Expert != "b" || k.d2.got[0].Attempt != 2 {
		t.Fatalf("r2 deliveries %+v, want attempt 2 to b", k.d2.got)
	}
	if st, _ := k.r2.State("a"); !st.CooldownUntil.IsZero() {
		t.Error("a cools down for a delivery that never rang")
	}
}

// Still ringing: r2 neither routes nor ends it; it looks again later.
func TestTakeoverOfARingingDeliveryWaits(t *testing.T) {
	k := newTakeover(t)
	k.r1DiesAfterDelivering()
	k.chk.SetLeg("c1", "a", memcheck.Ringing)
	k.retryOnR2()
	if len(k.d2.got) != 0 {
		t.Fatalf("r2 delivered %+v while a is ringing", k.d2.got)
	}
	if st, _ := k.r2.Status("c1"); st.Terminal || st.Expert != "a" {
		t.Fatalf("r2 status %+v, want still delivering to a", st)
	}
}
