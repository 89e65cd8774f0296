package genesys

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fake "github.com/shadowq/shadowq/fakes/genesys"
)

func TestBudgetReservesSlotsForDeliveries(t *testing.T) {
	b := NewBudget(40, time.Minute) // resync leaves 2, history 10
	now := time.Now()
	b.now = func() time.Time { return now }
	ctx := context.Background()
	dl := now.Add(time.Second)
	for i := range 30 {
		if err := b.Wait(ctx, ClassHistory, dl); err != nil {
			t.Fatalf("history request %d: %v", i+1, err)
		}
	}
	if err := b.Wait(ctx, ClassHistory, dl); !errors.Is(err, ErrBudget) {
		t.Fatalf("history past its reserve: %v, want ErrBudget", err)
	}
	for i := range 8 {
		if err := b.Wait(ctx, ClassResync, dl); err != nil {
			t.Fatalf("resync request %d: %v", i+1, err)
		}
	}
	if err := b.Wait(ctx, ClassResync, dl); !errors.Is(err, ErrBudget) {
		t.Fatalf("resync past its reserve: %v, want ErrBudget", err)
	}
	if got := b.Free(ClassDelivery); got != 2 {
		t.Fatalf("free for deliveries = %d, want 2", got)
	}
	for i := range 2 {
		if err := b.Wait(ctx, ClassDelivery, dl); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if err := b.Wait(ctx, ClassDelivery, dl); !errors.Is(err, ErrBudget) {
		t.Fatalf("delivery past the allowance: %v, want ErrBudget", err)
	}
	// One period later the whole allowance is back; FreeWithin saw it coming.
	if got := b.FreeWithin(time.Minute); got != 40 {
		t.Fatalf("FreeWithin(1m) = %d, want 40", got)
	}
	now = now.Add(time.Minute)
	if got := b.Free(ClassDelivery); got != 40 {
		t.Fatalf("free after a period = %d, want 40", got)
	}
}

func TestBudgetNextSlotGoesToDelivery(t *testing.T) {
	b := NewBudget(1, 150*time.Millisecond)
	ctx := context.Background()
	if err := b.Wait(ctx, ClassResync, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []Class
		wg    sync.WaitGroup
	)
	wait := func(c Class) {
		defer wg.Done()
		if err := b.Wait(ctx, c, time.Time{}); err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, c)
		mu.Unlock()
	}
	wg.Add(2)
	go wait(ClassResync) // waiting first
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.waiting[ClassResync] == 1 })
	go wait(ClassDelivery)
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.waiting[ClassDelivery] == 1 })
	wg.Wait()
	if len(order) != 2 || order[0] != ClassDelivery {
		t.Fatalf("slots went to %v; the delivery waiting must go first", order)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// classCounter counts calls by class and status.
type classCounter struct {
	NopMetrics
	mu sync.Mutex
	n  map[Class]map[int]int
}

func (m *classCounter) APIBudgetWait(Class, time.Duration) {}

func (m *classCounter) APIClassCall(c Class, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[Class]map[int]int{}
	}
	if m.n[c] == nil {
		m.n[c] = map[int]int{}
	}
	m.n[c][status]++
}

func (m *classCounter) get(c Class, status int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[c][status]
}

