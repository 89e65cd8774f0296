package genesys

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
	fake "github.com/shadowq/shadowq/fakes/genesys"
)

type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Issue 12, item 3, end to end against the fake: no notification reaches
// the engine (the feed is not running at all), Ada accepts. When the claim
// TTL runs out, the engine asks the Dispatcher to read the conversation and
// settles it as routed to Ada: no /assign to anyone else, nobody cools down.
func TestFakeUnobservedAcceptReconciled(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	if err := env.srv.SetAnswer(fAda, fake.AnswerModel{Accept: 1, HandleTime: -1}); err != nil {
		t.Fatal(err)
	}
	answers := make(chan engine.Outcome, 16)
	disp, err := NewDispatcher(DispatcherOptions{Client: env.client(t, nil), OnOutcome: func(o engine.Outcome) { answers <- o }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go disp.Run(ctx)

	clock := &manualClock{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	store := memstore.New(clock)
	pol := engine.DefaultPolicy()
	eng, err := engine.New(engine.Config{Clock: clock, Store: store, Dispatcher: disp, Policy: pol, ReplicaID: "r1",
		Experts: []engine.Expert{{ID: fAda, Skills: map[string]int{"s": 5}}, {ID: fGrace, Skills: map[string]int{"s": 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	onQueue := engine.Presence{Def: fOnQ, System: engine.SysOnQueue}
	for _, u := range []engine.ExpertID{fAda, fGrace} {
		if err := eng.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: u, At: clock.Now(), Presence: onQueue}); err != nil {
			t.Fatal(err)
		}
	}
	conv, err := env.srv.CreateConversation(fake.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Submit(ctx, engine.Escalation{ConversationID: conv, Priority: engine.P1, Skills: []string{"s"}})
	if err != nil || d.Expert != fAda {
		t.Fatalf("Submit: %+v, %v", d, err)
	}
	eventually(t, "Ada connected in the fake", func() bool {
		for _, cs := range env.srv.State().Conversations {
			if cs.ID == conv {
				return cs.AgentUserID == fAda && cs.State == "connected"
			}
		}
		return false
	})
	clock.Advance(pol.ClaimTTL)
	if err := eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-answers:
		if !o.Checked || o.Result != engine.Accepted {
			t.Fatalf("check answer %+v", o)
		}
		if err := eng.HandleOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no check answer")
	}
	st, ok := eng.Status(conv)
	if !ok || !st.Terminal || st.Action != engine.ActRouted || st.Expert != fAda {
		t.Fatalf("status %+v, want routed to Ada", st)
	}
	for _, dl := range env.srv.State().Deliveries {
		if dl.ConversationID == conv && dl.UserID != fAda {
			t.Errorf("conversation also delivered to %s", dl.UserID)
		}
	}
	if x, _ := eng.State(fGrace); !x.CooldownUntil.IsZero() {
		t.Error("Grace cooling down")
	}
}
