package serve

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
)

// recorder is the in-memory dispatcher: it records deliveries and, like
// the production dispatcher, reports what Genesys did with each /assign
// from another goroutine — accepted (NoteAssigned) unless the expert is in
// refuse (a DeliveryError outcome) or pending is set (never answered).
type recorder struct {
	mu      sync.Mutex
	got     []engine.Delivery
	loop    *Loop
	refuse  map[engine.ExpertID]bool
	pending bool
}

func (r *recorder) Deliver(d engine.Delivery) error {
	r.mu.Lock()
	r.got = append(r.got, d)
	loop, refused, pending := r.loop, r.refuse[d.Expert], r.pending
	r.mu.Unlock()
	if loop == nil || pending {
		return nil
	}
	go func() {
		ctx := context.Background()
		if refused {
			_ = loop.HandleOutcome(ctx, engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder,
				Result: engine.DeliveryError, At: time.Now(), Detail: "400 invalid.status"})
			return
		}
		_ = loop.Do(ctx, func(e *engine.Engine) error { e.NoteAssigned(d.Holder); return nil })
	}()
	return nil
}

func (r *recorder) set(f func(*recorder)) { r.mu.Lock(); f(r); r.mu.Unlock() }

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

var (
	avail   = engine.Presence{Def: "6a3af858-942f-489d-9700-5f9bcdcdae9b", System: engine.SysAvailable}
	meeting = engine.Presence{Def: "dnd", System: engine.SysMeeting}
)

type fixture struct {
	srv     *httptest.Server
	disp    *recorder
	loop    *Loop
	metrics *Metrics
	api     *API
	ready   bool
}

func newFixture(t *testing.T, pol *engine.Policy) *fixture {
	t.Helper()
	return newFixtureWith(t, pol, func(*API) {})
}

