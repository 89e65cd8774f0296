package live

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// Invariant names.
const (
	InvForbiddenDelivery = "forbidden-presence-delivery" // (a)
	InvAssignedTwice     = "assigned-after-accepted"     // (b)
	InvRoutedUnassigned  = "routed-without-assign"       // (c)
	InvNotTerminal       = "escalation-not-terminal"     // (d)
	InvCacheDiverged     = "cache-not-truth"             // (e)
)

// Violation is one broken invariant with the minimal timeline around it:
// the events touching its conversation and expert, and the faults.
type Violation struct {
	Invariant    string
	Conversation string
	User         string
	Detail       string
	Timeline     []string
}

// check runs every invariant against the fake's truth t.
func (r *chaosRun) check(t genesys.Truth, pending []*chaosEsc, caches []cacheDiff) []Violation {
	var out []Violation
	add := func(inv, conv, user, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Conversation: conv, User: user, Detail: fmt.Sprintf(format, args...),
			Timeline: r.timeline(t, conv, user)})
	}
	pol := ChaosPolicy()
	// (a) No delivery into a presence the policy forbids for the
	// conversation's priority, once the replica that assigned had applied
	// that presence before it could have decided. The decision came after
	// the first Data Action call to that replica (to any, for a replica
	// that took the escalation over) and after the conversation's previous
	// delivery ended; a replica applies a bulk read before it starts the
	// next one, so two reads that both began after the presence was set
	// and before that point prove the presence was in its cache. (A
	// decision racing a fresh change is not knowable; one that ignored a
	// presence read twice is a bug.)
	r.mu.Lock()
	sent := map[string]time.Time{}
	sentTo := map[string]map[string]time.Time{}
	for _, e := range r.escs {
		sent[e.conv], sentTo[e.conv] = e.sent, maps.Clone(e.sentTo)
	}
	r.mu.Unlock()
	for i, d := range t.Deliveries {
		if d.Kind != "assign" || allowedBy(pol, d) {
			continue
		}
		a, ok := assignFor(t, d)
		if !ok {
			continue
		}
		since := presenceSince(t, d.UserID, d.AlertTime)
		decidedAfter, ok := sentTo[d.ConversationID][a.Caller]
		if !ok {
			decidedAfter = sent[d.ConversationID]
		}
		if end := previousEnd(t, i); end.After(decidedAfter) {
			decidedAfter = end
		}
		if n := bulkReadsBetween(t, a.Caller, d.UserID, since, decidedAfter); n >= 2 {
			add(InvForbiddenDelivery, d.ConversationID, d.UserID, "P%d delivered to %s in %q (set %v before the alert); %s had read that presence in %d bulk reads before it could have decided (%s)",
				d.Priority, userName(d.UserID), presenceName(d.PresenceID), d.AlertTime.Sub(since).Round(time.Millisecond), a.Caller, n, r.rel(decidedAfter))
		}
	}
	// (b) No /assign for a conversation once a delivery was accepted.
	for _, d := range t.Deliveries {
		if d.Outcome != "accepted" || d.EndTime == nil {
			continue
		}
		for _, a := range t.Assigns {
			if a.ConversationID == d.ConversationID && a.At.After(*d.EndTime) {
				add(InvAssignedTwice, d.ConversationID, a.UserID, "accepted by %s at %s, then /assign to %s by %s at %s (HTTP %d)",
					userName(d.UserID), r.rel(*d.EndTime), userName(a.UserID), a.Caller, r.rel(a.At), a.Status)
				break
			}
		}
	}
	// (c) Every routed answer names a user the fake was asked to take it:
	// an /assign of that conversation to that user reached the fake
	// (whatever it answered: a 503 is Genesys's doing, not a false claim).
	r.mu.Lock()
	escs := slices.Clone(r.escs)
	answers := map[*chaosEsc][]chaosAnswer{}
	for _, e := range escs {
		answers[e] = slices.Clone(e.answers)
	}
	r.mu.Unlock()
	for _, e := range escs {
		for _, ans := range answers[e] {
			if ans.Action != "routed" {
				continue
			}
			if ans.UserID == "" || !assignTried(t, e.conv, ans.UserID) {
				add(InvRoutedUnassigned, e.conv, ans.UserID, "%s answered routed to %q at %s; no /assign of it to that user ever reached the fake",
					ans.Replica, userName(ans.UserID), r.rel(ans.At))
				break
			}
		}
	}
	// (d) Every escalation ends within the bound.
	for _, e := range pending {
		add(InvNotTerminal, e.conv, t.Accepted[e.conv], "P%d %s escalation created at %s: %v after the schedule ended no replica reports it terminal as the fake saw it end (%s)",
			e.step.Priority, e.step.Skill, r.rel(e.created), chaosBound(pol), r.lastState(e, t.Accepted[e.conv]))
	}
	// (e) Caches equal the truth after faults stop and a full resync.
	for _, c := range caches {
		add(InvCacheDiverged, "", c.User, "%s caches %s as %q, the fake says %q", c.Replica, userName(c.User), presenceName(c.Cached), presenceName(c.True))
	}
	return out
}

