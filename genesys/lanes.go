package genesys

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// OAuthClient is one OAuth client's token source and request budget.
// Genesys limits requests per token, so each configured client adds its
// allowance to the Client's.
type OAuthClient struct {
	Tokens TokenSource
	// Budget of this client's token; default DefaultBudget().
	Budget *Budget
}

// lane is one OAuthClient in use.
type lane struct {
	tokens   TokenSource
	budget   *Budget
	reported atomic.Pointer[RateLimitReport] // the latest inin-ratelimit-* headers
}

// RateLimitReport is what Genesys said about a token's allowance in the
// inin-ratelimit-* headers of its latest response (shared/genesys-api.md
// §7): Allowed requests per window, Count used so far in it, and Reset
// until the window ends.
type RateLimitReport struct {
	Allowed, Count int
	Reset          time.Duration
	At             time.Time
}

// parseRateLimit reads the inin-ratelimit-* headers; ok is false when
// they are absent or malformed.
func parseRateLimit(h http.Header, at time.Time) (RateLimitReport, bool) {
	allowed, err1 := strconv.Atoi(h.Get("inin-ratelimit-allowed"))
	count, err2 := strconv.Atoi(h.Get("inin-ratelimit-count"))
	reset, err3 := strconv.Atoi(h.Get("inin-ratelimit-reset"))
	if err1 != nil || err2 != nil || err3 != nil {
		return RateLimitReport{}, false
	}
	return RateLimitReport{Allowed: allowed, Count: count, Reset: time.Duration(reset) * time.Second, At: at}, true
}

// noteRateLimit keeps the headers of a response to a request sent
// through l.
func (l *lane) noteRateLimit(h http.Header, at time.Time) {
	if r, ok := parseRateLimit(h, at); ok {
		l.reported.Store(&r)
	}
}

// BudgetReport compares one OAuth client's budget with what Genesys
// reports for its token.
type BudgetReport struct {
	// Used is how many requests our budget counts in the current window;
	// Limit its allowance per period.
	Used, Limit int
	// Reported is the latest inin-ratelimit-* report for the token (nil:
	// no response carried the headers yet).
	Reported *RateLimitReport
}

// BudgetReports lists, for each OAuth client in order, our budget's count
// beside Genesys's. The budget's window slides and Genesys's is fixed
// (it starts at the token's first request and resets after a minute), so
// within a token's first window the counts agree exactly, and after it
// Genesys's count is at most ours.
func (c *Client) BudgetReports() []BudgetReport {
	out := make([]BudgetReport, len(c.lanes))
	for i, l := range c.lanes {
		out[i] = BudgetReport{Used: l.budget.Used(), Limit: l.budget.limit, Reported: l.reported.Load()}
	}
	return out
}

// BudgetMetrics is an optional extension of Metrics: a Metrics that
// implements it also gets every call's class.
type BudgetMetrics interface {
	// APIClassCall counts one HTTP exchange of class with its status (0:
	// no response).
	APIClassCall(class Class, status int)
	// APIBudgetWait observes how long a request of class waited for its
	// slot in the request budget (0 when one was free).
	APIBudgetWait(class Class, wait time.Duration)
}

// acquire takes a slot of class cl for op from the OAuth client whose
// budget has one first: notification channels stay with the first client
// (a channel belongs to the token that made it); anything else may go to
// any of them.
func (c *Client) acquire(ctx context.Context, op string, cl Class, deadline time.Time) (*lane, error) {
	if len(c.lanes) == 1 || strings.Contains(op, "/notifications/") {
		if _, err := acquire(ctx, c.budgets[:1], cl, deadline); err != nil {
			return nil, err
		}
		return c.lanes[0], nil
	}
	i, err := acquire(ctx, c.budgets, cl, deadline)
	if err != nil {
		return nil, err
	}
	return c.lanes[i], nil
}

// BudgetLeft is how many requests of class cl every OAuth client together
// could send now.
func (c *Client) BudgetLeft(cl Class) int {
	n := 0
	for _, l := range c.lanes {
		n += l.budget.Free(cl)
	}
	return n
}

// BudgetLimit is the allowance per minute of every OAuth client together
// (budgets with another period are scaled to a minute).
func (c *Client) BudgetLimit() int {
	n := 0
	for _, l := range c.lanes {
		n += int(float64(l.budget.limit) * float64(time.Minute) / float64(l.budget.period))
	}
	return n
}

// DeliverySlotsWithin is how many delivery-class requests every OAuth
// client together can start within d from now.
func (c *Client) DeliverySlotsWithin(d time.Duration) int {
	n := 0
	for _, l := range c.lanes {
		n += l.budget.FreeWithin(d)
	}
	return n
}

// DeliverySlotWait is how long from now until the k-th next
// delivery-class request (k ≥ 1) of every OAuth client together could
// start, were nothing else to take a slot meanwhile; ok is false when not
// within one budget period.
func (c *Client) DeliverySlotWait(k int) (time.Duration, bool) {
	if k < 1 {
		k = 1
	}
	var all []time.Duration
	for _, l := range c.lanes {
		all = append(all, l.budget.slotWaits(k)...)
	}
	if len(all) < k {
		return 0, false
	}
	slices.Sort(all)
	return all[k-1], true
}

// NoteDeliveryRefused tells every OAuth client's budget that a delivery
// was refused for want of budget, so resync yields to deliveries.
func (c *Client) NoteDeliveryRefused() {
	for _, l := range c.lanes {
		l.budget.NoteDeliveryRefused()
	}
}
