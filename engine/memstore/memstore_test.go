package memstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
	"github.com/shadowq/shadowq/engine/storetest"
)

// fakeClock is a virtual clock shared by the store under test and the suite.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestConformance(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	storetest.Run(t, storetest.Harness{
		New:     func(testing.TB) engine.Store { return memstore.New(clock) },
		Advance: func(_ testing.TB, d time.Duration) { clock.Advance(d) },
		TTL:     time.Minute,
	})
}

func TestDecisionRetention(t *testing.T) {
	clock := &fakeClock{}
	s := memstore.New(clock, memstore.WithDecisionRetention(2))
	for _, c := range []string{"a", "b", "a", "c"} {
		if err := s.AppendDecision(t.Context(), &engine.Decision{ConversationID: c}); err != nil {
			t.Fatal(err)
		}
	}
	for c, want := range map[string]int{"a": 0, "b": 1, "c": 1} {
		got, _ := s.Decisions(t.Context(), c)
		if len(got) != want {
			t.Errorf("%s: %d decisions kept, want %d", c, len(got), want)
		}
	}
}

func TestWithoutDecisionLog(t *testing.T) {
	s := memstore.New(&fakeClock{}, memstore.WithoutDecisionLog())
	if err := s.AppendDecision(t.Context(), &engine.Decision{ConversationID: "a"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Decisions(t.Context(), "a"); len(got) != 0 {
		t.Errorf("kept %d decisions", len(got))
	}
}

// WithoutExpertStates drops expert states but keeps claims.
func TestWithoutExpertStates(t *testing.T) {
	s := memstore.New(&fakeClock{}, memstore.WithoutExpertStates())
	if err := s.PutExperts(t.Context(), []engine.ExpertState{{ID: "x"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoadExperts(t.Context()); len(got) != 0 {
		t.Errorf("kept %d expert states", len(got))
	}
	if i, _ := s.ClaimFirst(t.Context(), []engine.ExpertID{"x"}, "h", time.Minute); i != 0 {
		t.Fatalf("claim refused (%d)", i)
	}
	if h, _ := s.Holder(t.Context(), "x"); h != "h" {
		t.Errorf("holder %q, want h", h)
	}
}

// Expired conversation ownerships do not accumulate.
func TestConversationClaimsAreSwept(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memstore.New(clock)
	for i := 0; i < 5000; i++ {
		s.ClaimConversation(t.Context(), fmt.Sprint("c", i), "r", time.Second)
		clock.Advance(10 * time.Millisecond)
	}
	if n := s.ConversationClaims(); n > 1200 {
		t.Fatalf("%d conversation claims kept; expired ones are not swept", n)
	}
}
