package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shadowq/shadowq/engine"
)

// notifyStub adds the Notification API to a stub: channels,
// subscriptions and pre-authorised WebSockets the test drives by hand.
type notifyStub struct {
	s        *stub
	upgrader websocket.Upgrader

	mu        sync.Mutex
	next      int
	topics    map[string][]string // channel → subscribed topics
	ignoreErr []string            // ignoreErrors values seen
	expiresIn time.Duration
	conns     chan *stubConn
	beforeUp  func(channel string) // runs before a socket upgrade
	answerPng bool
}

type stubConn struct {
	ch     string
	c      *websocket.Conn
	wmu    sync.Mutex
	recv   chan string
	closed chan struct{}
}

func newNotifyStub(t *testing.T) *notifyStub {
	n := &notifyStub{s: newStub(t), topics: map[string][]string{}, expiresIn: 24 * time.Hour, conns: make(chan *stubConn, 16), answerPng: true}
	n.s.handle("POST /api/v2/notifications/channels", func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.next++
		id := fmt.Sprintf("streaming-%d", n.next)
		n.topics[id] = nil
		exp := n.expiresIn
		n.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": id, "connectUri": "ws://" + r.Host + "/channels/" + id,
			"expires": time.Now().Add(exp).UTC().Format("2006-01-02T15:04:05.000Z")})
	})
	n.s.handle("POST /api/v2/notifications/channels/{id}/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		var body []struct{ ID string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			apiError(w, 400, "bad.request")
			return
		}
		id := r.PathValue("id")
		ents := []map[string]any{}
		n.mu.Lock()
		n.ignoreErr = append(n.ignoreErr, r.URL.Query().Get("ignoreErrors"))
		for _, b := range body {
			state := "Permitted"
			if strings.Contains(b.ID, "rejected") {
				state = "Rejected"
			} else {
				n.topics[id] = append(n.topics[id], b.ID)
			}
			ents = append(ents, map[string]any{"id": b.ID, "state": state})
		}
		n.mu.Unlock()
		writeJSON(w, 200, map[string]any{"entities": ents})
	})
	n.s.mux.HandleFunc("GET /channels/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		n.mu.Lock()
		_, ok := n.topics[id]
		hook := n.beforeUp
		n.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if hook != nil {
			hook(id)
		}
		c, err := n.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		sc := &stubConn{ch: id, c: c, recv: make(chan string, 64), closed: make(chan struct{})}
		go func() {
			defer close(sc.closed)
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				sc.recv <- string(msg)
				n.mu.Lock()
				pong := n.answerPng
				n.mu.Unlock()
				if pong && string(msg) == `{"message":"ping"}` {
					sc.send(`{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`)
				}
			}
		}()
		n.conns <- sc
	})
	return n
}

func (c *stubConn) send(msg string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.c.WriteMessage(websocket.TextMessage, []byte(msg))
}

// waitConn returns the next socket the feed opened.
func (n *notifyStub) waitConn(t *testing.T) *stubConn {
	t.Helper()
	select {
	case c := <-n.conns:
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no WebSocket connection")
		return nil
	}
}

func presenceFrame(user, def, corr string) string {
	return fmt.Sprintf(`{"topicName":"v2.users.%s.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":%q,"systemPresence":"AVAILABLE"},"modifiedDate":"2025-03-01T10:00:00.000Z"},"metadata":{"CorrelationId":%q}}`, user, def, corr)
}

// collector gathers what the feed reports.
type collector struct {
	mu     sync.Mutex
	events []engine.Event
	gaps   int
	notify chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1024)} }

func (c *collector) onEvents(evs []engine.Event) {
	c.mu.Lock()
	c.events = append(c.events, evs...)
	c.mu.Unlock()
	c.notify <- struct{}{}
}

func (c *collector) onGap() {
	c.mu.Lock()
	c.gaps++
	c.mu.Unlock()
	c.notify <- struct{}{}
}

// waitFor polls cond after every callback until it holds or 5 s pass.
func (c *collector) waitFor(t *testing.T, what string, cond func(evs []engine.Event, gaps int) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		ok := cond(c.events, c.gaps)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; events %+v, gaps %d", what, c.events, c.gaps)
		}
	}
}

func (c *collector) defs() []engine.PresenceDefID {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []engine.PresenceDefID
	for _, e := range c.events {
		if e.Kind == engine.EvPresence {
			out = append(out, e.Presence.Def)
		}
	}
	return out
}

