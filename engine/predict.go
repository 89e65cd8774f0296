package engine

import (
	"math"
	"slices"
	"time"
)

// DurationModel is the distribution of how long a state lasts.
type DurationModel interface {
	// CDF returns P(duration ≤ d).
	CDF(d time.Duration) float64
}

// Exponential durations with the given mean (memoryless: time already spent
// does not matter).
type Exponential struct{ Mean time.Duration }

// CDF implements DurationModel.
func (m Exponential) CDF(d time.Duration) float64 {
	if d <= 0 || m.Mean <= 0 {
		return 0
	}
	return -math.Expm1(-float64(d) / float64(m.Mean))
}

// LogNormal durations given by their median and the standard deviation of
// the log (meetings: most end near the scheduled length, a few overrun).
type LogNormal struct {
	Median time.Duration
	Sigma  float64
}

// CDF implements DurationModel.
func (m LogNormal) CDF(d time.Duration) float64 {
	if d <= 0 || m.Median <= 0 || m.Sigma <= 0 {
		return 0
	}
	z := (math.Log(float64(d)) - math.Log(float64(m.Median))) / m.Sigma
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// Empirical durations from observed history (for example presence segments
// from POST /api/v2/analytics/users/details/query).
type Empirical struct {
	sorted []time.Duration
}

// NewEmpirical copies and sorts the samples.
func NewEmpirical(samples []time.Duration) *Empirical {
	s := slices.Clone(samples)
	slices.Sort(s)
	return &Empirical{sorted: s}
}

// CDF implements DurationModel.
func (m *Empirical) CDF(d time.Duration) float64 {
	if len(m.sorted) == 0 {
		return 0
	}
	n, _ := slices.BinarySearch(m.sorted, d+1)
	return float64(n) / float64(len(m.sorted))
}

// ProbEndWithin is P(D ≤ a+w | D > a): the chance a state that has lasted a
// ends within the next w.
func ProbEndWithin(m DurationModel, a, w time.Duration) float64 {
	if a < 0 {
		a = 0
	}
	fa := m.CDF(a)
	if fa >= 1 {
		// Already past every observed duration: it is overdue; assume it
		// ends at the next chance.
		return 1
	}
	p := (m.CDF(a+w) - fa) / (1 - fa)
	return math.Min(1, math.Max(0, p))
}

// ModelPredictor is the default Predictor: a conditional duration model per
// presence definition (falling back to the system presence, then Default),
// one per blocking routing status (time left in a conversation), and the
// scheduled end of a calendar block when one is known.
type ModelPredictor struct {
	ByDef     map[PresenceDefID]DurationModel
	BySystem  map[SystemPresence]DurationModel
	ByRouting map[RoutingStatus]DurationModel
	Default   DurationModel // nil: unknown states never free up
	// CalendarConfidence is the probability that a calendar block ends at
	// its scheduled end (people leave meetings on time this often). Used
	// when BlockEnd is known: inside the window → this value; beyond it →
	// (1 − confidence) × the model's estimate.
	CalendarConfidence float64
}

// DefaultPredictor has conservative built-in duration models for when no
// history is available yet.
func DefaultPredictor() *ModelPredictor {
	return &ModelPredictor{
		ByDef: map[PresenceDefID]DurationModel{},
		BySystem: map[SystemPresence]DurationModel{
			SysMeeting:   LogNormal{Median: 45 * time.Minute, Sigma: 0.5},
			SysBusy:      LogNormal{Median: 30 * time.Minute, Sigma: 0.8},
			SysAway:      LogNormal{Median: 10 * time.Minute, Sigma: 0.8},
			SysBreak:     LogNormal{Median: 15 * time.Minute, Sigma: 0.3},
			SysMeal:      LogNormal{Median: 30 * time.Minute, Sigma: 0.3},
			SysTraining:  LogNormal{Median: 90 * time.Minute, Sigma: 0.4},
			SysOffline:   LogNormal{Median: 14 * time.Hour, Sigma: 0.3},
			SysIdle:      LogNormal{Median: 10 * time.Minute, Sigma: 1},
			SysAvailable: Exponential{Mean: 30 * time.Minute},
			SysOnQueue:   Exponential{Mean: 30 * time.Minute},
		},
		ByRouting: map[RoutingStatus]DurationModel{
			RSInteracting:   LogNormal{Median: 8 * time.Minute, Sigma: 0.7},
			RSCommunicating: LogNormal{Median: 5 * time.Minute, Sigma: 0.9},
			RSNotResponding: Exponential{Mean: 2 * time.Minute},
		},
		CalendarConfidence: 0.85,
	}
}

// ProbFreeWithin implements Predictor.
func (p *ModelPredictor) ProbFreeWithin(b Blocking, now time.Time, window time.Duration) float64 {
	var m DurationModel
	if b.ByRouting {
		m = p.ByRouting[b.Routing]
	} else if dm, ok := p.ByDef[b.Presence.Def]; ok {
		m = dm
	} else if dm, ok := p.BySystem[b.Presence.System]; ok {
		m = dm
	}
	if m == nil {
		m = p.Default
	}
	est := 0.0
	if m != nil {
		est = ProbEndWithin(m, now.Sub(b.Since), window)
	}
	if !b.ByRouting && !b.BlockEnd.IsZero() {
		if !b.BlockEnd.After(now.Add(window)) {
			return math.Max(p.CalendarConfidence, est)
		}
		return (1 - p.CalendarConfidence) * est
	}
	return est
}

// lateCalendarCap is the most ProbFreeWithin answers for a presence
// blocked by a calendar block that ends after the window: (1 − c) × est
// ≤ 1 − c for est in [0, 1] (rounding is monotone), and ≤ 0 when
// 1 − c < 0; NaN answers and a NaN c compare false. planHold relies on it
// (calendarBound): keep the two together.
func (p *ModelPredictor) lateCalendarCap() float64 { return math.Max(0, 1-p.CalendarConfidence) }

var _ Predictor = (*ModelPredictor)(nil)

// PresenceSegment is one stretch of one presence, as returned by POST
// /api/v2/analytics/users/details/query (primaryPresence segments). An open
// segment (the current one) has a zero End.
type PresenceSegment struct {
	Def        PresenceDefID
	System     SystemPresence
	Start, End time.Time
}

// PredictorFromHistory builds the default predictor and replaces the model
// of every presence definition with at least minSamples closed segments by
// their empirical distribution.
func PredictorFromHistory(segs []PresenceSegment, minSamples int) *ModelPredictor {
	p := DefaultPredictor()
	by := map[PresenceDefID][]time.Duration{}
	for _, s := range segs {
		if s.End.IsZero() || !s.End.After(s.Start) {
			continue
		}
		by[s.Def] = append(by[s.Def], s.End.Sub(s.Start))
	}
	for def, ds := range by {
		if len(ds) >= max(1, minSamples) {
			p.ByDef[def] = NewEmpirical(ds)
		}
	}
	return p
}
