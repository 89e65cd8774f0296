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
// of state, policy and time. consider computes the parts (cheapParts,
// budgetPart) and the ranking keeps them; candidate adds them up.

// skillPart is the mean proficiency over the required skills, over 5.
func (e *Engine) skillPart(idx int32, skills []int32) float64 {
	if len(skills) == 0 {
		return 1
	}
	sum := 0
	row := e.profs[int(idx)*e.nSkills:]
	for _, s := range skills {
		sum += int(row[s])
	}
	return float64(sum) / float64(5*len(skills))
}

// cheapParts are the parts read from packed tables only.
func (e *Engine) cheapParts(idx int32, skill float64, interrupt bool, now int64) (float64, float64, float64) {
	presence, fairness := 0.0, 1.0
	if !interrupt {
		presence = 1
	}
	if lt := e.hot[idx].lastTouch; lt != never {
		fairness = max(0, min(1, float64(now-lt)/float64(e.pol.FairnessHorizon)))
	}
	return skill, presence, fairness
}

// budgetPart needs the interruption history (cold data); the scan only
// computes it for candidates that could still enter the ranking.
func (e *Engine) budgetPart(idx int32, interrupt bool, now int64) float64 {
	h := &e.hot[idx]
	if !interrupt || h.budget == 0 {
		return 1
	}
	used := interruptsInHour(e.experts[idx].st.Interrupts, time.Unix(0, now))
	return max(0, float64(int(h.budget)-used)/float64(h.budget))
}

