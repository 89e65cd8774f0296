package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve"
)

// End-to-end tests: shadowq serve's runtime against the fake Genesys Cloud
// over loopback (REST through the official SDK, notifications over a real
// WebSocket), on Redis (REDIS_URL when set, else miniredis).

const (
	ada    = "0d3a1e00-05e0-4e00-8000-000000000001" // On Queue, Databases 4
	alan   = "0d3a1e00-05e0-4e00-8000-000000000003" // Available, Databases 3
	apiTok = "e2e-token"
)

func startFake(t *testing.T, opts genesys.Options) *genesys.Full {
	t.Helper()
	f, err := genesys.NewFull(opts, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func redisURL(t *testing.T) string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://" + miniredis.RunT(t).Addr()
}

type replica struct {
	srv  *Server
	url  string
	stop context.CancelFunc
	done chan struct{}
}

func startReplica(t *testing.T, f *genesys.Full, redis, id string) *replica {
	return startReplicaPrefix(t, f, redis, id, fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano()))
}

func startReplicaPrefix(t *testing.T, f *genesys.Full, redis, id, prefix string) *replica {
	return startReplicaWith(t, f, redis, id, prefix, nil)
}

// startReplicaWith is startReplicaPrefix with a change to the example
// config (edit, if not nil).
func startReplicaWith(t *testing.T, f *genesys.Full, redis, id, prefix string, edit func(*serve.Config)) *replica {
	t.Helper()
	cfg, err := serve.LoadConfig("../shadowq.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	cfg.ReplicaID = id
	cfg.Redis.Prefix = prefix
	t.Setenv("SHADOWQ_API_TOKEN", apiTok)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, err := New(ctx, cfg, Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret, RedisURL: redis}, log)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{srv: srv, url: "http://" + addr, stop: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	waitFor(t, srv.Ready, "replica ready (first resync)")
	return r
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: a loaded 2-core CI machine
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func newConv(t *testing.T, f *genesys.Full, skill string, prio int) string {
	t.Helper()
	id, err := f.CreateConversation(genesys.NewConversation{Skills: []string{skill}, Priority: prio})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func post(t *testing.T, r *replica, conv, skill, prio string) (int, serve.EscalationResponse) {
	t.Helper()
	body := fmt.Sprintf(`{"conversationId":%q,"skills":[%q],"priority":%q}`, conv, skill, prio)
	req, _ := http.NewRequest("POST", r.url+"/v1/escalations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out serve.EscalationResponse
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func history(t *testing.T, r *replica, conv string) serve.EscalationState {
	t.Helper()
	req, _ := http.NewRequest("GET", r.url+"/v1/escalations/"+conv, nil)
	req.Header.Set("Authorization", "Bearer "+apiTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st serve.EscalationState
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

func deliveries(f *genesys.Full, conv string) []genesys.Delivery {
	var out []genesys.Delivery
	for _, d := range f.State().Deliveries {
		if d.ConversationID == conv {
			out = append(out, d)
		}
	}
	return out
}

func TestEscalationAssignedAndAccepted(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplica(t, f, redisURL(t), "r1")
	conv := newConv(t, f, "Databases", 3)
	code, resp := post(t, r, conv, "Databases", "P3")
	if code != 200 || resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("%d %+v", code, resp)
	}
	waitFor(t, func() bool { return history(t, r, conv).Action == "routed" }, "routed after the agent accepts")
	d := deliveries(f, conv)
	if len(d) != 1 || d[0].UserID != ada || d[0].Kind != "assign" || d[0].Outcome != "accepted" {
		t.Fatalf("fake deliveries %+v", d)
	}
	// A retried Data Action does not assign again.
	if code, resp := post(t, r, conv, "Databases", "P3"); code != 200 || len(deliveries(f, conv)) != 1 {
		t.Fatalf("retry: %d %+v, %d deliveries", code, resp, len(deliveries(f, conv)))
	}
}

func TestDeclinedMovesToNextExpert(t *testing.T) {
	f := startFake(t, genesys.Options{})
	if err := f.SetAnswer(ada, genesys.AnswerModel{Decline: 1, Delay: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, f, redisURL(t), "r1")
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r, conv, "Databases", "P3"); resp.UserID != ada {
		t.Fatalf("first pick %+v", resp)
	}
	waitFor(t, func() bool { return history(t, r, conv).Action == "routed" }, "routed to the next expert")
	st := history(t, r, conv)
	if st.UserID != alan {
		t.Fatalf("routed to %s, want Alan after Ada declined; history %+v", st.UserID, st.History)
	}
	d := deliveries(f, conv)
	if len(d) != 2 || d[0].Outcome != "declined" || d[1].UserID != alan || d[1].Outcome != "accepted" {
		t.Fatalf("fake deliveries %+v", d)
	}
}

// Presence changes while the notification socket is down are lost; the
// resync after the reconnect corrects the cache.
func TestResyncCorrectsMissedPresence(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplica(t, f, redisURL(t), "r1")
	state := func(id string) engine.ExpertState {
		var st engine.ExpertState
		r.srv.loop.Do(context.Background(), func(e *engine.Engine) error { st, _ = e.State(engine.ExpertID(id)); return nil })
		return st
	}
	f.Hub.Pause(true) // events from now on are lost
	if err := f.SetPresence(alan, genesys.PresenceMeetingDoNotDisturb, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if state(alan).Presence.Def == genesys.PresenceMeetingDoNotDisturb {
		t.Fatal("the event was not lost; the test proves nothing")
	}
	f.Hub.Pause(false)
	f.Hub.DropSockets()
	waitFor(t, func() bool { return state(alan).Presence.Def == genesys.PresenceMeetingDoNotDisturb }, "resync after the socket dropped")
}

// Under a 429 storm every escalation is still answered and delivered.
func TestRateLimitStormLosesNothing(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplica(t, f, redisURL(t), "r1")
	f.SetFaults(genesys.Faults{RateLimitShare: 0.5, RetryAfterSeconds: 1, PathPrefix: "/api/v2/conversations/"})
	var convs []string
	// One escalation per skill with a free expert, so each can be routed.
	for i, skill := range []string{"Databases", "Networking", "Security"} {
		conv := newConv(t, f, skill, 2)
		convs = append(convs, conv)
		code, resp := post(t, r, conv, skill, "P2")
		if code != 200 || resp.Action == "" {
			t.Fatalf("escalation %d: %d %+v", i, code, resp)
		}
	}
	for _, conv := range convs {
		waitFor(t, func() bool { return history(t, r, conv).Terminal }, "every escalation to end")
	}
	if f.State().Injected429 == 0 {
		t.Fatal("no 429 was injected: the test proves nothing")
	}
	for _, conv := range convs {
		st := history(t, r, conv)
		if st.Action != "routed" {
			t.Errorf("%s ended %s: %+v", conv, st.Action, st.History)
		}
	}
}

func TestTokenExpiryMidRunRecovers(t *testing.T) {
	f := startFake(t, genesys.Options{TokenTTL: 2 * time.Second})
	r := startReplica(t, f, redisURL(t), "r1")
	time.Sleep(2500 * time.Millisecond) // the first token has expired
	conv := newConv(t, f, "Databases", 3)
	if code, resp := post(t, r, conv, "Databases", "P3"); code != 200 || resp.Action != "routed" {
		t.Fatalf("%d %+v", code, resp)
	}
	waitFor(t, func() bool { return len(deliveries(f, conv)) == 1 && deliveries(f, conv)[0].Outcome == "accepted" }, "delivery after token expiry")
}

// Two replicas behind one Data Action on one Redis never route one expert
// twice or one conversation twice.
func TestTwoReplicasOneRedis(t *testing.T) {
	// Alerts ring for 6 s: long enough that every check below sees them.
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 6 * time.Second}})
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaPrefix(t, f, url, "r1", prefix)
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	// The same conversation on both replicas at once: one routing.
	conv := newConv(t, f, "Databases", 3)
	var wg sync.WaitGroup
	for _, r := range []*replica{r1, r2} {
		wg.Add(1)
		go func() { defer wg.Done(); post(t, r, conv, "Databases", "P3") }()
	}
	wg.Wait()
	// Three more Databases escalations alternating replicas while the
	// first alert is still ringing: Ada and Alan are the only eligible
	// experts for P3, so at most one more can be assigned now.
	var convs []string
	for i := 0; i < 3; i++ {
		c := newConv(t, f, "Databases", 3)
		convs = append(convs, c)
		post(t, []*replica{r1, r2}[i%2], c, "Databases", "P3")
	}
	time.Sleep(300 * time.Millisecond)
	if d := deliveries(f, conv); len(d) != 1 {
		t.Fatalf("conversation routed %d times: %+v", len(d), d)
	}
	alerting := map[string]string{}
	for _, d := range f.State().Deliveries {
		if d.Outcome != "alerting" {
			continue
		}
		if other, ok := alerting[d.UserID]; ok {
			t.Fatalf("%s alerted for %s and %s at once", d.UserID, other, d.ConversationID)
		}
		alerting[d.UserID] = d.ConversationID
	}
	if len(alerting) != 2 {
		t.Fatalf("%d experts alerting, want Ada and Alan: %+v", len(alerting), alerting)
	}
}

// A replica stopped (SIGTERM) mid-delivery loses no escalation: it makes
// the delivery and waits for the answer before exiting (it used to cancel
// the /assign still queued: the flaky failure of this test), the other
// replica sees the decision log, and nobody is routed twice.
func TestReplicaKilledMidDelivery(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 1500 * time.Millisecond}})
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaPrefix(t, f, url, "r1", prefix)
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r1, conv, "Databases", "P3"); resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("r1: %+v", resp)
	}
	r1.stop() // SIGTERM while Ada's alert rings
	<-r1.done
	// The Data Action retries on r2: it is not routed a second time.
	if code, resp := post(t, r2, conv, "Databases", "P3"); code != 200 || resp.Action == "fallback" {
		t.Fatalf("retry on r2: %d %+v", code, resp)
	}
	if st := history(t, r2, conv); len(st.History) == 0 || st.History[0].Expert != ada {
		t.Fatalf("r2 does not see r1's decision log: %+v", st)
	}
	waitFor(t, func() bool { d := deliveries(f, conv); return len(d) == 1 && d[0].Outcome == "accepted" }, "Ada to answer in Genesys")
	// Ada is busy with the first conversation (r1 turned its claim into
	// a busy mark when she accepted): r2 routes the next one to Alan.
	c2 := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r2, c2, "Databases", "P3"); resp.Action != "routed" || resp.UserID != alan {
		t.Fatalf("r2 after r1 died: %+v", resp)
	}
}