// TestTwoOAuthClientsDoubleThroughput runs the same burst of reads against
// the fake enforcing its per-token limit (20 a minute here), with one
// OAuth client and with two: one client gets its 19 through (20 less the
// slot resync leaves to deliveries) and is refused the rest by its own
// budget before the fake would answer 429; two get 38.
// A client whose budget ignores the limit meets the fake's 429s.
func TestTwoOAuthClientsDoubleThroughput(t *testing.T) {
	const perToken = 20
	env := newFakeEnv(t, fake.Options{TimeScale: 1, Faults: fake.Faults{TokenRateLimit: true, RequestsPerMinute: perToken}})
	api, err := BaseURL(env.url)
	if err != nil {
		t.Fatal(err)
	}
	tokens := func() TokenSource {
		tm, err := NewTokenManager(TokenOptions{Login: LoginURL(api), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	burst := func(clients int, limit int) (ok, refused int, m *classCounter) {
		m = &classCounter{}
		o := Options{API: api, Tokens: tokens(), Budget: NewBudget(limit, time.Minute), Metrics: m,
			Retry: RetryPolicy{MaxTries: 1, MaxElapsed: time.Second}}
		for range clients - 1 {
			o.MoreClients = append(o.MoreClients, OAuthClient{Tokens: tokens(), Budget: NewBudget(limit, time.Minute)})
		}
		c, err := NewClient(o)
		if err != nil {
			t.Fatal(err)
		}
		var okN, refusedN atomic.Int32
		var wg sync.WaitGroup
		for range 3 * perToken {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, err := c.PresenceDefinitions(ctx)
				switch {
				case err == nil:
					okN.Add(1)
				default:
					if refusedN.Add(1) == 1 {
						t.Logf("first refusal: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		return int(okN.Load()), int(refusedN.Load()), m
	}
	const resyncPerToken = perToken - perToken/20
	ok1, ref1, m1 := burst(1, perToken)
	ok2, ref2, m2 := burst(2, perToken)
	t.Logf("one OAuth client: %d ok, %d refused; two: %d ok, %d refused", ok1, ref1, ok2, ref2)
	if ok1 != resyncPerToken || m1.get(ClassResync, 429) != 0 {
		t.Errorf("one client: %d ok, %d 429s; want %d ok and no 429", ok1, m1.get(ClassResync, 429), resyncPerToken)
	}
	if ok2 != 2*resyncPerToken || m2.get(ClassResync, 429) != 0 {
		t.Errorf("two clients: %d ok, %d 429s; want %d ok and no 429", ok2, m2.get(ClassResync, 429), 2*resyncPerToken)
	}
	if got := m2.get(ClassResync, 200); got != 2*resyncPerToken {
		t.Errorf("two clients: metrics count %d resync 200s, want %d", got, 2*resyncPerToken)
	}
	// The fake does enforce the limit: a budget that ignores it meets 429s.
	_, _, m3 := burst(1, 10*perToken)
	if m3.get(ClassResync, 200) != perToken || m3.get(ClassResync, 429) == 0 {
		t.Errorf("an over-generous budget: %d 200s and %d 429s; want %d and some 429s",
			m3.get(ClassResync, 200), m3.get(ClassResync, 429), perToken)
	}
}

// Under delivery load resync leaves deliveries twice what they used in the
// window, up to half the allowance.
func TestBudgetResyncYieldsToDeliveryLoad(t *testing.T) {
	b := NewBudget(40, time.Minute)
	now := time.Now()
	b.now = func() time.Time { return now }
	ctx := context.Background()
	dl := now.Add(time.Second)
	for range 8 {
		if err := b.Wait(ctx, ClassDelivery, dl); err != nil {
			t.Fatal(err)
		}
	}
	// 8 deliveries in the window: resync must leave 16 free.
	n := 0
	for b.Wait(ctx, ClassResync, dl) == nil {
		n++
	}
	if n != 40-8-16 {
		t.Fatalf("resync took %d slots after 8 deliveries, want %d", n, 40-8-16)
	}
	if got := b.Free(ClassDelivery); got != 16 {
		t.Fatalf("free for deliveries = %d, want 16", got)
	}
}

// A delivery refused for want of budget makes resync leave half the
// allowance for the next period.
func TestBudgetStarvedDeliveriesHalveResync(t *testing.T) {
	b := NewBudget(40, time.Minute)
	now := time.Now()
	b.now = func() time.Time { return now }
	b.NoteDeliveryRefused()
	n := 0
	for b.Wait(context.Background(), ClassResync, now.Add(time.Second)) == nil {
		n++
	}
	if n != 20 {
		t.Fatalf("resync took %d slots, want 20 (half of 40 left free)", n)
	}
	now = now.Add(2 * time.Minute)
	if got := b.Free(ClassResync); got != 38 {
		t.Fatalf("a period later resync may take %d, want 38", got)
	}
}

// slotWaits lists when the next slots come: free ones at once, then the
// window's oldest as they leave it, none before a Retry-After pause ends.
func TestBudgetSlotWaits(t *testing.T) {
	b := NewBudget(4, time.Minute)
	now := time.Now()
	b.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := b.tryTake(ClassDelivery); !ok {
			t.Fatalf("slot %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	// Sent at 0, 10 and 20 s; now is 30 s: one free, then at 60, 70, 80 s.
	want := []time.Duration{0, 30 * time.Second, 40 * time.Second, 50 * time.Second}
	if got := b.slotWaits(5); !slices.Equal(got, want) {
		t.Fatalf("slotWaits(5) = %v, want %v", got, want)
	}
	b.PauseUntil(now.Add(35 * time.Second))
	want = []time.Duration{35 * time.Second, 35 * time.Second}
	if got := b.slotWaits(2); !slices.Equal(got, want) {
		t.Fatalf("paused: slotWaits(2) = %v, want %v", got, want)
	}
}

// Our count of each token's requests agrees with what the fake reports in
// its inin-ratelimit-* headers, request by request, over two OAuth
// clients, and the budget never lets the fake's count past its allowance
// (no 429): the budget counts what Genesys counts.
func TestBudgetAgreesWithRateLimitHeaders(t *testing.T) {
	const perToken = 20
	env := newFakeEnv(t, fake.Options{TimeScale: 1, Faults: fake.Faults{TokenRateLimit: true, RequestsPerMinute: perToken}})
	api, err := BaseURL(env.url)
	if err != nil {
		t.Fatal(err)
	}
	tokens := func() TokenSource {
		tm, err := NewTokenManager(TokenOptions{Login: LoginURL(api), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	m := &classCounter{}
	c, err := NewClient(Options{API: api, Tokens: tokens(), Budget: NewBudget(perToken, time.Minute), Metrics: m,
		MoreClients: []OAuthClient{{Tokens: tokens(), Budget: NewBudget(perToken, time.Minute)}},
		Retry:       RetryPolicy{MaxTries: 1, MaxElapsed: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.BudgetReports(); len(r) != 2 || r[0].Reported != nil || r[0].Used != 0 {
		t.Fatalf("before any request: %+v; want two clients, nothing used or reported", r)
	}
	const calls = 30 // more than one token's allowance: both are used
	for i := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := c.PresenceDefinitions(ctx)
		cancel()
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		for k, r := range c.BudgetReports() {
			if r.Reported == nil {
				if r.Used != 0 {
					t.Fatalf("request %d, client %d: we count %d, the fake reported nothing", i+1, k+1, r.Used)
				}
				continue
			}
			if r.Reported.Count != r.Used || r.Reported.Allowed != r.Limit {
				t.Fatalf("request %d, client %d: we count %d of %d, the fake reports %d of %d",
					i+1, k+1, r.Used, r.Limit, r.Reported.Count, r.Reported.Allowed)
			}
		}
	}
	r := c.BudgetReports()
	if r[0].Used+r[1].Used != calls || r[0].Used == 0 || r[1].Used == 0 || m.get(ClassResync, 429) != 0 {
		t.Fatalf("after %d requests: %+v, %d × 429; want both clients used, every request counted, no 429",
			calls, r, m.get(ClassResync, 429))
	}
	t.Logf("client 1: we count %d, fake reports %d of %d; client 2: we count %d, fake reports %d of %d",
		r[0].Used, r[0].Reported.Count, r[0].Reported.Allowed, r[1].Used, r[1].Reported.Count, r[1].Reported.Allowed)
}
