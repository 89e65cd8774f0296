// Package live wires shadowq's production runtime: the engine on its loop
// (serve), fed by the Genesys Notification feed and bulk resync,
// delivering through the Platform API (genesys), sharing presence,
// claims, conversation ownership and the decision log with other replicas
// through Redis (engine/redisstore; an embedded miniredis without
// REDIS_URL), and serving the Data Action API with health and metrics.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/redisstore"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/serve"
)

// historyMinSamples is how many closed segments a presence definition needs
// before its history replaces the default duration model.
const historyMinSamples = 20

// Env is what production reads from the environment.
type Env struct {
	Region       string // GENESYSCLOUD_REGION: a region code, a domain or a base URL
	ClientID     string // GENESYSCLOUD_OAUTHCLIENT_ID
	ClientSecret string // GENESYSCLOUD_OAUTHCLIENT_SECRET
	RedisURL     string // REDIS_URL (overrides the config's redis.url)
	// MoreClients are further OAuth clients (GENESYSCLOUD_OAUTHCLIENT_ID_2
	// and _SECRET_2, up to _9): Genesys limits requests per token, so each
	// adds 300 requests a minute to the budget.
	MoreClients []OAuthCredentials
	// RequestsPerMinute is each OAuth client's allowance
	// (GENESYSCLOUD_REQUESTS_PER_MINUTE; default 300, token.rate.per.minute;
	// orgs can differ).
	RequestsPerMinute int
	// Clock is the engine's clock; nil is time.Now. Not from the
	// environment: tests that play a day on the fake's accelerated clock
	// set it to the fake's, so decisions and Genesys' records share a
	// timeline (the loop's timers still sleep in real time).
	Clock func() time.Time
}

// OAuthCredentials is one OAuth client's id and secret.
type OAuthCredentials struct{ ID, Secret string }

// EnvFromOS reads Env from the process environment.
func EnvFromOS() Env {
	e := Env{Region: os.Getenv("GENESYSCLOUD_REGION"), ClientID: os.Getenv("GENESYSCLOUD_OAUTHCLIENT_ID"),
		ClientSecret: os.Getenv("GENESYSCLOUD_OAUTHCLIENT_SECRET"), RedisURL: os.Getenv("REDIS_URL")}
	e.RequestsPerMinute, _ = strconv.Atoi(os.Getenv("GENESYSCLOUD_REQUESTS_PER_MINUTE"))
	for i := 2; i <= 9; i++ {
		id, secret := os.Getenv("GENESYSCLOUD_OAUTHCLIENT_ID_"+strconv.Itoa(i)), os.Getenv("GENESYSCLOUD_OAUTHCLIENT_SECRET_"+strconv.Itoa(i))
		if id != "" || secret != "" {
			e.MoreClients = append(e.MoreClients, OAuthCredentials{ID: id, Secret: secret})
		}
	}
	return e
}

// Server is one running replica.
type Server struct {
	cfg      *serve.Config
	log      *slog.Logger
	eng      *engine.Engine
	loop     *serve.Loop
	store    engine.Store
	rstore   *redisstore.Store
	owned    *ownedStore
	wb       *writeBehind
	embedded *redisstore.Embedded
	rclient  redis.UniversalClient
	client   *genesys.Client
	feed     *genesys.Feed
	resync   *genesys.Resyncer
	disp     *genesys.Dispatcher
	metrics  *serve.Metrics
	ops      *opsMetrics
	replica  string
	reg      *prometheus.Registry
	http     *http.Server
	ln       net.Listener
	health   health
	pool     []engine.ExpertID
	defs     atomic.Pointer[[]Coverage]
	clock    func() time.Time // the engine's (Env.Clock)

	// OnApplied, if set before Run, sees every batch of feed events right
	// after the engine applied it (load tests measure staleness with it).
	OnApplied func(evs []engine.Event, applied time.Time)
}

