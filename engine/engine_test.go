package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
)

var ctx = context.Background()

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// recorder is a Dispatcher that remembers deliveries and can refuse them.
type recorder struct {
	got     []engine.Delivery
	fail    map[engine.ExpertID]bool
	failErr map[engine.ExpertID]error // refuse with this error
}

func (r *recorder) Deliver(d engine.Delivery) error {
	r.got = append(r.got, d)
	if err := r.failErr[d.Expert]; err != nil {
		return err
	}
	if r.fail[d.Expert] {
		return errors.New("boom")
	}
	return nil
}

func (r *recorder) last() engine.Delivery { return r.got[len(r.got)-1] }

// Presence definitions used by the tests.
const (
	defAvailable  = engine.PresenceDefID("6a3af858-942f-489d-9700-5f9bcdcdae9b")
	defOnQueue    = engine.PresenceDefID("e08eaf1b-ee47-4fa9-a231-1200e284798f")
	defMeetingP1  = engine.PresenceDefID("11111111-0000-0000-0000-00000000p1p1")
	defMeetingP2  = engine.PresenceDefID("11111111-0000-0000-0000-00000000p2p2")
	defMeetingDND = engine.PresenceDefID("22222222-0000-0000-0000-000000000dnd")
	defMystery    = engine.PresenceDefID("33333333-0000-0000-0000-0000mystery0")
)

var (
	avail   = engine.Presence{Def: defAvailable, System: engine.SysAvailable}
	onQueue = engine.Presence{Def: defOnQueue, System: engine.SysOnQueue}
	meetP1  = engine.Presence{Def: defMeetingP1, System: engine.SysMeeting}
	meetP2  = engine.Presence{Def: defMeetingP2, System: engine.SysMeeting}
	meetDND = engine.Presence{Def: defMeetingDND, System: engine.SysMeeting}
	mystery = engine.Presence{Def: defMystery, System: engine.SysMeeting}
)

func testPolicy() *engine.Policy {
	p := engine.DefaultPolicy()
	p.Presences = map[engine.PresenceDefID]engine.Rule{
		defAvailable:  {Action: engine.Route, Name: "Available"},
		defOnQueue:    {Action: engine.Route, Name: "On Queue"},
		defMeetingP1:  {Action: engine.Interrupt, MinPriority: engine.P1, Name: "In a Meeting – Interrupt for P1"},
		defMeetingP2:  {Action: engine.Interrupt, MinPriority: engine.P2, Name: "In a Meeting – Interrupt for P1/P2"},
		defMeetingDND: {Action: engine.Never, Name: "In a Meeting – Do Not Disturb"},
	}
	return p
}

type harness struct {
	t     *testing.T
	clock *clock
	store *memstore.Store
	disp  *recorder
	eng   *engine.Engine
	decs  []engine.Decision
}

