package notify

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// connected makes a channel for client a, subscribes it and connects.
func (f *fixture) connected(topics ...string) (channelJSON, *websocket.Conn) {
	f.t.Helper()
	ch := f.createChannel("a")
	if len(topics) > 0 {
		f.subscribe("a", http.MethodPost, ch.ID, topics...)
	}
	before := f.hub.Stats().Sockets
	ws := f.dial(ch.ConnectURI)
	waitFor(f.t, "socket registered", func() bool { return f.hub.Stats().Sockets > before })
	return ch, ws
}

func TestPublishDeliversSubscribedTopicsInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1?presence&routingStatus", "v2.users.u2.presence")

	routing := map[string]any{"id": "u1", "routingStatus": map[string]any{"status": "IDLE", "startTime": "2025-03-01T12:00:00.000Z"}}
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 1))
	f.hub.Publish("v2.users.u2.routingStatus", routing)                       // not subscribed
	f.hub.Publish("v2.users.u1.routingStatus", routing)                       // via the combined topic
	f.hub.Publish("v2.users.u1.conversations", map[string]any{"id": "c1"})    // not a part of the combined topic
	f.hub.Publish("v2.users.u3.presence", presenceBody("AWAY", 3))            // not subscribed
	f.hub.Publish("v2.users.u2.presence", presenceBody("ON_QUEUE", 2))        // plain topic
	f.hub.Publish("v2.users.u1?presence&routingStatus", presenceBody("X", 0)) // combined names are never delivered as such
	f.hub.Publish("v2.users.u1.presence", presenceBody("<busy & away>", 4))   // HTML characters unescaped
	wantTopics := []string{"v2.users.u1.presence", "v2.users.u1.routingStatus", "v2.users.u2.presence", "v2.users.u1.presence"}

	seen := map[string]bool{}
	for i, want := range wantTopics {
		fr := next(t, ws)
		if fr.TopicName != want {
			t.Fatalf("frame %d: topic %q, want %q (%s)", i, fr.TopicName, want, fr.raw)
		}
		if fr.Version != "2" || fr.Metadata == nil || !uuidRE.MatchString(fr.Metadata.CorrelationID) {
			t.Errorf("frame %d: bad envelope %s", i, fr.raw)
		}
		if seen[fr.Metadata.CorrelationID] {
			t.Errorf("frame %d: correlation id reused", i)
		}
		seen[fr.Metadata.CorrelationID] = true
	}
	// Nothing else is pending: the next frame is this sentinel.
	f.hub.Publish("v2.users.u2.presence", presenceBody("OFFLINE", 99))
	if fr := next(t, ws); !strings.Contains(string(fr.EventBody), `"seq":99`) {
		t.Errorf("unexpected extra frame %s", fr.raw)
	}

	st := f.hub.Stats()
	if st.Published != 9 || st.Delivered != 5 || st.Dropped != 0 {
		t.Errorf("stats = %+v, want 9 published, 5 delivered, 0 dropped", st)
	}
}

func TestEnvelopeBytes(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1.presence")
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 0))
	fr := next(t, ws)
	want := `{"topicName":"v2.users.u1.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":"6a3af858-942f-489d-9700-5f9bcdcdae9b","systemPresence":"AVAILABLE"},"primary":true,"message":""},"metadata":{"CorrelationId":"` + fr.Metadata.CorrelationID + `"}}`
	if string(fr.raw) != want {
		t.Errorf("envelope\n got %s\nwant %s", fr.raw, want)
	}
}

func TestSameSeedSameIDs(t *testing.T) {
	run := func() []string {
		f := newFixture(t, Options{Seed: 7})
		ch, ws := f.connected("v2.users.u1.presence")
		f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 1))
		f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", 2))
		return []string{ch.ID, next(t, ws).Metadata.CorrelationID, next(t, ws).Metadata.CorrelationID}
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different ids:\n%v\n%v", a, b)
	}
}

func TestPingPong(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"message":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	fr := next(t, ws)
	if string(fr.raw) != `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}` {
		t.Errorf("pong = %s", fr.raw)
	}
}

func TestHeartbeat(t *testing.T) {
	f := newFixture(t, Options{Heartbeat: 20 * time.Millisecond})
	_, ws := f.connected()
	start := time.Now()
	for i := range 3 {
		fr := read(t, ws)
		if string(fr.raw) != `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}` {
			t.Fatalf("frame %d = %s, want a heartbeat", i, fr.raw)
		}
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("3 heartbeats in %v; interval too short", d)
	}
	waitFor(t, "Stats.Heartbeats >= 3", func() bool { return f.hub.Stats().Heartbeats >= 3 })
}

