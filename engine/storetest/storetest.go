// Package storetest is the conformance suite for engine.Store, in the style
// of go-cloud's drivertest: every implementation (memory, embedded
// miniredis, real Redis) runs the same tests, so a new store is tested for
// free and the in-memory twin cannot drift from the real one.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Harness adapts one Store implementation to the suite.
type Harness struct {
	// New returns a fresh, empty store. Stores from separate calls must not
	// share data (use a unique key prefix for shared servers).
	New func(t testing.TB) engine.Store
	// Advance moves the clock the store measures claim TTLs on by d
	// (virtual clock, miniredis FastForward, or a real sleep).
	Advance func(t testing.TB, d time.Duration)
	// TTL is the claim lifetime the TTL tests use; real servers need one
	// long enough to outlive a round trip (e.g. 300ms), virtual clocks can
	// use anything.
	TTL time.Duration
}

// Run runs every conformance test against h.
func Run(t *testing.T, h Harness) {
	t.Run("ExpertsRoundTrip", func(t *testing.T) { testExpertsRoundTrip(t, h) })
	t.Run("ClaimFirstSkipsHeld", func(t *testing.T) { testClaimFirst(t, h) })
	t.Run("TransitionAndRelease", func(t *testing.T) { testTransitionRelease(t, h) })
	t.Run("ClaimExpires", func(t *testing.T) { testClaimExpires(t, h) })
	t.Run("ConcurrentClaimsNeverDouble", func(t *testing.T) { testConcurrentClaims(t, h) })
	t.Run("DecisionLog", func(t *testing.T) { testDecisionLog(t, h) })
	t.Run("ClaimConversation", func(t *testing.T) { testClaimConversation(t, h) })
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.UTC)

func sampleState(i int) engine.ExpertState {
	base := t0.Add(time.Duration(i) * time.Minute)
	return engine.ExpertState{
		ID:            engine.ExpertID(fmt.Sprintf("user-%03d", i)),
		Presence:      engine.Presence{Def: engine.PresenceDefID(fmt.Sprintf("def-%d", i%3)), System: engine.SysMeeting},
		PresenceSince: base,
		Routing:       engine.RSOffQueue,
		RoutingSince:  base.Add(time.Second),
		ConfirmedAt:   base.Add(2 * time.Second),
		Conversation:  fmt.Sprintf("conv-%d", i),
		BlockEnd:      base.Add(time.Hour),
		LastDelivery:  base.Add(-time.Hour),
		LastInterrupt: base.Add(-2 * time.Hour),
		CooldownUntil: base.Add(5 * time.Minute),
		Interrupts:    []time.Time{base.Add(-30 * time.Minute), base.Add(-10 * time.Minute)},
	}
}

func statesEqual(a, b engine.ExpertState) bool {
	times := func(s engine.ExpertState) []time.Time {
		return append([]time.Time{s.PresenceSince, s.RoutingSince, s.ConfirmedAt, s.BlockEnd, s.LastDelivery, s.LastInterrupt, s.CooldownUntil}, s.Interrupts...)
	}
	ta, tb := times(a), times(b)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return false
		}
	}
	a.PresenceSince, a.RoutingSince, a.ConfirmedAt, a.BlockEnd, a.LastDelivery, a.LastInterrupt, a.CooldownUntil, a.Interrupts = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil
	b.PresenceSince, b.RoutingSince, b.ConfirmedAt, b.BlockEnd, b.LastDelivery, b.LastInterrupt, b.CooldownUntil, b.Interrupts = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil
	return reflect.DeepEqual(a, b)
}

