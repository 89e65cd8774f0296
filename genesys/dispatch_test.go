package genesys

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// fakeDeliverer records deliveries and fails the ones it is told to.
type fakeDeliverer struct {
	mu    sync.Mutex
	got   []engine.Delivery
	modes []Mode
	fail  map[string]error
	block chan struct{} // when set, Deliver waits on it
}

func (f *fakeDeliverer) Deliver(ctx context.Context, d engine.Delivery, m Mode) error {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, d)
	f.modes = append(f.modes, m)
	return f.fail[d.ConversationID]
}

type outcomes struct {
	mu  sync.Mutex
	out []engine.Outcome
}

func (o *outcomes) add(x engine.Outcome) {
	o.mu.Lock()
	o.out = append(o.out, x)
	o.mu.Unlock()
}

func (o *outcomes) list() []engine.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]engine.Outcome(nil), o.out...)
}

func TestDispatcherReportsFailuresOnly(t *testing.T) {
	fd := &fakeDeliverer{fail: map[string]error{"bad": errors.New("400 invalid.status")}}
	var oc outcomes
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := NewDispatcher(DispatcherOptions{Client: fd, Mode: ModePreferred, OnOutcome: oc.add, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()

	for _, c := range []string{"ok", "bad"} {
		if err := p.Deliver(engine.Delivery{ConversationID: c, Expert: "u1", Holder: "h-" + c, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "two deliveries", func() bool { fd.mu.Lock(); defer fd.mu.Unlock(); return len(fd.got) == 2 })
	eventually(t, "the failure outcome", func() bool { return len(oc.list()) == 1 })
	cancel()
	<-done
	o := oc.list()[0]
	want := engine.Outcome{ConversationID: "bad", Expert: "u1", Holder: "h-bad", Result: engine.DeliveryError, At: now, Detail: "400 invalid.status"}
	if o != want {
		t.Errorf("outcome %+v, want %+v", o, want)
	}
	if fd.modes[0] != ModePreferred {
		t.Errorf("mode %v, want preferred", fd.modes[0])
	}
	if err := p.Deliver(engine.Delivery{ConversationID: "late"}); !errors.Is(err, ErrStopped) {
		t.Errorf("Deliver after stop: %v, want ErrStopped", err)
	}
}

func TestDispatcherDeliverNeverBlocks(t *testing.T) {
	fd := &fakeDeliverer{block: make(chan struct{})}
	var oc outcomes
	p, err := NewDispatcher(DispatcherOptions{Client: fd, Workers: 1, QueueSize: 2, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()

	// One in the worker (blocked), two queued, the fourth refused at once.
	results := make([]error, 4)
	start := time.Now()
	for i := range 4 {
		results[i] = p.Deliver(engine.Delivery{ConversationID: string(rune('a' + i)), Holder: "h"})
		if i == 0 {
			eventually(t, "the worker to take the first", func() bool { return len(p.queue) == 0 })
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Deliver blocked for %v", d)
	}
	if results[0] != nil || results[1] != nil || results[2] != nil || !errors.Is(results[3], ErrQueueFull) {
		t.Fatalf("Deliver results %v; want nil, nil, nil, ErrQueueFull", results)
	}
	// Stopping reports what was still queued, and the in-flight one.
	cancel()
	<-done
	if got := len(oc.list()); got != 3 {
		t.Errorf("%d outcomes after stop, want 3 (1 cancelled in flight, 2 queued)", got)
	}
	for _, o := range oc.list() {
		if o.Result != engine.DeliveryError {
			t.Errorf("outcome %+v", o)
		}
	}
}

func TestDispatcherWithClient(t *testing.T) {
	// End to end through the REST client: a rejected /assign becomes a
	// DeliveryError outcome carrying the API error.
	s := newStub(t)
	s.handle("POST /api/v2/conversations/{id}/assign", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, 400, "invalid.status")
	})
	var oc outcomes
	p, err := NewDispatcher(DispatcherOptions{Client: s.client(), OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	if err := p.Deliver(engine.Delivery{ConversationID: "c1", Expert: "u1", Holder: "h1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the outcome", func() bool { return len(oc.list()) == 1 })
	if o := oc.list()[0]; o.Result != engine.DeliveryError || o.Holder != "h1" || o.Detail == "" {
		t.Errorf("outcome %+v", o)
	}
}

// slotDeliverer is a Deliverer that counts delivery slots like *Client.
type slotDeliverer struct {
	fakeDeliverer
	slots   int
	refused int
}

func (s *slotDeliverer) NoteDeliveryRefused() { s.refused++ }

func (s *slotDeliverer) DeliverySlotsWithin(time.Duration) int { return s.slots }

// Admission: with 2 request slots within the admission wait and deliveries
// blocked in flight, the third Deliver is refused synchronously with
// FaultCapacity; once they finish, slots are counted afresh.
func TestDispatcherAdmitsOnlyWhatTheBudgetCanStart(t *testing.T) {
	f := &slotDeliverer{fakeDeliverer: fakeDeliverer{block: make(chan struct{})}, slots: 2}
	var oc outcomes
	p, err := NewDispatcher(DispatcherOptions{Client: f, Workers: 1, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for _, id := range []string{"c1", "c2"} {
		if err := p.Deliver(engine.Delivery{ConversationID: id, Expert: "a"}); err != nil {
			t.Fatalf("Deliver %s: %v", id, err)
		}
	}
	err = p.Deliver(engine.Delivery{ConversationID: "c3", Expert: "a"})
	if !errors.Is(err, ErrNoCapacity) || engine.FaultOf(err) != engine.FaultCapacity {
		t.Fatalf("third Deliver: %v (fault %v); want ErrNoCapacity, FaultCapacity", err, engine.FaultOf(err))
	}
	if f.refused != 1 {
		t.Fatalf("the refusal was noted %d times, want 1", f.refused)
	}
	close(f.block)
	deadline := time.Now().Add(20 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.got)
		f.mu.Unlock()
		if n == 2 && p.pending.Load() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries made, %d pending", n, p.pending.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.Deliver(engine.Delivery{ConversationID: "c4", Expert: "a"}); err != nil {
		t.Fatalf("Deliver after the others finished: %v", err)
	}
}

// estimatingDeliverer has no delivery slot now; the k-th comes in k×100 ms.
type estimatingDeliverer struct {
	slotDeliverer
	asked []int
}

func (s *estimatingDeliverer) DeliverySlotWait(k int) (time.Duration, bool) {
	s.asked = append(s.asked, k)
	return time.Duration(k) * 100 * time.Millisecond, true
}

// A refusal says when its slot would come, after the slots promised to
// earlier refusals still ahead: three refusals in a row are told 100, 200
// and 300 ms; once the first promise has passed, the next is told 300 ms
// (two still ahead), not 400.
func TestDispatcherRefusalEstimatesItsSlot(t *testing.T) {
	f := &estimatingDeliverer{}
	now := time.Unix(1_800_000_000, 0)
	p, err := NewDispatcher(DispatcherOptions{Client: f, AdmitWait: 50 * time.Millisecond, OnOutcome: func(engine.Outcome) {},
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	refuse := func() time.Duration {
		t.Helper()
		err := p.Deliver(engine.Delivery{ConversationID: "c", Expert: "a"})
		if !errors.Is(err, ErrNoCapacity) || engine.FaultOf(err) != engine.FaultCapacity {
			t.Fatalf("Deliver: %v; want ErrNoCapacity", err)
		}
		return engine.RetryAfterOf(err)
	}
	var got []time.Duration
	for range 3 {
		got = append(got, refuse())
	}
	now = now.Add(150 * time.Millisecond)
	got = append(got, refuse())
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Fatalf("estimates %v, want %v (asked for slots %v)", got, want, f.asked)
	}
}

// A started delivery waits at most SlotWait for its request slot: with the
// budget spent (by requests admission did not see), the /assign is never
// sent and the delivery fails with ErrBudget as a capacity fault carrying
// the time until a slot, so the engine holds instead of answering
// "routed" late.
func TestDispatcherDeliveryWaitsAtMostSlotWait(t *testing.T) {
	s := newStub(t)
	s.handle("POST /api/v2/conversations/{id}/assign", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	// One request per 2 s: the slot comes back within the retry window
	// (5 s), so only SlotWait stops the delivery from waiting for it.
	c := s.client(func(o *Options) { o.Budget = NewBudget(1, 2*time.Second) })
	if err := c.budgets[0].Wait(context.Background(), ClassResync, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var oc outcomes
	p, err := NewDispatcher(DispatcherOptions{Client: c, Slots: noSlots{}, SlotWait: 50 * time.Millisecond, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	if err := p.Deliver(engine.Delivery{ConversationID: "c1", Expert: "u1", Holder: "h1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the outcome", func() bool { return len(oc.list()) == 1 })
	o := oc.list()[0]
	if o.Result != engine.DeliveryError || o.Fault != engine.FaultCapacity || o.RetryAfter != time.Second || !strings.Contains(o.Detail, "budget") {
		t.Errorf("outcome %+v; want a capacity DeliveryError for want of budget, retry after the estimate (1 s)", o)
	}
	if n := s.count("POST /api/v2/conversations/{id}/assign"); n != 0 {
		t.Errorf("%d /assign sent without a budget slot", n)
	}
}

// noSlots admits everything (a SlotCounter that always has room), so the
// test reaches the worker's own slot wait.
type noSlots struct{}

func (noSlots) DeliverySlotsWithin(time.Duration) int { return 1 << 20 }
func (noSlots) NoteDeliveryRefused()                  {}

func (noSlots) DeliverySlotWait(int) (time.Duration, bool) { return time.Second, true }
