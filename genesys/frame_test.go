package genesys

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

var recvAt = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		kind  frameKind
		want  *engine.Event // nil: no event
		err   bool
	}{
		{
			name:  "presence with modifiedDate",
			frame: `{"topicName":"v2.users.u1.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":"6a3af858-942f-489d-9700-5f9bcdcdae9b","systemPresence":"AVAILABLE"},"primary":true,"message":"","modifiedDate":"2025-03-01T11:59:58.123Z"},"metadata":{"CorrelationId":"c-1"}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvPresence, Expert: "u1", At: ts("2025-03-01T11:59:58.123Z"), Presence: engine.Presence{Def: "6a3af858-942f-489d-9700-5f9bcdcdae9b", System: engine.SysAvailable}},
		},
		{
			name:  "presence without modifiedDate takes the receive time",
			frame: `{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d-mtg","systemPresence":"MEETING"}}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvPresence, Expert: "u1", At: recvAt, Presence: engine.Presence{Def: "d-mtg", System: engine.SysMeeting}},
		},
		{
			name:  "presence with a system presence the engine does not know keeps the GUID",
			frame: `{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d-x","systemPresence":"VACATION"}}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvPresence, Expert: "u1", At: recvAt, Presence: engine.Presence{Def: "d-x", System: engine.SysUnknown}},
		},
		{
			name:  "presence without a definition is an error",
			frame: `{"topicName":"v2.users.u1.presence","eventBody":{"source":"PURECLOUD"}}`,
			kind:  frameEvent, err: true,
		},
		{
			name:  "routing status",
			frame: `{"topicName":"v2.users.u2.routingStatus","eventBody":{"id":"u2","routingStatus":{"status":"NOT_RESPONDING","startTime":"2025-03-01T11:00:00Z"}},"metadata":{"CorrelationId":"c-2"}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvRouting, Expert: "u2", At: ts("2025-03-01T11:00:00Z"), Routing: engine.RSNotResponding},
		},
		{
			name:  "routing status, flat shape",
			frame: `{"topicName":"v2.users.u2.routingStatus","eventBody":{"status":"IDLE","startTime":"2025-03-01T11:00:01Z"}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvRouting, Expert: "u2", At: ts("2025-03-01T11:00:01Z"), Routing: engine.RSIdle},
		},
		{
			name:  "routing status unknown",
			frame: `{"topicName":"v2.users.u2.routingStatus","eventBody":{"routingStatus":{"status":"DANCING"}}}`,
			kind:  frameEvent, err: true,
		},
		{
			name:  "conversation alerting",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p0","purpose":"customer","calls":[{"state":"connected"}]},{"id":"p1","userId":"u3","purpose":"agent","calls":[{"state":"alerting"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: recvAt, Conversation: "conv-1", ConvState: engine.ConvAlerting},
		},
		{
			name:  "conversation connected",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"u3","purpose":"agent","connectedTime":"2025-03-01T11:59:00Z","calls":[{"state":"connected","connectedTime":"2025-03-01T11:59:01Z"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: ts("2025-03-01T11:59:01Z"), Conversation: "conv-1", ConvState: engine.ConvConnected},
		},
		{
			name:  "conversation declined: disconnected, never connected",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"u3","purpose":"agent","endTime":"2025-03-01T11:59:05Z","calls":[{"state":"disconnected","disconnectType":"client"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: ts("2025-03-01T11:59:05Z"), Conversation: "conv-1", ConvState: engine.ConvDisconnected, NeverAnswered: true},
		},
		{
			name:  "conversation not answered: alert timeout",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"u3","purpose":"agent","messages":[{"state":"disconnected","disconnectType":"timeout","disconnectedTime":"2025-03-01T11:59:20Z"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: ts("2025-03-01T11:59:20Z"), Conversation: "conv-1", ConvState: engine.ConvDisconnected, NeverAnswered: true, TimedOut: true},
		},
		{
			name:  "conversation ended after being answered",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"u3","purpose":"agent","connectedTime":"2025-03-01T11:00:00Z","endTime":"2025-03-01T11:30:00Z","calls":[{"state":"disconnected","disconnectType":"endpoint"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: ts("2025-03-01T11:30:00Z"), Conversation: "conv-1", ConvState: engine.ConvDisconnected},
		},
		{
			name:  "conversation: the open leg wins over an ended one",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p2","userId":"u3","purpose":"agent","calls":[{"state":"alerting"}]},{"id":"p1","userId":"u3","purpose":"agent","endTime":"2025-03-01T11:00:00Z","calls":[{"state":"disconnected"}]}]}}`,
			kind:  frameEvent,
			want:  &engine.Event{Kind: engine.EvConversation, Expert: "u3", At: recvAt, Conversation: "conv-1", ConvState: engine.ConvAlerting},
		},
		{
			name:  "conversation without this user: no event",
			frame: `{"topicName":"v2.users.u3.conversations","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"other","purpose":"agent","calls":[{"state":"connected"}]}]}}`,
			kind:  frameEvent,
		},
		{
			name:  "conversation held: no event",
			frame: `{"topicName":"v2.users.u3.conversations.calls","eventBody":{"id":"conv-1","participants":[{"id":"p1","userId":"u3","purpose":"agent","state":"held"}]}}`,
			kind:  frameEvent,
		},
		{
			name:  "heartbeat",
			frame: `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`,
			kind:  frameHeartbeat,
		},
		{
			name:  "pong",
			frame: `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`,
			kind:  framePong,
		},
		{
			name:  "socket closing",
			frame: `{"topicName":"v2.system.socket_closing","eventBody":{"channelId":"ch","reason":"maintenance","message":"closing soon"}}`,
			kind:  frameSocketClosing,
		},
		{
			name:  "dead channel",
			frame: `{"result":"404","message":"channel not found"}`,
			kind:  frameDead,
		},
		{
			name:  "subscribe reply",
			frame: `{"result":"200","status":"subscribed","correlationId":"x"}`,
			kind:  frameReply,
		},
		{
			name:  "other topic: ignored",
			frame: `{"topicName":"v2.routing.queues.q1.users","eventBody":{"id":"u1"}}`,
			kind:  frameEvent,
		},
		{
			name:  "not JSON",
			frame: `heartbeat`,
			kind:  frameUnknown, err: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeFrame([]byte(tt.frame), recvAt)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if f.kind != tt.kind {
				t.Errorf("kind = %d, want %d", f.kind, tt.kind)
			}
			switch {
			case tt.want == nil && f.hasEvt:
				t.Errorf("got event %+v, want none", f.event)
			case tt.want != nil && !f.hasEvt:
				t.Errorf("no event, want %+v", *tt.want)
			case tt.want != nil && f.event != *tt.want:
				t.Errorf("event\n got %+v\nwant %+v", f.event, *tt.want)
			}
		})
	}
}