func newHarness(t *testing.T, pol *engine.Policy, experts ...engine.Expert) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}, disp: &recorder{fail: map[engine.ExpertID]bool{}}}
	h.store = memstore.New(h.clock)
	eng, err := engine.New(engine.Config{
		Clock: h.clock, Store: h.store, Dispatcher: h.disp, Predictor: engine.DefaultPredictor(),
		Policy: pol, Experts: experts, ReplicaID: "r1",
		OnDecision: func(d *engine.Decision) { h.decs = append(h.decs, *d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	return h
}

func expert(id string, budget int, skills ...any) engine.Expert {
	x := engine.Expert{ID: engine.ExpertID(id), Name: id, Skills: map[string]int{}, InterruptBudgetPerHour: budget}
	for i := 0; i < len(skills); i += 2 {
		x.Skills[skills[i].(string)] = skills[i+1].(int)
	}
	return x
}

func (h *harness) presence(id string, p engine.Presence) {
	h.t.Helper()
	h.apply(engine.Event{Kind: engine.EvPresence, Expert: engine.ExpertID(id), At: h.clock.now, Presence: p})
}

func (h *harness) routing(id string, s engine.RoutingStatus) {
	h.t.Helper()
	h.apply(engine.Event{Kind: engine.EvRouting, Expert: engine.ExpertID(id), At: h.clock.now, Routing: s})
}

func (h *harness) apply(evs ...engine.Event) {
	h.t.Helper()
	if err := h.eng.Apply(ctx, evs...); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) submit(conv string, p engine.Priority, skills ...string) engine.Decision {
	h.t.Helper()
	d, err := h.eng.Submit(ctx, engine.Escalation{ConversationID: conv, Skills: skills, Priority: p})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func (h *harness) outcome(d engine.Delivery, r engine.DeliveryResult) {
	h.t.Helper()
	if err := h.eng.HandleOutcome(ctx, engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder, Result: r, At: h.clock.now}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) terminal(conv string) engine.Action {
	h.t.Helper()
	st, ok := h.eng.Status(conv)
	if !ok || !st.Terminal {
		h.t.Fatalf("%s: not terminal: %+v", conv, st)
	}
	return st.Action
}

func excludedFor(d engine.Decision, id string) (engine.Reason, bool) {
	for _, x := range d.Excluded {
		if x.Expert == engine.ExpertID(id) {
			return x.Reason, true
		}
	}
	return 0, false
}

func TestSelectionRespectsPresencePolicy(t *testing.T) {
	cases := []struct {
		name     string
		presence engine.Presence
		prio     engine.Priority
		routed   bool
		reason   engine.Reason
	}{
		// "Interrupt for P1" takes P1 only.
		{"interrupt-P1 takes P1", meetP1, engine.P1, true, 0},
		{"interrupt-P1 refuses P2", meetP1, engine.P2, false, engine.ExPresencePriority},
		// minPriority P2 means P1 and P2.
		{"interrupt-P2 takes P1", meetP2, engine.P1, true, 0},
		{"interrupt-P2 takes P2", meetP2, engine.P2, true, 0},
		{"interrupt-P2 refuses P3", meetP2, engine.P3, false, engine.ExPresencePriority},
		// Do Not Disturb is never interrupted, even for P1.
		{"DND refuses P1", meetDND, engine.P1, false, engine.ExPresenceNever},
		// A GUID the policy does not name, whose system presence (MEETING) has no fallback rule.
		{"unknown GUID never routed", mystery, engine.P1, false, engine.ExUnknownPresence},
		{"available takes P5", avail, engine.P5, true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testPolicy(), expert("alice", 0, "sap", 5))
			h.presence("alice", c.presence)
			h.routing("alice", engine.RSOffQueue)
			d := h.submit("c1", c.prio, "sap")
			if got := d.Action == engine.ActDeliver; got != c.routed {
				t.Fatalf("action %v (%s), want deliver=%v", d.Action, d.Why, c.routed)
			}
			if !c.routed {
				if r, ok := excludedFor(d, "alice"); !ok || r != c.reason {
					t.Errorf("exclusion = %v (%v), want %v; decision %+v", r, ok, c.reason, d)
				}
				if len(h.disp.got) != 0 {
					t.Errorf("delivered despite policy: %+v", h.disp.got)
				}
			}
		})
	}
}

func TestUnknownPresenceIsReported(t *testing.T) {
	pol := testPolicy()
	pol.Systems[engine.SysAway] = engine.Rule{Action: engine.Never}
	h := newHarness(t, pol, expert("a", 0, "x", 1), expert("b", 0, "x", 1))
	h.presence("a", mystery)
	h.presence("b", engine.Presence{Def: "custom-away", System: engine.SysAway})
	h.presence("a", avail) // known GUID: not reported
	got := h.eng.UnknownPresences()
	if len(got) != 2 || got[0].Def != defMystery || got[1].Def != "custom-away" {
		t.Fatalf("UnknownPresences = %+v", got)
	}
	if !strings.Contains(got[1].Fallback, "never") || !strings.Contains(got[0].Fallback, "none") {
		t.Errorf("fallbacks = %q, %q", got[0].Fallback, got[1].Fallback)
	}
}

func TestRoutingStatusRules(t *testing.T) {
	pol := testPolicy()
	pol.Routing[engine.RSCommunicating] = engine.Rule{Action: engine.Interrupt, MinPriority: engine.P1}
	cases := []struct {
		status engine.RoutingStatus
		prio   engine.Priority
		want   engine.Reason // 0 = delivered
	}{
		{engine.RSIdle, engine.P3, 0},
		{engine.RSOffQueue, engine.P3, 0},
		{engine.RSInteracting, engine.P1, engine.ExRoutingNever},   // never deliver to someone already on an interaction
		{engine.RSNotResponding, engine.P1, engine.ExRoutingNever}, // just missed one
		{engine.RSCommunicating, engine.P1, 0},                     // policy allows interrupting a non-ACD call for P1
		{engine.RSCommunicating, engine.P2, engine.ExRoutingPriority},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v-%v", c.status, c.prio), func(t *testing.T) {
			h := newHarness(t, pol, expert("a", 0))
			h.presence("a", avail)
			h.routing("a", c.status)
			d := h.submit("c", c.prio)
			if c.want == 0 {
				if d.Action != engine.ActDeliver {
					t.Fatalf("got %v: %s", d.Action, d.Why)
				}
				return
			}
			if r, _ := excludedFor(d, "a"); r != c.want || d.Action == engine.ActDeliver {
				t.Fatalf("got %v excluded %v, want %v", d.Action, r, c.want)
			}
		})
	}
}