// lastState describes the escalation as serve and the fake last reported it.
func (r *chaosRun) lastState(e *chaosEsc, accepted string) string {
	truth := "no delivery accepted"
	if accepted != "" {
		truth = "accepted by " + userName(accepted)
	}
	for _, s := range r.slots {
		if rep := s.cur.Load(); rep != nil && r.http != nil {
			var st serve.EscalationState
			code, err := r.http.do(context.Background(), "GET", rep.url+"/v1/escalations/"+e.conv, "", &st)
			if err != nil {
				return fmt.Sprintf("%s; GET on %s: %v", truth, rep.name, err)
			}
			return fmt.Sprintf("%s; GET on %s: HTTP %d %s %s terminal=%v", truth, rep.name, code, st.Action, userName(st.UserID), st.Terminal)
		}
	}
	return truth + "; no replica up"
}

func allowedBy(pol *engine.Policy, d genesys.TruthDelivery) bool {
	sys, _ := engine.ParseSystemPresence(d.SystemPresence)
	rule, found := pol.Rule(engine.Presence{Def: engine.PresenceDefID(d.PresenceID), System: sys})
	if !found {
		return false
	}
	switch rule.Action {
	case engine.Route:
		return true
	case engine.Interrupt:
		return engine.Priority(d.Priority).AtLeast(rule.MinPriority)
	}
	return false
}

// presenceSince is when the presence a user had at t was set.
func presenceSince(t genesys.Truth, user string, at time.Time) time.Time {
	var since time.Time
	for _, p := range t.Presence {
		if p.UserID == user && !p.At.After(at) {
			since = p.At
		}
	}
	return since
}

// assignFor finds the accepted /assign (HTTP 202) that made delivery d.
func assignFor(t genesys.Truth, d genesys.TruthDelivery) (genesys.TruthAssign, bool) {
	for _, a := range t.Assigns {
		if a.ConversationID == d.ConversationID && a.UserID == d.UserID && a.Status == 202 && !a.At.Before(d.AlertTime) {
			return a, true
		}
	}
	return genesys.TruthAssign{}, false
}

// previousEnd is when the delivery before deliveries[i] of the same
// conversation ended (or the zero time).
func previousEnd(t genesys.Truth, i int) time.Time {
	conv := t.Deliveries[i].ConversationID
	for j := i - 1; j >= 0; j-- {
		if d := t.Deliveries[j]; d.ConversationID == conv && d.EndTime != nil {
			return *d.EndTime
		}
	}
	return time.Time{}
}

func bulkReadsBetween(t genesys.Truth, caller, user string, after, before time.Time) int {
	n := 0
	for _, b := range t.BulkReads {
		if b.Caller == caller && b.At.After(after) && b.At.Before(before) && slices.Contains(b.UserIDs, user) {
			n++
		}
	}
	return n
}

func assignTried(t genesys.Truth, conv, user string) bool {
	for _, a := range t.Arrivals {
		if a.ConversationID == conv && a.UserID == user {
			return true
		}
	}
	for _, a := range t.Assigns {
		if a.ConversationID == conv && a.UserID == user {
			return true
		}
	}
	return false
}

// rel is a fake-clock time as seconds since the schedule started.
func (r *chaosRun) rel(at time.Time) string {
	return fmt.Sprintf("%+.3fs", at.Sub(r.start).Seconds())
}