func TestHeartbeatFollowsTimeScale(t *testing.T) {
	f := newFixture(t, Options{TimeScale: 1000}) // 30 s → 30 ms
	_, ws := f.connected()
	start := time.Now()
	read(t, ws)
	read(t, ws)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two heartbeats took %v at TimeScale 1000", d)
	}
}

func TestSecondSocketKicksFirst(t *testing.T) {
	f := newFixture(t, Options{})
	ch, first := f.connected("v2.users.u1.presence")
	second := f.dial(ch.ConnectURI)
	code, _ := expectClose(t, first)
	if code != websocket.CloseNormalClosure {
		t.Errorf("first socket close code %d, want 1000", code)
	}
	waitFor(t, "one socket", func() bool { return f.hub.Stats().Sockets == 1 })
	f.hub.Publish("v2.users.u1.presence", presenceBody("BUSY", 1))
	if fr := next(t, second); fr.TopicName != "v2.users.u1.presence" {
		t.Errorf("second socket got %s", fr.raw)
	}
}

func TestSocketSubscribe(t *testing.T) {
	f := newFixture(t, Options{})
	ch, ws := f.connected()
	send := func(msg string) frame {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		return next(t, ws)
	}

	fr := send(`{"message":"subscribe","topics":["v2.users.u1?presence&routingStatus"],"correlationId":"c-1"}`)
	if fr.Result != "200" || fr.Status != "subscribed" || fr.CorrelationID != "c-1" || len(fr.Topics) != 1 {
		t.Errorf("subscribe reply = %s", fr.raw)
	}
	if l := f.subscribe("a", http.MethodGet, ch.ID); len(l.Entities) != 1 || l.Entities[0].ID != "v2.users.u1?presence&routingStatus" {
		t.Errorf("REST view after socket subscribe = %+v", l.Entities)
	}
	f.hub.Publish("v2.users.u1.routingStatus", map[string]any{"id": "u1"})
	if fr := next(t, ws); fr.TopicName != "v2.users.u1.routingStatus" {
		t.Errorf("after socket subscribe got %s", fr.raw)
	}

	errorCases := []struct {
		name, msg, wantInMsg string
	}{
		{"no topics", `{"message":"subscribe","correlationId":"c-2"}`, "Required data missing from subscribe request."},
		{"empty topics", `{"message":"subscribe","topics":[],"correlationId":"c-2"}`, "Required data missing"},
		{"invalid topic", `{"message":"subscribe","topics":["v2.users..presence"],"correlationId":"c-2"}`, "v2.users..presence"},
		{"topic not a string", `{"message":"subscribe","topics":[{"id":"v2.users.u1.presence"}],"correlationId":"c-2"}`, "topics[0]"},
		{"unknown message", `{"message":"hello","correlationId":"c-2"}`, `"hello"`},
		{"not JSON", `ping`, "not a JSON object"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			fr := send(tc.msg)
			if fr.Result != "400" || fr.Status != "error" || fr.Topics == nil || len(fr.Topics) != 0 || !strings.Contains(fr.Message, tc.wantInMsg) {
				t.Errorf("reply = %s; want a 400 error mentioning %q with topics []", fr.raw, tc.wantInMsg)
			}
			if strings.Contains(tc.msg, "c-2") && fr.CorrelationID != "c-2" {
				t.Errorf("reply does not echo the correlationId: %s", fr.raw)
			}
		})
	}

	fr = send(`{"message":"unsubscribe","topics":["v2.users.u1?presence&routingStatus"],"correlationId":"c-3"}`)
	if fr.Result != "200" || fr.Status != "unsubscribed" {
		t.Errorf("unsubscribe reply = %s", fr.raw)
	}
	f.hub.Publish("v2.users.u1.routingStatus", map[string]any{"id": "u1"})
	if fr := send(`{"message":"ping"}`); !strings.Contains(string(fr.raw), "pong") {
		t.Errorf("event delivered after unsubscribe: %s", fr.raw)
	}
}

func TestUnknownChannelSocket(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.dial("ws" + strings.TrimPrefix(f.srv.URL, "http") + "/channels/streaming-0-nope")
	code, frames := expectClose(t, ws)
	if len(frames) != 1 || frames[0].Result != "404" || !strings.Contains(frames[0].Message, "streaming-0-nope") {
		t.Errorf("frames = %+v, want one {\"result\":\"404\"}", frames)
	}
	if code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
}