func testExpertsRoundTrip(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	got, err := s.LoadExperts(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: LoadExperts = %d states, %v; want 0, nil", len(got), err)
	}
	// Written out of order, in two batches, with one expert overwritten.
	in := []engine.ExpertState{sampleState(3), sampleState(1), sampleState(2)}
	if err := s.PutExperts(ctx, in); err != nil {
		t.Fatal(err)
	}
	over := sampleState(1)
	over.Presence = engine.Presence{Def: "def-new", System: engine.SysAvailable}
	over.Interrupts = nil
	over.BlockEnd = time.Time{}
	if err := s.PutExperts(ctx, []engine.ExpertState{over, sampleState(0)}); err != nil {
		t.Fatal(err)
	}
	got, err = s.LoadExperts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.ExpertState{sampleState(0), over, sampleState(2), sampleState(3)}
	if len(got) != len(want) {
		t.Fatalf("LoadExperts returned %d states, want %d", len(got), len(want))
	}
	for i := range want {
		if !statesEqual(got[i], want[i]) {
			t.Errorf("state %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func ids(n int, prefix string) []engine.ExpertID {
	out := make([]engine.ExpertID, n)
	for i := range out {
		out[i] = engine.ExpertID(fmt.Sprintf("%s-%03d", prefix, i))
	}
	return out
}

func testClaimFirst(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	c := ids(3, "e")
	ttl := time.Hour
	if i, err := s.ClaimFirst(ctx, nil, "h0", ttl); err != nil || i != -1 {
		t.Fatalf("ClaimFirst(no candidates) = %d, %v; want -1", i, err)
	}
	for want := 0; want < 3; want++ {
		i, err := s.ClaimFirst(ctx, c, fmt.Sprintf("h%d", want), ttl)
		if err != nil || i != want {
			t.Fatalf("claim %d: ClaimFirst = %d, %v; want %d", want, i, err, want)
		}
	}
	if i, err := s.ClaimFirst(ctx, c, "h9", ttl); err != nil || i != -1 {
		t.Fatalf("all held: ClaimFirst = %d, %v; want -1", i, err)
	}
	for k, e := range c {
		if got, err := s.Holder(ctx, e); err != nil || got != fmt.Sprintf("h%d", k) {
			t.Errorf("Holder(%s) = %q, %v; want h%d", e, got, err, k)
		}
	}
	if got, err := s.Holder(ctx, "nobody"); err != nil || got != "" {
		t.Errorf("Holder(unclaimed) = %q, %v; want empty", got, err)
	}
	// Order matters: the claim goes to the first free one in the given order.
	if ok, _ := s.Release(ctx, c[1], "h1"); !ok {
		t.Fatal("release by holder failed")
	}
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{c[2], c[0], c[1]}, "h10", ttl); i != 2 {
		t.Errorf("ClaimFirst picked index %d, want 2 (the only free one)", i)
	}
}

func testTransitionRelease(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	e := engine.ExpertID("expert-1")
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "d1", time.Hour); i != 0 {
		t.Fatal("claim failed")
	}
	if ok, err := s.Transition(ctx, e, "other", "x", time.Hour); err != nil || ok {
		t.Errorf("Transition by non-holder = %v, %v; want false", ok, err)
	}
	if ok, err := s.Release(ctx, e, "other"); err != nil || ok {
		t.Errorf("Release by non-holder = %v, %v; want false", ok, err)
	}
	if ok, err := s.Transition(ctx, e, "d1", "cooldown:d1", time.Hour); err != nil || !ok {
		t.Fatalf("Transition by holder = %v, %v; want true", ok, err)
	}
	if got, _ := s.Holder(ctx, e); got != "cooldown:d1" {
		t.Errorf("holder after transition = %q", got)
	}
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "d2", time.Hour); i != -1 {
		t.Error("an expert in cool-down was claimable")
	}
	if ok, _ := s.Release(ctx, e, "d1"); ok {
		t.Error("old holder released a transitioned claim")
	}
	if ok, _ := s.Release(ctx, e, "cooldown:d1"); !ok {
		t.Error("new holder could not release")
	}
	if ok, _ := s.Release(ctx, e, "cooldown:d1"); ok {
		t.Error("double release reported success")
	}
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "d3", time.Hour); i != 0 {
		t.Error("released expert not claimable")
	}
}

func testClaimExpires(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	e := engine.ExpertID("expert-ttl")
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "crashed", h.TTL); i != 0 {
		t.Fatal("claim failed")
	}
	h.Advance(t, h.TTL/4)
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "early", h.TTL); i != -1 {
		t.Fatal("claim was free before its TTL")
	}
	h.Advance(t, h.TTL)
	if got, _ := s.Holder(ctx, e); got != "" {
		t.Errorf("holder after TTL = %q, want none", got)
	}
	if ok, _ := s.Transition(ctx, e, "crashed", "late", h.TTL); ok {
		t.Error("expired holder could transition")
	}
	if i, _ := s.ClaimFirst(ctx, []engine.ExpertID{e}, "next", h.TTL); i != 0 {
		t.Fatal("a crashed holder's claim did not expire")
	}
}