func TestScoreOrdering(t *testing.T) {
	h := newHarness(t, testPolicy(),
		expert("avail-low", 0, "db", 2),
		expert("meeting-high", 0, "db", 5),
		expert("avail-high", 0, "db", 5),
		expert("nodb", 0, "net", 5),
	)
	h.presence("avail-low", avail)
	h.presence("meeting-high", meetP1)
	h.presence("avail-high", avail)
	h.presence("nodb", avail)
	d := h.submit("c1", engine.P1, "db")
	if d.Expert != "avail-high" {
		t.Fatalf("picked %s, want avail-high; candidates %+v", d.Expert, d.Candidates)
	}
	if d.SkillHolders != 3 || d.EligibleCount != 3 || len(d.Candidates) != 3 {
		t.Fatalf("explanation: holders %d eligible %d candidates %d", d.SkillHolders, d.EligibleCount, len(d.Candidates))
	}
	// available (presence=1) beats interruptible with the same skill; skill breaks the rest.
	c := d.Candidates
	if !(c[0].Score > c[1].Score && c[1].Score > c[2].Score) {
		t.Errorf("scores not strictly ordered: %+v", c)
	}
	if c[0].Presence != 1 || c[0].Skill != 1 || c[0].Fairness != 1 || c[0].Budget != 1 {
		t.Errorf("score parts of avail-high: %+v", c[0])
	}
	want := 0.4*1 + 0.3*1 + 0.2*1 + 0.1*1
	if math.Abs(c[0].Score-want) > 1e-12 {
		t.Errorf("score = %v, want %v", c[0].Score, want)
	}
}

func TestTiesBreakOnExpertID(t *testing.T) {
	for round := 0; round < 3; round++ {
		// Declared in different orders; the pick must not depend on it.
		ex := []engine.Expert{expert("zed", 0, "s", 3), expert("amy", 0, "s", 3), expert("max", 0, "s", 3)}
		ex[0], ex[round] = ex[round], ex[0]
		h := newHarness(t, testPolicy(), ex...)
		for _, x := range ex {
			h.presence(string(x.ID), avail)
		}
		if d := h.submit("c", engine.P3, "s"); d.Expert != "amy" {
			t.Fatalf("round %d: picked %s, want amy", round, d.Expert)
		}
	}
}

