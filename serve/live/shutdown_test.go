package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// startReplicaCfg is startReplicaPrefix with the config edited first.
func startReplicaCfg(t *testing.T, f *genesys.Full, redis, id, prefix string, edit func(*serve.Config)) *replica {
	t.Helper()
	cfg, err := serve.LoadConfig("../shadowq.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ReplicaID, cfg.Redis.Prefix = id, prefix
	edit(cfg)
	t.Setenv("SHADOWQ_API_TOKEN", apiTok)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, cfg, Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret, RedisURL: redis},
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
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

// Issue 12, item 4: SIGTERM with deliveries in flight left escalations
// answered "routed" that were never assigned (the dispatcher was cancelled
// with /assign calls still queued), and the other replica answered "hold"
// until the ownership TTL ran out. Now a stopping replica first makes
// every delivery it answered and waits for the outcomes.
func TestShutdownFinishesWhatItRouted(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: time.Second}})
	f.SetFaults(genesys.Faults{AssignDelay: 700 * time.Millisecond}) // /assign calls still under way at SIGTERM
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaCfg(t, f, url, "r1", prefix, func(c *serve.Config) { c.Shutdown.Drain = time.Minute })
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	routed := map[string]string{}
	for _, skill := range []string{"Databases", "Networking", "Security"} {
		conv := newConv(t, f, skill, 2)
		code, resp := post(t, r1, conv, skill, "P2")
		if code != 200 || resp.Action != "routed" {
			t.Fatalf("%s: %d %+v", skill, code, resp)
		}
		routed[conv] = resp.UserID
	}
	r1.stop() // SIGTERM
	// New escalations are refused with a JSON 503 during the drain.
	req, _ := http.NewRequest("POST", r1.url+"/v1/escalations", strings.NewReader(`{"conversationId":"late","priority":"P2"}`))
	req.Header.Set("Authorization", "Bearer "+apiTok)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		select {
		case <-r1.done: // drained already: nothing listens any more
		default:
			t.Errorf("a new escalation during the drain: %v, want a 503", err)
		}
	} else {
		var e serve.ErrorResponse
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 503 || e.Code != "service.unavailable" {
			t.Errorf("a new escalation during the drain: %d %+v, want 503 service.unavailable", resp.StatusCode, e)
		}
	}
	<-r1.done
	for conv, user := range routed {
		d := deliveries(f, conv)
		if len(d) != 1 || d[0].UserID != user {
			t.Errorf("%s answered routed to %s; the fake saw deliveries %+v", conv, user, d)
			continue
		}
		waitFor(t, func() bool { return deliveries(f, conv)[0].Outcome == "accepted" }, "the expert to accept")
		if st := history(t, r2, conv); !st.Terminal || st.Action != "routed" || st.UserID != user {
			t.Errorf("%s: the decision log ends %+v, want routed to %s", conv, st, user)
		}
		if _, resp := post(t, r2, conv, "Databases", "P2"); resp.Action != "routed" || resp.UserID != user {
			t.Errorf("%s: a retry on r2 answers %+v, want routed to %s", conv, resp, user)
		}
	}
}

// When the drain bound runs out with a delivery still ringing, the
// escalation is handed off at once: the other replica takes it over by
// itself (no retry needed), checks the conversation, does not assign it
// again, and finishes it when the expert answers; a retry meanwhile is
// not answered "hold" for the ownership TTL.
func TestShutdownHandsOffWhatIsStillRinging(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 3 * time.Second}})
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaCfg(t, f, url, "r1", prefix, func(c *serve.Config) { c.Shutdown.Drain = 200 * time.Millisecond })
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r1, conv, "Databases", "P3"); resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("r1: %+v", resp)
	}
	waitFor(t, func() bool { d := deliveries(f, conv); return len(d) == 1 && d[0].Outcome == "alerting" }, "Ada's alert")
	r1.stop()
	<-r1.done
	taken := func() bool {
		var ok bool
		r2.srv.loop.Do(context.Background(), func(e *engine.Engine) error { _, ok = e.Status(conv); return nil })
		return ok
	}
	waitFor(t, taken, "r2 to take the handed-off escalation over without a retry")
	code, resp := post(t, r2, conv, "Databases", "P3")
	if code != 200 || resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("retry on r2 after the hand-off: %d %+v, want routed to Ada (taken over, not hold)", code, resp)
	}
	waitFor(t, func() bool { st := history(t, r2, conv); return st.Terminal }, "r2 to finish the escalation")
	if st := history(t, r2, conv); st.Action != "routed" || st.UserID != ada {
		t.Fatalf("ended %+v, want routed to Ada", st)
	}
	if d := deliveries(f, conv); len(d) != 1 || d[0].Outcome != "accepted" {
		t.Fatalf("fake deliveries %+v, want Ada's one, accepted", d)
	}
}
