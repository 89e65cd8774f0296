package live

import (
	"context"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/genesys"
)

// slowClient's Deliver waits for release; its conversation says the
// expert never rang.
type slowClient struct{ release chan struct{} }

func (s slowClient) Deliver(ctx context.Context, _ engine.Delivery, _ genesys.Mode) error {
	<-s.release
	return nil
}

func (s slowClient) CheckDelivery(_ context.Context, d engine.Delivery) engine.Outcome {
	return engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder, Checked: true, Result: engine.NotDelivered}
}

// A check of a delivery whose /assign is still being made does not read
// "never rang" (chaos seed 215); once the delivery is made it reads the
// conversation.
func TestCheckWhileTheDeliveryIsStillBeingMade(t *testing.T) {
	inner := slowClient{release: make(chan struct{})}
	c := newMakingClient(inner)
	d := engine.Delivery{ConversationID: "c1", Expert: "ada", Holder: "r1/c1/1", At: time.Unix(1, 0)}
	done := make(chan struct{})
	go func() { defer close(done); c.Deliver(context.Background(), d, genesys.ModeAssign) }()
	deadline := time.Now().Add(time.Minute)
	for {
		c.mu.Lock()
		n := c.making[d.Holder]
		c.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivery never started")
		}
		time.Sleep(time.Millisecond)
	}
	if o := c.CheckDelivery(context.Background(), d); o.Result != engine.StillAlerting || !o.Checked || o.Holder != d.Holder {
		t.Fatalf("check while the /assign is under way: %+v, want StillAlerting", o)
	}
	other := d
	other.Holder = "r1/c2/1"
	if o := c.CheckDelivery(context.Background(), other); o.Result != engine.NotDelivered {
		t.Fatalf("another delivery's check: %+v, want the conversation's reading", o)
	}
	close(inner.release)
	<-done
	if o := c.CheckDelivery(context.Background(), d); o.Result != engine.NotDelivered {
		t.Fatalf("check after the /assign: %+v, want the conversation's reading", o)
	}
}
