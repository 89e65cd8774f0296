package live

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
)

// The chaos suite (VOPR-style): one seed draws a schedule of faults,
// presence changes and escalations; the harness plays it against the fake
// Genesys Cloud, serve replicas and Redis, then checks invariants against
// the fake's own truth. The schedule is a pure function of the seed (same
// seed, byte-identical Plan.String()); the interleaving of goroutines and
// sockets while it plays is not, which is why a run is judged by
// invariants, not by a golden transcript.

// Fault kinds a plan can inject.
const (
	FaultFlip           = "presence-flip"   // Available → DND at one modifiedDate
	FaultEventDrop      = "event-drop"      // notifications lost (share, for a window)
	FaultEventDup       = "event-duplicate" // notifications delivered twice
	FaultEventReorder   = "event-reorder"   // notifications held back past the next one
	FaultEventDelay     = "event-delay"     // notifications late, order kept
	FaultPauseSockets   = "socket-pause"    // every notification lost for a window
	FaultDropSockets    = "socket-drop"     // every WebSocket closed abnormally
	FaultBurst429       = "burst-429"       // the next N API calls answered 429
	FaultBurst503       = "burst-503"       // the next N API calls answered 503
	FaultRevokeTokens   = "token-revoke"    // every access token revoked
	FaultSlowAssign     = "slow-assign"     // POST …/assign held for a while
	FaultRedisKill      = "redis-kill"      // SIGKILL, restarted after a window
	FaultRedisRestart   = "redis-restart"   // SIGTERM and start again at once
	FaultRedisFreeze    = "redis-freeze"    // SIGSTOP, SIGCONT after a window
	FaultReplicaKill    = "replica-kill"    // abrupt stop (kill -9): no drain
	FaultReplicaSIGTERM = "replica-sigterm" // graceful shutdown path
)

// AllFaults lists every fault kind, in the order totals print.
var AllFaults = []string{
	FaultFlip, FaultEventDrop, FaultEventDup, FaultEventReorder, FaultEventDelay,
	FaultPauseSockets, FaultDropSockets, FaultBurst429, FaultBurst503, FaultRevokeTokens,
	FaultSlowAssign, FaultRedisKill, FaultRedisRestart, FaultRedisFreeze,
	FaultReplicaKill, FaultReplicaSIGTERM,
}

// Non-fault step kinds.
const (
	StepEscalate = "escalate" // a conversation enters the queue; the Data Action calls serve
	StepPresence = "presence" // an expert changes presence
)

// Step is one scheduled action, At after the run starts.
type Step struct {
	At   time.Duration
	Kind string
	// Dur is a windowed fault's length (socket-pause, event-*,
	// slow-assign, redis-kill/-freeze, replica-*: down time).
	Dur      time.Duration
	Replica  int     // replica-*; escalate: the replica the Data Action calls first
	User     string  // presence, presence-flip
	Presence string  // presence: the definition id
	Skill    string  // escalate
	Priority int     // escalate: 1..5
	N        int     // burst-*: calls answered with the error
	Share    float64 // event-drop/-duplicate/-reorder
	// Retry, for escalate, is when the Data Action calls again with the
	// same conversation (a timeout retry), after the first answer; 0 none.
	Retry time.Duration
}

// Plan is everything one run does.
type Plan struct {
	Seed     uint64
	Duration time.Duration // faults, presence changes and escalations happen in [0, Duration)
	Replicas int
	Answers  map[string]genesys.AnswerModel // per expert
	Steps    []Step                         // ordered by At
}

// Random streams derived from the seed, one per subsystem, so that a
// change in how many draws one subsystem makes leaves the others alone.
const (
	streamFaults = iota + 1
	streamPresence
	streamEscalations
	streamAnswers
)

// chaosUsers are the fake demo org's experts, in a fixed order.
func chaosUsers() []genesys.User { return genesys.DemoOrg().Users }

