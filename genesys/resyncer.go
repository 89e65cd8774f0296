package genesys

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Resyncer schedules Client.Resync for a pool: every Interval, and as soon
// as possible after Trigger (wire it to FeedOptions.OnGap). Triggers that
// arrive while a resync runs are coalesced into one more resync after it,
// so a burst of gaps costs at most two reads.
//
// Apply receives every snapshot, partial ones included (with the error),
// on the goroutine running Run, one at a time; like the Feed's callbacks
// it should hand the snapshot to the engine's owner and return.
type Resyncer struct {
	// Settle, when set before Run, makes a triggered resync wait until no
	// further Trigger has come for Settle (at most 4×Settle in all): gaps
	// that arrive in a burst — every channel coming up at start-up, a
	// reconnect storm — then cost one read of the pool, not two. At
	// 10,000 experts one read is 300 requests, a token's whole minute.
	Settle time.Duration

	c        *Client
	ids      []engine.ExpertID
	interval time.Duration
	apply    func(engine.Snapshot, error)
	trigger  chan struct{}
}

// NewResyncer builds a Resyncer; interval ≤ 0 means DefaultResyncInterval.
// ids is copied.
func NewResyncer(c *Client, ids []engine.ExpertID, interval time.Duration, apply func(engine.Snapshot, error)) (*Resyncer, error) {
	if c == nil || apply == nil {
		return nil, errors.New("genesys: NewResyncer needs a Client and an apply function")
	}
	if interval <= 0 {
		interval = DefaultResyncInterval
	}
	return &Resyncer{c: c, ids: slices.Clone(ids), interval: interval, apply: apply, trigger: make(chan struct{}, 1)}, nil
}

// Trigger asks for a resync now. It never blocks; safe from any goroutine.
func (r *Resyncer) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default: // one is already pending
	}
}

// Run resyncs until ctx ends, then returns nil. The first resync waits for
// a Trigger or the first Interval.
func (r *Resyncer) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		rctx := ctx
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			rctx = withInFlight(ctx, pacedInFlight) // periodic: paced, see pacedInFlight
		case <-r.trigger:
			if !r.settle(ctx) {
				return nil
			}
			t.Reset(r.interval)
		}
		snap, err := r.c.Resync(rctx, r.ids)
		if ctx.Err() != nil {
			return nil
		}
		r.apply(snap, err)
	}
}

// settle waits out a burst of triggers (see Settle); false when ctx ended.
func (r *Resyncer) settle(ctx context.Context) bool {
	if r.Settle <= 0 {
		return true
	}
	quiet := time.NewTimer(r.Settle)
	defer quiet.Stop()
	limit := time.NewTimer(4 * r.Settle)
	defer limit.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-quiet.C:
			return true
		case <-limit.C:
			return true
		case <-r.trigger:
			quiet.Reset(r.Settle)
		}
	}
}