func TestFrameKey(t *testing.T) {
	a := `{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}},"metadata":{"CorrelationId":"c-1"}}`
	// Same correlation id, same topic: one key however the body is laid out.
	b := `{"metadata":{"CorrelationId":"c-1"},"eventBody":{"presenceDefinition":{"id":"d"}},"topicName":"v2.users.u1.presence"}`
	// Same correlation id on another topic (a combined topic's parts).
	c := `{"topicName":"v2.users.u1.routingStatus","eventBody":{"routingStatus":{"status":"IDLE"}},"metadata":{"CorrelationId":"c-1"}}`
	// No correlation id: the body decides.
	d1 := `{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}}}`
	d2 := `{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"e"}}}`
	key := func(s string) uint64 {
		f, _ := decodeFrame([]byte(s), recvAt)
		return f.key
	}
	if key(a) != key(b) {
		t.Error("same topic and correlation id give different keys")
	}
	if key(a) == key(c) {
		t.Error("different topics share a key")
	}
	if key(d1) == key(d2) || key(d1) != key(d1) {
		t.Error("body-hash keys do not follow the body")
	}
}

func TestDedupe(t *testing.T) {
	d := newDedupe(4)
	for k := uint64(1); k <= 4; k++ {
		if d.seen(k) {
			t.Fatalf("%d seen before it was recorded", k)
		}
	}
	// 1..4 rotated into the previous generation: still remembered.
	for k := uint64(1); k <= 4; k++ {
		if !d.seen(k) {
			t.Fatalf("%d forgotten too early", k)
		}
	}
	for k := uint64(5); k <= 12; k++ {
		d.seen(k)
	}
	if d.seen(1) {
		t.Error("1 remembered after two generations")
	}
	if d.seen(0) || d.seen(0) {
		t.Error("key 0 counted as a duplicate")
	}
}

// FuzzDecodeEnvelope: the notification decoder never panics, and what it
// produces is well formed.
func FuzzDecodeEnvelope(f *testing.F) {
	// testdata/fuzz/FuzzDecodeEnvelope holds the seed corpus; these are
	// extra in-code seeds.
	f.Add([]byte(`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d","systemPresence":"AVAILABLE"}}}`))
	f.Add([]byte(`{"result":"404"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data, recvAt)
		if err == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if fr.hasEvt {
			ev := fr.event
			if ev.Expert == "" || ev.At.IsZero() || ev.Kind < engine.EvPresence || ev.Kind > engine.EvConversation {
				t.Fatalf("malformed event %+v from %q", ev, data)
			}
			if fr.kind != frameEvent || fr.key == 0 {
				t.Fatalf("event in a %d frame with key %d", fr.kind, fr.key)
			}
			if ev.Kind == engine.EvPresence && ev.Presence.Def == "" {
				t.Fatalf("presence event without a definition: %q", data)
			}
			if ev.Kind == engine.EvConversation && (ev.Conversation == "" || ev.ConvState == 0) {
				t.Fatalf("conversation event without id or state: %q", data)
			}
			if ev.TimedOut && !ev.NeverAnswered {
				t.Fatalf("timed out but answered: %q", data)
			}
		}
		// Deterministic.
		again, _ := decodeFrame(data, recvAt)
		if again.kind != fr.kind || again.key != fr.key || again.event != fr.event {
			t.Fatalf("decoding %q twice gave different frames", data)
		}
	})
}
