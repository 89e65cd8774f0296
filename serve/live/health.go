package live

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// storeProbe is how often readiness pings Redis, and the ping's timeout.
const storeProbe = time.Second

// health is what /readyz reports: a replica is ready when it is not
// shutting down, its store answers, its notification feed is connected
// and a full resync has landed since it started. Each part is updated by
// the goroutine that knows it; ready reads them without locks.
type health struct {
	draining atomic.Bool
	storeErr atomic.Pointer[error] // last probe's error; nil = reachable
	feedUp   atomic.Bool           // a socket is subscribed (set on OnGap, cleared on a reconnect)
	synced   atomic.Bool           // a complete resync has been applied
}

// ready returns why the replica cannot serve, or nil.
func (h *health) ready() error {
	switch {
	case h.draining.Load():
		return errShuttingDown
	case h.storeErr.Load() != nil:
		return fmt.Errorf("store: redis unreachable: %v", *h.storeErr.Load())
	case !h.feedUp.Load():
		return errors.New("feed: notification socket not connected")
	case !h.synced.Load():
		return errors.New("presence: first resync not done")
	}
	return nil
}

var errShuttingDown = errors.New("shutting down")

// accepting returns why new escalations are refused, or nil.
func (h *health) accepting() error {
	if h.draining.Load() {
		return errShuttingDown
	}
	return nil
}

// probeStore pings c every storeProbe until ctx ends.
func (h *health) probeStore(ctx context.Context, c redis.UniversalClient, failed func()) {
	t := time.NewTicker(storeProbe)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, storeProbe)
		err := c.Ping(pctx).Err()
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failed()
			h.storeErr.Store(&err)
		} else {
			h.storeErr.Store(nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
