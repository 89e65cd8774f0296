package live

import (
	"context"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// ownedStore is the engine's store with a record of the conversations
// this replica owns and has not finished: it sees every successful
// ClaimConversation and every terminal decision appended. A shutdown
// releases what is left, so another replica takes those conversations
// over at once (resuming from the decision log and checking the
// conversation first) instead of answering "hold" until the ownership
// TTL (minutes) runs out; the escalation itself is queued for takeover
// (redisstore.HandOff), so it goes on without waiting for a retry.
type ownedStore struct {
	engine.Store
	// reg records owned escalations in the store for survivors to find
	// if this replica dies (nil: not recorded).
	reg   inFlightRegistry
	onErr func(error)
	mu    sync.Mutex
	owned map[string]string            // conversation → owner
	escs  map[string]engine.Escalation // what was submitted for an owned conversation
}

// inFlightRegistry is the part of redisstore.Store that records owned,
// unfinished escalations (see Orphans).
type inFlightRegistry interface {
	TrackInFlight(context.Context, engine.Escalation) error
	UntrackInFlight(context.Context, string) error
}

func newOwnedStore(s engine.Store, reg inFlightRegistry, onErr func(error)) *ownedStore {
	return &ownedStore{Store: s, reg: reg, onErr: onErr, owned: map[string]string{}, escs: map[string]engine.Escalation{}}
}

// submitted remembers x if its conversation is owned here and unfinished
// (serve.API's Submitted hook; it runs on the engine's goroutine), so
// that a shutdown can hand it over whole and, in the store, so that a
// survivor can take it over if this replica dies.
func (o *ownedStore) submitted(x engine.Escalation, d engine.Decision) {
	o.mu.Lock()
	_, owned := o.owned[x.ConversationID]
	_, known := o.escs[x.ConversationID]
	if owned {
		o.escs[x.ConversationID] = x
	}
	o.mu.Unlock()
	if owned && !known && !d.Action.Terminal() && o.reg != nil {
		// Before the caller gets its answer, so that an escalation
		// answered is one a survivor can find if this replica dies the
		// next instant; bounded, so a slow store cannot stall routing for
		// long. On the engine's goroutine, so it is ordered before the
		// removal at the escalation's end.
		ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
		defer cancel()
		if err := o.reg.TrackInFlight(ctx, x); err != nil && o.onErr != nil {
			o.onErr(err)
		}
	}
}

// registryTimeout bounds one write to the in-flight registry.
const registryTimeout = time.Second

// ClaimConversation implements engine.Store.
func (o *ownedStore) ClaimConversation(ctx context.Context, conv, owner string, ttl time.Duration) (string, error) {
	got, err := o.Store.ClaimConversation(ctx, conv, owner, ttl)
	if err == nil && got == owner {
		o.mu.Lock()
		o.owned[conv] = owner
		o.mu.Unlock()
	}
	return got, err
}

// AppendDecision implements engine.Store.
func (o *ownedStore) AppendDecision(ctx context.Context, d *engine.Decision) error {
	err := o.Store.AppendDecision(ctx, d)
	if err == nil && d.Action.Terminal() {
		o.mu.Lock()
		delete(o.owned, d.ConversationID)
		delete(o.escs, d.ConversationID)
		o.mu.Unlock()
		if o.reg != nil {
			// A failure leaves a stale entry, which the orphan scan drops
			// once the ownership has run out and the log shows the end.
			uctx, cancel := context.WithTimeout(ctx, registryTimeout)
			if uerr := o.reg.UntrackInFlight(uctx, d.ConversationID); uerr != nil && o.onErr != nil {
				o.onErr(uerr)
			}
			cancel()
		}
	}
	return err
}

// unfinished returns the owned conversations, each with its owner and
// escalation (zero if it was not seen).
func (o *ownedStore) unfinished() map[string]ownedEsc {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]ownedEsc, len(o.owned))
	for c, w := range o.owned {
		x, ok := o.escs[c]
		out[c] = ownedEsc{owner: w, x: x, known: ok}
	}
	return out
}

type ownedEsc struct {
	owner string
	x     engine.Escalation
	known bool
}