func TestFairnessPrefersLongestWithoutDelivery(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 3), expert("b", 0, "s", 3))
	h.presence("a", avail)
	h.presence("b", avail)
	d1 := h.submit("c1", engine.P3, "s")
	h.outcome(h.disp.last(), engine.Accepted)
	h.clock.Advance(time.Minute)
	h.routing(string(d1.Expert), engine.RSIdle) // call over, back to idle
	h.apply(engine.Event{Kind: engine.EvConversation, Expert: d1.Expert, At: h.clock.now, Conversation: "c1", ConvState: engine.ConvDisconnected})
	d2 := h.submit("c2", engine.P3, "s")
	if d2.Expert == d1.Expert {
		t.Fatalf("same expert twice in a row (%s); fairness should prefer the other", d2.Expert)
	}
}

func TestConcurrentEscalationsNeverShareAnExpert(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.presence("a", avail)
	h.presence("b", avail)
	d1 := h.submit("c1", engine.P1, "s")
	d2 := h.submit("c2", engine.P1, "s")
	if d1.Expert == d2.Expert || d1.Action != engine.ActDeliver || d2.Action != engine.ActDeliver {
		t.Fatalf("c1 → %s (%v), c2 → %s (%v)", d1.Expert, d1.Action, d2.Expert, d2.Action)
	}
	if r, _ := excludedFor(d2, string(d1.Expert)); r != engine.ExClaimed {
		t.Errorf("c2 exclusion of %s = %v, want claimed", d1.Expert, r)
	}
	// A third finds nobody: holds or falls back, never doubles up.
	d3 := h.submit("c3", engine.P1, "s")
	if d3.Action == engine.ActDeliver {
		t.Fatalf("c3 delivered to %s while both are claimed", d3.Expert)
	}
}

func TestTwoReplicasOneStoreNeverDoubleClaim(t *testing.T) {
	c := &clock{now: t0}
	store := memstore.New(c)
	mk := func(id string) (*engine.Engine, *recorder) {
		r := &recorder{}
		e, err := engine.New(engine.Config{Clock: c, Store: store, Dispatcher: r, Policy: testPolicy(),
			Experts: []engine.Expert{expert("a", 0, "s", 5), expert("b", 0, "s", 1)}, ReplicaID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []string{"a", "b"} {
			if err := e.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: engine.ExpertID(x), At: t0, Presence: avail}); err != nil {
				t.Fatal(err)
			}
		}
		return e, r
	}
	e1, _ := mk("r1")
	e2, _ := mk("r2")
	d1, _ := e1.Submit(ctx, engine.Escalation{ConversationID: "c1", Priority: engine.P1, Skills: []string{"s"}})
	d2, _ := e2.Submit(ctx, engine.Escalation{ConversationID: "c2", Priority: engine.P1, Skills: []string{"s"}})
	if d1.Expert != "a" || d2.Expert != "b" {
		t.Fatalf("r1 → %s, r2 → %s; want a then b (a is claimed in the shared store)", d1.Expert, d2.Expert)
	}
	if r, _ := excludedFor(d2, "a"); r != engine.ExClaimed {
		t.Errorf("r2 exclusion of a = %v, want claimed", r)
	}
}

func TestDeclineMovesToNextCandidateWithCooldown(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 3), expert("c", 0, "s", 1))
	for _, x := range []string{"a", "b", "c"} {
		h.presence(x, avail)
	}
	d := h.submit("c1", engine.P2, "s")
	if d.Expert != "a" {
		t.Fatalf("first pick %s", d.Expert)
	}
	h.outcome(h.disp.last(), engine.Declined)
	if got := h.disp.last(); got.Expert != "b" || got.Attempt != 2 {
		t.Fatalf("after decline delivered to %s attempt %d, want b attempt 2", got.Expert, got.Attempt)
	}
	h.outcome(h.disp.last(), engine.NoAnswer)
	if got := h.disp.last(); got.Expert != "c" || got.Attempt != 3 {
		t.Fatalf("after no-answer delivered to %s attempt %d", got.Expert, got.Attempt)
	}
	// A cooled-down expert is skipped by the next escalation too.
	d2 := h.submit("c2", engine.P2, "s")
	if r, _ := excludedFor(d2, "a"); r != engine.ExCooldown {
		t.Errorf("a excluded as %v, want cooldown", r)
	}
	// Third failure hits maxAttempts (3): fallback to the queue.
	h.outcome(h.disp.got[2], engine.Declined)
	if a := h.terminal("c1"); a != engine.ActFallback {
		t.Fatalf("c1 ended %v, want fallback", a)
	}
	last := h.decs[len(h.decs)-1]
	if last.ConversationID != "c1" || last.Queue != "Tier 3" || last.Result != "declined" {
		t.Errorf("fallback decision %+v", last)
	}
	// Cool-down ends.
	h.clock.Advance(11 * time.Minute)
	d3 := h.submit("c3", engine.P2, "s")
	if d3.Expert != "a" {
		t.Errorf("after cool-down picked %s, want a", d3.Expert)
	}
}

