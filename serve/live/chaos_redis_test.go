package live

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The chaos Redis really dies, keeps its data across a kill (AOF), and
// really freezes.
func TestChaosRedisKillFreeze(t *testing.T) {
	r, err := startChaosRedis()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opt, _ := redis.ParseURL(r.URL())
	opt.MaxRetries = -1
	opt.ReadTimeout, opt.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	c := redis.NewClient(opt)
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a killed Redis answered PING")
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after restart: %q %v, want the key kept", v, err)
	}
	if !r.Real() {
		return // miniredis cannot freeze
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a frozen Redis answered PING")
	}
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("thawed Redis never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
