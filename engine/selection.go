package engine

import (
	"slices"
	"time"
)

// Score is the documented best-match score of an eligible expert, in [0, Σw]:
//
//		score = w.Skill·skill + w.Presence·presence + w.Fairness·fairness + w.Budget·budget
//
//	  - skill: mean proficiency over the required skills, divided by 5 (1 when
//	    no skill is required);
//	  - presence: 1 when both presence and routing-status rules say `route`,
//	    0 when the delivery would interrupt (available beats interruptible);
//	  - fairness: time since the expert's last delivery or interruption over
//	    Policy.FairnessHorizon, capped at 1 (1 if never delivered to);
//	  - budget: for interruptions, the share of the hourly interruption budget
//	    still unused (1 without a budget, and for non-interrupting deliveries).
//
// Ties break on the expert ID, ascending, so a decision is a pure function
// of state, policy and time.
func score(w Weights, horizon time.Duration, r *expertRec, skills []int32, interrupt bool, now time.Time) Candidate {
	c := Candidate{Expert: r.ID, Interrupt: interrupt}
	if len(skills) == 0 {
		c.Skill = 1
	} else {
		sum := 0
		for _, s := range skills {
			sum += int(r.prof[s])
		}
		c.Skill = float64(sum) / float64(5*len(skills))
	}
	if !interrupt {
		c.Presence = 1
	}
	last := r.st.LastDelivery
	if r.st.LastInterrupt.After(last) {
		last = r.st.LastInterrupt
	}
	if last.IsZero() {
		c.Fairness = 1
	} else {
		c.Fairness = min(1, float64(now.Sub(last))/float64(horizon))
		c.Fairness = max(0, c.Fairness)
	}
	c.Budget = 1
	if interrupt && r.InterruptBudgetPerHour > 0 {
		used := interruptsInHour(r.st.Interrupts, now)
		c.Budget = max(0, float64(r.InterruptBudgetPerHour-used)/float64(r.InterruptBudgetPerHour))
	}
	c.Score = w.Skill*c.Skill + w.Presence*c.Presence + w.Fairness*c.Fairness + w.Budget*c.Budget
	return c
}

// interruptsInHour counts interruptions in (now−1h, now].
func interruptsInHour(ts []time.Time, now time.Time) int {
	cut := now.Add(-time.Hour)
	n := 0
	for i := len(ts) - 1; i >= 0 && ts[i].After(cut); i-- {
		n++
	}
	return n
}

// better orders candidates: higher score first, then lower expert ID.
func better(a, b *Candidate) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Expert < b.Expert
}

// eligibility decides whether r may take an escalation of priority p now.
// It returns 0 and whether the delivery would interrupt, or the exclusion
// reason with a short detail.
func (e *Engine) eligibility(r *expertRec, idx int32, es *esc, now time.Time) (Reason, bool, string) {
	st := &r.st
	if st.PresenceSince.IsZero() && st.Presence.Def == "" {
		return ExNoPresence, false, ""
	}
	if e.pol.MaxStaleness > 0 && now.Sub(st.ConfirmedAt) > e.pol.MaxStaleness {
		return ExStale, false, ""
	}
	if !r.ruleOK {
		return ExUnknownPresence, false, string(st.Presence.Def)
	}
	ok, intr := r.rule.allows(es.Priority)
	if !ok {
		if r.rule.Action == Never {
			return ExPresenceNever, false, r.rule.Name
		}
		return ExPresencePriority, false, r.rule.Name
	}
	rs := st.Routing
	if st.Conversation != "" && rs != RSCommunicating {
		rs = RSInteracting // connected to a conversation: busy whatever the feed says yet
	}
	rr := e.routing[rs]
	rok, rintr := rr.allows(es.Priority)
	if !rok {
		if rr.Action == Never {
			return ExRoutingNever, false, rs.String()
		}
		return ExRoutingPriority, false, rs.String()
	}
	intr = intr || rintr
	if now.Before(st.CooldownUntil) {
		return ExCooldown, false, ""
	}
	if slices.Contains(es.tried, idx) {
		return ExTried, false, ""
	}
	if intr && r.InterruptBudgetPerHour > 0 && interruptsInHour(st.Interrupts, now) >= r.InterruptBudgetPerHour {
		return ExBudget, false, ""
	}
	if r.pending != nil {
		return ExClaimed, false, r.pending.ConversationID
	}
	return 0, intr, ""
}

