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
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve/live"
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
	begin     *atomic.Pointer[time.Time] // the measured phase's start
	mu        sync.Mutex
	lags      perSecond // change at the fake → applied, by second applied
	events    int
}

func (r *replica) onApplied(evs []engine.Event, applied time.Time) {
	if !r.measuring.Load() {
		return
	}
	i := secondOf(*r.begin.Load(), applied)
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range evs {
		if evs[k].Kind == engine.EvPresence {
			r.lags.add(max(i, 0), applied.Sub(evs[k].At))
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
	cfg.Resync.Interval = o.ResyncInterval
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
	var begin atomic.Pointer[time.Time]
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
		r := &replica{srv: srv, measuring: &measuring, begin: &begin}
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

	start0 := time.Now()
	begin.Store(&start0)
	measuring.Store(true)
	end := start0.Add(o.Duration)
	var wg sync.WaitGroup
	wg.Add(1)
	w := localWorld{f}
	go func() {
		defer wg.Done()
		pushPresence(runCtx, w, userIDs(org.Users), o.EventsPerSecond, 1, start0, end)
	}()
	targets := make([]string, len(reps))
	for i, r := range reps {
		targets[i] = "http://" + r.addr
	}
	esc := sendEscalations(runCtx, w, skillNames(org.Skills), targets, apiToken, o.EscalationsPerSecond, start0, end)
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the last events land
	measuring.Store(false)
	elapsed := time.Since(start0)

	res.Escalations = esc.counts()
	if res.Escalations.Delivered, res.Escalations.Lost, err = drain(runCtx, w, esc, o.DrainTimeout); err != nil {
		return nil, err
	}
	res.Decision = percentiles(esc.latencies)
	res.DecisionByAction = esc.byAction()
	var bySecond perSecond
	events := 0
	for _, r := range reps {
		r.mu.Lock()
		bySecond.merge(r.lags)
		events += r.events
		r.mu.Unlock()
	}
	var lags []time.Duration
	for _, xs := range bySecond {
		lags = append(lags, xs...)
	}
	res.Staleness = percentiles(lags)
	esc.mu.Lock()
	res.Series = buildSeries(int(o.Duration/time.Second), len(reps), bySecond, esc.records, start0)
	esc.mu.Unlock()
	res.EventsPerSecond = float64(events) / float64(len(reps)) / elapsed.Seconds()
	targets = targets[:0]
	for _, r := range reps {
		targets = append(targets, "http://"+r.addr)
	}
	m, err := scrapeAll(runCtx, targets)
	if err != nil {
		return nil, err
	}
	res.APICalls = m.calls
	res.DeliveryBudgetWaits = waitsOf(m.deliveryWait)
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

// pushPresence changes presences at rate per second between begin and end,
// cycling through the users and four definitions (two routable, two not),
// with workers requests at a time (1: in this goroutine).
func pushPresence(ctx context.Context, w world, users []string, rate float64, workers int, begin, end time.Time) {
	defs := []string{fake.PresenceAvailable, fake.PresenceMeetingInterruptP1, fake.PresenceOnQueue, fake.PresenceMeetingDoNotDisturb}
	type change struct{ user, def string }
	set := func(c change) { _ = w.SetPresence(ctx, c.user, c.def) }
	var jobs chan change
	var wg sync.WaitGroup
	if workers > 1 {
		jobs = make(chan change, workers*4)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range jobs {
					set(c)
				}
			}()
		}
		defer wg.Wait()
		defer close(jobs)
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		for due := int(rate * time.Since(begin).Seconds()); n < due; n++ {
			c := change{users[(n*37)%len(users)], defs[n%len(defs)]}
			if jobs == nil {
				set(c)
				continue
			}
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
		}
		<-tick.C
	}
}

func userIDs(us []fake.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func skillNames(sk []fake.Skill) []string {
	out := make([]string, len(sk))
	for i, s := range sk {
		out[i] = s.Name
	}
	return out
}
