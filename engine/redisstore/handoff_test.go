package redisstore

import (
	"context"
	"testing"
	"time"
)

// Both run on miniredis and, with REDIS_URL, on the real server.
func eachServer(t *testing.T, f func(t *testing.T, s *Store, flush func())) {
	t.Run("miniredis", func(t *testing.T) {
		mr, c := miniClient(t)
		f(t, New(c, "shadowq:"), mr.FlushAll)
	})
	t.Run("redis", func(t *testing.T) {
		c := realRedis(t)
		if c == nil {
			t.Skip("REDIS_URL is not set")
		}
		prefix := uniquePrefix(t)
		t.Cleanup(func() { deleteKeys(t, c, prefix) })
		f(t, New(c, prefix), func() { deleteKeys(t, c, prefix) })
	})
}

// A replica shutting down releases its conversations, and only its own.
func TestReleaseConversation(t *testing.T) {
	eachServer(t, func(t *testing.T, s *Store, _ func()) {
		ctx := context.Background()
		if owner, err := s.ClaimConversation(ctx, "c1", "r1", time.Hour); err != nil || owner != "r1" {
			t.Fatalf("claim: %q %v", owner, err)
		}
		if ok, err := s.ReleaseConversation(ctx, "c1", "r2"); err != nil || ok {
			t.Fatalf("r2 released r1's conversation: %v %v", ok, err)
		}
		if ok, err := s.ReleaseConversation(ctx, "c1", "r1"); err != nil || !ok {
			t.Fatalf("r1's release: %v %v", ok, err)
		}
		if owner, err := s.ClaimConversation(ctx, "c1", "r2", time.Hour); err != nil || owner != "r2" {
			t.Fatalf("r2 cannot take over after the release: %q %v", owner, err)
		}
	})
}

// The epoch marker is set once; an emptied store is noticed.
func TestMarkEpoch(t *testing.T) {
	eachServer(t, func(t *testing.T, s *Store, flush func()) {
		ctx := context.Background()
		for i, want := range []bool{true, false, false} {
			if set, err := s.MarkEpoch(ctx, "r1"); err != nil || set != want {
				t.Fatalf("call %d: %v %v, want %v", i, set, err, want)
			}
		}
		flush()
		if set, err := s.MarkEpoch(ctx, "r1"); err != nil || !set {
			t.Fatalf("after the store was emptied: %v %v, want the marker set again", set, err)
		}
	})
}
