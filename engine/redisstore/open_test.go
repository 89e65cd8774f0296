package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// An open escalation is listed whole until closed; a conversation's owner
// is readable and empty once released.
func TestOpenEscalations(t *testing.T) {
	eachServer(t, func(t *testing.T, s *Store, _ func()) {
		ctx := context.Background()
		x := engine.Escalation{ConversationID: "c2", Skills: []string{"db"}, Priority: engine.P1,
			Arrival: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), Queue: "q"}
		y := engine.Escalation{ConversationID: "c1", Skills: []string{"k8s"}, Priority: engine.P3}
		for _, e := range []engine.Escalation{x, y} {
			if err := s.MarkOpen(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.OpenEscalations(ctx)
		if err != nil || len(got) != 2 || got[0].ConversationID != "c1" || got[1].ConversationID != "c2" || !got[1].Arrival.Equal(x.Arrival) || got[1].Skills[0] != "db" {
			t.Fatalf("open %+v %v", got, err)
		}
		if err := s.MarkClosed(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.OpenEscalations(ctx); len(got) != 1 || got[0].ConversationID != "c2" {
			t.Fatalf("after closing c1: %+v", got)
		}
		if owner, err := s.ConversationOwner(ctx, "c2"); err != nil || owner != "" {
			t.Fatalf("unclaimed owner %q %v", owner, err)
		}
		s.ClaimConversation(ctx, "c2", "r1", time.Hour)
		if owner, err := s.ConversationOwner(ctx, "c2"); err != nil || owner != "r1" {
			t.Fatalf("owner %q %v", owner, err)
		}
		s.ReleaseConversation(ctx, "c2", "r1")
		if owner, _ := s.ConversationOwner(ctx, "c2"); owner != "" {
			t.Fatalf("released owner %q", owner)
		}
	})
}
