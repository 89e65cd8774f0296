package memcheck

import (
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// The twin reads its table the way the Genesys adapter reads a
// conversation (genesys: CheckDelivery).
func TestAnswers(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := New(engine.ClockFunc(func() time.Time { return at }))
	c.Set("connected", Conversation{Legs: map[engine.ExpertID]Leg{"a": Connected}})
	c.Set("ringing", Conversation{Legs: map[engine.ExpertID]Leg{"a": Ringing}})
	c.Set("unanswered", Conversation{Legs: map[engine.ExpertID]Leg{"a": Unanswered}})
	c.Set("declined", Conversation{Legs: map[engine.ExpertID]Leg{"a": Declined}})
	c.Set("other", Conversation{Legs: map[engine.ExpertID]Leg{"a": Unanswered, "b": Connected}})
	c.Set("ended", Conversation{Ended: true, Legs: map[engine.ExpertID]Leg{"a": Connected}})
	c.SetLeg("waiting", "z", Declined)
	cases := []struct {
		conv string
		want engine.DeliveryResult
		to   engine.ExpertID
	}{
		{"connected", engine.Accepted, ""},
		{"ringing", engine.StillAlerting, ""},
		{"unanswered", engine.NoAnswer, ""},
		{"declined", engine.Declined, ""},
		{"other", engine.Gone, "b"},
		{"ended", engine.Gone, ""},
		{"waiting", engine.NotDelivered, ""},
		{"unknown", engine.Gone, ""},
	}
	for _, tc := range cases {
		if err := c.Check(engine.Delivery{ConversationID: tc.conv, Expert: "a", Holder: "h-" + tc.conv}); err != nil {
			t.Fatal(err)
		}
	}
	got := c.Drain()
	if len(got) != len(cases) || c.Checks() != len(cases) || len(c.Drain()) != 0 {
		t.Fatalf("%d answers, %d checks; want %d and an empty queue after Drain", len(got), c.Checks(), len(cases))
	}
	for i, tc := range cases {
		o := got[i]
		if o.Result != tc.want || o.ConnectedTo != tc.to || !o.Checked || o.Holder != "h-"+tc.conv || !o.At.Equal(at) {
			t.Errorf("%s: %+v; want %v connected to %q", tc.conv, o, tc.want, tc.to)
		}
	}
	c.SetDown(true)
	if err := c.Check(engine.Delivery{ConversationID: "connected", Expert: "a"}); err != ErrDown {
		t.Errorf("Check while down: %v", err)
	}
}