func testConcurrentClaims(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	experts := ids(100, "race")
	const workers = 8
	var mu sync.Mutex
	owner := map[engine.ExpertID]string{}
	var double []string
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// Each worker walks the list from a different start so they collide.
			order := append(append([]engine.ExpertID{}, experts[w*7%100:]...), experts[:w*7%100]...)
			for n := 0; ; n++ {
				holder := fmt.Sprintf("w%d-%d", w, n)
				i, err := s.ClaimFirst(ctx, order, holder, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if i < 0 {
					return
				}
				mu.Lock()
				if prev, ok := owner[order[i]]; ok {
					double = append(double, fmt.Sprintf("%s: %s and %s", order[i], prev, holder))
				}
				owner[order[i]] = holder
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(double) > 0 {
		t.Fatalf("double claims: %v", double)
	}
	if len(owner) != len(experts) {
		t.Fatalf("%d experts claimed, want %d", len(owner), len(experts))
	}
}

func testDecisionLog(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	if got, err := s.Decisions(ctx, "none"); err != nil || len(got) != 0 {
		t.Fatalf("Decisions(unknown) = %v, %v; want empty", got, err)
	}
	d1 := engine.Decision{
		ConversationID: "c1", Seq: 1, At: t0, Action: engine.ActDeliver, Priority: engine.P1,
		Expert: "e1", Attempt: 1, Holder: "c1/1", Interrupt: true, Why: "best score",
		SkillHolders: 3, EligibleCount: 1,
		Candidates:     []engine.Candidate{{Expert: "e1", Score: 0.75, Skill: 0.8, Presence: 0, Fairness: 1, Budget: 0.5, Interrupt: true}},
		ExcludedCounts: engine.ReasonCounts{engine.ExPresenceNever: 1, engine.ExCooldown: 1},
		Excluded:       []engine.Exclusion{{Expert: "e2", Reason: engine.ExPresenceNever, Detail: "dnd"}, {Expert: "e3", Reason: engine.ExCooldown}},
	}
	d2 := engine.Decision{ConversationID: "c1", Seq: 2, At: t0.Add(40 * time.Second), Action: engine.ActHold,
		Priority: engine.P1, Result: "declined", ETA: 5 * time.Minute, ETAMessage: "less than 5 minutes",
		HoldUntil: t0.Add(6 * time.Minute), HoldProb: 0.8, HoldExpert: "e2", Why: "hold"}
	other := engine.Decision{ConversationID: "c2", Seq: 1, At: t0, Action: engine.ActFallback, Priority: engine.P3, Queue: "Tier3", Why: "nobody"}
	for _, d := range []*engine.Decision{&d1, &other, &d2} {
		if err := s.AppendDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Decisions(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("c1 has %d decisions, want 2", len(got))
	}
	for i, want := range []engine.Decision{d1, d2} {
		g := got[i]
		if !g.At.Equal(want.At) || !g.HoldUntil.Equal(want.HoldUntil) {
			t.Errorf("decision %d times: got %v/%v want %v/%v", i, g.At, g.HoldUntil, want.At, want.HoldUntil)
		}
		g.At, want.At, g.HoldUntil, want.HoldUntil = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("decision %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
	if got, _ := s.Decisions(ctx, "c2"); len(got) != 1 || got[0].Queue != "Tier3" {
		t.Errorf("c2 log = %+v", got)
	}
}

func testClaimConversation(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	for _, c := range []struct{ owner, want string }{
		{"replica-a", "replica-a"}, // first comes first
		{"replica-b", "replica-a"}, // another replica sees the owner
		{"replica-a", "replica-a"}, // the owner asking again keeps it
	} {
		got, err := s.ClaimConversation(ctx, "conv-1", c.owner, h.TTL)
		if err != nil || got != c.want {
			t.Fatalf("ClaimConversation(%s) = %q, %v; want %q", c.owner, got, err, c.want)
		}
	}
	if got, _ := s.ClaimConversation(ctx, "conv-2", "replica-b", h.TTL); got != "replica-b" {
		t.Errorf("independent conversation owned by %q", got)
	}
	h.Advance(t, h.TTL+h.TTL/2)
	if got, _ := s.ClaimConversation(ctx, "conv-1", "replica-b", h.TTL); got != "replica-b" {
		t.Errorf("after the owner's TTL, owner is %q; want replica-b to take over", got)
	}
}
