package load

import (
	"slices"
	"time"
)

// Series is a run's time series over the measured phase, one point per
// second (index i covers [i s, i+1 s) from the start of the phase): what
// the HTML report plots. It is not part of the JSON result.
type Series struct {
	EventsPerSecond []float64 // presence events applied, per replica
	StalenessP99Ms  []float64 // of the events applied in that second (-1: none)
	DecisionP99Ms   []float64 // of the answers received in that second (-1: none)
	Routed          []float64 // answers received in that second, by action
	Hold            []float64
	Fallback        []float64
}

// Len is the number of seconds covered.
func (s *Series) Len() int { return len(s.EventsPerSecond) }

// secondOf is the index of the second t falls in, from begin; -1 before.
func secondOf(begin, t time.Time) int {
	if t.Before(begin) {
		return -1
	}
	return int(t.Sub(begin) / time.Second)
}

// perSecond collects durations by the second they were observed in.
type perSecond [][]time.Duration

func (p *perSecond) add(i int, d time.Duration) {
	if i < 0 {
		return
	}
	for len(*p) <= i {
		*p = append(*p, nil)
	}
	(*p)[i] = append((*p)[i], d)
}

// p99Ms is each second's 99th percentile in milliseconds (-1 when empty),
// over n seconds.
func (p perSecond) p99Ms(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = -1
		if i < len(p) && len(p[i]) > 0 {
			xs := slices.Clone(p[i])
			out[i] = percentiles(xs).P99Ms
		}
	}
	return out
}

// merge appends q's observations to p, second by second.
func (p *perSecond) merge(q perSecond) {
	for i, xs := range q {
		for _, x := range xs {
			p.add(i, x)
		}
	}
}

// buildSeries assembles the series of n seconds from the replicas'
// applied events (lags by second, summed over replicas) and the answers.
func buildSeries(n, replicas int, lags perSecond, answers []answer, begin time.Time) Series {
	s := Series{EventsPerSecond: make([]float64, n), Routed: make([]float64, n), Hold: make([]float64, n), Fallback: make([]float64, n)}
	for i := range min(n, len(lags)) {
		s.EventsPerSecond[i] = float64(len(lags[i])) / float64(max(1, replicas))
	}
	s.StalenessP99Ms = lags.p99Ms(n)
	var dec perSecond
	for _, a := range answers {
		i := secondOf(begin, a.at)
		if i < 0 || i >= n {
			continue
		}
		dec.add(i, a.latency)
		switch a.action {
		case "routed":
			s.Routed[i]++
		case "hold":
			s.Hold[i]++
		default:
			s.Fallback[i]++
		}
	}
	s.DecisionP99Ms = dec.p99Ms(n)
	return s
}
