package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/fakes/genesys/playback"
	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/serve"
	"github.com/shadowq/shadowq/serve/live"
	"github.com/shadowq/shadowq/sim"
)

// dayRun is one played day: the fake playing a scenario on its
// accelerated clock, serve beside it, and the flow between them.
type dayRun struct {
	sc         *scenarios.Scenario
	fake       *genesys.Full
	serveURL   string
	redisURL   string
	prefix     string
	from, to   time.Time // the played day on the fake's clock
	answers    map[string]int
	mu         sync.Mutex
	releasedTo int // conversations released to the fake's ACD
	// flowDelay is, per fallback, the fake-clock time from the flow's
	// Data Action call to the release to the ACD: the path the actual
	// routing pays and a would-be ring does not (a few ms of real time,
	// multiplied by the time scale).
	flowDelay []float64
}

const e2eToken = "observe-e2e-token"

// playDay plays replication 0 of sc (cut to horizon) with serve in mode.
// Each escalation goes to serve's Data Action as the in-queue flow would
// send it; a fallback is released to the fake's ACD (the flow carries on
// to its queue), a hold is asked again until it ends; an escalation
// still unanswered after the scenario's baseline voicemailAfter ends
// unanswered (recorded abandoned). WFM holds the day's calendar meetings.
func playDay(t *testing.T, sc *scenarios.Scenario, mode string, scale float64) *dayRun {
	t.Helper()
	org := playback.Org(sc)
	f, err := genesys.NewFull(genesys.Options{Org: &org, TimeScale: scale}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	// Redis keeps time on the fake's clock, so claim and ownership TTLs
	// run at the played day's speed.
	mr := miniredis.RunT(t)
	stopClock := make(chan struct{})
	go func() {
		last := f.Now()
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(10 * time.Millisecond):
				now := f.Now()
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	t.Cleanup(func() { close(stopClock) })
	r := &dayRun{sc: sc, fake: f, redisURL: "redis://" + mr.Addr(), prefix: "e2e:" + mode + ":", answers: map[string]int{}}

	cfg := &serve.Config{Listen: "127.0.0.1:0", PolicyValue: sc.Policy}
	cfg.Delivery.Mode = mode
	cfg.Resync.Interval = time.Minute
	cfg.Shutdown.Drain = time.Second
	cfg.Redis.Prefix = r.prefix
	cfg.DataAction.TokenEnv = "SHADOWQ_E2E_TOKEN"
	t.Setenv("SHADOWQ_E2E_TOKEN", e2eToken)
	for _, x := range sc.Experts {
		cfg.Experts = append(cfg.Experts, serve.ExpertConfig{ID: playback.UserID(x.ID), Name: string(x.ID), Skills: x.Skills})
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := live.New(ctx, cfg, live.Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret,
		RedisURL: r.redisURL, Clock: f.Now}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.serveURL = "http://" + addr
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(60 * time.Second)
	for !srv.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready: %v", srv.NotReady())
		}
		time.Sleep(20 * time.Millisecond)
	}

	r.from = f.Now()
	plan := sim.MakePlan(sc, 0)
	for _, x := range plan.Experts {
		sh := genesys.ScheduleShift{Start: r.from.Add(x.Shift.Start), Length: x.Shift.End - x.Shift.Start}
		for _, b := range x.Blocks {
			if b.Calendar {
				sh.Activities = append(sh.Activities, genesys.ScheduleActivity{Start: r.from.Add(b.Start), Length: b.End - b.Start,
					ActivityCodeID: genesys.ActivityCodeMeeting, Description: "calendar meeting"})
			}
		}
		f.History().AppendShifts(playback.UserID(x.ID), sh)
	}
	var wg sync.WaitGroup
	voicemail := time.Duration(float64(sc.Baselines[0].VoicemailAfter) / scale)
	st, err := playback.PlayFlow(context.Background(), f.Server, sc, 0, scale, func(id string, e sim.PlannedEscalation) {
		wg.Add(1)
		go func() { defer wg.Done(); r.flow(t, id, e, voicemail) }()
	})
	if err != nil || st.Errors > 0 {
		t.Fatalf("playback: %+v, %v", st, err)
	}
	wg.Wait()
	// Let every conversation still connected end (their handle time), so
	// Genesys' details hold them all.
	for _, c := range f.State().Conversations {
		if c.EndTime == nil {
			f.EndConversation(c.ID)
		}
	}
	r.to = f.Now().Add(time.Minute)
	return r
}

// flow is the in-queue flow for one conversation.
func (r *dayRun) flow(t *testing.T, id string, e sim.PlannedEscalation, voicemail time.Duration) {
	body := fmt.Sprintf(`{"conversationId":%q,"skills":%s,"priority":"P%d"}`, id, jsonList(e.Skills), e.Priority)
	t0 := r.fake.Now()
	action := r.post(t, body)
	deadline := time.Now().Add(2 * time.Minute)
	for (action == "hold" || action == "deliver") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		action = r.post(t, body) // a repeated call answers the current state
	}
	r.mu.Lock()
	r.answers[action]++
	r.mu.Unlock()
	if action == "fallback" {
		if err := r.fake.ReleaseToACD(id); err != nil {
			t.Errorf("release %s: %v", id, err)
		}
		r.mu.Lock()
		r.releasedTo++
		r.flowDelay = append(r.flowDelay, r.fake.Now().Sub(t0).Seconds())
		r.mu.Unlock()
	}
	time.Sleep(voicemail)
	r.fake.AbandonConversation(id) // unanswered by then: voicemail
}