func TestAcceptedMakesExpertBusy(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5))
	h.presence("a", avail)
	h.routing("a", engine.RSIdle)
	h.submit("c1", engine.P1, "s")
	h.outcome(h.disp.last(), engine.Accepted)
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("c1 = %v", a)
	}
	st, _ := h.eng.State("a")
	if st.Routing != engine.RSInteracting || st.Conversation != "c1" {
		t.Fatalf("state after accept: %+v", st)
	}
	// An older IDLE event arriving late does not roll that back.
	h.apply(engine.Event{Kind: engine.EvRouting, Expert: "a", At: t0.Add(-time.Second), Routing: engine.RSIdle})
	d := h.submit("c2", engine.P1, "s")
	if d.Action == engine.ActDeliver {
		t.Fatalf("delivered to a busy expert")
	}
	if holder, _ := h.store.Holder(ctx, "a"); holder != "busy:c1" {
		t.Errorf("store claim = %q, want busy:c1", holder)
	}
}

func TestConversationEventsCompleteDeliveries(t *testing.T) {
	cases := []struct {
		name string
		ev   engine.Event
		want engine.Action // for c1 after the event (maxAttempts 1)
	}{
		{"connected means accepted", engine.Event{ConvState: engine.ConvConnected}, engine.ActRouted},
		{"never answered means declined", engine.Event{ConvState: engine.ConvDisconnected, NeverAnswered: true}, engine.ActFallback},
		{"timeout means no answer", engine.Event{ConvState: engine.ConvDisconnected, NeverAnswered: true, TimedOut: true}, engine.ActFallback},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pol := testPolicy()
			pol.MaxAttempts = 1
			h := newHarness(t, pol, expert("a", 0))
			h.presence("a", avail)
			h.submit("c1", engine.P1)
			ev := c.ev
			ev.Kind, ev.Expert, ev.At, ev.Conversation = engine.EvConversation, "a", h.clock.now, "c1"
			h.apply(ev)
			if a := h.terminal("c1"); a != c.want {
				t.Fatalf("c1 = %v, want %v", a, c.want)
			}
		})
	}
}

func TestDispatcherErrorTriesNext(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.presence("a", avail)
	h.presence("b", avail)
	h.disp.fail["a"] = true
	h.submit("c1", engine.P1, "s")
	if len(h.disp.got) != 2 || h.disp.got[1].Expert != "b" {
		t.Fatalf("deliveries %+v, want a (failed) then b", h.disp.got)
	}
	if h.decs[1].Result != "error" {
		t.Errorf("second decision result %q, want error", h.decs[1].Result)
	}
}

func TestOverdueOutcomeIsNoAnswer(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 1))
	h.presence("a", avail)
	h.presence("b", avail)
	h.submit("c1", engine.P1, "s")
	at, ok := h.eng.NextDeadline()
	if !ok || !at.Equal(t0.Add(35*time.Second)) {
		t.Fatalf("NextDeadline = %v %v, want claim TTL", at, ok)
	}
	h.clock.Advance(35 * time.Second)
	if err := h.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if h.disp.last().Expert != "b" || h.decs[1].Result != "no_answer" {
		t.Fatalf("after overdue outcome: %+v / %+v", h.disp.last(), h.decs[1])
	}
	// The late outcome of the first attempt is ignored.
	h.outcome(h.disp.got[0], engine.Accepted)
	if st, _ := h.eng.Status("c1"); st.Terminal {
		t.Fatalf("late outcome ended the escalation: %+v", st)
	}
}

