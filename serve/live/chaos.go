package live

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve"
)

// chaosTokenEnv holds the Data Action token the chaos replicas accept.
const (
	chaosTokenEnv = "SHADOWQ_CHAOS_TOKEN"
	chaosToken    = "chaos-token"
	// chaosResync is the replicas' resync interval (the config minimum).
	chaosResync = time.Second
	// chaosFakeAlert is how long the fake lets a delivery alert before
	// it counts as not answered; the policy's alertTimeout is longer.
	chaosFakeAlert = 2 * time.Second
)

// ChaosPolicy is scenarios/policy.yaml's rules with short timings, so an
// escalation runs its whole course (deliveries, declines, holds, claim
// expiry, ownership expiry) within seconds.
func ChaosPolicy() *engine.Policy {
	p := engine.DefaultPolicy()
	p.Presences = map[engine.PresenceDefID]engine.Rule{
		genesys.PresenceAvailable:             {Action: engine.Route, Name: "Available"},
		genesys.PresenceOnQueue:               {Action: engine.Route, Name: "On Queue"},
		genesys.PresenceMeetingInterruptP1:    {Action: engine.Interrupt, MinPriority: engine.P1, Name: "In a Meeting – Interrupt for P1"},
		genesys.PresenceResearchInterruptP1P2: {Action: engine.Interrupt, MinPriority: engine.P2, Name: "Research – Interrupt for P1/P2"},
		genesys.PresenceMeetingDoNotDisturb:   {Action: engine.Never, Name: "In a Meeting – Do Not Disturb"},
	}
	p.AlertTimeout = 2500 * time.Millisecond
	p.ClaimTTL = 3 * time.Second
	p.Cooldown = 3 * time.Second
	p.BusyHold = time.Second
	p.MicroWait.MaxHold = 2 * time.Second
	p.MicroWait.ETABuckets = []time.Duration{time.Second, 2 * time.Second}
	return p
}

// chaosBound is how long after the schedule ends every escalation must be
// terminal: twice a conversation's ownership lifetime, plus slack for a
// loaded machine. It is a deadline for waiting, generous on purpose.
func chaosBound(p *engine.Policy) time.Duration {
	return 2*ownershipTTL(p) + 20*time.Second
}

// ownershipTTL is how long one replica owns a conversation (the engine's
// rule: every attempt's claim plus the longest hold).
func ownershipTTL(p *engine.Policy) time.Duration {
	return time.Duration(p.MaxAttempts+1)*p.ClaimTTL + p.MicroWait.MaxHold
}

func chaosConfig(name, prefix string) *serve.Config {
	cfg := &serve.Config{Listen: "127.0.0.1:0", ReplicaID: name, PolicyValue: ChaosPolicy()}
	cfg.Delivery.Mode = "assign"
	cfg.Resync.Interval = chaosResync
	cfg.Redis.Prefix = prefix
	cfg.DataAction.TokenEnv = chaosTokenEnv
	org := genesys.DemoOrg()
	skill := map[string]string{}
	for _, s := range org.Skills {
		skill[s.ID] = s.Name
	}
	for _, u := range org.Users {
		x := serve.ExpertConfig{ID: u.ID, Name: u.Name, Skills: map[string]int{}}
		for _, us := range u.Skills {
			x.Skills[skill[us.SkillID]] = int(us.Proficiency)
		}
		cfg.Experts = append(cfg.Experts, x)
	}
	return cfg
}

// ChaosResult is one run's outcome.
type ChaosResult struct {
	Plan        *Plan
	RealRedis   bool
	Injected    map[string]int // faults injected, by kind
	Escalations int
	Violations  []Violation
	// Timeline is everything that happened, in time order, from the
	// fake's truth and the harness (faults, replicas, Data Action answers).
	Timeline []string
}

// chaosRun is one run's live state.
type chaosRun struct {
	plan   *Plan
	log    *slog.Logger
	fake   *genesys.Full
	redis  chaosRedis
	prefix string
	start  time.Time // fake clock at the start of the schedule
	slots  []*chaosSlot
	http   *httpClient
	wg     sync.WaitGroup

	mu       sync.Mutex      // guards the three below
	events   []timelineEvent // harness side: faults and answers
	escs     []*chaosEsc
	injected map[string]int

	// Owned by the goroutine playing the schedule (then by heal).
	hub    map[string]float64 // active notification faults: kind → share (delay: seconds)
	paused int                // socket-pause windows open
	slow   int                // slow-assign windows open
}

