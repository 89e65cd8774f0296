package genesys

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Budget is the request budget of one token: a token bucket that every
// HTTP request (first tries and retries alike) draws from before it is
// sent, so shadowq stays under Genesys's per-token rate limit instead of
// discovering it through 429s.
//
// With limit L per period P and burst B, the bucket holds at most B
// requests and refills at (L−B)/P, so no window of length P ever sees more
// than L requests. A 429's Retry-After pauses the whole bucket (the limit
// is per token, so every caller is affected).
//
// Safe for concurrent use; share one Budget between everything that uses
// the same token (Client, Feed).
type Budget struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64 // may be negative: reserved for waiters
	last   time.Time
	pause  time.Time
	now    func() time.Time
}

// DefaultBudget is ≈ 300 requests/min per token (token.rate.per.minute,
// shared/genesys-api.md §7) with a burst of 30, so at most 300 requests
// fall in any minute.
func DefaultBudget() *Budget { return NewBudget(300, time.Minute, 30) }

// NewBudget allows at most limit requests in any period, of which burst may
// go back to back. burst is clamped to 1..limit-1 (limit 1 gives burst 1
// and a refill of one per period).
func NewBudget(limit int, period time.Duration, burst int) *Budget {
	if limit < 1 {
		limit = 1
	}
	if period <= 0 {
		period = time.Minute
	}
	burst = max(1, min(burst, limit-1))
	refill := float64(limit - burst)
	if refill < 1 {
		refill = 1
	}
	return &Budget{
		rate:   refill / period.Seconds(),
		burst:  float64(burst),
		tokens: float64(burst),
		now:    time.Now,
	}
}

// Wait takes one request from the budget, sleeping until one is available.
// It returns an error wrapping ErrBudget at once, taking nothing, when the
// wait would end after deadline (zero: no deadline other than ctx's), and
// ctx's error if ctx ends while waiting.
func (b *Budget) Wait(ctx context.Context, deadline time.Time) error {
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	b.mu.Lock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	wait := time.Duration(0)
	if b.tokens < 1 {
		wait = time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	}
	if p := b.pause.Sub(now); p > wait {
		wait = p
	}
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		b.mu.Unlock()
		return fmt.Errorf("%w: next request slot in %v, past the deadline", ErrBudget, wait.Round(time.Millisecond))
	}
	b.tokens--
	b.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		b.tokens++
		b.mu.Unlock()
		return ctx.Err()
	}
}

// PauseUntil stops handing out requests before t (a 429's Retry-After).
func (b *Budget) PauseUntil(t time.Time) {
	b.mu.Lock()
	if t.After(b.pause) {
		b.pause = t
	}
	b.mu.Unlock()
}