// chaosPresences are the presences experts move between: routable,
// interruptible for P1 or P1/P2, and never routable ones.
var chaosPresences = []string{
	genesys.PresenceAvailable, genesys.PresenceOnQueue, genesys.PresenceMeetingInterruptP1,
	genesys.PresenceResearchInterruptP1P2, genesys.PresenceMeetingDoNotDisturb, genesys.PresenceBusy, genesys.PresenceAway,
}

// NewPlan draws a plan from seed: about two faults a second of the kinds
// given (all when nil, none when empty), four presence changes and two
// escalations a second.
func NewPlan(seed uint64, dur time.Duration, replicas int, kinds []string) *Plan {
	if replicas < 1 {
		replicas = 1
	}
	if kinds == nil {
		kinds = AllFaults
	}
	p := &Plan{Seed: seed, Duration: dur, Replicas: replicas, Answers: map[string]genesys.AnswerModel{}}
	users := chaosUsers()
	ar := rand.New(rand.NewPCG(seed, streamAnswers))
	for _, u := range users {
		acc := 0.7 + 0.25*ar.Float64()
		rest := 1 - acc
		p.Answers[u.ID] = genesys.AnswerModel{Accept: acc, Decline: rest / 2, NoAnswer: rest / 2,
			Delay:      time.Duration(100+ar.IntN(600)) * time.Millisecond,
			HandleTime: time.Duration(800+ar.IntN(1700)) * time.Millisecond}
	}
	pr := rand.New(rand.NewPCG(seed, streamPresence))
	for at := expGap(pr, 250*time.Millisecond); at < dur; at += expGap(pr, 250*time.Millisecond) {
		u := users[pr.IntN(len(users))]
		p.Steps = append(p.Steps, Step{At: at, Kind: StepPresence, User: u.ID, Presence: chaosPresences[pr.IntN(len(chaosPresences))]})
	}
	er := rand.New(rand.NewPCG(seed, streamEscalations))
	skills := genesys.DemoOrg().Skills
	prios := []int{1, 1, 2, 2, 3, 4, 5}
	for at := expGap(er, 500*time.Millisecond); at < dur; at += expGap(er, 500*time.Millisecond) {
		st := Step{At: at, Kind: StepEscalate, Skill: skills[er.IntN(len(skills))].Name, Priority: prios[er.IntN(len(prios))],
			Replica: er.IntN(replicas)}
		if er.Float64() < 0.25 {
			st.Retry = time.Duration(200+er.IntN(1800)) * time.Millisecond
		}
		p.Steps = append(p.Steps, st)
	}
	if len(kinds) > 0 {
		p.Steps = append(p.Steps, drawFaults(rand.New(rand.NewPCG(seed, streamFaults)), dur, replicas, kinds, users)...)
	}
	slices.SortStableFunc(p.Steps, func(a, b Step) int { return int(a.At - b.At) })
	return p
}

// drawFaults draws about two faults a second. Redis faults never overlap
// one another; a replica fault is dropped when it would leave no replica
// up.
func drawFaults(r *rand.Rand, dur time.Duration, replicas int, kinds []string, users []genesys.User) []Step {
	var out []Step
	var redisFree time.Duration
	down := make([]time.Duration, replicas) // replica i is down until down[i]
	window := func() time.Duration { return time.Duration(200+r.IntN(1300)) * time.Millisecond }
	for at := expGap(r, 500*time.Millisecond); at < dur; at += expGap(r, 500*time.Millisecond) {
		st := Step{At: at, Kind: kinds[r.IntN(len(kinds))]}
		w := window() // always drawn, so one kind's needs do not shift the stream
		switch st.Kind {
		case FaultFlip:
			st.User = users[r.IntN(len(users))].ID
		case FaultEventDrop, FaultEventDup, FaultEventReorder:
			st.Dur, st.Share = w, 0.1+0.4*r.Float64()
		case FaultEventDelay, FaultPauseSockets, FaultSlowAssign:
			st.Dur = w
		case FaultBurst429, FaultBurst503:
			st.N = 1 + r.IntN(8)
		case FaultRedisKill, FaultRedisFreeze, FaultRedisRestart:
			if at < redisFree {
				continue
			}
			if st.Kind != FaultRedisRestart {
				// Long enough to outlast go-redis's own dial retries.
				st.Dur = 2*w + time.Second
			}
			redisFree = at + st.Dur + 200*time.Millisecond
		case FaultReplicaKill, FaultReplicaSIGTERM:
			st.Replica, st.Dur = r.IntN(replicas), w
			up := 0
			for i := range down {
				if i != st.Replica && down[i] <= at {
					up++
				}
			}
			if up == 0 || down[st.Replica] > at {
				continue
			}
			down[st.Replica] = at + st.Dur + 2*time.Second // restart takes a while
		}
		out = append(out, st)
	}
	return out
}