func (r *dayRun) post(t *testing.T, body string) string {
	req, _ := http.NewRequest("POST", r.serveURL+"/v1/escalations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("Data Action: %v", err)
		return "error"
	}
	defer resp.Body.Close()
	var out serve.EscalationResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Errorf("Data Action: %d %v", resp.StatusCode, err)
		return "error"
	}
	return out.Action
}

func jsonList(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// audit runs `shadowq audit` over the played day and reads audit.json.
func (r *dayRun) audit(t *testing.T, extra ...string) (*audit.Report, string, string) {
	t.Helper()
	t.Setenv("GENESYSCLOUD_REGION", r.fake.BaseURL())
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID", genesys.DemoClientID)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", genesys.DemoClientSecret)
	t.Setenv("REDIS_URL", r.redisURL)
	dir := t.TempDir()
	args := append([]string{"audit", "--from", r.from.Format(time.RFC3339Nano), "--to", r.to.Format(time.RFC3339Nano),
		"--out", dir, "--prefix", r.prefix}, extra...)
	code, out, errs := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("audit: exit %d\n%s\n%s", code, out, errs)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep audit.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep, dir, out
}

// precisionRecall of flagged against the scripted cherry-pickers.
func precisionRecall(flagged, scripted []string) (float64, float64) {
	tp := 0
	for _, f := range flagged {
		for _, s := range scripted {
			if f == s {
				tp++
			}
		}
	}
	p, r := 1.0, 1.0
	if len(flagged) > 0 {
		p = float64(tp) / float64(len(flagged))
	}
	if len(scripted) > 0 {
		r = float64(tp) / float64(len(scripted))
	}
	return p, r
}

