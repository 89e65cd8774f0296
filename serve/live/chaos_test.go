package live

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
)

// The chaos suite in CI: a few short seeded runs plus one fixed schedule
// per bug of issue 12. Verdicts come from invariants over the fake's truth;
// waits have generous deadlines, so a loaded machine makes them slower,
// not red. Long runs: shadowq chaos --seeds 200.

// One seed, one schedule: the plan is byte-identical however often it is
// drawn, and another seed draws another.
func TestChaosPlanReplayable(t *testing.T) {
	a, b := NewPlan(42, 5*time.Second, 3, nil).String(), NewPlan(42, 5*time.Second, 3, nil).String()
	if a != b {
		t.Fatalf("seed 42 drew two plans:\n%s\n---\n%s", a, b)
	}
	if a == NewPlan(43, 5*time.Second, 3, nil).String() {
		t.Fatal("seeds 42 and 43 drew the same plan")
	}
	// Over a few seeds every fault kind comes up, and replica faults
	// never take every replica down at once.
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 40; seed++ {
		p := NewPlan(seed, 5*time.Second, 2, nil)
		for k := range p.FaultCounts() {
			seen[k] = true
		}
		if p.Escalations() == 0 {
			t.Errorf("seed %d: no escalations", seed)
		}
	}
	for _, k := range AllFaults {
		if !seen[k] {
			t.Errorf("fault %s never drawn in 40 seeds", k)
		}
	}
	// Restricting the kinds restricts the plan.
	for k := range NewPlan(7, 5*time.Second, 2, []string{FaultFlip}).FaultCounts() {
		if k != FaultFlip {
			t.Errorf("plan restricted to flips drew %s", k)
		}
	}
}

func runChaosT(t *testing.T, p *Plan) *ChaosResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log *slog.Logger
	if os.Getenv("CHAOS_LOG") != "" { // the replicas' logs, for debugging a case
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	res, err := RunChaos(ctx, p, log)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return res
}

func report(res *ChaosResult) string {
	var b strings.Builder
	res.Report(&b)
	return b.String()
}

// The null run: no faults and no Data Action retries, so every invariant
// must hold. A violation here is a harness bug (or a bug in the happy
// path), not chaos.
func TestChaosNoFaults(t *testing.T) {
	p := NewPlan(11, 3*time.Second, 2, []string{})
	for i := range p.Steps {
		p.Steps[i].Retry = 0
	}
	if len(p.FaultCounts()) != 0 || p.Escalations() == 0 {
		t.Fatalf("plan: %v faults, %d escalations", p.FaultCounts(), p.Escalations())
	}
	wantClean(t, runChaosT(t, p))
}

// knownBug skips a case whose fix has not landed on main yet. Delete the
// call when it has: the case must then pass.
func knownBug(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CHAOS_KNOWN_BUGS") == "" {
		t.Skip("fix pending (run with CHAOS_KNOWN_BUGS=1 to see it fail): " + why)
	}
}

// A handful of random seeds, short: three without kill -9 (fast), two with
// every fault (a killed owner's escalations are adopted only once its
// ownership runs out, which takes a while).
func TestChaosSeeds(t *testing.T) {
	var kinds []string
	for _, k := range AllFaults {
		if k != FaultReplicaKill {
			kinds = append(kinds, k)
		}
	}
	t.Run("no-kill-9", func(t *testing.T) {
		for _, seed := range []uint64{3, 4, 5} {
			res := runChaosT(t, NewPlan(seed, 2*time.Second, 2, kinds))
			wantClean(t, res)
			if res.Escalations == 0 || total(res.Injected) == 0 {
				t.Errorf("seed %d: %d escalations, %d faults: the run proves nothing", seed, res.Escalations, total(res.Injected))
			}
		}
	})
	t.Run("every-fault", func(t *testing.T) {
		for _, seed := range []uint64{37, 45} {
			wantClean(t, runChaosT(t, NewPlan(seed, 3*time.Second, 2, nil)))
		}
	})
}

// scripted is a fixed schedule: every expert accepts after delay and stays
// on the conversation for handle.
func scripted(dur time.Duration, replicas int, delay, handle time.Duration, steps ...Step) *Plan {
	p := &Plan{Seed: 1, Duration: dur, Replicas: replicas, Answers: map[string]genesys.AnswerModel{}, Steps: steps}
	for _, u := range chaosUsers() {
		p.Answers[u.ID] = genesys.AnswerModel{Accept: 1, Delay: delay, HandleTime: handle}
	}
	return p
}

