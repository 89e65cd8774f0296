package load

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine/redisstore"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve/live"
)

// A small run end to end: every escalation answered, every routed one in
// the fake's delivery log, and the JSON has exactly the documented fields.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the fake and a replica")
	}
	faults, err := ParseFaults("")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Experts: 60, EventsPerSecond: 200, EscalationsPerSecond: 10,
		Duration: 2 * time.Second, Replicas: 2, Faults: faults, DrainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Escalations
	if e.Sent == 0 || e.Routed+e.Hold+e.Fallback != e.Sent {
		t.Fatalf("escalations %+v do not add up", e)
	}
	if e.Routed == 0 || e.Lost != 0 || e.Delivered < e.Routed {
		t.Fatalf("escalations %+v: want some routed, every routed delivered, none lost", e)
	}
	if res.APICalls["delivery"] < e.Routed || res.APICalls["resync"] == 0 {
		t.Fatalf("API calls %v: want at least one delivery call per routed escalation and some resync", res.APICalls)
	}
	if res.EventsPerSecond <= 0 || res.Staleness.P99Ms < res.Staleness.P50Ms || res.Decision.P50Ms <= 0 {
		t.Fatalf("figures %+v look wrong", res)
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"apiCalls", "decision", "escalations", "eventsPerSecond", "readySeconds", "staleness"}
	if !slices.Equal(keys, want) {
		t.Fatalf("JSON fields %v, want exactly %v", keys, want)
	}
	var esc map[string]int
	if err := json.Unmarshal(m["escalations"], &esc); err != nil || len(esc) != 6 {
		t.Fatalf("escalations %s: want sent, routed, hold, fallback, delivered, lost", m["escalations"])
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("rateLimitShare=0.1, latency=20ms,requestsPerMinute=120")
	if err != nil {
		t.Fatal(err)
	}
	if !f.TokenRateLimit || f.RateLimitShare != 0.1 || f.Latency != 20*time.Millisecond || f.RequestsPerMinute != 120 {
		t.Fatalf("parsed %+v", f)
	}
	if f, _ := ParseFaults("noTokenRateLimit"); f.TokenRateLimit {
		t.Fatal("noTokenRateLimit left the limit on")
	}
	_, err = ParseFaults("rateLimitShare=2,bogus=1,latency")
	for _, want := range []string{`item 1 ("rateLimitShare=2")`, `item 2 ("bogus=1"): unknown fault`, `item 3 ("latency"): want name=value`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	in := `# HELP shadowq_genesys_api_calls_by_class_total x
# TYPE shadowq_genesys_api_calls_by_class_total counter
shadowq_genesys_api_calls_by_class_total{class="delivery",status="202"} 12
shadowq_genesys_api_calls_by_class_total{class="delivery",status="429"} 3
shadowq_genesys_api_calls_by_class_total{class="resync",status="200"} 40
# TYPE shadowq_genesys_budget_wait_seconds histogram
shadowq_genesys_budget_wait_seconds_bucket{class="delivery",le="0.01"} 10
shadowq_genesys_budget_wait_seconds_bucket{class="delivery",le="0.15"} 12
shadowq_genesys_budget_wait_seconds_bucket{class="delivery",le="1"} 14
shadowq_genesys_budget_wait_seconds_bucket{class="delivery",le="+Inf"} 15
shadowq_genesys_budget_wait_seconds_sum{class="delivery"} 3
shadowq_genesys_budget_wait_seconds_count{class="delivery"} 15
# TYPE shadowq_presence_events_total counter
shadowq_presence_events_total 1234
# TYPE other_metric counter
other_metric{class="delivery"} 99
`
	got, err := parseMetrics(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got.calls["delivery"] != 15 || got.calls["resync"] != 40 || len(got.calls) != 2 || got.events != 1234 {
		t.Fatalf("parsed %+v", got)
	}
	if w := waitsOf(got.deliveryWait); w != (BudgetWaits{Requests: 15, Over150ms: 3, Over1s: 1}) {
		t.Fatalf("delivery waits %+v, want 15 requests, 3 over 150 ms, 1 over 1 s", w)
	}
}

func TestThresholds(t *testing.T) {
	r := &Result{ReadySeconds: 12, Staleness: Percentiles{P99Ms: 15}, Decision: Percentiles{P99Ms: 3}, Escalations: Escalations{Lost: 2}}
	got := Thresholds{MaxStalenessP99: 10 * time.Millisecond, MaxDecisionP99: 5 * time.Millisecond, MaxReady: 10 * time.Second, MaxLost: 0}.Check(r)
	if len(got) != 3 {
		t.Fatalf("exceeded %q; want staleness, ready and lost", got)
	}
	if got := (Thresholds{MaxLost: -1}).Check(r); len(got) != 0 {
		t.Fatalf("no thresholds given, yet %q", got)
	}
}

// Escalations beyond the API budget are answered hold (with the time
// until a request slot) or fallback, never routed without a delivery: a
// per-token allowance of 40 requests a minute, 60 escalations in 3 s.
func TestRunOverBudgetNeverLosesARouted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the fake and a replica")
	}
	faults, err := ParseFaults("requestsPerMinute=40")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Experts: 60, EventsPerSecond: 100, EscalationsPerSecond: 20,
		Duration: 3 * time.Second, Faults: faults, DrainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Escalations
	if e.Hold+e.Fallback == 0 || e.Routed == 0 {
		t.Fatalf("escalations %+v: want some routed and, past the budget, some hold or fallback", e)
	}
	if e.Lost != 0 || e.Delivered != e.Routed {
		t.Fatalf("escalations %+v: every routed answer must be delivered", e)
	}
}