// timeline lists, in time order, what touched conv or user: presence
// changes, /assign arrivals and answers, deliveries, Data Action answers,
// faults and replica starts and stops.
func (r *chaosRun) timeline(t genesys.Truth, conv, user string) []string {
	all := conv == "*"
	if all {
		conv, user = "", ""
	}
	type line struct {
		at   time.Time
		text string
	}
	var ls []line
	if user != "" || all {
		for _, p := range t.Presence {
			if p.UserID == user || all {
				ls = append(ls, line{p.At, fmt.Sprintf("presence %s → %s", userName(user), presenceName(p.PresenceID))})
			}
		}
	}
	if user != "" && !all {
		for _, b := range t.BulkReads {
			if slices.Contains(b.UserIDs, user) {
				ls = append(ls, line{b.At, fmt.Sprintf("bulk presence read by %s", b.Caller)})
			}
		}
	}
	for _, a := range t.Arrivals {
		if (conv != "" && a.ConversationID == conv) || all {
			ls = append(ls, line{a.At, fmt.Sprintf("/assign of %s arrives from %s", userName(a.UserID), a.Caller)})
		}
	}
	for _, a := range t.Assigns {
		if (conv != "" && a.ConversationID == conv) || (conv == "" && a.UserID == user) || all {
			ls = append(ls, line{a.At, fmt.Sprintf("/assign %s to %s by %s → HTTP %d %s", short(a.ConversationID), userName(a.UserID), a.Caller, a.Status, a.Code)})
		}
	}
	for _, d := range t.Deliveries {
		if (conv != "" && d.ConversationID == conv) || (user != "" && d.UserID == user) || all {
			ls = append(ls, line{d.AlertTime, fmt.Sprintf("delivery %s P%d alerts %s in %q", short(d.ConversationID), d.Priority, userName(d.UserID), presenceName(d.PresenceID))})
			if d.EndTime != nil {
				ls = append(ls, line{*d.EndTime, fmt.Sprintf("delivery %s to %s: %s", short(d.ConversationID), userName(d.UserID), d.Outcome)})
			}
		}
	}
	r.mu.Lock()
	for _, e := range r.events {
		if e.Conv == "" || e.Conv == conv || all {
			ls = append(ls, line{e.At, e.Text})
		}
	}
	for _, e := range r.escs {
		if e.conv == conv || all {
			ls = append(ls, line{e.created, fmt.Sprintf("escalation %s created: %s P%d", short(e.conv), e.step.Skill, e.step.Priority)})
		}
	}
	r.mu.Unlock()
	slices.SortStableFunc(ls, func(a, b line) int { return a.at.Compare(b.at) })
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = r.rel(l.at) + "  " + l.text
	}
	return out
}

// short abbreviates a GUID to its last 6 characters.
func short(id string) string {
	if len(id) > 6 {
		return "…" + id[len(id)-6:]
	}
	return id
}

// Report writes the run's verdict: one line when clean; the seed, each
// violation and its timeline otherwise.
func (res *ChaosResult) Report(w io.Writer) {
	fmt.Fprintf(w, "seed %d: %d escalations, %d faults, %d violations\n", res.Plan.Seed, res.Escalations, total(res.Injected), len(res.Violations))
	for _, v := range res.Violations {
		fmt.Fprintf(w, "  VIOLATION %s (seed %d, replay: shadowq chaos --seed %d --duration %v --replicas %d)\n    %s\n",
			v.Invariant, res.Plan.Seed, res.Plan.Seed, res.Plan.Duration, res.Plan.Replicas, v.Detail)
		for _, l := range v.Timeline {
			fmt.Fprintf(w, "      %s\n", l)
		}
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// ChaosTotals accumulates runs for the command's summary.
type ChaosTotals struct {
	Runs, Escalations, Violations int
	Faults                        map[string]int
	ByInvariant                   map[string]int
	FailedSeeds                   []uint64
}

// Add counts one run.
func (t *ChaosTotals) Add(res *ChaosResult) {
	if t.Faults == nil {
		t.Faults, t.ByInvariant = map[string]int{}, map[string]int{}
	}
	t.Runs++
	t.Escalations += res.Escalations
	t.Violations += len(res.Violations)
	for k, v := range res.Injected {
		t.Faults[k] += v
	}
	for _, v := range res.Violations {
		t.ByInvariant[v.Invariant]++
	}
	if len(res.Violations) > 0 {
		t.FailedSeeds = append(t.FailedSeeds, res.Plan.Seed)
	}
}

// Print writes the totals.
func (t *ChaosTotals) Print(w io.Writer) {
	fmt.Fprintf(w, "runs %d, escalations %d, faults %d, violations %d\n", t.Runs, t.Escalations, total(t.Faults), t.Violations)
	for _, k := range AllFaults {
		fmt.Fprintf(w, "  %-16s %d\n", k, t.Faults[k])
	}
	for _, k := range []string{InvForbiddenDelivery, InvAssignedTwice, InvRoutedUnassigned, InvNotTerminal, InvCacheDiverged} {
		if n := t.ByInvariant[k]; n > 0 {
			fmt.Fprintf(w, "  violation %-28s %d\n", k, n)
		}
	}
	if len(t.FailedSeeds) > 0 {
		s := make([]string, len(t.FailedSeeds))
		for i, v := range t.FailedSeeds {
			s[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(w, "  failing seeds: %s\n", strings.Join(s, " "))
	}
}