// The pool can come from a Genesys queue's members.
func TestPoolFromQueueMembers(t *testing.T) {
	f := startFake(t, genesys.Options{})
	cfg, err := serve.LoadConfig("../shadowq.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Experts = cfg.Experts[:1] // Ada from the config; the rest from the queue
	cfg.QueueID = genesys.DemoQueueID
	t.Setenv("SHADOWQ_API_TOKEN", apiTok)
	srv, err := New(context.Background(), cfg, Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret,
		RedisURL: redisURL(t)}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	if len(srv.pool) != 8 {
		t.Fatalf("pool of %d, want the 8 queue members", len(srv.pool))
	}
}

// Presence definitions are loaded at start; those the policy does not name
// by GUID are reported with the rule that applies to them.
func TestPresenceDefinitionsCoverage(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplica(t, f, redisURL(t), "r1")
	cov := map[engine.PresenceDefID]string{}
	for _, c := range r.srv.Definitions() {
		cov[c.ID] = c.Rule
	}
	want := map[engine.PresenceDefID]string{
		genesys.PresenceMeetingInterruptP1:  "guid: interrupt",
		genesys.PresenceMeetingDoNotDisturb: "guid: never",
		genesys.PresenceAvailable:           "guid: route",
		genesys.PresenceBusy:                "fallback: never", // the policy names BUSY only as a system fallback
	}
	for id, rule := range want {
		if cov[id] != rule {
			t.Errorf("%s: %q, want %q", id, cov[id], rule)
		}
	}
	if len(cov) < 13 {
		t.Errorf("only %d definitions loaded", len(cov))
	}
}

// /readyz follows the store: 503 naming Redis while it is down, 200 again
// once it is back (the issue: it stayed 200 while every POST got 503).
func TestReadinessFollowsTheStore(t *testing.T) {
	f := startFake(t, genesys.Options{})
	rd := startPrivateRedis(t)
	r := startReplica(t, f, rd.url(), "r1")
	readyz := func() (int, string) {
		resp, err := http.Get(r.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := readyz(); code != 200 {
		t.Fatalf("ready replica: %d %s", code, body)
	}
	rd.kill()
	waitFor(t, func() bool {
		code, body := readyz()
		return code == 503 && strings.Contains(body, "store: redis unreachable")
	}, "/readyz 503 naming the store")
	rd.start()
	waitFor(t, func() bool { code, _ := readyz(); return code == 200 }, "/readyz 200 once Redis is back")
}

// /readyz follows the feed: 503 naming it while the notification socket
// is down and cannot be reopened, 200 again once it is back.
func TestReadinessFollowsTheFeed(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplica(t, f, redisURL(t), "r1")
	readyz := func() (int, string) {
		resp, err := http.Get(r.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := f.SetFaults(genesys.Faults{ServerErrorShare: 1}); err != nil { // nothing reopens a socket
		t.Fatal(err)
	}
	f.Hub.DropSockets()
	waitFor(t, func() bool {
		code, body := readyz()
		return code == 503 && strings.Contains(body, "feed: notification socket not connected")
	}, "/readyz 503 naming the feed")
	if err := f.SetFaults(genesys.Faults{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { code, _ := readyz(); return code == 200 }, "/readyz 200 once the feed is back")
}
