package genesys

import (
	"context"
	"strings"
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
	tokens TokenSource
	budget *Budget
}

// BudgetMetrics is an optional extension of Metrics: a Metrics that
// implements it also gets every call's class.
type BudgetMetrics interface {
	// APIClassCall counts one HTTP exchange of class with its status (0:
	// no response).
	APIClassCall(class Class, status int)
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

// NoteDeliveryRefused tells every OAuth client's budget that a delivery
// was refused for want of budget, so resync yields to deliveries.
func (c *Client) NoteDeliveryRefused() {
	for _, l := range c.lanes {
		l.budget.NoteDeliveryRefused()
	}
}