// candidate returns the ranked expert as a scored candidate with its
// parts, for the log: the parts consider computed, so that the expert's
// tables are not read a second time (at 10,000 experts, a cache miss or
// more per candidate, 16 candidates per decision).
func (e *Engine) candidate(t *ranked) Candidate {
	c := Candidate{Expert: e.experts[t.idx].ID, Interrupt: t.intr,
		Skill: t.skill, Presence: t.presence, Fairness: t.fairness, Budget: t.budget}
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

// ranked is a scored expert during the scan, with the parts of its score;
// experts are indexed in ID order, so the index breaks ties exactly as the
// ID does.
type ranked struct {
	score                             float64
	skill, presence, fairness, budget float64
	idx                               int32
	intr                              bool
}

// better orders candidates: higher score first, then lower expert ID.
func better(a, b *ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.idx < b.idx
}

// eligibility decides whether expert idx may take es now: first from its
// 4-byte gate (presence and routing-status rules), then from its packed hot
// record. It returns 0 and whether the delivery would interrupt, or the
// exclusion reason.
func (e *Engine) eligibility(idx int32, es *esc, now int64) (Reason, bool) {
	g := e.gates[idx]
	p := uint8(es.Priority)
	switch {
	case g.pres == 0:
		return Reason(g.why), false
	case g.pres&7 < p:
		return ExPresencePriority, false
	case g.rout == 0:
		return ExRoutingNever, false
	case g.rout&7 < p:
		return ExRoutingPriority, false
	}
	intr := (g.pres|g.rout)&allowIntr != 0
	h := &e.hot[idx]
	if e.pol.MaxStaleness > 0 && now-max(h.confirmed, e.confFloorNs) > int64(e.pol.MaxStaleness) {
		return ExStale, false
	}
	if now < h.cooldown {
		return ExCooldown, false
	}
	if len(es.tried) > 0 && slices.Contains(es.tried, idx) {
		return ExTried, false
	}
	if intr && now < h.budgetFull {
		return ExBudget, false
	}
	if h.pending || (len(es.skip) > 0 && slices.Contains(es.skip, idx)) {
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
	sources []source
	parked  []ltEntry // list entries of parked members a ranking met (rankFrom)
	cands   []Candidate
	idxs    []int32
	ids     []ExpertID
	states  []ExpertState
	probs   probMemo
	late    []int32 // the holders planHold set aside (calendarBound), in expert order
}

// evaluation is the result of scanning the skill holders.
type evaluation struct {
	skillHolders int
	eligible     int
	cands        []Candidate // the best max(ExplainLimit, minRanked) eligible, best first (scratch-backed)
	idxs         []int32     // aligned with cands: their expert indexes (scratch-backed)
	excluded     []Exclusion // first ExplainLimit exclusions
	counts       ReasonCounts
}

// evaluate finds the eligible experts holding every required skill, ranks
// the best, and explains the others: through the skill set's group when it
// is indexed (see eligindex.go), else by a scan of the holders.
func (e *Engine) evaluate(es *esc, at time.Time) evaluation {
	if gr := e.groupOf(es); gr != nil {
		return e.evalGroup(gr, es, at.UnixNano())
	}
	return e.scanHolders(es, at.UnixNano())
}

// scanHolders is evaluate by a scan of every expert holding the skills.
func (e *Engine) scanHolders(es *esc, now int64) evaluation {
	var ev evaluation
	if e.pol.ExplainLimit > 0 {
		ev.excluded = make([]Exclusion, 0, e.pol.ExplainLimit)
	}
	pool, poolProf := e.pool(es)
	top := e.scratch.top[:0]
	limit := e.pol.ExplainLimit
	for j, idx := range pool {
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
			continue
		}
		ev.eligible++
		var skill float64
		if len(es.skillIDs) == 1 {
			skill = float64(poolProf[j]) / 5 // from the pool itself: no table lookup
		} else {
			skill = e.skillPart(idx, es.skillIDs)
		}
		top = e.consider(top, idx, skill, intr, now)
	}
	ev.cands, ev.idxs = e.ranked(top)
	return ev
}

// considerBounded is consider for a ranking of at most k that is full
// already: with fairness and budget at their best, an expert who still
// cannot beat the k-th is not ranked (weights are ≥ 0, fairness ≤ 1;
// rounding is monotone), which is what consider would decide, cheaper.
func (e *Engine) considerBounded(top []ranked, k int, wt *Weights, idx int32, skill float64, intr bool, now int64) []ranked {
	if len(top) == k {
		pr := 1.0
		if intr {
			pr = 0
		}
		if wt.Skill*skill+wt.Presence*pr+wt.Fairness+wt.Budget < top[k-1].score {
			return top
		}
	}
	return e.consider(top, idx, skill, intr, now)
}

// consider ranks eligible expert idx among the best so far.
func (e *Engine) consider(top []ranked, idx int32, skill float64, intr bool, now int64) []ranked {
	w := &e.pol.Weights
	k := max(e.pol.ExplainLimit, minRanked)
	sk, pr, fa := e.cheapParts(idx, skill, intr, now)
	partial := w.Skill*sk + w.Presence*pr + w.Fairness*fa
	if len(top) == k && partial+w.Budget < top[k-1].score {
		return top // cannot enter the ranking even with a full budget
	}
	bu := e.budgetPart(idx, intr, now)
	return insertTop(top, k, ranked{score: partial + w.Budget*bu, skill: sk, presence: pr, fairness: fa, budget: bu, idx: idx, intr: intr})
}

// ranked turns the best found into scored candidates (scratch-backed).
// The expert indexes come along, so that a delivery or a skip does not
// look its expert up by ID again.
func (e *Engine) ranked(top []ranked) ([]Candidate, []int32) {
	e.scratch.top = top
	cands, idxs := e.scratch.cands[:0], e.scratch.idxs[:0]
	for i := range top {
		cands = append(cands, e.candidate(&top[i]))
		idxs = append(idxs, top[i].idx)
	}
	e.scratch.cands, e.scratch.idxs = cands, idxs
	return cands, idxs
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
// with the proficiencies aligned to it (every expert when none is
// required; nobody when a skill is unknown).
func (e *Engine) pool(es *esc) ([]int32, []int8) {
	if es.unknownSkill {
		return nil, nil
	}
	if len(es.skillIDs) == 0 {
		if len(e.all) != len(e.experts) {
			e.all = make([]int32, len(e.experts))
			for i := range e.all {
				e.all[i] = int32(i)
			}
		}
		return e.all, nil
	}
	best := es.skillIDs[0]
	for _, s := range es.skillIDs[1:] {
		if len(e.bySkill[s]) < len(e.bySkill[best]) {
			best = s
		}
	}
	return e.bySkill[best], e.skillOf[best]
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
