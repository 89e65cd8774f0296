package live

import (
	"context"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/genesys"
)

// deliveryClient is what the dispatcher needs from its client: making
// deliveries and reading a delivery's conversation.
type deliveryClient interface {
	genesys.Deliverer
	genesys.DeliveryChecker
}

// makingClient is the dispatcher's client, aware of the deliveries it is
// still making. The engine checks a delivery's conversation when its
// claim TTL runs out; while the /assign is still being retried (429s, a
// slow Genesys) the conversation cannot show it yet and reads "never
// rang", so the engine routed someone else, and the /assign that then
// went through delivered the conversation behind its back (chaos seed
// 215: accepted by Ada, logged as fallback). A check of a delivery still
// under way answers StillAlerting instead: the engine looks again later.
type makingClient struct {
	deliveryClient
	mu     sync.Mutex
	making map[string]int // holder → deliveries under way
	// assigned, if set, hears of every delivery Genesys accepted (the
	// /assign returned 2xx), before the delivery counts as made: the
	// engine learns it (NoteAssigned) and only then is "routed" answered.
	assigned func(engine.Delivery)
}

func newMakingClient(c deliveryClient) *makingClient {
	return &makingClient{deliveryClient: c, making: map[string]int{}}
}

// Deliver implements genesys.Deliverer.
func (c *makingClient) Deliver(ctx context.Context, d engine.Delivery, mode genesys.Mode) error {
	c.mu.Lock()
	c.making[d.Holder]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.making[d.Holder]--; c.making[d.Holder] <= 0 {
			delete(c.making, d.Holder)
		}
		c.mu.Unlock()
	}()
	err := c.deliveryClient.Deliver(ctx, d, mode)
	if err == nil && c.assigned != nil {
		c.assigned(d)
	}
	return err
}

// CheckDelivery implements genesys.DeliveryChecker.
func (c *makingClient) CheckDelivery(ctx context.Context, d engine.Delivery) engine.Outcome {
	c.mu.Lock()
	under := c.making[d.Holder] > 0
	c.mu.Unlock()
	if under {
		return engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder, Checked: true,
			Result: engine.StillAlerting, At: time.Now(), Detail: "the delivery is still being made"}
	}
	return c.deliveryClient.CheckDelivery(ctx, d)
}
