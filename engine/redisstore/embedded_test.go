package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// The embedded server's TTLs run on the wall clock: a crashed holder's
// claim expires without anyone calling FastForward.
func TestEmbeddedExpiresClaims(t *testing.T) {
	e, err := StartEmbedded(10 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := New(e.Client, "t:")
	ctx := context.Background()
	if i, err := s.ClaimFirst(ctx, []engine.ExpertID{"x"}, "crashed", 100*time.Millisecond); err != nil || i != 0 {
		t.Fatal(i, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if h, _ := s.Holder(ctx, "x"); h == "" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("claim never expired on the embedded server")
}
