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
func (e *Engine) parts(idx int32, skills []int32, interrupt bool, now int64) (skill, presence, fairness, budget float64) {
	h := &e.hot[idx]
	skill = 1
	if len(skills) > 0 {
		sum := 0
		row := e.profs[int(idx)*e.nSkills:]
		for _, s := range skills {
			sum += int(row[s])
		}
		skill = float64(sum) / float64(5*len(skills))
	}
	if !interrupt {
		presence = 1
	}
	fairness = 1
	if h.lastTouch != never {
		fairness = max(0, min(1, float64(now-h.lastTouch)/float64(e.pol.FairnessHorizon)))
	}
	budget = 1
	if interrupt && h.budget > 0 {
		used := interruptsInHour(e.experts[idx].st.Interrupts, time.Unix(0, now))
		budget = max(0, float64(int(h.budget)-used)/float64(h.budget))
	}
	return
}

// candidate returns the scored candidate with its parts, for the log.
func (e *Engine) candidate(idx int32, skills []int32, interrupt bool, now int64) Candidate {
	c := Candidate{Expert: e.experts[idx].ID, Interrupt: interrupt}
	c.Skill, c.Presence, c.Fairness, c.Budget = e.parts(idx, skills, interrupt, now)
	w := &e.pol.Weights
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

// ranked is a scored expert during the scan; experts are indexed in ID
// order, so the index breaks ties exactly as the ID does.
type ranked struct {
	score float64
	idx   int32
	intr  bool
}

// better orders candidates: higher score first, then lower expert ID.
func better(a, b *ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.idx < b.idx
}

// eligibility decides whether expert idx may take es now, from the packed
// hot record only. It returns 0 and whether the delivery would interrupt,
// or the exclusion reason.
func (e *Engine) eligibility(idx int32, es *esc, now int64) (Reason, bool) {
	h := &e.hot[idx]
	if !h.known {
		return ExNoPresence, false
	}
	if e.pol.MaxStaleness > 0 && now-h.confirmed > int64(e.pol.MaxStaleness) {
		return ExStale, false
	}
	if !h.ruleOK {
		return ExUnknownPresence, false
	}
	ok, intr := Rule{Action: h.action, MinPriority: h.minPrio}.allows(es.Priority)
	if !ok {
		if h.action == Never {
			return ExPresenceNever, false
		}
		return ExPresencePriority, false
	}
	rr := e.routing[h.routing]
	rok, rintr := rr.allows(es.Priority)
	if !rok {
		if rr.Action == Never {
			return ExRoutingNever, false
		}
		return ExRoutingPriority, false
	}
	intr = intr || rintr
	if now < h.cooldown {
		return ExCooldown, false
	}
	if len(es.tried) > 0 && slices.Contains(es.tried, idx) {
		return ExTried, false
	}
	if intr && now < h.budgetFull {
		return ExBudget, false
	}
	if h.pending {
		return ExClaimed, false
	}
	return 0, intr
}

// detail explains an exclusion for the decision log (cold path: only for
// the exclusions that are listed).
func (e *Engine) detail(idx int32, r Reason) string {
	x := &e.experts[idx]
	switch r {
	case ExUnknownPresence:
		return string(x.st.Presence.Def)
	case ExPresenceNever, ExPresencePriority:
		return x.rule.Name
	case ExRoutingNever, ExRoutingPriority:
		return e.hot[idx].routing.String()
	case ExClaimed:
		if x.pending != nil {
			return x.pending.ConversationID
		}
	}
	return ""
}

// scratch holds buffers reused across decisions so the hot path does not
// allocate beyond what the decision keeps.
type scratch struct {
	blocked []int32
	top     []ranked
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
func (e *Engine) evaluate(es *esc, at time.Time, wantBlocked bool) evaluation {
	now := at.UnixNano()
	var ev evaluation
	if e.pol.ExplainLimit > 0 {
		ev.excluded = make([]Exclusion, 0, e.pol.ExplainLimit)
	}
	if wantBlocked {
		ev.blocked = e.scratch.blocked[:0]
	}
	pool := e.pool(es)
	k := max(e.pol.ExplainLimit, minRanked)
	top := e.scratch.top[:0]
	w := e.pol.Weights
	limit := e.pol.ExplainLimit
	for _, idx := range pool {
		if len(es.skillIDs) > 1 && !e.hasSkills(idx, es.skillIDs) {
			continue
		}
		ev.skillHolders++
		reason, intr := e.eligibility(idx, es, now)
		if reason != 0 {
			ev.counts[reason]++
			if len(ev.excluded) < limit {
				ev.excluded = append(ev.excluded, Exclusion{Expert: e.experts[idx].ID, Reason: reason, Detail: e.detail(idx, reason)})
			}
			if wantBlocked && mayFree(reason) {
				ev.blocked = append(ev.blocked, idx)
			}
			continue
		}
		ev.eligible++
		sk, pr, fa, bu := e.parts(idx, es.skillIDs, intr, now)
		top = insertTop(top, k, ranked{score: w.Skill*sk + w.Presence*pr + w.Fairness*fa + w.Budget*bu, idx: idx, intr: intr})
	}
	e.scratch.top = top
	cands := e.scratch.cands[:0]
	for _, t := range top {
		cands = append(cands, e.candidate(t.idx, es.skillIDs, t.intr, now))
	}
	e.scratch.cands = cands
	if wantBlocked {
		e.scratch.blocked = ev.blocked
	}
	ev.cands = cands
	return ev
}

// minRanked is the least number of best candidates ranked per decision, so
// a claim race lost on a few of them still has others to try.
const minRanked = 16

// insertTop keeps top sorted best-first with at most k entries. Only
// candidates that beat the current k-th are inserted, so a scan of n
// eligible experts costs O(n) comparisons plus O(k) moves per insertion,
// not a full sort. c is passed by value so it stays on the stack.
func insertTop(top []ranked, k int, c ranked) []ranked {
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
		top = append(top, ranked{})
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

func (e *Engine) hasSkills(idx int32, skills []int32) bool {
	row := e.profs[int(idx)*e.nSkills:]
	for _, s := range skills {
		if row[s] < 0 {
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
