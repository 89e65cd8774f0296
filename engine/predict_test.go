package engine_test

import (
	"math"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestProbEndWithinIsConditional(t *testing.T) {
	// Exponential is memoryless: elapsed time does not change the answer.
	exp := engine.Exponential{Mean: 10 * time.Minute}
	p0 := engine.ProbEndWithin(exp, 0, 5*time.Minute)
	p1 := engine.ProbEndWithin(exp, 30*time.Minute, 5*time.Minute)
	if !near(p0, 1-math.Exp(-0.5)) || !near(p0, p1) {
		t.Errorf("exponential: %v, %v", p0, p1)
	}
	// An empirical model of 60-minute meetings: 55 minutes in, it ends within 5.
	hist := engine.NewEmpirical([]time.Duration{58 * time.Minute, 60 * time.Minute, 60 * time.Minute, 62 * time.Minute, 90 * time.Minute})
	if p := engine.ProbEndWithin(hist, 55*time.Minute, 5*time.Minute); !near(p, 0.6) {
		t.Errorf("empirical 55m in, 5m window: %v, want 0.6", p)
	}
	if p := engine.ProbEndWithin(hist, 0, 5*time.Minute); p != 0 {
		t.Errorf("empirical at start: %v, want 0", p)
	}
	// Past every observed duration: overdue, assume it ends.
	if p := engine.ProbEndWithin(hist, 2*time.Hour, time.Minute); p != 1 {
		t.Errorf("overdue: %v", p)
	}
	// Lognormal: the median splits it in half.
	ln := engine.LogNormal{Median: 45 * time.Minute, Sigma: 0.5}
	if c := ln.CDF(45 * time.Minute); !near(c, 0.5) {
		t.Errorf("lognormal CDF(median) = %v", c)
	}
}

func TestModelPredictorUsesCalendarAndFallbacks(t *testing.T) {
	p := engine.DefaultPredictor()
	p.ByDef[defMeetingDND] = engine.NewEmpirical([]time.Duration{time.Hour})
	now := t0.Add(55 * time.Minute)
	b := engine.Blocking{Presence: meetDND, Since: t0}
	// History by GUID: every such meeting lasted an hour.
	if got := p.ProbFreeWithin(b, now, 5*time.Minute); got != 1 {
		t.Errorf("by GUID: %v", got)
	}
	// Calendar block ending inside the window wins over a pessimistic model.
	b2 := engine.Blocking{Presence: engine.Presence{Def: "other", System: engine.SysTraining}, Since: now, BlockEnd: now.Add(3 * time.Minute)}
	if got := p.ProbFreeWithin(b2, now, 5*time.Minute); got != p.CalendarConfidence {
		t.Errorf("calendar inside window: %v", got)
	}
	// ... and a block ending well after the window makes it unlikely.
	b2.BlockEnd = now.Add(time.Hour)
	if got := p.ProbFreeWithin(b2, now, 5*time.Minute); got > 0.05 {
		t.Errorf("calendar beyond window: %v", got)
	}
	// Busy on a call: the routing-status model.
	b3 := engine.Blocking{ByRouting: true, Routing: engine.RSInteracting, Since: now.Add(-8 * time.Minute)}
	if got := p.ProbFreeWithin(b3, now, 5*time.Minute); got < 0.3 || got > 0.9 {
		t.Errorf("interacting 8m in: %v", got)
	}
	// No model at all: never frees up.
	b4 := engine.Blocking{ByRouting: true, Routing: engine.RSOffQueue, Since: now}
	if got := p.ProbFreeWithin(b4, now, 5*time.Minute); got != 0 {
		t.Errorf("no model: %v", got)
	}
}

func TestHistoryPredictor(t *testing.T) {
	segs := []engine.PresenceSegment{
		{Def: defMeetingDND, System: engine.SysMeeting, Start: t0, End: t0.Add(30 * time.Minute)},
		{Def: defMeetingDND, System: engine.SysMeeting, Start: t0, End: t0.Add(30 * time.Minute)},
		{Def: defMeetingP1, System: engine.SysMeeting, Start: t0, End: t0.Add(time.Hour)},
		{Def: defMeetingP1, System: engine.SysMeeting, Start: t0}, // open segment: ignored
	}
	p := engine.PredictorFromHistory(segs, 2)
	b := engine.Blocking{Presence: meetDND, Since: t0}
	if got := p.ProbFreeWithin(b, t0.Add(25*time.Minute), 10*time.Minute); got != 1 {
		t.Errorf("DND from history: %v", got)
	}
	// Too few samples for meetP1 (1 < 2): falls back to the system default.
	b.Presence = meetP1
	want := engine.DefaultPredictor().ProbFreeWithin(b, t0.Add(25*time.Minute), 10*time.Minute)
	if got := p.ProbFreeWithin(b, t0.Add(25*time.Minute), 10*time.Minute); !near(got, want) {
		t.Errorf("P1 fallback: %v want %v", got, want)
	}
}
