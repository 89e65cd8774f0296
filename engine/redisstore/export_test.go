package redisstore

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
)

// Export returns whole logs with a decision in the window, and nothing of
// another prefix.
func TestExportDecisionsWindow(t *testing.T) {
	// Real Redis when REDIS_URL is set (unique prefixes), else miniredis.
	var c *redis.Client
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		c = redis.NewClient(opt)
	} else {
		c = redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	run := fmt.Sprintf("export-test:%d:", time.Now().UnixNano())
	s, other := New(c, run+"a:"), New(c, run+"b:")
	t.Cleanup(func() {
		keys, _ := c.Keys(ctx, run+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range []engine.Decision{
		{ConversationID: "in", Seq: 1, At: t0.Add(time.Hour), Action: engine.ActDeliver, Observed: true},
		{ConversationID: "in", Seq: 2, At: t0.Add(time.Hour), Action: engine.ActFallback, Observed: true},
		{ConversationID: "before", Seq: 1, At: t0.Add(-time.Hour), Action: engine.ActFallback},
	} {
		if err := s.AppendDecision(ctx, &d); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := other.AppendDecision(ctx, &engine.Decision{ConversationID: "in2", Seq: 1, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var got []engine.Decision
	if err := s.ExportDecisions(ctx, t0, t0.Add(24*time.Hour), func(d engine.Decision) error { got = append(got, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ConversationID != "in" || got[1].Seq != 2 || !got[0].Observed {
		t.Fatalf("exported %+v, want the two decisions of \"in\"", got)
	}
}
