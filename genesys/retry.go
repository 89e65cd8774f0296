package genesys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// attempt is what one HTTP exchange produced, through the SDK or net/http.
type attempt struct {
	status int // 0: no response
	header http.Header
	body   []byte
	err    error // no response (transport), or a 2xx that could not be decoded
}

// exchange performs one HTTP exchange with a bearer token.
type exchange func(ctx context.Context, token string) attempt

// callError is a classified failure of one try.
type callError struct {
	err       error // *APIError, a transport error, or a token/budget error
	retry     bool
	uncertain bool // the request may have been processed (5xx, timeout, transport)
	after     time.Duration
	reason    string // metrics: "429", "5xx", "transport", "token"
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// retryAfter carries a callError and the backoff library's RetryAfterError,
// so backoff.Retry waits the server's Retry-After and the caller still gets
// the *APIError.
type retryAfter struct {
	*callError
	ra *backoff.RetryAfterError
}

func (e retryAfter) Unwrap() []error { return []error{e.callError, e.ra} }

// send runs one exchange: token, budget, the request, and — once per
// try — a token refresh and immediate resend after a 401. deadline bounds
// the budget wait (zero: ctx only).
func (c *Client) send(ctx context.Context, op string, deadline time.Time, ex exchange) (attempt, *callError) {
	refreshed := false
	cl := classOf(op)
	for {
		// Only a delivery gives up when its slot comes after the retry
		// window: a resync or history read is background work that had
		// better wait for the next window than fail (a 10,000-expert
		// resync is a whole token's minute of requests).
		budgetDeadline := slotDeadline(ctx, deadline)
		if cl != ClassDelivery {
			budgetDeadline = time.Time{}
		}
		waitStart := time.Now()
		l, err := c.acquire(ctx, op, cl, budgetDeadline)
		if err != nil {
			return attempt{}, &callError{err: err}
		}
		if bm, ok := c.metrics.(BudgetMetrics); ok {
			bm.APIBudgetWait(cl, time.Since(waitStart))
		}
		tok, err := l.tokens.AccessToken(ctx)
		if err != nil {
			return attempt{}, tokenError(err)
		}
		a := ex(ctx, tok.Value)
		l.noteRateLimit(a.header, c.now())
		c.metrics.APICall(op, a.status)
		if bm, ok := c.metrics.(BudgetMetrics); ok {
			bm.APIClassCall(cl, a.status)
		}
		if a.status == http.StatusUnauthorized && !refreshed {
			l.tokens.Invalidate(tok.Value)
			c.metrics.APIRetry(op, "401")
			refreshed = true
			continue
		}
		ce := c.classify(op, l, a)
		return a, ce
	}
}

// classify turns an attempt into nil (success) or a callError.
func (c *Client) classify(op string, l *lane, a attempt) *callError {
	switch {
	case a.status == 0:
		err := a.err
		if err == nil {
			err = errors.New("no response")
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &callError{err: err, uncertain: true}
		}
		return &callError{err: fmt.Errorf("genesys: %s: %w", op, err), retry: true, uncertain: true, reason: "transport"}
	case a.status >= 200 && a.status < 300:
		if a.err != nil {
			return &callError{err: fmt.Errorf("genesys: %s: %w", op, a.err)}
		}
		return nil
	}
	e := newAPIError(op, a.status, a.body, a.header.Get("ININ-Correlation-Id"))
	e.RetryAfter = parseRetryAfter(a.header.Get("Retry-After"), c.now())
	switch {
	case a.status == http.StatusTooManyRequests:
		// Rejected before it was processed: safe to resend, even /assign.
		// The limit is the token's: pause its budget, and when another
		// OAuth client is configured let the retry go there after the
		// ordinary backoff instead of waiting out Retry-After.
		after := e.RetryAfter
		if after > 0 {
			l.budget.PauseUntil(c.now().Add(after))
			if len(c.lanes) > 1 {
				after = 0
			}
		}
		return &callError{err: e, retry: true, after: after, reason: "429"}
	case a.status == http.StatusRequestTimeout || a.status >= 500 && a.status != http.StatusNotImplemented:
		return &callError{err: e, retry: true, uncertain: true, after: e.RetryAfter, reason: "5xx"}
	}
	return &callError{err: e}
}

// tokenError classifies a TokenSource failure: a login service that is
// down or rate limiting is worth retrying; rejected credentials are not.
func tokenError(err error) *callError {
	var oe *OAuthError
	switch {
	case errors.As(err, &oe):
		return &callError{err: err, retry: oe.Status == http.StatusTooManyRequests || oe.Status >= 500, reason: "token"}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return &callError{err: err}
	}
	return &callError{err: err, retry: true, reason: "token"}
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// try is one logical try of a call; it returns nil, a *callError, or any
// other error (treated as permanent). deadline is when the call's retry
// window ends.
type try func(ctx context.Context, deadline time.Time) error

// run repeats t under the retry policy: 429 waits its Retry-After (and
// gives up at once if that ends past the window or ctx's deadline), other
// retryable failures back off exponentially with jitter. It returns nil or
// the last failure's underlying error (*APIError, transport error,
// ErrBudget, ctx error).
func (c *Client) run(ctx context.Context, op string, t try) error {
	p := c.retry
	deadline := time.Now().Add(p.MaxElapsed)
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: p.Jitter,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.MaxInterval,
	}
	operation := func() (struct{}, error) {
		err := t(ctx, deadline)
		if err == nil {
			return struct{}{}, nil
		}
		var ce *callError
		if !errors.As(err, &ce) || !ce.retry {
			return struct{}{}, backoff.Permanent(err)
		}
		if ce.after > 0 {
			end := time.Now().Add(ce.after)
			if dl, ok := ctx.Deadline(); end.After(deadline) || ok && end.After(dl) {
				return struct{}{}, backoff.Permanent(err)
			}
			return struct{}{}, retryAfter{ce, &backoff.RetryAfterError{Duration: ce.after}}
		}
		return struct{}{}, ce
	}
	_, err := backoff.Retry(ctx, operation,
		backoff.WithBackOff(b),
		backoff.WithMaxElapsedTime(p.MaxElapsed),
		backoff.WithMaxTries(uint(p.MaxTries)),
		backoff.WithNotify(func(err error, wait time.Duration) {
			var ce *callError
			if errors.As(err, &ce) {
				c.metrics.APIRetry(op, ce.reason)
				c.log.Debug("genesys: retrying", "op", op, "in", wait, "err", ce.err)
			}
		}),
	)
	if err == nil {
		return nil
	}
	var ce *callError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}

// do runs an idempotent call: the exchange is simply repeated.
func (c *Client) do(ctx context.Context, op string, ex exchange) (attempt, error) {
	var last attempt
	err := c.run(ctx, op, func(ctx context.Context, deadline time.Time) error {
		a, ce := c.send(ctx, op, deadline, ex)
		last = a
		if ce != nil {
			return ce
		}
		return nil
	})
	return last, err
}