// New builds a replica: credentials, pool, store, engine, adapters. It
// reads the pool (queue members) and loads the shared state from the
// store, but starts nothing; Run does.
func New(ctx context.Context, cfg *serve.Config, env Env, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	auth, err := cfg.Secrets()
	if err != nil {
		return nil, err
	}
	if env.Region == "" || env.ClientID == "" || env.ClientSecret == "" {
		return nil, errors.New("set GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET")
	}
	// The Redis URL is checked before anything touches the network; its
	// errors never show the password.
	url := env.RedisURL
	if url == "" {
		url = cfg.Redis.URL
	}
	var ropt *redis.Options
	if url != "" {
		if ropt, err = redisstore.ParseURL(url); err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	api, err := genesys.BaseURL(env.Region)
	if err != nil {
		return nil, fmt.Errorf("GENESYSCLOUD_REGION: %w", err)
	}
	s := &Server{cfg: cfg, log: log, reg: prometheus.NewRegistry()}
	s.metrics = serve.NewMetrics(s.reg)
	s.ops = newOpsMetrics(s.reg, &s.health, time.Now())
	s.reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	tm, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(api), ClientID: env.ClientID, ClientSecret: env.ClientSecret, Logger: log})
	if err != nil {
		return nil, err
	}
	budget := func() *genesys.Budget {
		if env.RequestsPerMinute > 0 {
			return genesys.NewBudget(env.RequestsPerMinute, time.Minute)
		}
		return genesys.DefaultBudget()
	}
	copts := genesys.Options{API: api, Tokens: tm, Budget: budget(), Metrics: metricsAdapter{s.metrics, &s.health, newBudgetMetrics(s.reg), s.ops}, Logger: log}
	for i, mc := range env.MoreClients {
		if mc.ID == "" || mc.Secret == "" {
			return nil, fmt.Errorf("GENESYSCLOUD_OAUTHCLIENT_ID_%d and _SECRET_%d must both be set", i+2, i+2)
		}
		more, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(api), ClientID: mc.ID, ClientSecret: mc.Secret, Logger: log})
		if err != nil {
			return nil, err
		}
		copts.MoreClients = append(copts.MoreClients, genesys.OAuthClient{Tokens: more, Budget: budget()})
	}
	s.client, err = genesys.NewClient(copts)
	if err != nil {
		return nil, err
	}
	registerBudgetLeft(s.reg, s.client)
	if err := s.loadDefinitions(ctx); err != nil {
		return nil, fmt.Errorf("presence definitions: %w", err)
	}
	experts := cfg.EngineExperts()
	if cfg.QueueID != "" {
		members, err := s.client.QueueMembers(ctx, cfg.QueueID)
		if err != nil {
			return nil, fmt.Errorf("queue %s members: %w", cfg.QueueID, err)
		}
		have := map[engine.ExpertID]bool{}
		for _, x := range experts {
			have[x.ID] = true
		}
		for _, m := range members {
			if !have[m.ID] {
				experts = append(experts, engine.Expert{ID: m.ID, Name: m.Name})
			}
		}
	}
	for _, x := range experts {
		s.pool = append(s.pool, x.ID)
	}
	// Store: shared Redis, or an embedded one for a single instance.
	if ropt != nil {
		s.rclient = redis.NewClient(ropt)
		if err := s.rclient.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("redis %s: %w", ropt.Addr, err)
		}
	} else {
		if s.embedded, err = redisstore.StartEmbedded(0); err != nil {
			return nil, err
		}
		s.rclient = s.embedded.Client
		log.Info("no REDIS_URL: single instance on an embedded miniredis")
	}
	var ropts []redisstore.Option
	if cfg.Delivery.Mode == ModeObserve {
		// An observation period is two weeks: keep its decisions for
		// `shadowq audit --since 14d` with room to spare.
		ropts = append(ropts, redisstore.WithDecisionRetention(ObserveRetention))
	}
	s.rstore = redisstore.New(s.rclient, cfg.Redis.Prefix, ropts...)
	s.wb = newWriteBehind(s.rstore, func(err error) {
		s.ops.redisErrors.WithLabelValues("write").Inc()
		log.Error("presence write-behind", "err", err)
	})
	s.owned = newOwnedStore(s.wb, s.rstore, func(err error) { log.Warn("in-flight registry", "err", err) })
	s.store = s.owned
	observe := cfg.Delivery.Mode == ModeObserve
	om := newObserveMetrics(s.reg, observe)
	modeName := cfg.Delivery.Mode
	if observe {
		modeName = "" // never used: observeClient refuses every delivery
	}
	mode, err := genesys.ParseMode(modeName)
	if err != nil {
		return nil, err
	}
	making := newMakingClient(s.client)
	var deliverer genesys.Deliverer = making
	if observe {
		deliverer = observeClient{}
		announceObserve(log)
	}
	making.assigned = func(d engine.Delivery) {
		if err := s.loop.Do(context.Background(), func(e *engine.Engine) error { e.NoteAssigned(d.Holder); return nil }); err != nil {
			log.Warn("assign accepted, engine not told", "conversationId", d.ConversationID, "err", err)
		}
	}
	s.disp, err = genesys.NewDispatcher(genesys.DispatcherOptions{Client: deliverer, Slots: s.client, Mode: mode, Logger: log,
		OnOutcome: func(o engine.Outcome) {
			s.ops.outcome(o)
			if err := s.loop.HandleOutcome(context.Background(), o); err != nil {
				log.Error("delivery outcome", "conversationId", o.ConversationID, "err", err)
			}
		}})
	if err != nil {
		return nil, err
	}
	replica := cfg.ReplicaID
	if replica == "" {
		host, _ := os.Hostname()
		replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	s.replica = replica
	// The micro-wait predictor starts with the defaults; learnHistory
	// swaps in one trained on presence history once the service is ready.
	clock := env.Clock
	if clock == nil {
		clock = time.Now
	}
	s.clock = clock
	now := clock()
	s.eng, err = engine.New(engine.Config{Clock: engine.ClockFunc(clock), Store: s.store, Dispatcher: s.disp,
		Predictor: engine.DefaultPredictor(), Policy: cfg.PolicyValue, Experts: experts, ReplicaID: replica, Observe: observe,
		OnDecision: func(d *engine.Decision) {
			if d.Observed {
				om.observed.WithLabelValues(d.Action.String()).Inc()
				if !d.Action.Terminal() {
					return // a would-be decision, not acted on
				}
			}
			s.metrics.Decisions.WithLabelValues(d.Action.String()).Inc()
			s.ops.decision(s.eng, d)
		}})
	if err != nil {
		return nil, err
	}
	if err := s.eng.Load(ctx); err != nil {
		return nil, fmt.Errorf("loading shared state: %w", err)
	}
	s.loop = serve.NewLoop(s.eng)
	epochID := replica + "@" + now.UTC().Format(time.RFC3339Nano)
	s.wb.markEpoch = func(ctx context.Context) (bool, error) { return s.rstore.MarkEpoch(ctx, epochID) }
	s.wb.rewrite = s.rewriteAfterReset
	s.resync, err = genesys.NewResyncer(s.client, s.pool, cfg.Resync.Interval, func(snap engine.Snapshot, err error) {
		if err != nil {
			log.Warn("resync incomplete", "err", err, "covered", len(snap.Entries))
		}
		if len(snap.Entries) == 0 {
			return
		}
		if err := s.loop.ApplySnapshot(context.Background(), snap); err != nil {
			log.Error("applying resync", "err", err)
			return
		}
		s.metrics.Resyncs.Inc()
		_ = s.loop.Do(context.Background(), func(e *engine.Engine) error { s.ops.pool(e, s.pool); return nil })
		if err == nil {
			s.ops.resynced(time.Now())
			s.health.synced.Store(true)
		}
	})
	if err != nil {
		return nil, err
	}
	s.resync.Settle = 250 * time.Millisecond // one resync for the burst of gaps as the channels come up
	s.feed, err = genesys.NewFeed(genesys.FeedOptions{Client: s.client, Users: s.pool, Logger: log, Metrics: metricsAdapter{s.metrics, &s.health, nil, s.ops},
		OnEvents: func(evs []engine.Event) {
			if err := s.loop.Apply(context.Background(), evs); err != nil {
				log.Error("applying events", "err", err)
				return
			}
			now := time.Now()
			s.metrics.PresenceEvents.Add(float64(len(evs)))
			for i := range evs {
				if evs[i].Kind == engine.EvPresence {
					s.metrics.EventLag.Observe(now.Sub(evs[i].At).Seconds())
				}
			}
			if s.OnApplied != nil {
				s.OnApplied(evs, now)
			}
		},
		OnGap: func() { s.health.feedUp.Store(true); s.resync.Trigger() }})
	if err != nil {
		return nil, err
	}
	apiSrv := &serve.API{Loop: s.loop, Store: s.store, Auth: auth, Metrics: s.metrics, Log: log, Ready: s.health.ready, Accepting: s.health.accepting,
		Submitted: s.owned.submitted}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /status", serve.StatusHandler(auth, s.statusPage))
	mux.Handle("/", apiSrv.Handler())
	s.http = serve.NewHTTPServer(mux)
	return s, nil
}