func TestDropSockets(t *testing.T) {
	f := newFixture(t, Options{})
	c1, ws1 := f.connected("v2.users.u1.presence")
	_, ws2 := f.connected("v2.users.u1.presence")
	if n := f.hub.DropSockets(); n != 2 {
		t.Errorf("DropSockets = %d, want 2", n)
	}
	for i, ws := range []*websocket.Conn{ws1, ws2} {
		if code, _ := expectClose(t, ws); code != websocket.CloseAbnormalClosure {
			t.Errorf("socket %d: close code %d, want 1006 (no close frame)", i, code)
		}
	}
	if st := f.hub.Stats(); st.Sockets != 0 || st.Channels != 2 {
		t.Errorf("after DropSockets: %+v", st)
	}
	// Events while disconnected are lost; the channel and its
	// subscriptions survive a reconnect.
	f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", 1))
	ws := f.dial(c1.ConnectURI)
	waitFor(t, "reconnect", func() bool { return f.hub.Stats().Sockets == 1 })
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 2))
	if fr := next(t, ws); !strings.Contains(string(fr.EventBody), `"seq":2`) {
		t.Errorf("after reconnect got %s", fr.raw)
	}
	// 2 for the first event (both channels down), 1 for the second (the
	// other channel is still down).
	if st := f.hub.Stats(); st.DroppedUnconnected != 3 {
		t.Errorf("DroppedUnconnected = %d, want 3", st.DroppedUnconnected)
	}
}

func TestPauseLosesEvents(t *testing.T) {
	f := newFixture(t, Options{})
	_, ws := f.connected("v2.users.u1.presence")
	f.hub.Pause(true)
	f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", 1))
	f.hub.Publish("v2.users.u1.presence", presenceBody("BUSY", 2))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"message":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if fr := next(t, ws); !strings.Contains(string(fr.raw), "pong") {
		t.Errorf("while paused got %s, want only control replies", fr.raw)
	}
	f.hub.Pause(false)
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 3))
	if fr := next(t, ws); !strings.Contains(string(fr.EventBody), `"seq":3`) {
		t.Errorf("after resume got %s; events published while paused must be lost", fr.raw)
	}
	if st := f.hub.Stats(); st.DroppedPaused != 2 || st.Delivered != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSocketClosing(t *testing.T) {
	// TimeScale 600: the 1 minute grace is 100 ms; heartbeats every 50 ms.
	f := newFixture(t, Options{TimeScale: 600, OrganizationID: "org-1"})
	ch, ws := f.connected("v2.users.u1.presence")
	start := time.Now()
	f.hub.SendSocketClosing(ch.ID)
	fr := next(t, ws)
	if fr.TopicName != SocketClosingTopic || fr.Version != "2" {
		t.Fatalf("got %s, want %s", fr.raw, SocketClosingTopic)
	}
	var body socketClosingBody
	if err := json.Unmarshal(fr.EventBody, &body); err != nil {
		t.Fatal(err)
	}
	if body.ChannelID != ch.ID || body.SystemTopicType != "socket_closing" || body.OAuthClientID != "a" ||
		body.OrganizationID != "org-1" || !uuidRE.MatchString(body.CorrelationID) {
		t.Errorf("socket_closing body = %s", fr.EventBody)
	}
	// Events still flow during the grace period.
	f.hub.Publish("v2.users.u1.presence", presenceBody("AWAY", 1))
	if fr := next(t, ws); fr.TopicName != "v2.users.u1.presence" {
		t.Errorf("during grace got %s", fr.raw)
	}
	code, _ := expectClose(t, ws)
	if code != websocket.CloseGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 3*time.Second {
		t.Errorf("closed after %v, want about 100 ms", d)
	}
	// The channel survives: reconnect to the same connectUri without resubscribing.
	ws = f.dial(ch.ConnectURI)
	waitFor(t, "reconnect", func() bool { return f.hub.Stats().Sockets == 1 })
	f.hub.Publish("v2.users.u1.presence", presenceBody("AVAILABLE", 2))
	if fr := next(t, ws); fr.TopicName != "v2.users.u1.presence" {
		t.Errorf("after reconnect got %s", fr.raw)
	}
}