// RunChaos plays plan and checks the invariants. log receives the
// replicas' logs (nil discards them). An error means the harness itself
// could not run (no Redis, no port), not a violation.
func RunChaos(ctx context.Context, plan *Plan, log *slog.Logger) (*ChaosResult, error) {
	if log == nil {
		log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	os.Setenv(chaosTokenEnv, chaosToken)
	r := &chaosRun{plan: plan, log: log, injected: map[string]int{}, hub: map[string]float64{}, http: newHTTPClient()}
	var err error
	if r.redis, err = startChaosRedis(); err != nil {
		return nil, err
	}
	defer r.redis.Close()
	r.prefix = fmt.Sprintf("chaos:%d:%d:", plan.Seed, time.Now().UnixNano())
	r.fake, err = genesys.NewFull(genesys.Options{Seed: plan.Seed | 1, Truth: true, AlertTimeout: chaosFakeAlert},
		notify.Options{Seed: plan.Seed | 1})
	if err != nil {
		return nil, err
	}
	defer r.fake.Close()
	if _, err := r.fake.Start(""); err != nil {
		return nil, err
	}
	for id, m := range plan.Answers {
		if err := r.fake.SetAnswer(id, m); err != nil {
			return nil, err
		}
	}
	for i := range plan.Replicas {
		s := newChaosSlot(r, i)
		r.slots = append(r.slots, s)
		if err := s.startNow(ctx); err != nil {
			r.stopAll()
			return nil, fmt.Errorf("replica r%d: %w", i, err)
		}
	}
	defer r.stopAll()
	r.start = r.fake.Now()
	r.play(ctx)
	healAt := r.heal(ctx)
	r.wg.Wait() // every Data Action call (retries included) has its answer
	pending := r.settle(ctx)
	caches := r.compareCaches(ctx, healAt)
	res := &ChaosResult{Plan: plan, RealRedis: r.redis.Real(), Injected: r.injected, Escalations: len(r.escs)}
	truth := r.fake.Truth()
	res.Violations = r.check(truth, pending, caches)
	res.Timeline = r.timeline(truth, "*", "")
	return res, ctx.Err()
}

// timelineEvent is one harness-side event for violation timelines.
type timelineEvent struct {
	At   time.Time
	Conv string // set for answers
	Text string
}

func (r *chaosRun) note(conv, format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, timelineEvent{At: r.fake.Now(), Conv: conv, Text: fmt.Sprintf(format, args...)})
	r.mu.Unlock()
}

// play runs the schedule: each step at its offset, window ends as steps of
// their own. Steps that block (replica restarts, Data Action calls) run on
// their own goroutines; fault state changes run here, in order.
func (r *chaosRun) play(ctx context.Context) {
	type action struct {
		at time.Duration
		do func()
	}
	var acts []action
	for _, st := range r.plan.Steps {
		st := st
		acts = append(acts, action{st.At, func() { r.begin(ctx, st) }})
		if end := r.ender(ctx, st); end != nil {
			acts = append(acts, action{st.At + st.Dur, end})
		}
	}
	acts = append(acts, action{r.plan.Duration, func() {}}) // the schedule lasts its whole duration
	slices.SortStableFunc(acts, func(a, b action) int { return int(a.at - b.at) })
	wall := time.Now()
	for _, a := range acts {
		if d := time.Until(wall.Add(a.at)); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		a.do()
	}
}

func (r *chaosRun) count(kind string) {
	r.mu.Lock()
	r.injected[kind]++
	r.mu.Unlock()
}

