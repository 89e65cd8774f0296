package redisstore

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
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

// A handed-off escalation is taken once, whole.
func TestHandOff(t *testing.T) {
	eachServer(t, func(t *testing.T, s *Store, _ func()) {
		ctx := context.Background()
		x := engine.Escalation{ConversationID: "c1", Skills: []string{"db", "k8s"}, Priority: engine.P2,
			Arrival: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), Patience: 90 * time.Second, Queue: "q"}
		if _, ok, err := s.TakeHandOff(ctx); ok || err != nil {
			t.Fatalf("empty: %v %v", ok, err)
		}
		if err := s.HandOff(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.TakeHandOff(ctx)
		if err != nil || !ok || !reflect.DeepEqual(got, x) {
			t.Fatalf("took %+v %v %v, want %+v", got, ok, err, x)
		}
		if _, ok, _ := s.TakeHandOff(ctx); ok {
			t.Fatal("taken twice")
		}
	})
}

// An escalation whose owner's claim is gone is an orphan; one still owned
// or untracked is not.
func TestOrphans(t *testing.T) {
	eachServer(t, func(t *testing.T, s *Store, _ func()) {
		ctx := context.Background()
		for _, c := range []string{"c1", "c2", "c3"} {
			if err := s.TrackInFlight(ctx, engine.Escalation{ConversationID: c, Priority: engine.P3}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.ClaimConversation(ctx, "c2", "r1", time.Hour); err != nil { // c2 is owned
			t.Fatal(err)
		}
		if err := s.UntrackInFlight(ctx, "c3"); err != nil { // c3 finished
			t.Fatal(err)
		}
		got, err := s.Orphans(ctx)
		if err != nil || len(got) != 1 || got[0].ConversationID != "c1" || got[0].Priority != engine.P3 {
			t.Fatalf("orphans %+v %v, want c1 only", got, err)
		}
	})
}