func TestExpireChannel(t *testing.T) {
	f := newFixture(t, Options{})
	ch, ws := f.connected("v2.users.u1.presence")
	f.hub.ExpireChannel(ch.ID)
	code, frames := expectClose(t, ws)
	if len(frames) != 1 || frames[0].Result != "404" || !strings.Contains(frames[0].Message, "expired") {
		t.Errorf("frames = %+v, want {\"result\":\"404\"} naming expiry", frames)
	}
	if code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
	if status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+ch.ID, nil); status != 404 {
		t.Errorf("HEAD after expiry = %d", status)
	}
	// Reconnecting to an expired channel gets the 404 answer too.
	code, frames = expectClose(t, f.dial(ch.ConnectURI))
	if len(frames) != 1 || frames[0].Result != "404" {
		t.Errorf("reconnect frames = %+v", frames)
	}
	if st := f.hub.Stats(); st.Channels != 0 || st.Sockets != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestExpiryTimeScaled(t *testing.T) {
	// 24 h / 1,728,000 = 50 ms.
	f := newFixture(t, Options{TimeScale: 24 * 3600 * 20, Heartbeat: time.Hour})
	ch, ws := f.connected("v2.users.u1.presence")
	code, frames := expectClose(t, ws)
	if len(frames) != 1 || frames[0].Result != "404" || code != websocket.CloseNormalClosure {
		t.Errorf("frames %+v code %d", frames, code)
	}
	if status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+ch.ID, nil); status != 404 {
		t.Errorf("HEAD = %d", status)
	}
}

func TestExpiryOnVirtualClock(t *testing.T) {
	var mu = make(chan struct{}, 1)
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu <- struct{}{}; defer func() { <-mu }(); return now }
	advance := func(d time.Duration) { mu <- struct{}{}; now = now.Add(d); <-mu }
	f := newFixture(t, Options{Now: clock, Heartbeat: 10 * time.Millisecond})
	ch, ws := f.connected("v2.users.u1.presence")
	advance(23 * time.Hour)
	if status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+ch.ID, nil); status != 200 {
		t.Fatalf("HEAD after 23 h = %d", status)
	}
	advance(time.Hour)
	// The socket notices on its next heartbeat.
	code, frames := expectClose(t, ws)
	if len(frames) == 0 || frames[len(frames)-1].Result != "404" || code != websocket.CloseNormalClosure {
		t.Errorf("frames %+v code %d", frames, code)
	}
	if status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+ch.ID, nil); status != 404 {
		t.Errorf("HEAD after 24 h = %d", status)
	}
}

func TestExtendOnSubscribe(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, extend := range []bool{false, true} {
		f := newFixture(t, Options{Now: func() time.Time { return now }, ExtendOnSubscribe: extend})
		ch := f.createChannel("a")
		now = now.Add(20 * time.Hour)
		f.subscribe("a", http.MethodPut, ch.ID, "v2.users.u1.presence")
		now = now.Add(5 * time.Hour)
		status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+ch.ID, nil)
		if want := map[bool]int{false: 404, true: 200}[extend]; status != want {
			t.Errorf("ExtendOnSubscribe=%v: HEAD 25 h after creation = %d, want %d", extend, status, want)
		}
	}
}

// A consumer that never reads is dropped once its queue overflows, and
// Publish never waits for it. The verdict is on conditions, not on how
// long the publishing took (which depends on the machine's load): a
// Publish that waited for this consumer would wait forever, and the
// generous deadline below only turns that hang into a failure.
func TestSlowConsumerDroppedNotBlocking(t *testing.T) {
	f := newFixture(t, Options{QueueSize: 8})
	_, ws := f.connected("v2.users.u1.presence")
	_ = ws // never read: the client is stuck
	big := json.RawMessage(`{"message":"` + strings.Repeat("x", 64<<10) + `"}`)
	published := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Until the socket is dropped: the queue fills once the socket's
		// buffers (a few MB) do; 2000 frames (128 MB) is far more.
		for ; published < 2000 && f.hub.Stats().SlowConsumers == 0; published++ {
			f.hub.Publish("v2.users.u1.presence", big)
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("Publish is blocked on a consumer that never reads")
	}
	st := f.hub.Stats()
	if st.SlowConsumers != 1 || st.Sockets != 0 || st.DroppedOverflow == 0 {
		t.Fatalf("stats after %d frames = %+v, want the socket dropped as a slow consumer", published, st)
	}
	// Later frames find no socket and are counted as dropped at once.
	for range 10 {
		f.hub.Publish("v2.users.u1.presence", big)
	}
	published += 10
	// Frames still in flight when the socket died count as discarded.
	deadline := time.Now().Add(time.Minute)
	for st = f.hub.Stats(); st.Delivered+st.Dropped != uint64(published); st = f.hub.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("accounting: delivered %d + dropped %d != %d published (%+v)", st.Delivered, st.Dropped, published, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