// scratch holds buffers reused across decisions so the hot path does not
// allocate beyond what the decision keeps.
type scratch struct {
	blocked []int32
	cands   []Candidate
	ids     []ExpertID
	states  []ExpertState
}

// evaluation is the result of scanning the skill holders.
type evaluation struct {
	skillHolders int
	eligible     int
	cands        []Candidate // the best max(ExplainLimit, minRanked) eligible, best first (scratch-backed)
	excluded     []Exclusion // first ExplainLimit exclusions
	counts       [numReasons]int
	// blocked are skill holders who may become eligible with time; the
	// predictor looks at them when nobody is eligible.
	blocked []int32
}

// evaluate scans the experts holding every required skill.
func (e *Engine) evaluate(es *esc, now time.Time, wantBlocked bool) evaluation {
	ev := evaluation{excluded: make([]Exclusion, 0, min(e.pol.ExplainLimit, 16))}
	if wantBlocked {
		ev.blocked = e.scratch.blocked[:0]
	}
	pool := e.pool(es)
	k := max(e.pol.ExplainLimit, minRanked)
	top := e.scratch.cands[:0]
	limit := e.pol.ExplainLimit
	for _, idx := range pool {
		r := &e.experts[idx]
		if len(es.skillIDs) > 1 && !hasSkills(r, es.skillIDs) {
			continue
		}
		ev.skillHolders++
		reason, intr, detail := e.eligibility(r, idx, es, now)
		if reason != 0 {
			ev.counts[reason]++
			if len(ev.excluded) < limit {
				ev.excluded = append(ev.excluded, Exclusion{Expert: r.ID, Reason: reason, Detail: detail})
			}
			if wantBlocked && mayFree(reason) {
				ev.blocked = append(ev.blocked, idx)
			}
			continue
		}
		ev.eligible++
		c := score(e.pol.Weights, e.pol.FairnessHorizon, r, es.skillIDs, intr, now)
		top = insertTop(top, k, c)
	}
	e.scratch.cands = top
	if wantBlocked {
		e.scratch.blocked = ev.blocked
	}
	ev.cands = top
	return ev
}

// minRanked is the least number of best candidates ranked per decision, so
// a claim race lost on a few of them still has others to try.
const minRanked = 16

// insertTop keeps top sorted best-first with at most k entries. Only
// candidates that beat the current k-th are inserted, so a scan of n
// eligible experts costs O(n) comparisons plus O(k) moves per insertion,
// not a full sort. c is passed by value so it stays on the stack.
func insertTop(top []Candidate, k int, c Candidate) []Candidate {
	if len(top) == k && !better(&c, &top[k-1]) {
		return top
	}
	lo, hi := 0, len(top)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if better(&top[m], &c) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if len(top) < k {
		top = append(top, Candidate{})
	}
	copy(top[lo+1:], top[lo:len(top)-1])
	top[lo] = c
	return top
}

// mayFree reports whether an exclusion can lift with time alone.
func mayFree(r Reason) bool {
	switch r {
	case ExPresenceNever, ExPresencePriority, ExRoutingNever, ExRoutingPriority, ExOnConversation, ExCooldown, ExBudget, ExClaimed:
		return true
	}
	return false
}

// pool returns the smallest per-skill index list among the required skills
// (every expert when none is required; nobody when a skill is unknown).
func (e *Engine) pool(es *esc) []int32 {
	if es.unknownSkill {
		return nil
	}
	if len(es.skillIDs) == 0 {
		if len(e.all) != len(e.experts) {
			e.all = make([]int32, len(e.experts))
			for i := range e.all {
				e.all[i] = int32(i)
			}
		}
		return e.all
	}
	best := e.bySkill[es.skillIDs[0]]
	for _, s := range es.skillIDs[1:] {
		if l := e.bySkill[s]; len(l) < len(best) {
			best = l
		}
	}
	return best
}

func hasSkills(r *expertRec, skills []int32) bool {
	for _, s := range skills {
		if r.prof[s] < 0 {
			return false
		}
	}
	return true
}

func countsMap(c *[numReasons]int) map[string]int {
	var m map[string]int
	for r, n := range c {
		if n > 0 {
			if m == nil {
				m = map[string]int{}
			}
			m[Reason(r).String()] = n
		}
	}
	return m
}
