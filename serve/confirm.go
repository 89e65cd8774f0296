package serve

import (
	"context"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// DefaultRoutedWait bounds how long a Data Action answer waits for the
// /assign behind it: the dispatcher's admission wait (2 s) plus one
// /assign round trip, well under the Data Action's own timeout.
const DefaultRoutedWait = 5 * time.Second

// confirm turns a deliver decision into an answer that is true when given.
// "routed" means Genesys has accepted the /assign of that expert (the
// engine heard of it through NoteAssigned) or the expert is connected; a
// delivery still being made is waited for, at most RoutedWait. Whatever
// happens meanwhile — the /assign fails and the engine tries the next
// expert, holds or falls back — the answer is the engine's state when it
// settles. If the bound passes with the /assign still in flight the answer
// is hold: the caller stays in queue and the delivery goes on (a retry
// answers the truth then). A replica killed before its /assign went
// through has therefore answered nothing: the survivor may route someone
// else (chaos seed 173).
func (a *API) confirm(ctx context.Context, d engine.Decision) engine.Decision {
	deadline := time.Now().Add(a.routedWait())
	pause := 2 * time.Millisecond
	for {
		var st engine.Status
		var known bool
		err := a.Loop.Do(ctx, func(e *engine.Engine) error {
			st, known = e.Status(d.ConversationID)
			return nil
		})
		if err != nil || !known {
			return holdOn(d, "the delivery's fate is unknown here")
		}
		switch {
		case st.Action == engine.ActDeliver && st.Assigned, st.Action == engine.ActRouted:
			return stated(d, st, engine.ActRouted)
		case st.Action != engine.ActDeliver:
			return stated(d, st, st.Action)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return holdOn(stated(d, st, engine.ActHold), "the /assign is still being made")
		}
		select {
		case <-ctx.Done():
			return holdOn(d, "the request ended")
		case <-time.After(min(pause, left)):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// stated is d brought up to the engine's current state st, answered as a.
func stated(d engine.Decision, st engine.Status, a engine.Action) engine.Decision {
	d.Action, d.Expert, d.Queue = a, st.Expert, st.Queue
	if st.Seq > 0 {
		d.Seq = st.Seq
	}
	if a == engine.ActHold && !st.HoldUntil.IsZero() {
		d.ETA = max(time.Until(st.HoldUntil), 0)
	}
	if a != engine.ActRouted {
		d.Expert = ""
	}
	return d
}

func holdOn(d engine.Decision, why string) engine.Decision {
	d.Action, d.Expert, d.Why = engine.ActHold, "", why
	return d
}

func (a *API) routedWait() time.Duration {
	if a.RoutedWait > 0 {
		return a.RoutedWait
	}
	return DefaultRoutedWait
}
