// Package playback makes the fake Genesys Cloud play a simulator scenario
// in real time or accelerated: the scenario's experts become the org's
// users, its presence definitions the org's, and one simulated day
// (experts' shifts, meetings, breaks and churn; escalations arriving in a
// queue) is replayed through the fake's own admin methods, so everything a
// client sees arrives over the real REST and Notification APIs.
package playback

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// QueueID is the queue every played escalation waits in.
const QueueID = "5ce4a710-0000-4000-8000-000000000001"

// UserID is the Genesys user id (a GUID) the fake gives a scenario expert:
// a stable hash of the expert id, so configs can be written for it.
func UserID(expert engine.ExpertID) string {
	h := sha256.Sum256([]byte("shadowq-expert:" + string(expert)))
	return fmt.Sprintf("%x-%x-4%x-8%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])[:36]
}

// systemSpelling is /api/v2/presence/definitions' spelling.
var systemSpelling = map[engine.SystemPresence]string{
	engine.SysAvailable: "Available", engine.SysAway: "Away", engine.SysBusy: "Busy", engine.SysOffline: "Offline",
	engine.SysIdle: "Idle", engine.SysOnQueue: "OnQueue", engine.SysMeal: "Meal", engine.SysTraining: "Training",
	engine.SysMeeting: "Meeting", engine.SysBreak: "Break",
}

// Org converts a scenario into the fake's seed data.
func Org(sc *scenarios.Scenario) genesys.Org {
	org := genesys.Org{ID: "5ce4a710-0000-4000-8000-0000000000aa", Name: sc.Name}
	defs := genesys.SystemPresenceDefinitions()
	have := map[string]bool{}
	for _, d := range defs {
		have[d.ID] = true
	}
	for _, n := range sc.PresenceNames {
		p := sc.Presences[n]
		if have[string(p.ID)] {
			continue
		}
		have[string(p.ID)] = true
		defs = append(defs, genesys.PresenceDefinition{ID: string(p.ID), Name: p.Label, Type: "User", SystemPresence: systemSpelling[p.System]})
	}
	org.PresenceDefinitions = defs
	skillID := map[string]string{}
	for _, x := range sc.Experts {
		for s := range x.Skills {
			if _, ok := skillID[s]; !ok {
				skillID[s] = ""
			}
		}
	}
	names := make([]string, 0, len(skillID))
	for s := range skillID {
		names = append(names, s)
	}
	slices.Sort(names)
	for i, s := range names {
		skillID[s] = fmt.Sprintf("5ce4a710-5c11-4000-8000-%012d", i+1)
		org.Skills = append(org.Skills, genesys.Skill{ID: skillID[s], Name: s})
	}
	d := sc.Deliveries
	answer := genesys.AnswerModel{Accept: d.Default.Accept, Decline: d.Default.Decline, NoAnswer: d.Default.NoAnswer,
		Delay: max(d.ResponseTime.Expected(), time.Second), HandleTime: max(d.HandleTime.Expected(), time.Second)}
	q := genesys.Queue{ID: QueueID, Name: "Tier 3 Escalations", AlertTimeout: d.AlertTimeout}
	for _, x := range sc.Experts {
		u := genesys.User{ID: UserID(x.ID), Name: string(x.ID), Email: strings.ToLower(string(x.ID)) + "@example.com",
			Title: x.Group, PresenceID: string(sc.Presences[sc.OfflinePresence].ID), Answer: &answer}
		for _, s := range slices.Sorted(maps.Keys(x.Skills)) {
			u.Skills = append(u.Skills, genesys.UserSkill{SkillID: skillID[s], Proficiency: float64(x.Skills[s])})
		}
		org.Users = append(org.Users, u)
		q.Members = append(q.Members, u.ID)
	}
	org.Queues = []genesys.Queue{q}
	return org
}

// step is one thing to do at one time.
type step struct {
	at   time.Duration
	seq  int
	user string
	def  string // presence change, or
	esc  *sim.PlannedEscalation
}

// Steps turns a plan into time-ordered changes. A hide-mode
// cherry-picker shows the hide presence whenever they would become free
// (shift start, the end of a block or of a churn excursion) for their next
// planned hide length, cut short by their next block; the simulator also
// hides after every call, which a static plan cannot know.
func steps(sc *scenarios.Scenario, p *sim.Plan) []step {
	var out []step
	hideDef := ""
	if cp := sc.CherryPickers.Presence; cp != "" {
		hideDef = string(sc.Presences[cp].ID)
	}
	for _, x := range p.Experts {
		u := UserID(x.ID)
		add := func(at time.Duration, user, presence string) {
			// Nothing moves after the shift ends: the last change is going
			// offline.
			at = min(at, x.Shift.End)
			out = append(out, step{at: at, seq: len(out), user: user, def: string(sc.Presences[presence].ID)})
		}
		var starts []time.Duration // when something else takes over
		for _, b := range x.Blocks {
			starts = append(starts, b.Start)
		}
		var churn []sim.PlannedBlock
		for _, c := range x.Churn {
			if !slices.ContainsFunc(x.Blocks, func(b sim.PlannedBlock) bool { return c.Start < b.End && b.Start < c.End }) {
				churn = append(churn, c)
				starts = append(starts, c.Start)
			}
		}
		slices.Sort(starts)
		hides := 0
		free := func(at time.Duration) {
			if len(x.Hides) == 0 || hideDef == "" || hides >= len(x.Hides) {
				add(at, u, x.WorkPresence)
				return
			}
			end := at + x.Hides[hides]
			hides++
			if i, _ := slices.BinarySearch(starts, at+1); i < len(starts) && starts[i] < end {
				end = starts[i]
			}
			at = min(at, x.Shift.End)
			out = append(out, step{at: at, seq: len(out), user: u, def: hideDef})
			if end < x.Shift.End {
				add(end, u, x.WorkPresence)
			}
		}
		free(x.Shift.Start)
		for _, b := range x.Blocks {
			add(b.Start, u, b.Presence)
			free(b.End)
		}
		for _, c := range churn {
			add(c.Start, u, c.Presence)
			free(c.End)
		}
		add(x.Shift.End, u, sc.OfflinePresence)
	}
	for i := range p.Arrivals {
		out = append(out, step{at: p.Arrivals[i].At, seq: len(out), esc: &p.Arrivals[i]})
	}
	slices.SortFunc(out, func(a, b step) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.seq - b.seq
	})
	return out
}

