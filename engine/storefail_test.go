package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
)

var errDown = errors.New("store down")

// flakyStore is a memstore that fails every call (or the named ones) while
// down, as Redis does when it is killed.
type flakyStore struct {
	*memstore.Store
	down   bool
	only   map[string]bool // when set, only these methods fail
	failed int
}

func (f *flakyStore) fail(method string) error {
	if f.down && (f.only == nil || f.only[method]) {
		f.failed++
		return errDown
	}
	return nil
}

// BindExperts refuses (engine.IndexedClaims, promoted from the memstore):
// the engine then makes every claim through the methods above, which fail.
func (f *flakyStore) BindExperts([]engine.ExpertID) bool { return false }

func (f *flakyStore) PutExperts(ctx context.Context, s []engine.ExpertState) error {
	if err := f.fail("PutExperts"); err != nil {
		return err
	}
	return f.Store.PutExperts(ctx, s)
}

func (f *flakyStore) ClaimFirst(ctx context.Context, c []engine.ExpertID, h string, ttl time.Duration) (int, error) {
	if err := f.fail("ClaimFirst"); err != nil {
		return -1, err
	}
	return f.Store.ClaimFirst(ctx, c, h, ttl)
}

func (f *flakyStore) Transition(ctx context.Context, e engine.ExpertID, h, nh string, ttl time.Duration) (bool, error) {
	if err := f.fail("Transition"); err != nil {
		return false, err
	}
	return f.Store.Transition(ctx, e, h, nh, ttl)
}

func (f *flakyStore) Release(ctx context.Context, e engine.ExpertID, h string) (bool, error) {
	if err := f.fail("Release"); err != nil {
		return false, err
	}
	return f.Store.Release(ctx, e, h)
}

func (f *flakyStore) ClaimConversation(ctx context.Context, c, o string, ttl time.Duration) (string, error) {
	if err := f.fail("ClaimConversation"); err != nil {
		return "", err
	}
	return f.Store.ClaimConversation(ctx, c, o, ttl)
}

func (f *flakyStore) AppendDecision(ctx context.Context, d *engine.Decision) error {
	if err := f.fail("AppendDecision"); err != nil {
		return err
	}
	return f.Store.AppendDecision(ctx, d)
}

func (f *flakyStore) Decisions(ctx context.Context, c string) ([]engine.Decision, error) {
	if err := f.fail("Decisions"); err != nil {
		return nil, err
	}
	return f.Store.Decisions(ctx, c)
}

// newFlakyHarness is newHarness on a store that can be taken down.
func newFlakyHarness(t *testing.T, experts ...engine.Expert) (*harness, *flakyStore) {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}, disp: &recorder{fail: map[engine.ExpertID]bool{}}}
	h.store = memstore.New(h.clock)
	fs := &flakyStore{Store: h.store}
	eng, err := engine.New(engine.Config{
		Clock: h.clock, Store: fs, Dispatcher: h.disp, Predictor: engine.DefaultPredictor(),
		Policy: testPolicy(), Experts: experts, ReplicaID: "r1",
		OnDecision: func(d *engine.Decision) { h.decs = append(h.decs, *d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	return h, fs
}

// tick advances the clock and ticks, returning Tick's error.
func (h *harness) tick(d time.Duration) error {
	h.clock.Advance(d)
	return h.eng.Tick(ctx)
}

// Issue 12, item 2: Redis died while outcomes arrived; the outcome handler
// dropped the pending delivery before the store transition, so the
// escalation never finished, and an accepted delivery was later taken for
// unanswered and re-assigned. Now the delivery stays pending with its
// outcome until the store takes it.
func TestStoreDownKeepsAcceptedDelivery(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0), expert("b", 0))
	h.presence("a", avail)
	h.presence("b", avail)
	d := h.submit("c1", engine.P1)
	fs.down = true
	err := h.eng.HandleOutcome(ctx, engine.Outcome{ConversationID: "c1", Expert: d.Expert, Holder: d.Holder, Result: engine.Accepted, At: h.clock.now})
	if !errors.Is(err, engine.ErrStore) {
		t.Fatalf("HandleOutcome with the store down: %v, want an ErrStore", err)
	}
	if st, _ := h.eng.Status("c1"); st.Terminal || st.Expert != d.Expert {
		t.Fatalf("status while the store is down: %+v, want still delivering to %s", st, d.Expert)
	}
	// The claim TTL passes with the store still down: no "no answer", no
	// second delivery.
	for range 40 {
		_ = h.tick(time.Second)
	}
	if len(h.disp.got) != 1 {
		t.Fatalf("%d deliveries while the store was down, want 1: %+v", len(h.disp.got), h.disp.got)
	}
	for _, dec := range h.decs {
		if dec.Result == "no_answer" {
			t.Fatalf("accepted delivery logged as no-answer: %+v", dec)
		}
	}
	fs.down = false
	at, ok := h.eng.NextDeadline()
	if !ok || at.After(h.clock.now.Add(engine.StoreRetryInterval)) {
		t.Fatalf("NextDeadline = %v, %v; want a retry within %v", at, ok, engine.StoreRetryInterval)
	}
	if err := h.tick(engine.StoreRetryInterval); err != nil {
		t.Fatal(err)
	}
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("ended %v, want routed", a)
	}
	if holder, _ := h.store.Holder(ctx, d.Expert); holder != "busy:c1" {
		t.Errorf("%s held by %q, want the busy mark", d.Expert, holder)
	}
	// The decision log caught up, in order.
	log, _ := h.store.Decisions(ctx, "c1")
	if len(log) != 2 || log[0].Action != engine.ActDeliver || log[1].Action != engine.ActRouted || log[1].Expert != d.Expert {
		t.Errorf("decision log %+v", log)
	}
	if n, err := h.eng.StoreBacklog(); n != 0 || err != nil {
		t.Errorf("StoreBacklog = %d, %v after recovery", n, err)
	}
}

