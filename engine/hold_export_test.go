package engine

import (
	"fmt"
	"time"
)

// HoldPlanDiff plans a hold for a probe escalation at the clock's time,
// its hold started holding ago, both with planHold and with planHoldScan
// (planHold as it was when a run was of experts with equal sources, kept
// here as the oracle), changing nothing, and describes the first
// difference in the plan (until when, on whom, with what chance, the ETA
// and why; "" when they agree). It also reports whether a hold was
// planned.
func (e *Engine) HoldPlanDiff(x Escalation, holding time.Duration) (string, bool) {
	es := e.probeEsc(x)
	now := e.clock.Now()
	if holding > 0 {
		es.holdStart = now.Add(-holding)
	}
	got, gok := e.planHold(es, now)
	want, wok := e.planHoldScan(es, now)
	if got != want || gok != wok {
		return fmt.Sprintf("planHold: %v %+v; scan: %v %+v", gok, got, wok, want), gok
	}
	return "", gok
}

// planHoldScan is planHold as it was before runs were of sources giving
// the same keys: runs of equal sources (srcRunEnd).
func (e *Engine) planHoldScan(es *esc, now time.Time) (holdPlan, bool) {
	mw := e.pol.MicroWait
	if e.pred == nil || !mw.Enabled {
		return holdPlan{why: "no eligible expert (micro-wait off)"}, false
	}
	limit := holdLimit(es, mw, now)
	window := limit.Sub(now)
	if window <= 0 {
		return holdPlan{why: "no eligible expert; hold window used up"}, false
	}
	best, who := 0.0, int32(-1)
	memo := &e.scratch.probs
	memo.reset()
	// The holders who may free up with time, in expert order (the lower
	// index is the lower id, and wins a tie of p). The predictor is pure
	// (its contract), so only the first holder in each distinct state can
	// win: a later one has the same p and a higher index. The holders in
	// the run of experts sharing the state of the last holder looked at (a
	// team offline since its shift ended, see setBlk) are passed over in
	// one step; the others are looked up in the memo; the predictor is
	// asked about the rest, ~50 states for ~3,000 holders at 10,000
	// experts.
	pool, _ := e.pool(es)
	multi := len(es.skillIDs) > 1
	pr, nowNs := uint8(es.Priority), now.UnixNano()
	end := int32(0) // the end of the run of the last holder looked at
	for j := 0; j < len(pool); j++ {
		idx := pool[j]
		if idx < end {
			for j+1 < len(pool) && pool[j+1] < end { // ~4 holders a run
				j++
			}
			continue
		}
		if multi && !e.hasSkills(idx, es.skillIDs) {
			continue
		}
		if r := gateReason(e.gates[idx], pr); r != 0 { // eligibility's first tests
			if !mayFree(r) {
				continue
			}
		} else if r, _ := e.eligibility(idx, es, nowNs); r == 0 || !mayFree(r) {
			continue
		}
		end = e.srcRunEnd(idx)
		k := e.blk[idx].key(es.Priority)
		if memo.add(&k) {
			continue
		}
		p := e.pred.ProbFreeWithin(e.blocking(idx, es), now, window)
		if p > best {
			best, who = p, idx
		}
	}
	if who < 0 || best < mw.Threshold {
		why := fmt.Sprintf("no eligible expert; best chance to free up within %v is %.2f < threshold %.2f", window.Round(time.Second), best, mw.Threshold)
		return holdPlan{why: why}, false
	}
	// The ETA is the smallest announced bucket (within the window) whose
	// probability clears the threshold; else the window itself.
	eta := window
	for _, b := range mw.ETABuckets {
		if b >= window {
			break
		}
		if e.pred.ProbFreeWithin(e.blocking(who, es), now, b) >= mw.Threshold {
			eta = b
			break
		}
	}
	why := fmt.Sprintf("no eligible expert; %s frees up within %v with p=%.2f ≥ %.2f", e.experts[who].ID, window.Round(time.Second), best, mw.Threshold)
	return holdPlan{limit: limit, prob: best, who: who, eta: eta, why: why}, true
}

// srcRunEnd is the first expert after i whose source differs from i's.
func (e *Engine) srcRunEnd(i int32) int32 {
	j := i + 1
	for int(j) < len(e.blk) && e.blk[j] == e.blk[i] {
		j++
	}
	return j
}

// SetCalendarConfidence sets the default predictor's CalendarConfidence
// (the engine's predictor must be a *ModelPredictor).
func (e *Engine) SetCalendarConfidence(c float64) {
	e.pred.(*ModelPredictor).CalendarConfidence = c
}