// hideAfterCalls makes hide-mode cherry-pickers hide whenever a call of
// theirs ends, as the simulator's do: they show the hide presence (if
// they were in their work presence) for their next hide length, then go
// back to work unless something else changed their presence meanwhile.
// Dynamic hides take their lengths from the end of the planned ones, the
// static hides (steps) from the start.
func hideAfterCalls(ctx context.Context, srv *genesys.Server, sc *scenarios.Scenario, p *sim.Plan, timeScale float64) {
	cp := sc.CherryPickers.Presence
	if cp == "" {
		return
	}
	hideDef := string(sc.Presences[cp].ID)
	type picker struct {
		work  string
		hides []time.Duration
		next  int
	}
	var mu sync.Mutex
	pickers := map[string]*picker{}
	for _, x := range p.Experts {
		if len(x.Hides) > 0 {
			pickers[UserID(x.ID)] = &picker{work: string(sc.Presences[x.WorkPresence].ID), hides: x.Hides}
		}
	}
	if len(pickers) == 0 {
		return
	}
	srv.OnAgentFree(func(user string) {
		mu.Lock()
		pk := pickers[user]
		var d time.Duration
		if pk != nil && pk.next < len(pk.hides) {
			pk.next++
			d = pk.hides[len(pk.hides)-pk.next]
		}
		mu.Unlock()
		if d == 0 || ctx.Err() != nil {
			return
		}
		if ok, _ := srv.SetPresenceIf(user, pk.work, hideDef); ok {
			time.AfterFunc(time.Duration(float64(d)/timeScale), func() { srv.SetPresenceIf(user, hideDef, pk.work) })
		}
	})
}

// Stats counts what a playback did.
type Stats struct {
	PresenceChanges int
	Escalations     int
	Errors          int
}

// Play replays replication rep of the scenario on srv, timeScale× faster
// than real time, until the day ends or ctx is cancelled.
func Play(ctx context.Context, srv *genesys.Server, sc *scenarios.Scenario, rep int, timeScale float64) (Stats, error) {
	return PlayFlow(ctx, srv, sc, rep, timeScale, nil)
}

// PlayFlow is Play that also hands every escalation's new conversation to
// flow (when not nil), as Genesys hands it to the in-queue flow: call
// shadowq's Data Action, release it to the ACD on fallback, and so on.
// flow is called from Play's goroutine and must not block it (start a
// goroutine for the work).
func PlayFlow(ctx context.Context, srv *genesys.Server, sc *scenarios.Scenario, rep int, timeScale float64, flow func(convID string, e sim.PlannedEscalation)) (Stats, error) {
	if timeScale <= 0 {
		timeScale = 1
	}
	var st Stats
	start := time.Now()
	plan := sim.MakePlan(sc, rep)
	hideAfterCalls(ctx, srv, sc, plan, timeScale)
	for _, s := range steps(sc, plan) {
		wait := time.Until(start.Add(time.Duration(float64(s.at) / timeScale)))
		if wait > 0 {
			select {
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(wait):
			}
		}
		var err error
		if s.esc != nil {
			var id string
			id, err = srv.CreateConversation(genesys.NewConversation{QueueID: QueueID, Skills: s.esc.Skills, Priority: int(s.esc.Priority)})
			st.Escalations++
			if err == nil && flow != nil {
				flow(id, *s.esc)
			}
		} else {
			err = srv.SetPresence(s.user, s.def, "")
			st.PresenceChanges++
		}
		if err != nil {
			st.Errors++
		}
	}
	return st, nil
}