// Listen binds the HTTP address (cfg.Listen unless addr is given) and
// returns the address bound.
func (s *Server) Listen(addr string) (string, error) {
	if addr == "" {
		addr = s.cfg.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.ln = ln
	return ln.Addr().String(), nil
}

// Ready reports whether the replica can serve: store reachable, feed
// connected, a full resync landed, not shutting down.
func (s *Server) Ready() bool { return s.health.ready() == nil }

// NotReady says why the replica cannot serve, or nil (what /readyz says).
func (s *Server) NotReady() error { return s.health.ready() }

// Run serves until ctx ends, then shuts down gracefully (see drain): new
// escalations are refused, those in flight finish within
// shutdown.drain, the rest are handed to the other replicas, claims and
// conversation ownership are released, the last presence writes land.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		if _, err := s.Listen(""); err != nil {
			return err
		}
	}
	// Not derived from ctx: the shutdown stops the parts in order.
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dispCtx, stopDisp := context.WithCancel(runCtx)
	errc := make(chan error, 5)
	go func() { errc <- s.loop.Run(runCtx, s.clock) }()
	wbDone := make(chan struct{})
	go func() { defer close(wbDone); s.wb.run(runCtx, time.Millisecond) }()
	dispDone := make(chan struct{})
	go func() { defer close(dispDone); _ = s.disp.Run(dispCtx) }()
	go func() { errc <- s.resync.Run(runCtx) }()
	go func() { errc <- s.feed.Run(runCtx) }()
	go func() {
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	go s.watchStaleness(runCtx)
	go s.health.probeStore(runCtx, s.rclient, func() { s.ops.redisErrors.WithLabelValues("ping").Inc() })
	go s.refreshDefinitions(runCtx)
	go s.takeOver(runCtx)
	go s.learnHistory(runCtx)
	s.log.Info("serving", "addr", s.ln.Addr().String(), "experts", len(s.pool), "mode", s.cfg.Delivery.Mode)
	if s.cfg.Delivery.Mode == ModeObserve {
		announceObserve(s.log)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		s.log.Error("stopping", "err", err)
	}
	s.drain(func() { stopDisp(); <-dispDone })
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = s.http.Shutdown(shutdown)
	cancel()
	<-wbDone // the last presence writes land before Redis closes
	s.close()
	return err
}

