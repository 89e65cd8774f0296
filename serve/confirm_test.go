package serve

import (
	"context"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// A delivery whose /assign Genesys has not accepted yet is answered hold,
// never routed (chaos seed 173: a kill -9 before the /assign left a routed
// answer no /assign backed); once it is accepted, the retry says routed.
func TestRoutedOnlyOnceTheAssignIsAccepted(t *testing.T) {
	f := newFixtureWith(t, nil, func(a *API) { a.RoutedWait = 300 * time.Millisecond })
	f.disp.set(func(r *recorder) { r.pending = true })
	f.presence(t, "alice", avail)
	code, out := f.post(t, `{"conversationId":"c1","skills":["db"],"priority":"P1"}`, nil)
	if code != 200 || out["action"] != "hold" || out["userId"] != "" || f.disp.count() != 1 {
		t.Fatalf("/assign in flight: %d %v, %d deliveries; want hold, no user, the delivery going on", code, out, f.disp.count())
	}
	f.disp.mu.Lock()
	holder := f.disp.got[0].Holder
	f.disp.mu.Unlock()
	if err := f.loop.Do(context.Background(), func(e *engine.Engine) error { e.NoteAssigned(holder); return nil }); err != nil {
		t.Fatal(err)
	}
	code, out = f.post(t, `{"conversationId":"c1","skills":["db"],"priority":"P1"}`, nil)
	if code != 200 || out["action"] != "routed" || out["userId"] != "alice" || f.disp.count() != 1 {
		t.Fatalf("retry after the /assign was accepted: %d %v, %d deliveries", code, out, f.disp.count())
	}
}

// An /assign Genesys refuses is never answered: the answer is the expert
// whose /assign it accepted next.
func TestRefusedAssignAnswersTheNextExpert(t *testing.T) {
	f := newFixture(t, nil)
	f.disp.set(func(r *recorder) { r.refuse = map[engine.ExpertID]bool{"alice": true} })
	f.presence(t, "alice", avail)
	f.presence(t, "bob", avail)
	code, out := f.post(t, `{"conversationId":"c1","skills":["db"],"priority":"P1"}`, nil)
	if code != 200 || out["action"] != "routed" || out["userId"] != "bob" || f.disp.count() != 2 {
		t.Fatalf("%d %v, %d deliveries; want routed to bob after alice's /assign was refused", code, out, f.disp.count())
	}
}

// When every /assign is refused the answer is what the engine did then
// (hold or fallback), never routed.
func TestEveryAssignRefusedIsNotRouted(t *testing.T) {
	f := newFixture(t, nil)
	f.disp.set(func(r *recorder) { r.refuse = map[engine.ExpertID]bool{"alice": true, "bob": true} })
	f.presence(t, "alice", avail)
	f.presence(t, "bob", avail)
	code, out := f.post(t, `{"conversationId":"c1","skills":["db"],"priority":"P1"}`, nil)
	if code != 200 || out["action"] == "routed" || out["userId"] != "" || f.disp.count() != 2 {
		t.Fatalf("%d %v, %d deliveries; want no routed answer after both /assigns were refused", code, out, f.disp.count())
	}
}