// begin starts one step.
func (r *chaosRun) begin(ctx context.Context, st Step) {
	switch st.Kind {
	case StepPresence:
		r.fake.SetPresence(st.User, st.Presence, "")
		return
	case StepEscalate:
		r.escalate(ctx, st)
		return
	}
	r.note("", "fault %s", st.describe())
	switch st.Kind {
	case FaultFlip:
		if !r.flip(st.User) {
			return
		}
	case FaultEventDrop, FaultEventDup, FaultEventReorder:
		r.setHub(st.Kind, st.Share)
	case FaultEventDelay:
		r.setHub(st.Kind, st.Dur.Seconds()/4) // events a quarter of the window late
	case FaultPauseSockets:
		r.paused++
		r.fake.Hub.Pause(true)
	case FaultDropSockets:
		r.fake.Hub.DropSockets()
	case FaultBurst429, FaultBurst503:
		f := r.fake.Faults()
		if st.Kind == FaultBurst429 {
			f.RateLimitBurst += st.N
		} else {
			f.ServerErrorBurst += st.N
		}
		r.fake.SetFaults(f)
	case FaultRevokeTokens:
		r.fake.RevokeTokens()
	case FaultSlowAssign:
		r.slow++
		f := r.fake.Faults()
		f.AssignDelay = max(f.AssignDelay, st.Dur/2)
		r.fake.SetFaults(f)
	case FaultRedisKill:
		if r.redis.Kill() != nil {
			return
		}
	case FaultRedisRestart:
		if err := r.redis.Restart(); err != nil {
			r.note("", "redis did not restart: %v", err)
			return
		}
	case FaultRedisFreeze:
		if r.redis.Freeze() != nil {
			return // miniredis: not injected
		}
	case FaultReplicaKill, FaultReplicaSIGTERM:
		abrupt := st.Kind == FaultReplicaKill
		r.slots[st.Replica].do(func() { r.slots[st.Replica].stop(abrupt) })
	}
	r.count(st.Kind)
}

// flip makes user Available and then DND in one millisecond. A user who is
// Available already goes Busy first (a millisecond earlier), so the
// Available of the flip is a change and both changes share a timestamp.
func (r *chaosRun) flip(user string) bool {
	for _, u := range r.fake.State().Users {
		if u.ID == user && u.PresenceID == genesys.PresenceAvailable {
			r.fake.SetPresence(user, genesys.PresenceBusy, "")
			time.Sleep(2 * time.Millisecond)
		}
	}
	return r.fake.FlipPresence(user, genesys.PresenceAvailable, genesys.PresenceMeetingDoNotDisturb) == nil
}

// ender returns what ends a windowed step, or nil.
func (r *chaosRun) ender(ctx context.Context, st Step) func() {
	switch st.Kind {
	case FaultEventDrop, FaultEventDup, FaultEventReorder, FaultEventDelay:
		return func() { r.setHub(st.Kind, 0) }
	case FaultPauseSockets:
		return func() {
			if r.paused--; r.paused == 0 {
				r.fake.Hub.Pause(false)
			}
		}
	case FaultSlowAssign:
		return func() {
			if r.slow--; r.slow == 0 {
				f := r.fake.Faults()
				f.AssignDelay = 0
				r.fake.SetFaults(f)
			}
		}
	case FaultRedisKill:
		return func() { r.startRedis() }
	case FaultRedisFreeze:
		return func() { r.redis.Thaw() }
	case FaultReplicaKill, FaultReplicaSIGTERM:
		s := r.slots[st.Replica]
		return func() { s.do(func() { s.start(ctx) }) }
	}
	return nil
}

// setHub sets (share > 0) or clears one notification fault and applies the
// combination in force.
func (r *chaosRun) setHub(kind string, share float64) {
	if share > 0 {
		r.hub[kind] = share
	} else {
		delete(r.hub, kind)
	}
	r.fake.Hub.SetFaults(notify.Faults{Drop: r.hub[FaultEventDrop], Duplicate: r.hub[FaultEventDup], Reorder: r.hub[FaultEventReorder],
		Delay: time.Duration(r.hub[FaultEventDelay] * float64(time.Second)), Seed: r.plan.Seed | 1})
}

func (r *chaosRun) startRedis() {
	if err := r.redis.Start(); err != nil {
		r.note("", "redis did not start: %v", err)
	}
}

// heal ends every fault and brings every replica back, and returns the
// fake-clock time from which everything is healthy.
func (r *chaosRun) heal(ctx context.Context) time.Time {
	clear(r.hub)
	r.paused, r.slow = 0, 0
	r.fake.Hub.SetFaults(notify.Faults{})
	r.fake.Hub.Pause(false)
	r.fake.SetFaults(genesys.Faults{})
	r.redis.Thaw()
	r.startRedis()
	var wg sync.WaitGroup
	for _, s := range r.slots {
		wg.Add(1)
		s.do(func() { defer wg.Done(); s.start(ctx) })
	}
	wg.Wait()
	r.note("", "healed: every fault over, every replica up")
	return r.fake.Now()
}

func (r *chaosRun) stopAll() {
	for _, s := range r.slots {
		s.close()
	}
}