// The cherry-pickers scenario played for a simulated day on the fake
// while serve runs in observe mode: zero routing calls; the audit over
// Genesys' records flags the scripted cherry-pickers about as well as the
// simulator's own detector, and its counterfactual latency saving agrees
// in sign and order of magnitude with `shadowq sim` on the same scenario.
func TestObserveCherryPickersDayAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a simulated day (about two minutes)")
	}
	sc, err := scenarios.Load("../../scenarios/cherry-pickers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := playDay(t, sc, live.ModeObserve, 300)
	st := r.fake.State()
	if st.RoutingCalls != 0 {
		t.Fatalf("serve in observe mode made %d routing calls", st.RoutingCalls)
	}
	if r.answers["fallback"] == 0 || len(r.answers) != 1 {
		t.Fatalf("Data Action answers %v: want fallback only", r.answers)
	}
	rep, dir, out := r.audit(t)
	t.Logf("%s", out)
	whys := map[string]int{}
	for _, row := range rep.Rows {
		w := row.Why
		if i := strings.IndexAny(w, "0123456789"); i > 0 {
			w = w[:i]
		}
		whys[row.Action+": "+w]++
	}
	t.Logf("would-be decisions: %v", whys)
	checkAuditInBrowser(t, dir, rep)
	checkPublish(t, r, rep)
	md, _ := os.ReadFile(filepath.Join(dir, "audit.md"))
	if os.Getenv("SHADOWQ_AUDIT_MD") != "" {
		os.WriteFile(os.Getenv("SHADOWQ_AUDIT_MD"), md, 0o644)
	}

	var scripted []string
	for _, x := range sc.Experts {
		if x.CherryPicker {
			scripted = append(scripted, playback.UserID(x.ID))
		}
	}
	p, rc := precisionRecall(rep.CherryPick.Flagged, scripted)
	res, _, err := sim.Run(sc, sim.Options{Replications: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("audit flags %d (precision %.2f, recall %.2f); the simulator's detector: precision %.2f, recall %.2f",
		len(rep.CherryPick.Flagged), p, rc, res.CherryPick.Precision, res.CherryPick.Recall)
	if math.Abs(p-res.CherryPick.Precision) > 0.25 || math.Abs(rc-res.CherryPick.Recall) > 0.25 {
		t.Errorf("audit precision/recall %.2f/%.2f vs the simulator's %.2f/%.2f: more than 0.25 apart", p, rc, res.CherryPick.Precision, res.CherryPick.Recall)
	}

	cf := rep.Counterfactual
	if cf == nil || rep.Mode != "observe" || rep.Joined == 0 {
		t.Fatalf("no counterfactual: mode %s, %d joined", rep.Mode, rep.Joined)
	}
	simSaving := simLatencySaving(t, res)
	t.Logf("audit: expected saving %.0f s per escalation (95%% CI %.0f–%.0f, n=%d), sooner %.1f (%.1f–%.1f); sim: shadowq saves %.0f s of mean latency vs today",
		cf.SavingPerEscalation.Mean, cf.SavingPerEscalation.Lo, cf.SavingPerEscalation.Hi, cf.SavingPerEscalation.N,
		cf.SoonerExpected, cf.SoonerLo, cf.SoonerHi, simSaving)
	// The simulator predicts no latency difference when its paired
	// 95% CI lies within ±1 s; the audit must then find no more saving
	// than the harness's own flow delay explains (the Data Action round
	// trip and the release, which the fake ACD's path pays and a would-be
	// ring does not). Otherwise the two must agree in sign and be within
	// a factor of 10.
	delay := reports.Summarize("flow delay", "s", r.flowDelay)
	t.Logf("harness flow delay (fake clock): mean %.1f s over %d fallbacks", delay.Mean, delay.N)
	if lo, hi := simCI(t, res); lo >= -1 && hi <= 1 {
		if got := cf.SavingPerEscalation.Mean; math.Abs(got) > delay.Mean+1 {
			t.Errorf("sim predicts no difference (%.2f..%.2f s); audit saving %.1f s is beyond ±(the harness's flow delay %.1f s + 1 s)", lo, hi, got, delay.Mean)
		}
	} else if a, b := cf.SavingPerEscalation.Mean, simSaving; (a > 0) != (b > 0) || a/b < 0.1 || a/b > 10 {
		t.Errorf("audit saving %.1f s vs sim %.1f s: sign or order of magnitude differ", a, b)
	}
}

// simCI is the paired 95% CI of shadowq − first baseline mean latency.
func simCI(t *testing.T, res *reports.Results) (float64, float64) {
	for _, m := range res.Deltas[0].Metrics {
		if m.Name == reports.MLatencyMean {
			return m.Lo, m.Hi
		}
	}
	t.Fatalf("no %s delta", reports.MLatencyMean)
	return 0, 0
}

// simLatencySaving is the first baseline's mean latency minus
// shadowq's in a sim run (paired by replication), in seconds.
func simLatencySaving(t *testing.T, res *reports.Results) float64 {
	t.Helper()
	for _, m := range res.Deltas[0].Metrics {
		if m.Name == reports.MLatencyMean {
			return -m.Mean
		}
	}
	t.Fatalf("no %s delta in the sim run", reports.MLatencyMean)
	return 0
}

// Assign mode over a played morning: the audit reports what shadowq did,
// and its delivered, accepted, declined and not-answered counts equal the
// fake's delivery log (the /assign deliveries) exactly.
func TestAuditAssignModeMatchesTheFakesDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("plays two simulated hours")
	}
	sc, err := scenarios.Load("../../scenarios/cherry-pickers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc.Run.Horizon = 2 * time.Hour
	pol := *sc.Policy
	// Holds end on the engine's timers, which sleep in real time: on a
	// 300x clock a 5-minute cap would last 5 real minutes. Without
	// micro-wait every escalation is delivered or falls back at once.
	pol.MicroWait.Enabled = false
	sc.Policy = &pol
	r := playDay(t, sc, "assign", 300)
	rep, _, out := r.audit(t)
	t.Logf("%s; Data Action answers %v", strings.TrimSpace(out), r.answers)
	want := map[string]int{}
	for _, d := range r.fake.State().Deliveries {
		if d.Kind == "assign" {
			want["delivered"]++
			want[d.Outcome]++
		}
	}
	d := rep.Deliveries
	if rep.Mode != "assign" || d == nil {
		t.Fatalf("mode %s, deliveries %v", rep.Mode, d)
	}
	got := map[string]int{"delivered": d.Delivered, "accepted": d.Accepted, "declined": d.Declined, "noAnswer": d.NotAnswered}
	t.Logf("audit %v (failed %d, pending %d); the fake's /assign deliveries %v", got, d.Errors, d.Pending, want)
	if want["delivered"] == 0 {
		t.Fatal("no /assign delivery in the played morning")
	}
	for _, k := range []string{"delivered", "accepted", "declined", "noAnswer"} {
		if got[k] != want[k] {
			t.Errorf("%s: audit %d, the fake's delivery log %d", k, got[k], want[k])
		}
	}
}

// checkPublish runs `audit --publish` dry, then with --apply twice: the
// dry run writes nothing; the first apply creates the four definitions
// and writes one value per expert, day and metric; the second changes
// no value (type Total replaces the day's value).
func checkPublish(t *testing.T, r *dayRun, rep *audit.Report) {
	t.Helper()
	_, _, out := r.audit(t, "--publish")
	if !strings.Contains(out, "dry run:") || strings.Count(out, "would create external metric definition") != 4 {
		t.Fatalf("dry run output:\n%s", out)
	}
	if st := r.fake.State(); len(st.ExternalMetricDefinitions) != 0 || len(st.ExternalMetricData) != 0 {
		t.Fatalf("the dry run wrote: %d definitions, %d values", len(st.ExternalMetricDefinitions), len(st.ExternalMetricData))
	}
	t.Logf("audit --publish (dry run), first lines:\n%s", firstLines(out, 8))
	r.audit(t, "--publish", "--apply")
	first := r.fake.State()
	if len(first.ExternalMetricDefinitions) != 4 || len(first.ExternalMetricData) == 0 {
		t.Fatalf("after --apply: %d definitions, %d values", len(first.ExternalMetricDefinitions), len(first.ExternalMetricData))
	}
	_, _, out = r.audit(t, "--publish", "--apply")
	second := r.fake.State()
	if len(second.ExternalMetricDefinitions) != 4 || len(second.ExternalMetricData) != len(first.ExternalMetricData) {
		t.Fatalf("second --apply: %d definitions, %d values (first: %d)", len(second.ExternalMetricDefinitions), len(second.ExternalMetricData), len(first.ExternalMetricData))
	}
	for i, v := range second.ExternalMetricData {
		if v.Value != first.ExternalMetricData[i].Value || v.Writes != 2 {
			t.Fatalf("value %d changed or not rewritten: %+v, first %+v", i, v, first.ExternalMetricData[i])
		}
	}
	t.Logf("the fake stores %d definitions and %d daily values after two publishes; e.g. %+v", len(second.ExternalMetricDefinitions), len(second.ExternalMetricData), second.ExternalMetricData[0])
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// Where shadowq does change latency (tier3-meetings: experts in
// meetings that may be interrupted for P1/P2, an ACD that waits for
// someone On Queue), the audit's counterfactual over a played day in
// observe mode agrees with `shadowq sim` in sign and order of magnitude.
func TestObserveTier3MeetingsAgreesWithSim(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a simulated day")
	}
	sc, err := scenarios.Load("../../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := playDay(t, sc, live.ModeObserve, 300)
	if n := r.fake.State().RoutingCalls; n != 0 {
		t.Fatalf("observe mode made %d routing calls", n)
	}
	rep, _, out := r.audit(t)
	t.Logf("%s", strings.TrimSpace(out))
	res, _, err := sim.Run(sc, sim.Options{Replications: 3})
	if err != nil {
		t.Fatal(err)
	}
	cf := rep.Counterfactual
	simSaving := simLatencySaving(t, res)
	lo, hi := simCI(t, res)
	t.Logf("audit: %d would-be deliveries, %d holds, %d fallbacks; expected saving %.1f s per escalation (95%% CI %.1f–%.1f, n=%d), sooner %.1f (%.1f–%.1f), interruptions %v; sim: today − shadowq mean latency %.1f s (paired CI of the difference %.1f..%.1f)",
		cf.WouldDeliver, cf.WouldHold, cf.WouldFallback, cf.SavingPerEscalation.Mean, cf.SavingPerEscalation.Lo, cf.SavingPerEscalation.Hi, cf.SavingPerEscalation.N,
		cf.SoonerExpected, cf.SoonerLo, cf.SoonerHi, cf.InterruptionsByPresence, simSaving, lo, hi)
	a, b := cf.SavingPerEscalation.Mean, simSaving
	if (a > 0) != (b > 0) || a/b < 0.1 || a/b > 10 {
		t.Errorf("audit saving %.1f s vs sim %.1f s: sign or order of magnitude differ", a, b)
	}
}