func (s *Server) close() {
	if s.embedded != nil {
		s.embedded.Close()
	} else if s.rclient != nil {
		s.rclient.Close()
	}
}

// learnHistory trains the micro-wait predictor on the last week of
// presence history — how long each presence lasts; defaults fill in for
// definitions with too few closed segments, and for everything if
// analytics is denied. It reads only once the service is ready, and the
// reads are the budget's lowest class (history), so the hundreds of
// requests a large org needs never delay readiness or take a slot a
// delivery is waiting for.
func (s *Server) learnHistory(ctx context.Context) {
	for s.health.ready() != nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	now := s.clock()
	segs, err := s.client.PresenceHistory(ctx, s.pool, now.Add(-7*24*time.Hour), now)
	if err != nil {
		s.log.Warn("presence history unavailable; predictor uses defaults", "err", err)
		return
	}
	p := engine.PredictorFromHistory(segs, historyMinSamples)
	if err := s.loop.Do(ctx, func(e *engine.Engine) error { e.SetPredictor(p); return nil }); err != nil {
		s.log.Warn("predictor not updated", "err", err)
		return
	}
	s.log.Info("predictor trained on presence history", "segments", len(segs), "definitions", len(p.ByDef))
}

// watchStaleness refreshes the pool gauges (staleness, experts by
// presence and eligibility) at start and every 5 s.
func (s *Server) watchStaleness(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		_ = s.loop.Do(ctx, func(e *engine.Engine) error {
			_, d := e.Stalest()
			s.metrics.Staleness.Set(d.Seconds())
			s.ops.pool(e, s.pool)
			return nil
		})
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// metricsAdapter feeds the adapter's counters into Prometheus, and the
// feed's reconnects into readiness.
type metricsAdapter struct {
	m              *serve.Metrics
	h              *health
	*budgetMetrics // nil for the feed (it makes no budgeted calls of its own)
	ops            *opsMetrics
}

func (a metricsAdapter) APICall(op string, status int) {
	a.m.APICalls.WithLabelValues(strconv.Itoa(status)).Inc()
}
func (a metricsAdapter) APIRetry(string, string) {}
func (a metricsAdapter) FeedEvents(int)          {}
func (a metricsAdapter) FeedDuplicates(int)      {}
func (a metricsAdapter) FeedReconnect()          { a.m.Reconnects.Inc(); a.h.feedUp.Store(false) }
func (a metricsAdapter) FeedRollover()           { a.m.Reconnects.Inc() }
func (a metricsAdapter) FeedGap()                { a.ops.gaps.Inc() }