func TestMicroWaitHoldsThenRoutesOnPresenceChange(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5))
	// 55 minutes into a 60-minute DND block.
	h.presence("a", meetDND)
	if err := h.eng.SetCalendar(ctx, "a", t0.Add(60*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(55 * time.Minute)
	d := h.submit("c1", engine.P1, "s")
	if d.Action != engine.ActHold {
		t.Fatalf("got %v (%s), want hold", d.Action, d.Why)
	}
	if d.HoldExpert != "a" || d.HoldProb < 0.6 || !d.HoldUntil.Equal(h.clock.now.Add(5*time.Minute)) {
		t.Errorf("hold decision %+v", d)
	}
	if d.ETAMessage != "less than 5 minutes" {
		t.Errorf("ETA message %q", d.ETAMessage)
	}
	if len(h.disp.got) != 0 {
		t.Fatal("delivered into DND")
	}
	// The meeting ends: presence event re-decides the hold, no polling.
	h.clock.Advance(4 * time.Minute)
	h.presence("a", avail)
	if len(h.disp.got) != 1 || h.disp.got[0].ConversationID != "c1" {
		t.Fatalf("presence change did not route the held escalation: %+v", h.disp.got)
	}
	h.outcome(h.disp.last(), engine.Accepted)
	if a := h.terminal("c1"); a != engine.ActRouted {
		t.Fatalf("c1 = %v", a)
	}
}

func TestMicroWaitCapFallsBack(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5))
	h.presence("a", meetDND)
	h.eng.SetCalendar(ctx, "a", t0.Add(60*time.Minute))
	h.clock.Advance(57 * time.Minute)
	if d := h.submit("c1", engine.P1, "s"); d.Action != engine.ActHold {
		t.Fatalf("want hold, got %v", d.Action)
	}
	// The meeting overruns; the hold never outlasts its cap.
	h.clock.Advance(5 * time.Minute)
	if err := h.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if a := h.terminal("c1"); a != engine.ActFallback {
		t.Fatalf("c1 = %v, want fallback", a)
	}
}

func TestMicroWaitBelowThresholdFallsBack(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5))
	// Just entered a meeting with no calendar: unlikely to end in 5 minutes.
	h.presence("a", meetDND)
	d := h.submit("c1", engine.P1, "s")
	if d.Action != engine.ActFallback || !strings.Contains(d.Why, "threshold") {
		t.Fatalf("got %v: %s", d.Action, d.Why)
	}
}

func TestInterruptionBudget(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 2, "s", 5))
	h.presence("a", meetP1)
	for i := 0; i < 2; i++ {
		d := h.submit(fmt.Sprintf("c%d", i), engine.P1, "s")
		if d.Action != engine.ActDeliver || !d.Interrupt {
			t.Fatalf("interrupt %d: %v", i, d.Action)
		}
		if i == 1 && d.Candidates[0].Budget != 0.5 {
			t.Errorf("budget part after one interruption = %v, want 0.5", d.Candidates[0].Budget)
		}
		h.outcome(h.disp.last(), engine.Accepted)
		h.clock.Advance(time.Minute)
		h.apply(engine.Event{Kind: engine.EvConversation, Expert: "a", At: h.clock.now, Conversation: fmt.Sprintf("c%d", i), ConvState: engine.ConvDisconnected})
		h.routing("a", engine.RSOffQueue)
	}
	d := h.submit("c9", engine.P1, "s")
	if r, _ := excludedFor(d, "a"); r != engine.ExBudget {
		t.Fatalf("third interruption in an hour: %v excluded %v", d.Action, r)
	}
	h.clock.Advance(time.Hour)
	if d := h.submit("c10", engine.P1, "s"); d.Action != engine.ActDeliver {
		t.Fatalf("budget did not refill after an hour: %v", d.Action)
	}
}