// startFeed runs a feed against n until the test ends.
func startFeed(t *testing.T, n *notifyStub, col *collector, m Metrics, tune func(*FeedOptions)) (*Feed, chan error) {
	t.Helper()
	c := n.s.client(func(o *Options) { o.Metrics = m })
	o := FeedOptions{Client: c, Users: []engine.ExpertID{"u1", "u2"}, OnEvents: col.onEvents, OnGap: col.onGap,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond}
	if tune != nil {
		tune(&o)
	}
	f, err := NewFeed(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Feed.Run did not return after cancel")
		}
	})
	return f, done
}

func TestFeedDecodesTopics(t *testing.T) {
	n := newNotifyStub(t)
	col := newCollector()
	startFeed(t, n, col, nil, nil)
	sc := n.waitConn(t)

	// The pool is subscribed with one combined topic per user, in one
	// request, ignoring per-topic errors.
	n.mu.Lock()
	topics, ign := slices.Clone(n.topics[sc.ch]), slices.Clone(n.ignoreErr)
	n.mu.Unlock()
	if want := []string{"v2.users.u1?presence&routingStatus&conversations", "v2.users.u2?presence&routingStatus&conversations"}; !slices.Equal(topics, want) {
		t.Errorf("subscribed %v, want %v", topics, want)
	}
	if !slices.Equal(ign, []string{"true"}) {
		t.Errorf("ignoreErrors = %v", ign)
	}
	// The first subscription is a gap: nothing before it was seen.
	col.waitFor(t, "the initial gap", func(_ []engine.Event, gaps int) bool { return gaps == 1 })

	frames := []string{
		`{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`,
		presenceFrame("u1", "d-avail", "c1"),
		`{"topicName":"v2.users.u2.routingStatus","eventBody":{"id":"u2","routingStatus":{"status":"INTERACTING","startTime":"2025-03-01T10:00:01Z"}},"metadata":{"CorrelationId":"c2"}}`,
		`{"topicName":"v2.users.u2.conversations","eventBody":{"id":"conv-9","participants":[{"id":"p","userId":"u2","purpose":"agent","connectedTime":"2025-03-01T10:00:02Z","calls":[{"state":"connected"}]}]},"metadata":{"CorrelationId":"c3"}}`,
		`{"topicName":"v2.users.u1.conversations","eventBody":{"id":"conv-8","participants":[{"id":"p","userId":"u1","purpose":"agent","endTime":"2025-03-01T10:00:03Z","calls":[{"state":"disconnected","disconnectType":"transfer.noanswer"}]}]},"metadata":{"CorrelationId":"c4"}}`,
		`{"topicName":"v2.users.u1.presence","eventBody":"garbage"}`,
	}
	for _, f := range frames {
		if err := sc.send(f); err != nil {
			t.Fatal(err)
		}
	}
	col.waitFor(t, "4 events", func(evs []engine.Event, _ int) bool { return len(evs) >= 4 })
	want := []engine.Event{
		{Kind: engine.EvPresence, Expert: "u1", At: ts("2025-03-01T10:00:00Z"), Presence: engine.Presence{Def: "d-avail", System: engine.SysAvailable}},
		{Kind: engine.EvRouting, Expert: "u2", At: ts("2025-03-01T10:00:01Z"), Routing: engine.RSInteracting},
		{Kind: engine.EvConversation, Expert: "u2", At: ts("2025-03-01T10:00:02Z"), Conversation: "conv-9", ConvState: engine.ConvConnected},
		{Kind: engine.EvConversation, Expert: "u1", At: ts("2025-03-01T10:00:03Z"), Conversation: "conv-8", ConvState: engine.ConvDisconnected, NeverAnswered: true, TimedOut: true},
	}
	col.mu.Lock()
	got := slices.Clone(col.events)
	col.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestFeedBatches(t *testing.T) {
	n := newNotifyStub(t)
	var (
		mu      sync.Mutex
		batches []int
	)
	col := newCollector()
	startFeed(t, n, col, nil, func(o *FeedOptions) {
		o.BatchMax = 4
		o.BatchWindow = 50 * time.Millisecond
		o.OnEvents = func(evs []engine.Event) {
			mu.Lock()
			batches = append(batches, len(evs))
			mu.Unlock()
			col.onEvents(evs)
		}
	})
	sc := n.waitConn(t)
	for i := range 10 {
		_ = sc.send(presenceFrame("u1", fmt.Sprintf("d%d", i), fmt.Sprintf("c%d", i)))
	}
	col.waitFor(t, "10 events", func(evs []engine.Event, _ int) bool { return len(evs) == 10 })
	mu.Lock()
	defer mu.Unlock()
	// At most BatchMax per batch; what arrives within the window is merged.
	if len(batches) < 3 || slices.Max(batches) > 4 {
		t.Errorf("batch sizes %v; want batches of at most 4", batches)
	}
}

func TestFeedHeartbeatWatchdogReconnects(t *testing.T) {
	n := newNotifyStub(t)
	n.answerPng = false // a dead socket: no heartbeats, no pongs
	col := newCollector()
	m := newCountingMetrics()
	startFeed(t, n, col, m, func(o *FeedOptions) {
		o.HeartbeatTimeout = 300 * time.Millisecond
		o.PingInterval = 100 * time.Millisecond
	})
	first := n.waitConn(t)
	// The feed pings a quiet socket ...
	select {
	case msg := <-first.recv:
		if msg != `{"message":"ping"}` {
			t.Fatalf("client sent %q, want an application ping", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no ping on a quiet socket")
	}
	// ... and replaces it when nothing comes back, reusing the channel.
	second := n.waitConn(t)
	if second.ch != first.ch {
		t.Errorf("reconnected to %s, want the still-valid %s", second.ch, first.ch)
	}
	select {
	case <-first.closed:
	case <-time.After(30 * time.Second):
		t.Error("the silent socket was not closed")
	}
	col.waitFor(t, "a gap after the reconnect", func(_ []engine.Event, gaps int) bool { return gaps >= 2 })
	if m.get("reconnect") < 1 {
		t.Errorf("reconnects = %d", m.get("reconnect"))
	}

	// With pongs answered, a quiet socket stays up.
	n.mu.Lock()
	n.answerPng = true
	n.mu.Unlock()
	before := m.get("reconnect")
	time.Sleep(time.Second)
	if after := m.get("reconnect"); after > before+1 {
		t.Errorf("reconnected %d times while pongs were answered", after-before)
	}
}

func TestFeedSocketClosingRollsOverWithoutLoss(t *testing.T) {
	n := newNotifyStub(t)
	col := newCollector()
	m := newCountingMetrics()
	startFeed(t, n, col, m, nil)
	a := n.waitConn(t)
	col.waitFor(t, "the initial gap", func(_ []engine.Event, gaps int) bool { return gaps == 1 })

	_ = a.send(presenceFrame("u1", "e1", "c-e1"))
	col.waitFor(t, "e1", func(evs []engine.Event, _ int) bool { return len(evs) == 1 })

	// While the new channel connects, the old one is still live: e2 is
	// published to both (the same event, one correlation id).
	n.mu.Lock()
	n.beforeUp = func(ch string) {
		if ch != a.ch {
			_ = a.send(presenceFrame("u2", "e2", "c-e2"))
			time.Sleep(50 * time.Millisecond) // let the old socket deliver it first
		}
	}
	n.mu.Unlock()
	_ = a.send(`{"topicName":"v2.system.socket_closing","eventBody":{"channelId":"` + a.ch + `","reason":"maintenance","message":"closing in 60s"}}`)

	b := n.waitConn(t)
	if b.ch == a.ch {
		t.Fatalf("rolled over to the same channel %s", b.ch)
	}
	// The new channel was subscribed before it was connected.
	n.mu.Lock()
	if got := len(n.topics[b.ch]); got != 2 {
		t.Errorf("new channel has %d topics, want 2", got)
	}
	n.mu.Unlock()
	_ = b.send(presenceFrame("u2", "e2", "c-e2"))
	_ = b.send(presenceFrame("u1", "e3", "c-e3"))

	col.waitFor(t, "e3", func(evs []engine.Event, _ int) bool { return len(evs) >= 3 })
	select {
	case <-a.closed:
	case <-time.After(30 * time.Second):
		t.Error("the old socket was not closed after the rollover")
	}
	time.Sleep(50 * time.Millisecond)
	if got := col.defs(); !slices.Equal(got, []engine.PresenceDefID{"e1", "e2", "e3"}) {
		t.Errorf("events %v, want e1 e2 e3 exactly once", got)
	}
	eventually(t, "the rollover to be counted", func() bool { return m.get("rollover") == 1 })
	if m.get("dup") != 1 || m.get("rollover") != 1 || m.get("reconnect") != 0 {
		t.Errorf("duplicates %d, rollovers %d, reconnects %d; want 1, 1, 0", m.get("dup"), m.get("rollover"), m.get("reconnect"))
	}
	col.waitFor(t, "a gap after the rollover", func(_ []engine.Event, gaps int) bool { return gaps == 2 })
}

func TestFeedDroppedSocketTriggersGap(t *testing.T) {
	n := newNotifyStub(t)
	col := newCollector()
	m := newCountingMetrics()
	startFeed(t, n, col, m, nil)
	a := n.waitConn(t)
	col.waitFor(t, "the initial gap", func(_ []engine.Event, gaps int) bool { return gaps == 1 })

	// Drop the TCP connection without a close handshake.
	_ = a.c.NetConn().Close()

	b := n.waitConn(t)
	col.waitFor(t, "a gap after the drop", func(_ []engine.Event, gaps int) bool { return gaps == 2 })
	if m.get("reconnect") != 1 || b.ch != a.ch {
		t.Errorf("reconnects = %d to %s; want 1, to the same channel %s", m.get("reconnect"), b.ch, a.ch)
	}
	// Events flow again on the new socket.
	_ = b.send(presenceFrame("u1", "after", "c-after"))
	col.waitFor(t, "an event after the reconnect", func(evs []engine.Event, _ int) bool { return len(evs) == 1 })
}

func TestFeedDeadChannelGetsNewChannel(t *testing.T) {
	n := newNotifyStub(t)
	col := newCollector()
	startFeed(t, n, col, nil, nil)
	a := n.waitConn(t)
	// Gaps detected before OnGap ran are reported once: wait for the first.
	col.waitFor(t, "the initial gap", func(_ []engine.Event, gaps int) bool { return gaps == 1 })
	n.mu.Lock()
	delete(n.topics, a.ch) // the channel expired server-side
	n.mu.Unlock()
	_ = a.send(`{"result":"404","message":"channel not found"}`)
	b := n.waitConn(t)
	if b.ch == a.ch {
		t.Fatalf("reconnected to the dead channel %s", a.ch)
	}
	col.waitFor(t, "a gap", func(_ []engine.Event, gaps int) bool { return gaps == 2 })
}

func TestFeedRollsOverBeforeExpiry(t *testing.T) {
	n := newNotifyStub(t)
	n.expiresIn = 2 * time.Second // the lead becomes a quarter of it: 0.5 s
	col := newCollector()
	m := newCountingMetrics()
	start := time.Now()
	startFeed(t, n, col, m, nil)
	a := n.waitConn(t)
	b := n.waitConn(t)
	if b.ch == a.ch {
		t.Fatal("no new channel")
	}
	if d := time.Since(start); d < time.Second || d > 1900*time.Millisecond {
		t.Errorf("rolled over after %v; want about 1.5 s (before the 2 s expiry)", d)
	}
	eventually(t, "the rollover to be counted", func() bool { return m.get("rollover") >= 1 })
}

func TestFeedFatalAtStart(t *testing.T) {
	// Channels are forbidden: retrying cannot help.
	s := newStub(t)
	s.handle("POST /api/v2/notifications/channels", func(w http.ResponseWriter, r *http.Request) { apiError(w, 403, "missing.permissions") })
	col := newCollector()
	f, err := NewFeed(FeedOptions{Client: s.client(), Users: []engine.ExpertID{"u1"}, OnEvents: col.onEvents})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = f.Run(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "missing.permissions" {
		t.Fatalf("Run = %v, want the 403", err)
	}
}

func TestNewFeedChannelPlan(t *testing.T) {
	s := newStub(t)
	c := s.client()
	noop := func([]engine.Event) {}
	users := expertIDs(2500)
	f, err := NewFeed(FeedOptions{Client: c, Users: users, OnEvents: noop})
	if err != nil || f.Channels() != 3 {
		t.Fatalf("2500 users: %d channels, %v; want 3", f.Channels(), err)
	}
	// 333 users per channel (combined topics counted per part) and a
	// 5-channel limit with one spare: 2500 users do not fit.
	if _, err := NewFeed(FeedOptions{Client: c, Users: users, OnEvents: noop, UsersPerChannel: 333, MaxChannels: 5}); err == nil {
		t.Fatal("too many channels accepted")
	}
	if _, err := NewFeed(FeedOptions{Client: c, OnEvents: noop}); err == nil {
		t.Fatal("an empty pool accepted")
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestFeedAllTopicsRejectedIsFatal(t *testing.T) {
	n := newNotifyStub(t)
	col := newCollector()
	f, err := NewFeed(FeedOptions{Client: n.s.client(), Users: []engine.ExpertID{"rejected-1", "rejected-2"}, OnEvents: col.onEvents})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Run(ctx); err == nil || !strings.Contains(err.Error(), "every topic was rejected") {
		t.Fatalf("Run = %v, want the rejection", err)
	}
}