// Apply used to return on the first store error, dropping the rest of the
// batch. Every event applies; what the store did not take is retried.
func TestApplyBatchSurvivesStoreFailure(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0), expert("b", 0), expert("c", 0))
	h.presence("a", avail)
	h.presence("b", avail)
	d1 := h.submit("c1", engine.P1)
	d2 := h.submit("c2", engine.P1)
	fs.down = true
	err := h.eng.Apply(ctx,
		engine.Event{Kind: engine.EvConversation, Expert: d1.Expert, At: h.clock.now, Conversation: "c1", ConvState: engine.ConvConnected},
		engine.Event{Kind: engine.EvConversation, Expert: d2.Expert, At: h.clock.now, Conversation: "c2", ConvState: engine.ConvConnected},
		engine.Event{Kind: engine.EvPresence, Expert: "c", At: h.clock.now, Presence: meetDND},
	)
	if err == nil {
		t.Fatal("Apply with the store down reported no error")
	}
	if st, _ := h.eng.State("c"); st.Presence != meetDND {
		t.Errorf("the batch's last event was dropped: c is %v", st.Presence.Def)
	}
	if n, err := h.eng.StoreBacklog(); n == 0 || !errors.Is(err, engine.ErrStore) {
		t.Errorf("StoreBacklog = %d, %v; want a backlog and the store error", n, err)
	}
	fs.down = false
	if err := h.tick(engine.StoreRetryInterval); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"c1", "c2"} {
		if a := h.terminal(c); a != engine.ActRouted {
			t.Errorf("%s ended %v, want routed", c, a)
		}
	}
	stored, _ := h.store.LoadExperts(ctx)
	var found bool
	for _, st := range stored {
		found = found || (st.ID == "c" && st.Presence == meetDND)
	}
	if !found {
		t.Errorf("c's presence never reached the store: %+v", stored)
	}
	if len(h.disp.got) != 2 {
		t.Errorf("%d deliveries, want 2", len(h.disp.got))
	}
}