func TestAbandonReleasesClaim(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	h.presence("a", avail)
	h.submit("c1", engine.P1)
	if err := h.eng.Abandon(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if a := h.terminal("c1"); a != engine.ActAbandoned {
		t.Fatalf("c1 = %v", a)
	}
	if holder, _ := h.store.Holder(ctx, "a"); holder != "" {
		t.Errorf("claim still held by %q", holder)
	}
	if d := h.submit("c2", engine.P1); d.Expert != "a" {
		t.Errorf("a not available after abandon: %v", d.Action)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0), expert("b", 0))
	h.presence("a", avail)
	h.presence("b", avail)
	h.submit("c1", engine.P1)
	d := h.submit("c1", engine.P1)
	if len(h.disp.got) != 1 || d.Action != engine.ActDeliver || d.Expert != "a" {
		t.Fatalf("retry re-routed: deliveries %d, decision %+v", len(h.disp.got), d)
	}
	h.outcome(h.disp.last(), engine.Accepted)
	if d := h.submit("c1", engine.P1); d.Action != engine.ActRouted || len(h.disp.got) != 1 {
		t.Fatalf("retry after routed: %+v", d)
	}
}

func TestSubmitRejectsBadInput(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	for _, x := range []engine.Escalation{{Priority: engine.P1}, {ConversationID: "c", Priority: 9}, {ConversationID: "c", Priority: engine.P1, Skills: []string{""}}} {
		if _, err := h.eng.Submit(ctx, x); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("Submit(%+v) err = %v, want ErrInvalid", x, err)
		}
	}
}

// Every escalation ends exactly once whatever happens to it.
func TestExactlyOneTerminalOutcome(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 2))
	h.presence("a", avail)
	h.presence("b", meetP1)
	results := []engine.DeliveryResult{engine.Accepted, engine.Declined, engine.NoAnswer, engine.DeliveryError}
	for i := 0; i < 40; i++ {
		conv := fmt.Sprintf("c%d", i)
		h.submit(conv, engine.Priority(1+i%5), "s")
		if i%7 == 3 {
			h.eng.Abandon(ctx, conv)
		}
		for k := 0; k < 3; k++ {
			if n := len(h.disp.got); n > 0 {
				d := h.disp.got[n-1]
				h.outcome(d, results[(i+k)%4])
				h.outcome(d, engine.Accepted) // duplicate: ignored
			}
		}
		h.clock.Advance(6 * time.Minute)
		h.eng.Tick(ctx)
		h.routing("a", engine.RSIdle)
		h.routing("b", engine.RSOffQueue)
		h.apply(engine.Event{Kind: engine.EvConversation, Expert: "a", At: h.clock.now, Conversation: conv, ConvState: engine.ConvDisconnected},
			engine.Event{Kind: engine.EvConversation, Expert: "b", At: h.clock.now, Conversation: conv, ConvState: engine.ConvDisconnected})
	}
	terminal := map[string]int{}
	for _, d := range h.decs {
		if d.Action.Terminal() {
			terminal[d.ConversationID]++
		}
	}
	for i := 0; i < 40; i++ {
		if n := terminal[fmt.Sprintf("c%d", i)]; n != 1 {
			t.Errorf("c%d has %d terminal decisions", i, n)
		}
	}
	if h.eng.InFlight() != 0 {
		t.Errorf("%d still in flight", h.eng.InFlight())
	}
}

