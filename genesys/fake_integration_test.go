package genesys

// Integration tests against the fake Genesys Cloud (fakes/genesys and its
// notify hub) over loopback: the same client code, the official SDK, the
// real wire format.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Demo org users.
const (
	fAda    = "0d3a1e00-05e0-4e00-8000-000000000001" // On Queue
	fGrace  = "0d3a1e00-05e0-4e00-8000-000000000002" // On Queue
	fAlan   = "0d3a1e00-05e0-4e00-8000-000000000003" // Available
	fRadia  = "0d3a1e00-05e0-4e00-8000-000000000008" // Offline
	fBarb   = "0d3a1e00-05e0-4e00-8000-000000000004" // In a Meeting – Interrupt for P1
	fOnQ    = "e08eaf1b-ee47-4fa9-a231-1200e284798f"
	fAvail  = "6a3af858-942f-489d-9700-5f9bcdcdae9b"
	fNumOrg = 8
)

// fakeEnv is the fake REST server and notification hub behind one
// httptest server. The wrapper in front records which channels sockets
// connect to and lets a test rewrite responses.
type fakeEnv struct {
	srv *fake.Server
	hub *notify.Hub
	url string

	mu       sync.Mutex
	sockets  []string // channel id of every WebSocket request, in order
	override func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func newFakeEnv(t testing.TB, opts fake.Options) *fakeEnv {
	t.Helper()
	env := &fakeEnv{}
	var srv *fake.Server
	hub := notify.New(notify.Options{
		Authorize: func(r *http.Request) (string, *wire.ErrorBody) { return srv.Authorize(r) },
		Seed:      7,
	})
	opts.Publisher = hub
	opts.Notifications = hub.Handler()
	if opts.TimeScale == 0 {
		opts.TimeScale = 100 // answer delays of 2 s take 20 ms
	}
	var err error
	if srv, err = fake.New(opts); err != nil {
		t.Fatal(err)
	}
	env.srv, env.hub = srv, hub
	next := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env.mu.Lock()
		if id, ok := strings.CutPrefix(r.URL.Path, "/channels/"); ok {
			env.sockets = append(env.sockets, id)
		}
		ov := env.override
		env.mu.Unlock()
		if ov != nil && ov(w, r, next) {
			return
		}
		next.ServeHTTP(w, r)
	}))
	env.url = hs.URL
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hub.Close()
		hs.Close()
		srv.Close()
	})
	return env
}

func (e *fakeEnv) client(t *testing.T, m Metrics) *Client {
	t.Helper()
	api, err := BaseURL(e.url)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := NewTokenManager(TokenOptions{Login: LoginURL(api), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Options{API: api, Tokens: tm, Retry: fastRetry, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *fakeEnv) channels() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.sockets)
}

func demoIDs() []engine.ExpertID {
	ids := make([]engine.ExpertID, fNumOrg)
	for i := range ids {
		ids[i] = engine.ExpertID("0d3a1e00-05e0-4e00-8000-00000000000" + string(rune('1'+i)))
	}
	return ids
}

func TestFakeDirectoryAndResync(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	c := env.client(t, nil)
	ctx := context.Background()

	defs, err := c.PresenceDefinitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[engine.PresenceDefID]PresenceDefinition{}
	for _, d := range defs {
		byID[d.ID] = d
		if d.System == engine.SysUnknown {
			t.Errorf("definition %s maps to no system presence (%q)", d.ID, d.SystemName)
		}
	}
	if len(defs) != 13 || byID[fOnQ].System != engine.SysOnQueue || byID[fake.PresenceMeetingInterruptP1].System != engine.SysMeeting ||
		byID[fake.PresenceMeetingInterruptP1].Type != "User" {
		t.Fatalf("definitions: %+v", defs)
	}

	users, err := c.Users(ctx)
	if err != nil || len(users) != fNumOrg {
		t.Fatalf("Users: %d, %v", len(users), err)
	}

	snap, err := c.Resync(ctx, demoIDs())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entries) != fNumOrg {
		t.Fatalf("%d entries, want %d", len(snap.Entries), fNumOrg)
	}
	want := map[engine.ExpertID]struct {
		def engine.PresenceDefID
		sys engine.SystemPresence
		rs  engine.RoutingStatus
	}{
		fAda:  {fOnQ, engine.SysOnQueue, engine.RSIdle},
		fAlan: {fAvail, engine.SysAvailable, engine.RSOffQueue},
		fBarb: {fake.PresenceMeetingInterruptP1, engine.SysMeeting, engine.RSOffQueue},
	}
	for _, e := range snap.Entries {
		w, ok := want[e.Expert]
		if !ok {
			continue
		}
		if e.Presence.Def != w.def || e.Presence.System != w.sys || e.Routing != w.rs || e.PresenceSince.IsZero() || e.RoutingSince.IsZero() {
			t.Errorf("%s: %+v, want %+v", e.Expert, e, w)
		}
	}
}

