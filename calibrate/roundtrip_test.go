package calibrate_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shadowq/shadowq/calibrate"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/playback"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// read serves days of the scenario's history from the fake and reads it
// back through the live adapter.
func read(t *testing.T, sc *scenarios.Scenario, days int, opts fake.Options, tweak func(*fake.History)) *calibrate.Data {
	t.Helper()
	d, err := readQuery(t, sc, days, opts, tweak, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// historyEnd is where the recorded history ends: a fixed day, so that the
// history, and the statistical comparisons made on what is calibrated from
// it, are the same whatever day the tests run (with the end at today's
// midnight, TestRoundTripSimWeek's sample changed daily and on some days
// its latency intervals did not overlap).
var historyEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// readQuery is read with the query adjusted by q, returning the error.
func readQuery(t *testing.T, sc *scenarios.Scenario, days int, opts fake.Options, tweak func(*fake.History), q func(*genesys.CalibrationQuery)) (*calibrate.Data, error) {
	t.Helper()
	end := historyEnd
	h := fake.NewHistory()
	if _, err := playback.History(h, sc, days, end); err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(h)
	}
	org := playback.Org(sc)
	opts.Org, opts.History = &org, h
	srv, err := fake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(base), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := genesys.NewClient(genesys.Options{API: base, Tokens: tm, Budget: genesys.NewBudget(100000, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	query := genesys.CalibrationQuery{From: end.AddDate(0, 0, -days), To: end}
	if q != nil {
		q(&query)
	}
	return c.CalibrationData(context.Background(), query)
}

func load(t *testing.T) *scenarios.Scenario {
	sc, err := scenarios.Load("../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// calibrate(fake history of tier3) recovers tier3's parameters within
// their sampling error: arrival rates per hour and the handle-time mean
// within 4 standard errors; the fixed stand-ups and lunches exactly; the
// written scenario loads. Meeting lengths are compared with a 10%
// tolerance: random meetings that do not fit the day are not placed, so
// long ones are under-represented in what the org's history shows (the
// fitted median is the history's, not the generator's).
func TestRoundTripTier3(t *testing.T) {
	sc := load(t)
	const days = 7
	d := read(t, sc, days, fake.Options{}, nil)
	m, err := calibrate.Calibrate(d, calibrate.Options{Name: "rt", Priorities: map[string]float64{"P3": 1}})
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range []float64{25, 45, 45, 45, 30, 45, 45, 45} {
		got := m.Rates[h]
		se := math.Sqrt(want*days) / days
		if math.Abs(got-want) > 4*se {
			t.Errorf("hour %d: %.2f arrivals/h, scenario %.0f (s.e. %.2f)", h, got, want, se)
		}
	}
	wantMean := (10 * time.Minute).Seconds() * math.Exp(0.5*0.5/2)
	sd := wantMean * math.Sqrt(math.Exp(0.25)-1)
	if se := sd / math.Sqrt(float64(m.Handle.N)); math.Abs(m.Handle.Mean-wantMean) > 4*se {
		t.Errorf("handle mean %.0fs, scenario %.0fs (s.e. %.1fs)", m.Handle.Mean, wantMean, se)
	}
	if m.ACW.Kind != "fixed" || math.Abs(m.ACW.Mean-120) > 0.5 {
		t.Errorf("after-call work %s %.1fs, scenario fixed 2m", m.ACW.Kind, m.ACW.Mean)
	}
	// The fake schedules every calendar meeting: WFM and presence agree
	// (within rounding: they differ by the meetings churn or hides moved).
	var sched, pres float64
	if _, err := fmt.Sscanf(m.WFM, "WFM scheduled %f activities per expert-day; presence showed %f", &sched, &pres); err != nil || math.Abs(sched/pres-1) > 0.05 {
		t.Errorf("WFM cross-check %q (%v)", m.WFM, err)
	}
	y := m.YAML()
	for _, want := range []string{"{start: 1h, length: 30m, presence: in-a-meeting-do-not-disturb}", "{start: 4h, length: 45m, presence: meal}",
		"workPresence: on-queue", "alertTimeout: 20s",
		"{name: available-on-queue, onQueue: [available, on-queue], select: best-skill, voicemailAfter: 10m}"} {
		if !strings.Contains(y, want) {
			t.Errorf("scenario lacks %q", want)
		}
	}
	for _, g := range m.Groups {
		if g.MeetLen == nil || math.Abs(g.MeetLen.Median/2700-1) > 0.10 {
			t.Errorf("group %s: meeting median %v, scenario 45m", g.Name, g.MeetLen)
		}
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "cal.yaml")
	if err := os.WriteFile(out, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := scenarios.Load(out)
	if err != nil {
		t.Fatalf("calibrated scenario does not load: %v\n%s", err, y)
	}
	if len(s2.Experts) != len(sc.Experts) {
		t.Errorf("%d experts, scenario %d", len(s2.Experts), len(sc.Experts))
	}
	if err := m.WriteReport(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "calibration.html"))
	if !strings.Contains(string(b), "data:image/png;base64,") || !strings.Contains(string(b), "handle time") {
		t.Error("calibration.html has no plots")
	}
}

// Odd data: no WFM licence (403), a presence GUID no longer defined, a
// user without skills each give a warning and a scenario that loads; no
// traffic stops with a clear message.
func TestOddData(t *testing.T) {
	sc := load(t)
	gone := "0dead000-0000-4000-8000-000000000000"
	var victim string
	d := read(t, sc, 2, fake.Options{NoWFM: true}, func(h *fake.History) {
		victim = playback.UserID(sc.Experts[0].ID)
		t0 := historyEnd.AddDate(0, 0, -1).Add(9 * time.Hour)
		h.AppendPresence(victim, fake.PresenceSegment{Start: t0.Add(2 * time.Minute), End: t0.Add(3 * time.Minute), SystemPresence: "AWAY", OrganizationPresenceID: gone})
	})
	if d.Schedules != nil || !strings.Contains(d.ScheduleNote, "403") {
		t.Errorf("WFM note %q", d.ScheduleNote)
	}
	d.Users[0].Skills = nil
	m, err := calibrate.Calibrate(d, calibrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(m.Warnings, "\n")
	for _, want := range []string{gone + " (AWAY) appears in user history but is no longer defined", "has no routing skills"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	out := filepath.Join(t.TempDir(), "cal.yaml")
	if err := os.WriteFile(out, []byte(m.YAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scenarios.Load(out); err != nil {
		t.Fatalf("scenario with odd data does not load: %v", err)
	}
	empty := *d
	empty.Conversations = nil
	if _, err := calibrate.Calibrate(&empty, calibrate.Options{}); err == nil || !strings.Contains(err.Error(), "no conversations") {
		t.Errorf("no traffic: %v", err)
	}
	nobody := *d
	nobody.Presence = nil
	if _, err := calibrate.Calibrate(&nobody, calibrate.Options{}); err == nil || !strings.Contains(err.Error(), "no experts to model") {
		t.Errorf("no presence: %v", err)
	}
}

// `shadowq sim` of the calibrated scenario reproduces the original's
// headline metrics for the ACD as it is and for shadowq: utilization,
// latency p95, service level and abandonment, each pair of 95% CIs
// overlapping (30 replications each; the original's priority mix is
// given, as conversation details carry none). The meetings are refined by
// simulation first (Refine): without it the calibrated org has fewer
// meetings than the original and its ACD answers better.
func TestRoundTripSimTier3(t *testing.T) {
	sc := load(t)
	d := read(t, sc, 14, fake.Options{}, nil)
	abs, err := filepath.Abs("../scenarios/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := calibrate.Calibrate(d, calibrate.Options{Name: "rt", Policy: abs,
		Priorities: map[string]float64{"P1": 0.05, "P2": 0.15, "P3": 0.4, "P4": 0.3, "P5": 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refine(4); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cal.yaml")
	if err := os.WriteFile(out, []byte(m.YAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	cal, err := scenarios.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	orig, _, err := sim.Run(sc, sim.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := sim.Run(cal, sim.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	metric := func(r *reports.Results, policy, name string) reports.Metric {
		for _, p := range r.Policies {
			if p.Name == policy {
				for _, x := range p.Metrics {
					if x.Name == name {
						return x
					}
				}
			}
		}
		t.Fatalf("no %s %s", policy, name)
		return reports.Metric{}
	}
	for _, policy := range []string{"today", reports.Shadowq} {
		for _, name := range []string{reports.MUtilization, reports.MLatencyP95, reports.MServiceLevel, reports.MAbandonment} {
			a, b := metric(orig, policy, name), metric(got, policy, name)
			if a.Hi < b.Lo || b.Hi < a.Lo {
				t.Errorf("%s %s: original %.4g [%.4g, %.4g], calibrated %.4g [%.4g, %.4g]", policy, name, a.Mean, a.Lo, a.Hi, b.Mean, b.Lo, b.Hi)
			}
		}
	}
}

// An org whose details jobs API answers 404 is read through the
// synchronous query instead, with the same result; so is NoJobs.
func TestJobsFallback(t *testing.T) {
	sc := load(t)
	end := historyEnd
	h := fake.NewHistory()
	if _, err := playback.History(h, sc, 2, end); err != nil {
		t.Fatal(err)
	}
	org := playback.Org(sc)
	srv, err := fake.New(fake.Options{Org: &org, History: h})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var jobCalls atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/details/jobs") {
			jobCalls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"not here","code":"not.found","status":404}`))
			return
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()
	tm, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(hs.URL), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := genesys.NewClient(genesys.Options{API: hs.URL, Tokens: tm})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	d, err := c.CalibrationData(context.Background(), genesys.CalibrationQuery{From: end.AddDate(0, 0, -2), To: end,
		Progress: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	convs, _, _ := h.Snapshot()
	if len(d.Conversations) != len(convs) || jobCalls.Load() != 1 {
		t.Fatalf("%d conversations read, %d stored; %d job calls", len(d.Conversations), len(convs), jobCalls.Load())
	}
	if !strings.Contains(strings.Join(notes, "\n"), "details jobs not available (404 not.found)") {
		t.Errorf("no fallback note in %q", notes)
	}
}

// The multi-day round trip: 28 days of tier3-week.yaml's history
// (weekdays, a Saturday rota, Sunday closed, Europe/Berlin) calibrated as
// a multi-day world: arrivals per weekday within 4 standard errors of the
// scenario's perHour × byDay × Σ byHour (Sunday none), the Saturday rota
// found as its own group with its own hours, and `shadowq sim` of both
// agreeing on the headline metrics (95% CIs overlap; 4 replications of 28
// days each).
func TestRoundTripSimWeek(t *testing.T) {
	sc, err := scenarios.Load("../scenarios/tier3-week.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := read(t, sc, 28, fake.Options{}, nil)
	loc := sc.Week.Location
	abs, err := filepath.Abs("../scenarios/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := calibrate.Calibrate(d, calibrate.Options{Name: "week", Policy: abs, Week: true, Location: loc,
		Priorities: map[string]float64{"P1": 0.05, "P2": 0.15, "P3": 0.4, "P4": 0.3, "P5": 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	hours := 0.6 + 1.1 + 1.15 + 1.1 + 0.75 + 1.0 + 1.1 + 1.0 + 0.8
	for wd, f := range [7]float64{0, 1.35, 1, 1, 1, 0.8, 0.25} {
		want := 40 * f * hours
		se := math.Sqrt(want*float64(m.DayN[wd])) / float64(max(1, m.DayN[wd]))
		if got := m.ByDay[wd]; math.Abs(got-want) > 4*se+0.01 {
			t.Errorf("%v: %.1f arrivals a day, scenario %.1f (s.e. %.1f)", time.Weekday(wd), got, want, se)
		}
	}
	if _, err := m.Refine(4); err != nil {
		t.Fatal(err)
	}
	y := m.YAML()
	if !strings.Contains(y, "sat: 08:00-13:00") || !strings.Contains(y, "timeZone: Europe/Berlin") {
		t.Errorf("no Saturday rota or time zone in:\n%.3000s", y)
	}
	out := filepath.Join(t.TempDir(), "cal.yaml")
	if err := os.WriteFile(out, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	cal, err := scenarios.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	opt := sim.Options{Workers: 2, Replications: 4}
	orig, _, err := sim.Run(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := sim.Run(cal, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{"today", reports.Shadowq} {
		for _, name := range []string{reports.MUtilization, reports.MLatencyP95, reports.MServiceLevel, reports.MAbandonment} {
			a, b := metricOf(t, orig, policy, name), metricOf(t, got, policy, name)
			if a.Hi < b.Lo || b.Hi < a.Lo {
				t.Errorf("%s %s: original %.4g [%.4g, %.4g], calibrated %.4g [%.4g, %.4g]", policy, name, a.Mean, a.Lo, a.Hi, b.Mean, b.Lo, b.Hi)
			}
		}
	}
}

func metricOf(t *testing.T, r *reports.Results, policy, name string) reports.Metric {
	t.Helper()
	for _, p := range r.Policies {
		if p.Name == policy {
			for _, x := range p.Metrics {
				if x.Name == name {
					return x
				}
			}
		}
	}
	t.Fatalf("no %s %s", policy, name)
	return reports.Metric{}
}

// 429s (with Retry-After) and 503s on a share of calls and in bursts do
// not change what is read: every call is retried by the live adapter.
func TestReadThroughFaults(t *testing.T) {
	sc := load(t)
	clean := read(t, sc, 2, fake.Options{}, nil)
	faulty := read(t, sc, 2, fake.Options{Faults: fake.Faults{RateLimitShare: 0.05, ServerErrorShare: 0.05, RateLimitBurst: 2, ServerErrorBurst: 2}}, nil)
	if len(faulty.Conversations) != len(clean.Conversations) || len(faulty.Users) != len(clean.Users) || len(faulty.Presence) != len(clean.Presence) {
		t.Fatalf("with faults: %d conversations, %d users, %d with presence; without: %d, %d, %d",
			len(faulty.Conversations), len(faulty.Users), len(faulty.Presence), len(clean.Conversations), len(clean.Users), len(clean.Presence))
	}
	for i := range clean.Conversations {
		if faulty.Conversations[i].ID != clean.Conversations[i].ID || faulty.Conversations[i].Wait != clean.Conversations[i].Wait {
			t.Fatalf("conversation %d differs", i)
		}
	}
}

// --queue takes a name or an id: a name is resolved with GET
// /api/v2/routing/queues?name=; an unknown name stops with the names the
// org has.
func TestQueueByName(t *testing.T) {
	sc := load(t)
	all := read(t, sc, 1, fake.Options{}, nil)
	byName, err := readQuery(t, sc, 1, fake.Options{}, nil, func(q *genesys.CalibrationQuery) { q.Queues = []string{"tier 3 escalations"} })
	if err != nil {
		t.Fatal(err)
	}
	if len(byName.Conversations) != len(all.Conversations) || len(byName.Users) != len(all.Users) || byName.Queues[0] != playback.QueueID {
		t.Fatalf("by name: %d conversations, %d users, queues %v; all: %d, %d", len(byName.Conversations), len(byName.Users), byName.Queues,
			len(all.Conversations), len(all.Users))
	}
	_, err = readQuery(t, sc, 1, fake.Options{}, nil, func(q *genesys.CalibrationQuery) { q.Queues = []string{"Tier 2"} })
	if err == nil || !strings.Contains(err.Error(), `no queue is named "Tier 2"`) {
		t.Fatalf("unknown queue: %v", err)
	}
}
