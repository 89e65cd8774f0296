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

// The store compares claim expiries by a dense Unix-nanosecond word where
// that compares as time.Time.Before does, and by the full claim otherwise:
// clocks with a monotonic reading and times outside UnixNano's range must
// behave as the virtual clock does.
func TestConformanceClockKinds(t *testing.T) {
	for name, start := range map[string]time.Time{
		"monotonic":  time.Now(),
		"zero":       {},
		"year-2300":  time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		"year-1600":  time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		"local-zone": time.Date(2026, 3, 29, 0, 59, 59, 999_999_999, time.FixedZone("x", 3600)),
	} {
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			storetest.Run(t, storetest.Harness{
				New:     func(testing.TB) engine.Store { return memstore.New(clock) },
				Advance: func(_ testing.TB, d time.Duration) { clock.Advance(d) },
				TTL:     time.Minute,
			})
		})
	}
}

// A claim expires exactly at its expiry: held a nanosecond before, free
// at it, whichever way the store compares.
func TestIndexedClaimExpiresExactly(t *testing.T) {
	ctx := t.Context()
	for name, start := range map[string]time.Time{
		"virtual":   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"monotonic": time.Now(),
		"zero":      {},
	} {
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			s := memstore.New(clock)
			if !s.BindExperts([]engine.ExpertID{"a", "b"}) {
				t.Fatal("bind refused")
			}
			if i, _ := s.ClaimFirstAt(ctx, []int32{0}, "h0", time.Second); i != 0 {
				t.Fatalf("claim refused (%d)", i)
			}
			clock.Advance(time.Second - 1)
			if i, _ := s.ClaimFirstAt(ctx, []int32{0, 1}, "h1", time.Second); i != 1 {
				t.Fatalf("ClaimFirstAt = %d a nanosecond before expiry, want 1", i)
			}
			if h, _ := s.Holder(ctx, "a"); h != "h0" {
				t.Errorf("holder of a %q, want h0", h)
			}
			clock.Advance(1)
			if h, _ := s.Holder(ctx, "a"); h != "" {
				t.Errorf("holder of a %q at expiry, want none", h)
			}
			if ok, _ := s.TransitionAt(ctx, 0, "h0", "busy", time.Second); ok {
				t.Error("transitioned an expired claim")
			}
			if ok, _ := s.ReleaseAt(ctx, 0, "h0"); ok {
				t.Error("released an expired claim")
			}
			if i, _ := s.ClaimFirstAt(ctx, []int32{0}, "h2", time.Second); i != 0 {
				t.Fatalf("expired claim not taken over (%d)", i)
			}
			if ok, _ := s.ReleaseAt(ctx, 0, "h2"); !ok {
				t.Error("ReleaseAt refused")
			}
			if h, _ := s.Holder(ctx, "a"); h != "" {
				t.Errorf("holder of a %q after release, want none", h)
			}
		})
	}
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

// Claims made by index (an engine that bound its experts) are the claims
// the ExpertID methods see, and a store refuses a second engine whose
// experts number differently.
func TestIndexedClaims(t *testing.T) {
	ctx := t.Context()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memstore.New(clock)
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{"a"}, "h0", time.Minute); i != 0 {
		t.Fatalf("claim refused (%d)", i)
	}
	if s.BindExperts([]engine.ExpertID{"b", "a"}) {
		t.Fatal("bound b at 0, where a's claim is")
	}
	if !s.BindExperts([]engine.ExpertID{"a", "b", "c"}) || !s.BindExperts([]engine.ExpertID{"a", "b", "c", "d"}) || !s.BindExperts([]engine.ExpertID{"a", "b"}) {
		t.Fatal("refused experts numbered as before")
	}
	if s.BindExperts([]engine.ExpertID{"a", "c"}) {
		t.Fatal("bound c at 1, where b is")
	}
	if i, _ := s.ClaimFirstAt(ctx, []int32{0, 2}, "h1", time.Minute); i != 1 {
		t.Fatalf("ClaimFirstAt = %d, want 1 (a is held)", i)
	}
	if h, _ := s.Holder(ctx, "c"); h != "h1" {
		t.Errorf("holder of c %q, want h1", h)
	}
	if ok, _ := s.TransitionAt(ctx, 2, "h1", "busy", time.Minute); !ok {
		t.Error("TransitionAt refused")
	}
	if ok, _ := s.Release(ctx, "c", "h1"); ok {
		t.Error("released for a holder that no longer holds")
	}
	if ok, _ := s.ReleaseAt(ctx, 2, "busy"); !ok {
		t.Error("ReleaseAt refused")
	}
	clock.Advance(time.Minute)
	if i, _ := s.ClaimFirstAt(ctx, []int32{0}, "h2", time.Minute); i != 0 {
		t.Fatalf("expired claim not taken over (%d)", i)
	}
	if h, _ := s.Holder(ctx, "a"); h != "h2" {
		t.Errorf("holder of a %q, want h2", h)
	}
}

// WithoutConversationClaims makes every caller the owner and keeps nothing.
func TestWithoutConversationClaims(t *testing.T) {
	s := memstore.New(&fakeClock{}, memstore.WithoutConversationClaims())
	for _, r := range []string{"r1", "r2"} {
		if o, err := s.ClaimConversation(t.Context(), "c", r, time.Minute); err != nil || o != r {
			t.Fatalf("ClaimConversation for %s = %q, %v", r, o, err)
		}
	}
	if n := s.ConversationClaims(); n != 0 {
		t.Errorf("%d conversation claims kept", n)
	}
}