const (
	alanID  = "0d3a1e00-05e0-4e00-8000-000000000003"
	graceID = "0d3a1e00-05e0-4e00-8000-000000000002"
)

// want fails unless the run broke none of the invariants.
func wantClean(t *testing.T, res *ChaosResult) {
	t.Helper()
	if len(res.Violations) > 0 {
		t.Errorf("%s\nplan:\n%s", report(res), res.Plan)
	}
	if testing.Verbose() {
		t.Logf("timeline:\n%s", strings.Join(res.Timeline, "\n"))
	}
}

// Fixed schedules, one per bug in issue 12.
func TestChaosRegressions(t *testing.T) {
	// Issue 12 item 1: Available → DND in the same millisecond; the
	// timestamp tie rule kept Available through every resync and a P1
	// was delivered into Do-Not-Disturb. Alan is the only Security
	// expert left routable (Grace goes Busy, Margaret is in DND).
	t.Run("presence-tie-DND", func(t *testing.T) {
		res := runChaosT(t, scripted(4*time.Second, 1, 300*time.Millisecond, 5*time.Second,
			Step{At: 100 * time.Millisecond, Kind: StepPresence, User: graceID, Presence: genesys.PresenceBusy},
			Step{At: 300 * time.Millisecond, Kind: FaultFlip, User: alanID},
			Step{At: 3 * time.Second, Kind: StepEscalate, Skill: "Security", Priority: 1},
		))
		wantClean(t, res)
	})
	// Issue 12 item 2: Redis killed while delivery outcomes arrive; the
	// outcome handler dropped pending deliveries before the store
	// transition and escalations never finished (or were re-assigned).
	t.Run("redis-killed-during-outcomes", func(t *testing.T) {
		res := runChaosT(t, scripted(7*time.Second, 1, 800*time.Millisecond, 20*time.Second,
			Step{At: 100 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3},
			Step{At: 200 * time.Millisecond, Kind: StepEscalate, Skill: "Networking", Priority: 3},
			Step{At: 300 * time.Millisecond, Kind: StepEscalate, Skill: "Security", Priority: 3},
			Step{At: 600 * time.Millisecond, Kind: FaultRedisKill, Dur: 6 * time.Second},
		))
		wantClean(t, res)
	})
	// Issue 12 item 3: notifications paused while deliveries are
	// accepted; after the claim TTL serve treated them as unanswered and
	// sent /assign to other experts for conversations already connected.
	t.Run("paused-notifications-accepted", func(t *testing.T) {
		res := runChaosT(t, scripted(5*time.Second, 1, 300*time.Millisecond, 20*time.Second,
			Step{At: 100 * time.Millisecond, Kind: FaultPauseSockets, Dur: 4500 * time.Millisecond},
			Step{At: 400 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3},
			Step{At: 500 * time.Millisecond, Kind: StepEscalate, Skill: "Security", Priority: 3},
		))
		wantClean(t, res)
	})
	// Issue 12 item 3, second form: 30% of notifications dropped while
	// deliveries are answered.
	t.Run("dropped-notifications-accepted", func(t *testing.T) {
		res := runChaosT(t, scripted(5*time.Second, 1, 300*time.Millisecond, 20*time.Second,
			Step{At: 100 * time.Millisecond, Kind: FaultEventDrop, Share: 0.3, Dur: 4500 * time.Millisecond},
			Step{At: 400 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3},
			Step{At: 500 * time.Millisecond, Kind: StepEscalate, Skill: "Security", Priority: 3},
			Step{At: 600 * time.Millisecond, Kind: StepEscalate, Skill: "Networking", Priority: 3},
			Step{At: 700 * time.Millisecond, Kind: StepEscalate, Skill: "Kubernetes", Priority: 1},
		))
		wantClean(t, res)
	})
	// Issue 12 item 4: SIGTERM with deliveries in flight (a slow
	// /assign): escalations answered routed were never assigned.
	t.Run("sigterm-deliveries-in-flight", func(t *testing.T) {
		steps := []Step{{At: 0, Kind: FaultSlowAssign, Dur: 4 * time.Second}}
		for i, sk := range []string{"Databases", "Networking", "Kubernetes", "Security", "Billing"} {
			steps = append(steps, Step{At: time.Duration(100+100*i) * time.Millisecond, Kind: StepEscalate, Skill: sk, Priority: 2})
		}
		steps = append(steps, Step{At: 900 * time.Millisecond, Kind: FaultReplicaSIGTERM, Replica: 0, Dur: 3 * time.Second})
		res := runChaosT(t, scripted(4*time.Second, 2, 300*time.Millisecond, 10*time.Second, steps...))
		wantClean(t, res)
	})
	// Issue 12 item 5: kill -9 of a replica mid-delivery; once its
	// ownership expired, the Data Action's retry on the survivor routed
	// the already-accepted conversations again.
	t.Run("kill9-then-retry-on-survivor", func(t *testing.T) {
		own := ownershipTTL(ChaosPolicy())
		res := runChaosT(t, scripted(own+3*time.Second, 2, 1500*time.Millisecond, 2*own,
			Step{At: 100 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3, Retry: own + time.Second},
			Step{At: 200 * time.Millisecond, Kind: StepEscalate, Skill: "Networking", Priority: 3, Retry: own + time.Second},
			Step{At: 600 * time.Millisecond, Kind: FaultReplicaKill, Replica: 0, Dur: own + 2*time.Second},
		))
		wantClean(t, res)
	})
	// Found by the suite (seeds 37 and 45 of --duration 3s): kill -9 of
	// the replica that owns a ringing delivery, and no Data Action retry:
	// nobody resumes the escalation, serve's log says "deliver" forever.
	// A surviving replica must adopt it once the owner's lease runs out
	// (takeOver in serve/live/handoff.go).
	t.Run("kill9-orphan-no-retry", func(t *testing.T) {
		res := runChaosT(t, scripted(3*time.Second, 2, 1500*time.Millisecond, 2*ownershipTTL(ChaosPolicy()),
			Step{At: 100 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3},
			Step{At: 500 * time.Millisecond, Kind: FaultReplicaKill, Replica: 0, Dur: 2 * time.Second},
		))
		wantClean(t, res)
	})
	// Found by the suite (seeds 39, 64, 127, 173): "routed" was answered
	// when the delivery was decided, and the /assign went out afterwards
	// (here it waits out a 429's Retry-After and a token refresh); a kill
	// -9 in between left a routed answer that no /assign backed. Now
	// "routed" waits for Genesys to accept the /assign (serve/confirm.go);
	// the adopter then, rightly, checks and routes to whoever is best.
	// Seed 173's schedule reproduced it every time.
	t.Run("kill9-between-routed-and-assign", func(t *testing.T) {
		wantClean(t, runChaosT(t, NewPlan(173, 3*time.Second, 2, nil)))
	})
	// The same bug by script, as seed 173's schedule no longer hits the
	// window on today's timings (it passed on the code before the fix):
	// the first /assign draws a 429, so the second conversation's /assign
	// waits out the Retry-After inside the replica, which is killed -9
	// meanwhile; then nobody is routable, so the adopter cannot happen to
	// route the same expert. The code before the fix answered the second
	// one routed at once and failed this every time (3 of 3).
	t.Run("kill9-while-assign-waits-out-429", func(t *testing.T) {
		steps := []Step{
			{At: 100 * time.Millisecond, Kind: FaultBurst429, N: 1},
			{At: 100 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3},
			{At: 200 * time.Millisecond, Kind: StepEscalate, Skill: "Networking", Priority: 3},
			{At: 400 * time.Millisecond, Kind: FaultReplicaKill, Replica: 0, Dur: 2 * time.Second},
		}
		for _, u := range chaosUsers() {
			steps = append(steps, Step{At: 700 * time.Millisecond, Kind: StepPresence, User: u.ID, Presence: genesys.PresenceBusy})
		}
		wantClean(t, runChaosT(t, scripted(3*time.Second, 2, 300*time.Millisecond, 2*time.Second, steps...)))
	})
	// Issue 12 item 6: a retry after the escalation finished answered
	// {"action":"routed","userId":""}.
	t.Run("retry-after-finish", func(t *testing.T) {
		res := runChaosT(t, scripted(3*time.Second, 1, 200*time.Millisecond, 5*time.Second,
			Step{At: 100 * time.Millisecond, Kind: StepEscalate, Skill: "Databases", Priority: 3, Retry: 2 * time.Second},
		))
		wantClean(t, res)
	})
}
