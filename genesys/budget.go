package genesys

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Class is a request's priority when the request budget is short.
// Lower values go first.
type Class uint8

const (
	// ClassDelivery: /assign, transfers, the routing PATCH and the
	// conversation reads that check a delivery's outcome. A caller waits on
	// these.
	ClassDelivery Class = iota
	// ClassResync: bulk presence, routing status, notification channels
	// and subscriptions, queue members, presence definitions.
	ClassResync
	// ClassHistory: presence history (analytics) and calibration reads.
	ClassHistory
	numClasses
)

var classNames = [numClasses]string{"delivery", "resync", "history"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Classes lists the classes in priority order (for metrics).
func Classes() []Class { return []Class{ClassDelivery, ClassResync, ClassHistory} }

// classOf is the class of an operation ("METHOD /path/template").
func classOf(op string) Class {
	switch {
	case strings.Contains(op, "/analytics/"):
		// Before "/conversations/": the conversation details query is
		// history, not a delivery.
		return ClassHistory
	case strings.Contains(op, "/conversations/"):
		return ClassDelivery
	}
	return ClassResync
}

// Budget is the request allowance of one OAuth client's token: at most
// limit requests in any window of one period (Genesys counts
// token.rate.per.minute = 300 per token, shared/genesys-api.md §7).
//
// It is a sliding-window log, not a paced bucket: the whole allowance may
// be spent at once (a resync at start-up reads 10,000 experts in seconds),
// and a slot becomes free again one period after it was used, so no window
// of one period — fixed, as Genesys's inin-ratelimit-reset suggests, or
// sliding — ever sees more than limit requests.
//
// Priority: a class may take a slot only while more than its reserve is
// free, and only when no request of a higher class is waiting, so when
// the window is full the next free slot goes to the most urgent waiter.
// Deliveries reserve nothing. Resync leaves deliveries twice what they
// used in the current window (at least 5% of the allowance, at most half),
// and half whenever a delivery was refused for want of budget within the
// last period (NoteDeliveryRefused): at start-up, with no deliveries yet,
// a resync may spend 95% at once; under escalation load it yields up to
// half the window to deliveries.
// History leaves the resync reserve plus 20% of the allowance (at least
// 25%).
//
// A 429's Retry-After pauses the whole budget (the limit is per token).
// Safe for concurrent use; share one Budget between everything that uses
// the same token.
type Budget struct {
	mu      sync.Mutex
	limit   int
	period  time.Duration
	ring    []time.Time     // send times, oldest at head; len limit
	classes []Class         // the class of each ring entry
	used    [numClasses]int // entries in the window by class
	head, n int
	waiting [numClasses]int
	pause   time.Time
	starved time.Time // until then the resync reserve is half the allowance
	now     func() time.Time
}

// DefaultBudget is 300 requests a minute (token.rate.per.minute).
func DefaultBudget() *Budget { return NewBudget(300, time.Minute) }

// NewBudget allows at most limit (≥ 1) requests in any period.
func NewBudget(limit int, period time.Duration) *Budget {
	if limit < 1 {
		limit = 1
	}
	if period <= 0 {
		period = time.Minute
	}
	return &Budget{limit: limit, period: period, ring: make([]time.Time, limit), classes: make([]Class, limit), now: time.Now}
}

// Limit is the allowance per period.
func (b *Budget) Limit() int { return b.limit }

// expire drops the send times that left the window; b.mu held.
func (b *Budget) expire(now time.Time) {
	cut := now.Add(-b.period)
	for b.n > 0 && !b.ring[b.head].After(cut) {
		b.used[b.classes[b.head]]--
		b.head = (b.head + 1) % b.limit
		b.n--
	}
}

// reserve is how many free slots class c must leave; b.mu held.
func (b *Budget) reserve(c Class) int {
	if c == ClassDelivery {
		return 0
	}
	r := min(b.limit/2, max(b.limit/20, 2*b.used[ClassDelivery]))
	if b.starved.After(b.now()) {
		r = b.limit / 2
	}
	if c == ClassHistory {
		r = max(b.limit/4, r+b.limit/5)
	}
	return min(r, b.limit-1)
}

// at is the i-th oldest send time in the window; b.mu held.
func (b *Budget) at(i int) time.Time { return b.ring[(b.head+i)%b.limit] }

// waitFor is how long class c must wait for a slot, ignoring waiters;
// b.mu held, expire done.
func (b *Budget) waitFor(c Class, now time.Time) time.Duration {
	var wait time.Duration
	// A slot for c needs n ≤ limit − reserve − 1: the k oldest must expire.
	if k := b.n - (b.limit - b.reserve(c) - 1); k > 0 {
		wait = b.at(k - 1).Add(b.period).Sub(now)
	}
	if p := b.pause.Sub(now); p > wait {
		wait = p
	}
	return max(wait, 0)
}

// blocked reports whether a higher class than c is waiting; b.mu held.
func (b *Budget) blocked(c Class) bool {
	for h := Class(0); h < c; h++ {
		if b.waiting[h] > 0 {
			return true
		}
	}
	return false
}

// Wait takes one slot for a request of class c, sleeping until one is
// free. It returns an error wrapping ErrBudget at once, taking nothing,
// when the slot would come after deadline (zero: no deadline other than
// ctx's), and ctx's error if ctx ends while waiting.
func (b *Budget) Wait(ctx context.Context, c Class, deadline time.Time) error {
	_, err := acquire(ctx, []*Budget{b}, c, deadline)
	return err
}

// tryTake takes a slot for c if one is free now and no higher class
// waits; otherwise it says how long until c's next slot (0: free, but
// promised to a more urgent waiter).
func (b *Budget) tryTake(c Class) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	wait := b.waitFor(c, now)
	if wait == 0 && !b.blocked(c) {
		i := (b.head + b.n) % b.limit
		b.ring[i], b.classes[i] = now, c
		b.used[c]++
		b.n++
		return true, 0
	}
	return false, wait
}