// newFixtureWith lets tune change the API before it serves.
func newFixtureWith(t *testing.T, pol *engine.Policy, tune func(*API)) *fixture {
	t.Helper()
	f := &fixture{disp: &recorder{}}
	f.metrics = NewMetrics(prometheus.NewRegistry())
	clock := engine.ClockFunc(time.Now)
	store := memstore.New(clock)
	eng, err := engine.New(engine.Config{Clock: clock, Store: store, Dispatcher: f.disp, Predictor: engine.DefaultPredictor(), Policy: pol,
		Experts: []engine.Expert{{ID: "alice", Skills: map[string]int{"db": 5}}, {ID: "bob", Skills: map[string]int{"db": 3}}}, ReplicaID: "t",
		OnDecision: func(d *engine.Decision) { f.metrics.Decisions.WithLabelValues(d.Action.String()).Inc() }})
	if err != nil {
		t.Fatal(err)
	}
	f.loop = NewLoop(eng)
	f.disp.set(func(r *recorder) { r.loop = f.loop })
	ctx, cancel := context.WithCancel(context.Background())
	go f.loop.Run(ctx, time.Now)
	t.Cleanup(cancel)
	f.api = &API{Loop: f.loop, Store: store, Auth: Auth{Token: "s3cret", HMACSecret: "hmac-key"}, Metrics: f.metrics, Ready: func() error {
		if !f.ready {
			return errors.New("presence: first resync not done")
		}
		return nil
	},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tune(f.api)
	f.srv = httptest.NewServer(f.api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) presence(t *testing.T, id engine.ExpertID, p engine.Presence) {
	t.Helper()
	if err := f.loop.Apply(context.Background(), []engine.Event{{Kind: engine.EvPresence, Expert: id, At: time.Now(), Presence: p}}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) post(t *testing.T, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/escalations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("response is not JSON: %q", data)
	}
	return resp.StatusCode, out
}

func TestPostEscalationRoutesAndIsIdempotent(t *testing.T) {
	f := newFixture(t, nil)
	f.presence(t, "alice", avail)
	code, out := f.post(t, `{"conversationId":"c1","skills":["db"],"priority":"P1"}`, nil)
	if code != 200 || out["action"] != "routed" || out["userId"] != "alice" || out["decisionId"] != "c1#1" {
		t.Fatalf("%d %v", code, out)
	}
	// The Data Action retries: same answer, no second delivery.
	code, out = f.post(t, `{"conversationId":"c1","skills":["db"],"priority":1}`, nil)
	if code != 200 || out["action"] != "routed" || out["userId"] != "alice" || f.disp.count() != 1 {
		t.Fatalf("retry: %d %v, %d deliveries", code, out, f.disp.count())
	}
	if got := testutil.ToFloat64(f.metrics.Decisions.WithLabelValues("deliver")); got != 1 {
		t.Errorf("decisions metric = %v", got)
	}
	// History.
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/escalations/c1", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st EscalationState
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || st.Action != "deliver" || len(st.History) != 1 || st.History[0].Expert != "alice" {
		t.Fatalf("GET: %d %+v", resp.StatusCode, st)
	}
}

func TestPostEscalationHoldAndFallback(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.Presences = map[engine.PresenceDefID]engine.Rule{meeting.Def: {Action: engine.Never}}
	pol.MicroWait.MaxHold = 300 * time.Millisecond
	pol.MicroWait.ETABuckets = nil
	f := newFixture(t, pol)
	// Nobody known at all: nothing to wait for, straight to the queue.
	code, out := f.post(t, `{"conversationId":"c0","priority":"P2"}`, nil)
	if code != 200 || out["action"] != "fallback" || out["queue"] != "Tier 3" {
		t.Fatalf("%d %v", code, out)
	}
	// alice is in a meeting whose calendar block ends within the hold.
	f.presence(t, "alice", meeting)
	if err := f.loop.Do(context.Background(), func(e *engine.Engine) error {
		return e.SetCalendar(context.Background(), "alice", time.Now().Add(100*time.Millisecond))
	}); err != nil {
		t.Fatal(err)
	}
	code, out = f.post(t, `{"conversationId":"c2","priority":"P2","patienceSeconds":600}`, nil)
	if code != 200 || out["action"] != "hold" || out["estimatedWaitSeconds"].(float64) <= 0 {
		t.Fatalf("%d %v", code, out)
	}
	// The meeting overruns: the loop's timer ends the hold at its cap.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var st engine.Status
		f.loop.Do(context.Background(), func(e *engine.Engine) error { st, _ = e.Status("c2"); return nil })
		if st.Terminal {
			if st.Action != engine.ActFallback {
				t.Fatalf("hold ended %v", st.Action)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("hold never ended: the loop does not run engine deadlines")
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"conversationId":"c1","priority":"P3"}`
	sign := func(key, b string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(b))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	cases := []struct {
		name string
		hdr  map[string]string
		code int
	}{
		{"no credentials", map[string]string{"Authorization": ""}, 401},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"token prefix only", map[string]string{"Authorization": "Bearer s3cre"}, 401},
		{"valid HMAC", map[string]string{"Authorization": "", "X-Shadowq-Signature": sign("hmac-key", body)}, 200},
		{"HMAC with the wrong key", map[string]string{"Authorization": "", "X-Shadowq-Signature": sign("other", body)}, 401},
		{"HMAC of another body", map[string]string{"Authorization": "", "X-Shadowq-Signature": sign("hmac-key", body+" ")}, 401},
	}
	for _, c := range cases {
		code, out := f.post(t, body, c.hdr)
		if code != c.code {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.code)
		}
	}
}

func TestBadRequestsNameTheField(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		body        string
		code        int
		field, text string
	}{
		{`{"conversationId":"c","priority":"P1"`, 400, "", "malformed JSON"},
		{``, 400, "", "empty body"},
		{`{"conversationId":"c","priority":"P1","colour":"red"}`, 400, "colour", "unknown property"},
		{`{"conversationId":"c","priority":"P1","skills":"db"}`, 400, "skills", "expected an array of strings"},
		{`{"conversationId":"c","priority":"P9"}`, 400, "priority", "P1, P2"},
		{`{"priority":"P1"}`, 400, "conversationId", "required"},
		{`{"conversationId":"c"}`, 400, "priority", "required"},
		{`{"conversationId":"c","priority":"P1","skills":["db",""]}`, 400, "skills[1]", "empty skill"},
		{`{"conversationId":"c","priority":"P1","patienceSeconds":-5}`, 400, "patienceSeconds", "negative"},
		{`{"conversationId":"c","priority":"P1"} {"again":1}`, 400, "", "after the JSON object"},
		{`{"conversationId":"` + strings.Repeat("x", MaxBody) + `","priority":"P1"}`, 413, "", "over"},
	}
	for _, c := range cases {
		code, out := f.post(t, c.body, nil)
		field, _ := out["field"].(string)
		msg, _ := out["message"].(string)
		if code != c.code || field != c.field || !strings.Contains(msg, c.text) {
			t.Errorf("%.60q: %d field=%q msg=%q; want %d field=%q containing %q", c.body, code, field, msg, c.code, c.field, c.text)
		}
	}
	if f.disp.count() != 0 {
		t.Error("a bad request was routed")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, nil)
	get := func(p string) int {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Fatal("before sync: want healthy, not ready")
	}
	f.ready = true
	if get("/readyz") != 200 {
		t.Fatal("after sync: not ready")
	}
	if get("/v1/escalations/x") != 401 {
		t.Fatal("GET without auth allowed")
	}
}

// Stop's final function is the engine's last act: later calls are refused.
func TestLoopStopIsTheLastAct(t *testing.T) {
	f := newFixture(t, nil)
	ran := false
	if err := f.loop.Stop(context.Background(), func(*engine.Engine) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("Stop: %v, final ran %v", err, ran)
	}
	if err := f.loop.Do(context.Background(), func(*engine.Engine) error { t.Error("ran after Stop"); return nil }); !errors.Is(err, ErrStopped) {
		t.Fatalf("Do after Stop: %v, want ErrStopped", err)
	}
	if err := f.loop.Stop(context.Background(), func(*engine.Engine) error { return nil }); !errors.Is(err, ErrStopped) {
		t.Fatalf("second Stop: %v", err)
	}
}