// expGap draws an exponential gap with the given mean, rounded to a
// millisecond and at least one.
func expGap(r *rand.Rand, mean time.Duration) time.Duration {
	d := time.Duration(r.ExpFloat64() * float64(mean)).Round(time.Millisecond)
	return max(d, time.Millisecond)
}

// FaultCounts counts the plan's faults by kind.
func (p *Plan) FaultCounts() map[string]int {
	out := map[string]int{}
	for _, st := range p.Steps {
		if st.Kind != StepEscalate && st.Kind != StepPresence {
			out[st.Kind]++
		}
	}
	return out
}

// Escalations counts the plan's escalations.
func (p *Plan) Escalations() int {
	n := 0
	for _, st := range p.Steps {
		if st.Kind == StepEscalate {
			n++
		}
	}
	return n
}

// String renders the plan, one step a line: the replayable schedule.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %v, %d replicas\n", p.Seed, p.Duration, p.Replicas)
	for _, u := range chaosUsers() {
		if m, ok := p.Answers[u.ID]; ok {
			fmt.Fprintf(&b, "answer %-8s accept=%.3f decline=%.3f noAnswer=%.3f delay=%v handle=%v\n", userName(u.ID), m.Accept, m.Decline, m.NoAnswer, m.Delay, m.HandleTime)
		}
	}
	for _, st := range p.Steps {
		b.WriteString(st.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (st Step) String() string {
	return fmt.Sprintf("%8.3fs %s", st.At.Seconds(), st.describe())
}

// describe is the step without its time.
func (st Step) describe() string {
	s := fmt.Sprintf("%-16s", st.Kind)
	switch st.Kind {
	case StepEscalate:
		s += fmt.Sprintf(" %s P%d via r%d", st.Skill, st.Priority, st.Replica)
		if st.Retry > 0 {
			s += fmt.Sprintf(", again after %v", st.Retry)
		}
	case StepPresence:
		s += fmt.Sprintf(" %s → %s", userName(st.User), presenceName(st.Presence))
	case FaultFlip:
		s += fmt.Sprintf(" %s Available → DND", userName(st.User))
	case FaultReplicaKill, FaultReplicaSIGTERM:
		s += fmt.Sprintf(" r%d for %v", st.Replica, st.Dur)
	case FaultBurst429, FaultBurst503:
		s += fmt.Sprintf(" %d calls", st.N)
	default:
		if st.Share > 0 {
			s += fmt.Sprintf(" %.0f%%", 100*st.Share)
		}
		if st.Dur > 0 {
			s += fmt.Sprintf(" for %v", st.Dur)
		}
	}
	return strings.TrimRight(s, " ")
}

// userName is a demo user's first name, for plans and timelines.
func userName(id string) string {
	for _, u := range chaosUsers() {
		if u.ID == id {
			first, _, _ := strings.Cut(u.Name, " ")
			return first
		}
	}
	return id
}

func presenceName(id string) string {
	for _, d := range genesys.DemoOrg().PresenceDefinitions {
		if d.ID == id {
			return d.Name
		}
	}
	return id
}