func TestFakeRetryAfterAndTokenRevocation(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	m := newCountingMetrics()
	c := env.client(t, m)
	ctx := context.Background()
	if _, err := c.PresenceDefinitions(ctx); err != nil {
		t.Fatal(err)
	}

	// Two injected 429s with Retry-After: 1.
	if err := env.srv.SetFaults(fake.Faults{RateLimitBurst: 2, RetryAfterSeconds: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	snap, err := c.Resync(ctx, demoIDs()[:3])
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("resync through two 429s took %v; Retry-After is 1 s", d)
	}
	if len(snap.Entries) != 3 || m.retry("429") != 2 {
		t.Errorf("%d entries, %d 429 retries; want 3 and 2", len(snap.Entries), m.retry("429"))
	}

	// An admin revokes every token: one refresh, one retry.
	env.srv.RevokeTokens()
	if _, err := c.PresenceDefinitions(ctx); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if m.retry("401") != 1 {
		t.Errorf("401 refreshes = %d, want 1", m.retry("401"))
	}
}

func TestFakeFeedAndDeliveries(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	if err := env.srv.SetAnswer(fGrace, fake.AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	m := newCountingMetrics()
	c := env.client(t, m)
	col := newCollector()
	f, err := NewFeed(FeedOptions{Client: c, Users: demoIDs(), OnEvents: col.onEvents, OnGap: col.onGap})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	col.waitFor(t, "the first subscription", func(_ []engine.Event, gaps int) bool { return gaps >= 1 })

	// A presence change.
	if err := env.srv.SetPresence(fAlan, fOnQ, ""); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "Alan's presence and routing status", func(evs []engine.Event, _ int) bool {
		return slices.ContainsFunc(evs, func(e engine.Event) bool {
			return e.Expert == fAlan && e.Kind == engine.EvPresence && e.Presence == engine.Presence{Def: fOnQ, System: engine.SysOnQueue}
		}) && slices.ContainsFunc(evs, func(e engine.Event) bool {
			return e.Expert == fAlan && e.Kind == engine.EvRouting && e.Routing == engine.RSIdle
		})
	})

	// Deliveries through the Dispatcher: Ada accepts, Grace declines.
	var oc outcomes
	disp, err := NewDispatcher(DispatcherOptions{Client: c, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	go disp.Run(ctx)
	for i, u := range []engine.ExpertID{fAda, fGrace} {
		conv, err := env.srv.CreateConversation(fake.NewConversation{CustomerName: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if err := disp.Deliver(engine.Delivery{ConversationID: conv, Expert: u, Attempt: 1, Holder: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	has := func(u engine.ExpertID, st engine.ConversationState, never bool) func([]engine.Event, int) bool {
		return func(evs []engine.Event, _ int) bool {
			return slices.ContainsFunc(evs, func(e engine.Event) bool {
				return e.Expert == u && e.Kind == engine.EvConversation && e.ConvState == st && e.NeverAnswered == never && e.Conversation != ""
			})
		}
	}
	col.waitFor(t, "Ada alerting", has(fAda, engine.ConvAlerting, false))
	col.waitFor(t, "Ada connected", has(fAda, engine.ConvConnected, false))
	col.waitFor(t, "Grace declined", has(fGrace, engine.ConvDisconnected, true))
	col.waitFor(t, "Grace not responding", func(evs []engine.Event, _ int) bool {
		return slices.ContainsFunc(evs, func(e engine.Event) bool {
			return e.Expert == fGrace && e.Kind == engine.EvRouting && e.Routing == engine.RSNotResponding
		})
	})
	if len(oc.list()) != 0 {
		t.Errorf("successful deliveries reported outcomes: %+v", oc.list())
	}

	// A delivery the fake refuses (Radia is Offline) becomes an outcome.
	conv, _ := env.srv.CreateConversation(fake.NewConversation{})
	if err := disp.Deliver(engine.Delivery{ConversationID: conv, Expert: fRadia, Holder: "r"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal", func() bool { return len(oc.list()) == 1 })
	if o := oc.list()[0]; o.Result != engine.DeliveryError || !strings.Contains(o.Detail, "invalid.status") {
		t.Errorf("outcome %+v", o)
	}
}

func TestFakeAssignLostAnswerNotReissued(t *testing.T) {
	// The fake performs the assignment, but the answer is replaced by a
	// 503: the client must find Ada on the conversation, not assign again.
	env := newFakeEnv(t, fake.Options{})
	var assigns atomic.Int32
	env.override = func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/assign") {
			return false
		}
		if assigns.Add(1) == 1 {
			next.ServeHTTP(httptest.NewRecorder(), r) // it happens ...
			apiError(w, 503, "service.unavailable")   // ... but the answer is lost
			return true
		}
		return false
	}
	c := env.client(t, nil)
	conv, err := env.srv.CreateConversation(fake.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Deliver(context.Background(), engine.Delivery{ConversationID: conv, Expert: fAda}, ModeAssign); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if n := assigns.Load(); n != 1 {
		t.Fatalf("%d assign requests, want 1", n)
	}
	// Without the check, a second /assign would have failed (the
	// conversation is no longer waiting) or alerted Ada twice.
	var deliveries []fake.Delivery
	for _, d := range env.srv.State().Deliveries {
		if d.ConversationID == conv {
			deliveries = append(deliveries, d)
		}
	}
	if len(deliveries) != 1 || deliveries[0].UserID != fAda || deliveries[0].Kind != "assign" {
		t.Errorf("deliveries %+v, want one assign to Ada", deliveries)
	}
}

func TestFakePreferredAndTransfer(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	c := env.client(t, nil)
	ctx := context.Background()
	conv, _ := env.srv.CreateConversation(fake.NewConversation{})
	if err := c.Deliver(ctx, engine.Delivery{ConversationID: conv, Expert: fAda}, ModePreferred); err != nil {
		t.Fatalf("preferred: %v", err)
	}
	// Ada accepts after 2 s fake time (20 ms); then transfer her call to Grace.
	agent := func(want string) func() bool {
		return func() bool {
			for _, cv := range env.srv.State().Conversations {
				if cv.ID == conv && cv.AgentUserID == want {
					return true
				}
			}
			return false
		}
	}
	eventually(t, "Ada connected", agent(fAda))
	if err := c.Deliver(ctx, engine.Delivery{ConversationID: conv, Expert: fGrace}, ModeTransfer); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	eventually(t, "Grace connected after the transfer", agent(fGrace))
	kinds := map[string]string{}
	for _, d := range env.srv.State().Deliveries {
		if d.ConversationID == conv {
			kinds[d.UserID] = d.Kind
		}
	}
	if kinds[fAda] != "preferred" || kinds[fGrace] != "transfer" {
		t.Errorf("delivery kinds %v", kinds)
	}
}

func TestFakeFeedRolloverAndDrops(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	m := newCountingMetrics()
	c := env.client(t, m)
	col := newCollector()
	f, err := NewFeed(FeedOptions{Client: c, Users: demoIDs(), OnEvents: col.onEvents, OnGap: col.onGap,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	col.waitFor(t, "the first subscription", func(_ []engine.Event, gaps int) bool { return gaps == 1 })
	first := env.channels()[0]

	presenceOf := func(u engine.ExpertID, def engine.PresenceDefID) int {
		n := 0
		col.mu.Lock()
		defer col.mu.Unlock()
		for _, e := range col.events {
			if e.Kind == engine.EvPresence && e.Expert == u && e.Presence.Def == def {
				n++
			}
		}
		return n
	}

	// socket_closing: a new channel, subscribed and connected before the
	// old one closes; nothing lost, nothing doubled.
	env.hub.SendSocketClosing(first)
	eventually(t, "a second channel", func() bool { return len(env.channels()) >= 2 })
	col.waitFor(t, "a gap after the rollover", func(_ []engine.Event, gaps int) bool { return gaps == 2 })
	if second := env.channels()[1]; second == first {
		t.Fatalf("rolled over to the same channel %s", first)
	}
	_ = env.srv.SetPresence(fAda, fAvail, "")
	eventually(t, "Ada's new presence", func() bool { return presenceOf(fAda, fAvail) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if n := presenceOf(fAda, fAvail); n != 1 {
		t.Errorf("Ada's presence event arrived %d times, want 1", n)
	}
	if m.get("rollover") != 1 {
		t.Errorf("rollovers = %d", m.get("rollover"))
	}

	// Every socket dropped: reconnect, gap, events flow again.
	env.hub.DropSockets()
	col.waitFor(t, "a gap after the drop", func(_ []engine.Event, gaps int) bool { return gaps == 3 })
	_ = env.srv.SetPresence(fAda, fOnQ, "")
	eventually(t, "events after the drop", func() bool { return presenceOf(fAda, fOnQ) >= 1 })
	if m.get("reconnect") != 1 {
		t.Errorf("reconnects = %d, want 1", m.get("reconnect"))
	}

	// The channel expires under the feed: a new one.
	chs := env.channels()
	env.hub.ExpireChannel(chs[len(chs)-1])
	col.waitFor(t, "a gap after expiry", func(_ []engine.Event, gaps int) bool { return gaps == 4 })
	_ = env.srv.SetPresence(fAda, fAvail, "")
	eventually(t, "events after expiry", func() bool { return presenceOf(fAda, fAvail) >= 2 })
}

func TestFakeFeedRollsOverBeforeTokenExpiry(t *testing.T) {
	// Tokens live 4 s (real time: TimeScale 1): the feed must move to a
	// new channel, created with a fresh token, before each token dies.
	env := newFakeEnv(t, fake.Options{TokenTTL: 4 * time.Second, TimeScale: 1})
	m := newCountingMetrics()
	c := env.client(t, m)
	col := newCollector()
	f, err := NewFeed(FeedOptions{Client: c, Users: demoIDs(), OnEvents: col.onEvents, OnGap: col.onGap})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "a rollover", func() bool { return m.get("rollover") >= 1 })
	if d := time.Since(start); d >= 4*time.Second {
		t.Errorf("first rollover after %v, not before the 4 s token expiry", d)
	}
	if chs := env.channels(); len(chs) < 2 || chs[0] == chs[1] {
		t.Fatalf("sockets went to %v; want a second channel", chs)
	}
	// Still live after the first token expired.
	time.Sleep(4*time.Second - time.Since(start) + 200*time.Millisecond)
	_ = env.srv.SetPresence(fAlan, fOnQ, "")
	col.waitFor(t, "an event after the first token expired", func(evs []engine.Event, _ int) bool {
		return slices.ContainsFunc(evs, func(e engine.Event) bool { return e.Expert == fAlan && e.Presence.Def == fOnQ })
	})
}

// Presence history comes back as closed segments the predictor can learn
// from; the open segment of each user is left out.
func TestFakePresenceHistory(t *testing.T) {
	f, err := fake.NewFull(fake.Options{}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base, err := f.Start("")
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := NewTokenManager(TokenOptions{Login: LoginURL(base), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
	c, err := NewClient(Options{API: base, Tokens: tm})
	if err != nil {
		t.Fatal(err)
	}
	ada := engine.ExpertID("0d3a1e00-05e0-4e00-8000-000000000001")
	for _, def := range []string{fake.PresenceMeetingDoNotDisturb, fake.PresenceAvailable, fake.PresenceMeetingDoNotDisturb, fake.PresenceOnQueue} {
		time.Sleep(5 * time.Millisecond)
		if err := f.SetPresence(string(ada), def, ""); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := c.PresenceHistory(context.Background(), []engine.ExpertID{ada}, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	dnd := 0
	for _, s := range segs {
		if s.End.IsZero() || !s.End.After(s.Start) {
			t.Fatalf("open or empty segment %+v", s)
		}
		if s.Def == fake.PresenceMeetingDoNotDisturb {
			dnd++
		}
	}
	if dnd != 2 || len(segs) < 4 {
		t.Fatalf("%d segments, %d DND: %+v", len(segs), dnd, segs)
	}
}
