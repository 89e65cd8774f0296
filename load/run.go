package load

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/redisstore"
	"github.com/shadowq/shadowq/engine/serve"
	"github.com/shadowq/shadowq/engine/serve/live"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
)

// tokenEnv carries the Data Action bearer token to the replicas (serve
// reads secrets from the environment only).
const (
	tokenEnv = "SHADOWQ_LOAD_API_TOKEN"
	apiToken = "shadowq-load-token"
	skills   = 20
)

// replica is one serve replica and what the run measures on it.
type replica struct {
	srv  *live.Server
	addr string
	done chan struct{}

	measuring *atomic.Bool
	mu        sync.Mutex
	lags      []time.Duration
	events    int
}

func (r *replica) onApplied(evs []engine.Event, applied time.Time) {
	if !r.measuring.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range evs {
		if evs[i].Kind == engine.EvPresence {
			r.lags = append(r.lags, applied.Sub(evs[i].At))
			r.events++
		}
	}
}

// Run performs one load run: the fake, the replicas, the ready wait, the
// measured phase and the drain. It returns an error when the run could
// not be made (setup, readiness timeout), not when figures are bad.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	org, cfg := buildOrg(o.Experts)
	f, err := fake.NewFull(fake.Options{Org: &org, Seed: o.Seed, Faults: o.Faults,
		Answer: fake.AnswerModel{Accept: 1, Delay: 2 * time.Second, HandleTime: 30 * time.Second}},
		notify.Options{QueueSize: 1 << 16})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	redisURL := o.RedisURL
	if redisURL == "" {
		emb, err := redisstore.StartEmbedded(0)
		if err != nil {
			return nil, err
		}
		defer emb.Close()
		redisURL = "redis://" + emb.Client.Options().Addr
	}
	if err := os.Setenv(tokenEnv, apiToken); err != nil {
		return nil, err
	}
	cfg.Redis.Prefix = fmt.Sprintf("shadowq-load:%d:", time.Now().UnixNano())
	// The replicas' budget is the fake's per-token limit, as a deployment
	// would be configured for its org.
	env := live.Env{Region: f.BaseURL(), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret, RedisURL: redisURL,
		RequestsPerMinute: o.Faults.RequestsPerMinute}
	for range o.OAuthClients - 1 {
		env.MoreClients = append(env.MoreClients, live.OAuthCredentials{ID: fake.DemoClientID, Secret: fake.DemoClientSecret})
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var measuring atomic.Bool
	reps := make([]*replica, o.Replicas)
	defer func() {
		stop()
		for _, r := range reps {
			if r != nil && r.done != nil {
				<-r.done
			}
		}
	}()
	start := time.Now()
	for i := range reps {
		c := *cfg
		c.ReplicaID = fmt.Sprintf("load-%d", i)
		srv, err := live.New(runCtx, &c, env, o.Log)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		r := &replica{srv: srv, measuring: &measuring}
		srv.OnApplied = r.onApplied
		if r.addr, err = srv.Listen("127.0.0.1:0"); err != nil {
			return nil, err
		}
		r.done = make(chan struct{})
		go func() { defer close(r.done); _ = srv.Run(runCtx) }()
		reps[i] = r
	}
	if err := waitReady(runCtx, reps, o.ReadyTimeout); err != nil {
		return nil, err
	}
	res := &Result{ReadySeconds: time.Since(start).Seconds()}
	o.Log.Info("replicas ready", "seconds", res.ReadySeconds)

	measuring.Store(true)
	begin := time.Now()
	end := begin.Add(o.Duration)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); pushPresence(runCtx, f, org.Users, o.EventsPerSecond, begin, end) }()
	esc := sendEscalations(runCtx, f, org.Skills, reps, o.EscalationsPerSecond, begin, end)
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the last events land
	measuring.Store(false)
	elapsed := time.Since(begin)

	res.Escalations = esc.counts()
	res.Escalations.Delivered, res.Escalations.Lost = drain(runCtx, f, esc, o.DrainTimeout)
	res.Decision = percentiles(esc.latencies)
	var lags []time.Duration
	events := 0
	for _, r := range reps {
		r.mu.Lock()
		lags = append(lags, r.lags...)
		events += r.events
		r.mu.Unlock()
	}
	res.Staleness = percentiles(lags)
	res.EventsPerSecond = float64(events) / float64(len(reps)) / elapsed.Seconds()
	res.APICalls = map[string]int{}
	for _, r := range reps {
		calls, err := scrapeAPICalls(runCtx, "http://"+r.addr+"/metrics")
		if err != nil {
			return nil, fmt.Errorf("reading %s/metrics: %w", r.addr, err)
		}
		for c, n := range calls {
			res.APICalls[c] += n
		}
	}
	return res, nil
}

func waitReady(ctx context.Context, reps []*replica, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ready := 0
		var why error
		for _, r := range reps {
			if err := r.srv.NotReady(); err != nil {
				why = err
			} else {
				ready++
			}
		}
		if ready == len(reps) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d replicas ready after %v: %w", ready, len(reps), timeout, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// buildOrg is an org of n experts over 20 skills, all On Queue, in the
// first queue, and the serve configuration that knows them.
func buildOrg(n int) (fake.Org, *serve.Config) {
	org := fake.DemoOrg()
	org.Users, org.Skills = nil, nil
	for k := range skills {
		org.Skills = append(org.Skills, fake.Skill{ID: fmt.Sprintf("5c000000-0000-4000-8000-%012d", k), Name: fmt.Sprintf("skill-%02d", k)})
	}
	cfg := &serve.Config{Listen: "127.0.0.1:0", PolicyValue: engine.DefaultPolicy()}
	cfg.Delivery.Mode = "assign"
	cfg.Resync.Interval = time.Minute
	cfg.DataAction.TokenEnv = tokenEnv
	members := make([]string, 0, n)
	for i := range n {
		id := fmt.Sprintf("0ad00000-0000-4000-8000-%012d", i)
		a, b := org.Skills[i%skills], org.Skills[(i*7+3)%skills]
		org.Users = append(org.Users, fake.User{ID: id, Name: fmt.Sprintf("expert %d", i), PresenceID: fake.PresenceOnQueue,
			Skills: []fake.UserSkill{{SkillID: a.ID, Proficiency: 3}, {SkillID: b.ID, Proficiency: 4}}})
		members = append(members, id)
		cfg.Experts = append(cfg.Experts, serve.ExpertConfig{ID: id, Skills: map[string]int{a.Name: 3, b.Name: 4}})
	}
	org.Queues[0].Members = members
	return org, cfg
}

// pushPresence changes presences at rate per second between begin and end,
// cycling through the users and four definitions (two routable, two not).
func pushPresence(ctx context.Context, f *fake.Full, users []fake.User, rate float64, begin, end time.Time) {
	defs := []string{fake.PresenceAvailable, fake.PresenceMeetingInterruptP1, fake.PresenceOnQueue, fake.PresenceMeetingDoNotDisturb}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		for due := int(rate * time.Since(begin).Seconds()); n < due; n++ {
			_ = f.SetPresence(users[(n*37)%len(users)].ID, defs[n%len(defs)], "")
		}
		<-tick.C
	}
}