// A decline while the store is down is settled (cool-down, next expert)
// once the store is back, not lost and not turned into a second outcome.
func TestStoreDownDeclineSettledLater(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.presence("a", avail)
	h.presence("b", avail)
	d := h.submit("c1", engine.P1, "s")
	fs.down = true
	_ = h.eng.HandleOutcome(ctx, engine.Outcome{ConversationID: "c1", Expert: d.Expert, Holder: d.Holder, Result: engine.Declined, At: h.clock.now})
	_ = h.tick(40 * time.Second) // past the claim TTL, store still down
	if len(h.disp.got) != 1 {
		t.Fatalf("re-routed while the store was down: %+v", h.disp.got)
	}
	fs.down = false
	if err := h.tick(engine.StoreRetryInterval); err != nil {
		t.Fatal(err)
	}
	if len(h.disp.got) != 2 || h.disp.got[1].Expert != "b" {
		t.Fatalf("deliveries %+v, want a then b", h.disp.got)
	}
	if st, _ := h.eng.State("a"); st.CooldownUntil.IsZero() {
		t.Error("a declined but does not cool down")
	}
	var results []string
	for _, dec := range h.decs {
		results = append(results, dec.Action.String()+"/"+dec.Result)
	}
	if len(results) != 2 || results[1] != "deliver/declined" {
		t.Errorf("decisions %v, want deliver, deliver/declined", results)
	}
}

// A claim that fails in the store leaves nothing behind: Submit reports the
// error and the caller's retry routes normally.
func TestSubmitClaimFailureForgets(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0))
	h.presence("a", avail)
	fs.down, fs.only = true, map[string]bool{"ClaimFirst": true}
	if _, err := h.eng.Submit(ctx, engine.Escalation{ConversationID: "c1", Priority: engine.P1}); !errors.Is(err, engine.ErrStore) {
		t.Fatalf("Submit = %v, want ErrStore", err)
	}
	if h.eng.InFlight() != 0 {
		t.Errorf("%d escalations in flight after a failed Submit", h.eng.InFlight())
	}
	fs.down = false
	if d := h.submit("c1", engine.P1); d.Action != engine.ActDeliver || d.Duplicate {
		t.Fatalf("retry: %+v", d)
	}
}

// After a decline the next claim may fail: the escalation waits and decides
// again on a later Tick instead of hanging for ever.
func TestRedecideAfterClaimFailure(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.presence("a", avail)
	h.presence("b", avail)
	d := h.submit("c1", engine.P1, "s")
	fs.down, fs.only = true, map[string]bool{"ClaimFirst": true}
	if err := h.eng.HandleOutcome(ctx, engine.Outcome{ConversationID: "c1", Expert: d.Expert, Holder: d.Holder, Result: engine.Declined, At: h.clock.now}); err == nil {
		t.Fatal("no error from a failed claim")
	}
	if st, _ := h.eng.Status("c1"); st.Terminal || st.Action != engine.ActHold {
		t.Fatalf("status %+v, want non-terminal hold (between attempts)", st)
	}
	fs.down = false
	if err := h.tick(engine.StoreRetryInterval); err != nil {
		t.Fatal(err)
	}
	if len(h.disp.got) != 2 || h.disp.got[1].Expert != "b" {
		t.Fatalf("deliveries %+v, want a then b", h.disp.got)
	}
}

// While the store is down, writes queue until the retry time instead of
// each event waiting on a dead store; the backlog drains once it is back.
func TestStoreDownWritesWaitForRetry(t *testing.T) {
	h, fs := newFlakyHarness(t, expert("a", 0), expert("b", 0))
	fs.down = true
	_ = h.eng.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: "a", At: h.clock.now, Presence: avail})
	if fs.failed != 1 {
		t.Fatalf("%d store calls failed, want 1", fs.failed)
	}
	for i := range 4 { // b ends in DND
		h.clock.Advance(100 * time.Millisecond)
		if err := h.eng.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: "b", At: h.clock.now, Presence: []engine.Presence{avail, meetDND}[i%2]}); err != nil {
			t.Fatalf("Apply while the store rests: %v", err)
		}
	}
	if fs.failed != 1 {
		t.Errorf("%d store calls before the retry time, want 1", fs.failed)
	}
	if n, err := h.eng.StoreBacklog(); n != 2 || err == nil {
		t.Errorf("StoreBacklog = %d, %v; want a and b waiting", n, err)
	}
	fs.down = false
	at, _ := h.eng.NextDeadline()
	h.clock.now = at
	if err := h.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := h.eng.StoreBacklog(); n != 0 || err != nil {
		t.Errorf("StoreBacklog = %d, %v after the retry", n, err)
	}
	stored, _ := h.store.LoadExperts(ctx)
	if len(stored) != 2 || stored[1].Presence != meetDND {
		t.Errorf("stored %+v, want both, b in DND", stored)
	}
}