// Idempotency outlives the engine's in-memory memory of finished
// escalations: the decision log in the store answers.
func TestSubmitIdempotentFromDecisionLog(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	h.presence("a", avail)
	h.submit("old", engine.P1)
	h.outcome(h.disp.last(), engine.Accepted)
	// A fresh engine (a restart, or another replica) on the same store.
	e2, err := engine.New(engine.Config{Clock: h.clock, Store: h.store, Dispatcher: h.disp, Policy: testPolicy(),
		Experts: []engine.Expert{expert("a", 0)}, ReplicaID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := e2.Submit(ctx, engine.Escalation{ConversationID: "old", Priority: engine.P1})
	if err != nil || d.Action != engine.ActRouted || len(h.disp.got) != 1 {
		t.Fatalf("resubmit on a new engine: %+v, %v, %d deliveries", d, err, len(h.disp.got))
	}
}

// Deadlines of finished escalations do not pile up when nobody ticks.
func TestDeadlinesStayBounded(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0))
	h.presence("a", avail)
	for i := 0; i < 1000; i++ {
		conv := fmt.Sprintf("c%d", i)
		h.submit(conv, engine.P1)
		if err := h.eng.Abandon(ctx, conv); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.eng.PendingDeadlines(); n > 100 {
		t.Fatalf("%d deadlines kept for 0 escalations in flight", n)
	}
}

// Two replicas behind one Data Action: a retry that lands on the other
// replica never routes the conversation twice.
func TestConversationRoutedByOneReplica(t *testing.T) {
	c := &clock{now: t0}
	store := memstore.New(c)
	var disp recorder
	mk := func(id string) *engine.Engine {
		e, err := engine.New(engine.Config{Clock: c, Store: store, Dispatcher: &disp, Policy: testPolicy(),
			Experts: []engine.Expert{expert("a", 0), expert("b", 0)}, ReplicaID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []engine.ExpertID{"a", "b"} {
			e.Apply(ctx, engine.Event{Kind: engine.EvPresence, Expert: x, At: t0, Presence: avail})
		}
		return e
	}
	r1, r2 := mk("r1"), mk("r2")
	x := engine.Escalation{ConversationID: "c1", Priority: engine.P1}
	d1, err := r1.Submit(ctx, x)
	if err != nil || d1.Action != engine.ActDeliver {
		t.Fatalf("r1: %+v %v", d1, err)
	}
	d2, err := r2.Submit(ctx, x)
	if err != nil || !d2.Duplicate || !strings.Contains(d2.Why, "replica r1") || len(disp.got) != 1 {
		t.Fatalf("r2: %+v %v; %d deliveries", d2, err, len(disp.got))
	}
}

// When every ranked candidate is held by another replica, the engine ranks
// the rest instead of giving up, and terminates.
func TestClaimRaceRanksTheRest(t *testing.T) {
	pol := testPolicy()
	pol.ExplainLimit = 0 // rank only minRanked (16) at a time
	var experts []engine.Expert
	for i := 0; i < 40; i++ {
		experts = append(experts, expert(fmt.Sprintf("e%02d", i), 0, "s", 5-i/10))
	}
	h := newHarness(t, pol, experts...)
	for _, x := range experts {
		h.presence(string(x.ID), avail)
	}
	// Another replica holds the 35 best in the shared store.
	for i := 0; i < 35; i++ {
		id := engine.ExpertID(fmt.Sprintf("e%02d", i))
		if got, err := h.store.ClaimFirst(ctx, []engine.ExpertID{id}, "other-replica", time.Hour); err != nil || got != 0 {
			t.Fatal(got, err)
		}
	}
	d := h.submit("c1", engine.P3, "s")
	if d.Action != engine.ActDeliver || d.Expert != "e35" {
		t.Fatalf("got %v to %s, want deliver to e35", d.Action, d.Expert)
	}
	if n := d.ExcludedCounts[engine.ExClaimed]; n != 35 {
		t.Errorf("claimed count %d, want 35", n)
	}
	// With everyone held: no loop, and no delivery.
	for i := 36; i < 40; i++ {
		h.store.ClaimFirst(ctx, []engine.ExpertID{engine.ExpertID(fmt.Sprintf("e%02d", i))}, "other-replica", time.Hour)
	}
	if d := h.submit("c2", engine.P3, "s"); d.Action == engine.ActDeliver {
		t.Fatalf("delivered to %s although everyone is held", d.Expert)
	}
}