// --target: a fake and a serve replica started apart from the run (here
// in this process, but reached only over HTTP: the fake's admin API,
// serve's Data Action API, /readyz and /metrics). Every escalation is
// answered, every routed one delivered per the fake's log, and the
// figures read from serve's metrics are there.
func TestRunTargetSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the fake and a replica")
	}
	org, cfg := buildOrg(60)
	f, err := fake.NewFull(fake.Options{Org: &org, Seed: 1, Faults: fake.Faults{TokenRateLimit: true},
		Answer: fake.AnswerModel{Accept: 1, Delay: 200 * time.Millisecond, HandleTime: 5 * time.Second}}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tokenEnv, apiToken)
	emb, err := redisstore.StartEmbedded(0)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := live.New(ctx, cfg, live.Env{Region: f.BaseURL(), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret,
		RedisURL: "redis://" + emb.Client.Options().Addr}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	res, err := RunTarget(context.Background(), TargetOptions{Targets: []string{"http://" + addr + "/"}, FakeAdmin: f.BaseURL(),
		AdminToken: f.AdminToken(), APIToken: apiToken, EventsPerSecond: 200, EscalationsPerSecond: 5, Duration: 3 * time.Second,
		Warmup: time.Second, DrainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Escalations
	if e.Sent != 15 || e.Routed+e.Hold+e.Fallback != e.Sent || e.Routed == 0 || e.Lost != 0 || e.Delivered < e.Routed {
		t.Fatalf("escalations %+v: want 15 sent, some routed, every routed delivered", e)
	}
	// Presence events only (the generator's changes also publish
	// routing-status events, which the rate must not count); 200 of them
	// in the warm-up, not measured.
	if g := res.Generated; g == nil || g.Generated != 800 || g.Due != 800 {
		t.Fatalf("generated %+v: want 800 of 800 presence changes (1 s warm-up + 3 s)", g)
	}
	if res.EventsPerSecond > 250 { // 200 and the timing of the reads; routing-status events would double it
		t.Fatalf("ingested %.0f events/s of 200 presence changes/s: counts more than presence events", res.EventsPerSecond)
	}
	if res.EventsPerSecond < 100 || res.Staleness.P99Ms <= 0 || res.Staleness.P99Ms < res.Staleness.P50Ms || res.APICalls["delivery"] < e.Routed {
		t.Fatalf("figures from serve's metrics look wrong: %+v", res)
	}
	if s := res.Series; s.Len() != 3 || s.EventsPerSecond[1] <= 0 {
		t.Fatalf("series %+v: want 3 seconds with events", s)
	}
	// Bad options are all reported at once.
	err = TargetOptions{Targets: []string{"localhost:1"}, FakeAdmin: "x", Warmup: -time.Second}.Validate()
	for _, want := range []string{`--target "localhost:1"`, `--fake-admin "x"`, "admin token", "Data Action token", "--warmup -1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to say %q", err, want)
		}
	}
}