func (b *Budget) addWaiting(c Class, d int) {
	b.mu.Lock()
	b.waiting[c] += d
	b.mu.Unlock()
}

// acquire takes one slot of class c from the first of budgets that has
// one, waiting (registered as a waiter of c in all of them, so lower
// classes yield) until one does. It returns the index of the budget used.
func acquire(ctx context.Context, budgets []*Budget, c Class, deadline time.Time) (int, error) {
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	if c >= numClasses {
		c = numClasses - 1
	}
	registered := false
	defer func() {
		if registered {
			for _, b := range budgets {
				b.addWaiting(c, -1)
			}
		}
	}()
	for {
		wait := time.Duration(-1)
		for i, b := range budgets {
			ok, w := b.tryTake(c)
			if ok {
				return i, nil
			}
			if wait < 0 || w < wait {
				wait = w
			}
		}
		if now := time.Now(); !deadline.IsZero() && now.Add(wait).After(deadline) {
			return -1, fmt.Errorf("%w: next %s request slot in %v, past the deadline", ErrBudget, c, wait.Round(time.Millisecond))
		}
		if !registered {
			registered = true
			for _, b := range budgets {
				b.addWaiting(c, 1)
			}
		}
		if wait == 0 {
			// Free, but a more urgent request is waiting for it: look again
			// shortly.
			wait = 5 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return -1, ctx.Err()
		}
	}
}

// Free is how many requests of class c could start now.
func (b *Budget) Free(c Class) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	if b.pause.After(now) {
		return 0
	}
	return max(0, b.limit-b.n-b.reserve(min(c, numClasses-1)))
}

// FreeWithin is how many delivery-class slots become available within d
// from now (the free ones and those whose use leaves the window by then),
// for admission: a delivery admitted now starts within d if fewer than
// this many are ahead of it.
func (b *Budget) FreeWithin(d time.Duration) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	at := now.Add(d)
	if b.pause.After(at) {
		return 0
	}
	cut := at.Add(-b.period)
	inWindow := b.n
	for i := 0; i < b.n && !b.at(i).After(cut); i++ {
		inWindow--
	}
	return b.limit - inWindow
}

// slotWaits is, for the next k delivery-class requests, how long from now
// each would wait for its slot (0: free now), in order: the free slots,
// then the window's oldest entries as they leave it, never before a
// Retry-After pause ends. Fewer than k when the window cannot provide
// them within one period.
func (b *Budget) slotWaits(k int) []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	pause := max(b.pause.Sub(now), 0)
	out := make([]time.Duration, 0, min(k, b.limit))
	for range min(k, b.limit-b.n) {
		out = append(out, pause)
	}
	for i := 0; len(out) < k && i < b.n; i++ {
		out = append(out, max(b.at(i).Add(b.period).Sub(now), pause))
	}
	return out
}

// Used is how many requests are in the current window.
func (b *Budget) Used() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expire(b.now())
	return b.n
}

type slotDeadlineKey struct{}

// WithSlotDeadline bounds how long delivery-class requests made with ctx
// may wait for a request slot: past t they fail with ErrBudget instead of
// waiting (the Dispatcher sets it, so that an admitted delivery whose
// slot was taken meanwhile fails fast and the escalation is held, rather
// than answered "routed" late).
func WithSlotDeadline(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, slotDeadlineKey{}, t)
}

// slotDeadline is the earlier of deadline and ctx's slot deadline.
func slotDeadline(ctx context.Context, deadline time.Time) time.Time {
	if t, ok := ctx.Value(slotDeadlineKey{}).(time.Time); ok && (deadline.IsZero() || t.Before(deadline)) {
		return t
	}
	return deadline
}

// NoteDeliveryRefused records that a delivery was refused for want of
// budget: for the next period resync leaves half the allowance free.
func (b *Budget) NoteDeliveryRefused() {
	b.mu.Lock()
	b.starved = b.now().Add(b.period)
	b.mu.Unlock()
}

// PauseUntil stops handing out requests before t (a 429's Retry-After).
func (b *Budget) PauseUntil(t time.Time) {
	b.mu.Lock()
	if t.After(b.pause) {
		b.pause = t
	}
	b.mu.Unlock()
}

// next is how long class c waits for a slot now and how many are free.
func (b *Budget) next(c Class) (time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	return b.waitFor(c, now), b.limit - b.n
}
