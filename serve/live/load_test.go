package live

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve"
)

// BenchmarkLoad is the production load test: 5,000 experts over 5
// notification channels, the fake pushing ≥ 5,000 presence events/s over
// the WebSocket while escalations arrive at 20/s through the Data Action
// API. It reports staleness (presence change at Genesys → applied to the
// engine) and decision latency (POST /v1/escalations round trip)
// percentiles, and lost escalations. Run it once:
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go test -run=^$ -bench=Load -benchtime=1x ./serve/live/
//
// LOAD_SECONDS sets the duration (default 10).
func BenchmarkLoad(b *testing.B) {
	const experts, skills = 5000, 20
	dur := 10 * time.Second
	if s := os.Getenv("LOAD_SECONDS"); s != "" {
		var n int
		fmt.Sscan(s, &n)
		dur = time.Duration(n) * time.Second
	}
	org := genesys.DemoOrg()
	org.Users, org.Skills = nil, nil
	for k := 0; k < skills; k++ {
		org.Skills = append(org.Skills, genesys.Skill{ID: fmt.Sprintf("5c000000-0000-4000-8000-%012d", k), Name: fmt.Sprintf("skill-%02d", k)})
	}
	cfg := &serve.Config{Listen: "127.0.0.1:0", ReplicaID: "load", PolicyValue: engine.DefaultPolicy()}
	cfg.Delivery.Mode = "assign"
	cfg.Resync.Interval = time.Minute
	cfg.Redis.Prefix = fmt.Sprintf("load:%d:", time.Now().UnixNano())
	cfg.DataAction.TokenEnv = "SHADOWQ_LOAD_TOKEN"
	os.Setenv("SHADOWQ_LOAD_TOKEN", apiTok)
	var members []string
	for i := 0; i < experts; i++ {
		id := fmt.Sprintf("0ad00000-0000-4000-8000-%012d", i)
		u := genesys.User{ID: id, Name: fmt.Sprintf("expert %d", i), PresenceID: genesys.PresenceOnQueue,
			Skills: []genesys.UserSkill{{SkillID: org.Skills[i%skills].ID, Proficiency: 3}, {SkillID: org.Skills[(i*7+3)%skills].ID, Proficiency: 4}}}
		org.Users = append(org.Users, u)
		members = append(members, id)
		cfg.Experts = append(cfg.Experts, serve.ExpertConfig{ID: id, Skills: map[string]int{
			org.Skills[i%skills].Name: 3, org.Skills[(i*7+3)%skills].Name: 4}})
	}
	org.Queues[0].Members = members
	f, err := genesys.NewFull(genesys.Options{Org: &org, Answer: genesys.AnswerModel{Accept: 1, Delay: 2 * time.Second, HandleTime: 30 * time.Second}}, notify.Options{QueueSize: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Start(""); err != nil {
		b.Fatal(err)
	}
	redis := os.Getenv("REDIS_URL")
	if redis == "" {
		b.Log("REDIS_URL not set: using an embedded miniredis (the targets are for real Redis)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := New(ctx, cfg, Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret, RedisURL: redis},
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	var lagMu sync.Mutex
	var lags []time.Duration
	var measuring atomic.Bool
	srv.OnApplied = func(evs []engine.Event, applied time.Time) {
		if !measuring.Load() {
			return
		}
		lagMu.Lock()
		for i := range evs {
			if evs[i].Kind == engine.EvPresence {
				lags = append(lags, applied.Sub(evs[i].At))
			}
		}
		lagMu.Unlock()
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for !srv.Ready() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !srv.Ready() {
		b.Fatal("replica never became ready")
	}
	time.Sleep(time.Second) // let the five channels settle
	b.ResetTimer()
	measuring.Store(true)
	start := time.Now()
	stop := start.Add(dur)

	// Presence: 5,000 changes a second, in 10 ms ticks, cycling users.
	var sent atomic.Int64
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		defs := []string{genesys.PresenceAvailable, genesys.PresenceMeetingInterruptP1, genesys.PresenceOnQueue, genesys.PresenceMeetingDoNotDisturb}
		n := 0
		for tick := time.NewTicker(5 * time.Millisecond); time.Now().Before(stop); <-tick.C {
			// Keep up with 5,200 events/s whatever the ticker's jitter.
			for due := int(5200 * time.Since(start).Seconds()); n < due; n++ {
				u := org.Users[(n*37)%experts].ID
				f.SetPresence(u, defs[n%len(defs)], "")
				sent.Add(1)
			}
		}
	}()
	// Escalations: 20 a second through the Data Action API.
	var decMu sync.Mutex
	var decs []time.Duration
	var posted, answered, lost atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second}
	var ewg sync.WaitGroup
	for i := 0; time.Now().Before(stop); i++ {
		time.Sleep(50 * time.Millisecond)
		skill := org.Skills[i%skills]
		conv, err := f.CreateConversation(genesys.NewConversation{Skills: []string{skill.Name}, Priority: 3})
		if err != nil {
			b.Fatal(err)
		}
		ewg.Add(1)
		posted.Add(1)
		go func() {
			defer ewg.Done()
			body := fmt.Sprintf(`{"conversationId":%q,"skills":[%q],"priority":"P3"}`, conv, skill.Name)
			req, _ := http.NewRequest("POST", "http://"+addr+"/v1/escalations", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+apiTok)
			t0 := time.Now()
			resp, err := client.Do(req)
			el := time.Since(t0)
			if err != nil || resp.StatusCode != 200 {
				lost.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answered.Add(1)
			decMu.Lock()
			decs = append(decs, el)
			decMu.Unlock()
		}()
	}
	ewg.Wait()
	pwg.Wait()
	time.Sleep(500 * time.Millisecond) // let the last events land
	measuring.Store(false)
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done

	pct := func(xs []time.Duration, p float64) float64 {
		if len(xs) == 0 {
			return -1
		}
		slices.Sort(xs)
		return float64(xs[min(len(xs)-1, int(p*float64(len(xs))))].Microseconds()) / 1000
	}
	lagMu.Lock()
	b.ReportMetric(float64(sent.Load())/dur.Seconds(), "presence-events/s")
	_ = elapsed
	b.ReportMetric(float64(len(lags))/float64(sent.Load()), "events-seen-share")
	b.ReportMetric(pct(lags, 0.50), "staleness-p50-ms")
	b.ReportMetric(pct(lags, 0.99), "staleness-p99-ms")
	lagMu.Unlock()
	b.ReportMetric(pct(decs, 0.50), "decision-p50-ms")
	b.ReportMetric(pct(decs, 0.99), "decision-p99-ms")
	b.ReportMetric(float64(posted.Load()), "escalations")
	b.ReportMetric(float64(lost.Load()), "lost")
	if lost.Load() > 0 {
		b.Errorf("%d escalations lost", lost.Load())
	}
}
