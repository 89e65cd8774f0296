package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// summary folds replications, in replication order, into Results. What it
// keeps per replication is what the output needs per replication: each
// metric's value per arm (for means, confidence intervals and paired
// deltas) and each expert's utilization per arm; latencies for the pooled
// CDF go to a latencyPool (bounded memory, exact). Everything else is
// accumulated, in the same order of operations as a fold over every
// replication at the end, so the bytes out do not change.
type summary struct {
	sc       *scenarios.Scenario
	seed     uint64
	reps     int
	sl       time.Duration
	as       []arm
	names    []string // metrics summarised per arm, cost last when priced
	money    bool
	added    int
	cols     [][][]float64 // [arm][metric] value per replication
	util     [][][]float64 // [expert][arm] utilization per replication
	interr   []float64     // per expert (shadowq): mean deliveries into interruptible presences
	unsched  []float64
	segs     []float64
	arrivals []int // per arm
	lat      *latencyPool
	viol     []string
	timeline *reports.Timeline
	queue    []float64   // arm 0's queue series, averaged over replications
	days     *daySummary // multi-day worlds only
}

// latencySpill is how many latencies a run keeps in memory, all arms
// together, before the pooled-CDF data goes to a temporary file (8 bytes
// each): 1 MiB.
var latencySpill = 1 << 17

func newSummary(sc *scenarios.Scenario, seed uint64, reps int, sl time.Duration) *summary {
	s := &summary{sc: sc, seed: seed, reps: reps, sl: sl, as: arms(sc), money: sc.Economics != nil}
	s.names = append(slices.Clone(reports.MetricNames), priorityMetricNames(sc)...)
	s.cols = make([][][]float64, len(s.as))
	for p := range s.cols {
		s.cols[p] = make([][]float64, len(s.names)+1)
	}
	n := len(sc.Experts)
	s.util = make([][][]float64, n)
	for i := range s.util {
		s.util[i] = make([][]float64, len(s.as))
	}
	s.interr, s.unsched, s.segs = make([]float64, n), make([]float64, n), make([]float64, n)
	s.arrivals = make([]int, len(s.as))
	s.lat = newLatencyPool(len(s.as), latencySpill)
	s.queue = make([]float64, queueBins)
	if sc.Week != nil {
		s.days = newDaySummary(sc, len(s.as))
	}
	return s
}

// add folds the next replication (every arm) in; its latencies are kept.
func (s *summary) add(out []runResult) error {
	rep := s.added
	s.added++
	sq := len(s.as) - 1
	for p := range out {
		r := &out[p]
		for m, name := range s.names {
			s.cols[p][m] = append(s.cols[p][m], r.vals[name])
		}
		s.cols[p][len(s.names)] = append(s.cols[p][len(s.names)], r.vals[reports.MCost])
		s.arrivals[p] += int(r.vals[reports.MEscalations])
		if s.days != nil {
			s.days.add(p, r.days)
		}
		if err := s.lat.add(p, r.latencies); err != nil {
			return err
		}
		for i := range s.util {
			s.util[i][p] = append(s.util[i][p], r.util[i])
		}
		for _, v := range r.violations {
			s.viol = append(s.viol, fmt.Sprintf("replication %d (seed %d): %s", rep, s.seed, v))
		}
	}
	for i := range s.interr {
		s.interr[i] += out[sq].interrupts[i] / float64(s.reps)
		s.unsched[i] += out[sq].unsched[i] / float64(s.reps)
		s.segs[i] += float64(out[sq].segs[i]) / float64(s.reps)
	}
	if rep == 0 {
		s.timeline = out[sq].timeline
	}
	for i, x := range out[0].queue {
		s.queue[i] += x / float64(s.reps)
	}
	return nil
}

func (s *summary) close() { s.lat.close() }

// series is arm p's values of metric m, per replication.
func (s *summary) series(p int, m string) []float64 {
	if m == reports.MCost {
		return s.cols[p][len(s.names)]
	}
	return s.cols[p][slices.Index(s.names, m)]
}

// results aggregates the replications added.
func (s *summary) results() (*reports.Results, error) {
	sc, as := s.sc, s.as
	res := &reports.Results{
		Schema: reports.SchemaVersion, Scenario: sc.Name, File: sc.File, Seed: s.seed, Replications: s.reps,
		HorizonS: sc.Run.Horizon.Seconds(), WarmupS: sc.Run.Warmup.Seconds(), ServiceLevelS: s.sl.Seconds(), Experts: len(sc.Experts),
	}
	sq := len(as) - 1 // shadowq is the last arm
	for p, a := range as {
		pr := reports.PolicyResult{Name: a.name}
		for _, m := range s.names {
			pr.Metrics = append(pr.Metrics, reports.Summarize(m, reports.MetricUnit(m), s.series(p, m)))
		}
		res.Policies = append(res.Policies, pr)
	}
	if s.money {
		res.Currency = sc.Economics.Currency
		for p := range res.Policies {
			res.Policies[p].Metrics = append(res.Policies[p].Metrics, reports.Summarize(reports.MCost, reports.UnitMoney, s.series(p, reports.MCost)))
		}
	}
	for b := range sq {
		d := reports.DeltaResult{Baseline: as[b].name}
		for _, m := range s.names {
			d.Metrics = append(d.Metrics, reports.Paired(m, reports.MetricUnit(m), s.series(b, m), s.series(sq, m)))
			d.Relative = append(d.Relative, reports.Relative(m, s.series(b, m), s.series(sq, m)))
		}
		if s.money {
			cb, cq := s.series(b, reports.MCost), s.series(sq, reports.MCost)
			d.Metrics = append(d.Metrics,
				reports.Paired(reports.MCost, reports.UnitMoney, cb, cq),
				// baseline − shadowq: what shadowq saves a day
				reports.Paired(reports.MNetValue, reports.UnitMoney, cq, cb))
			d.Relative = append(d.Relative, reports.Relative(reports.MCost, cb, cq))
		}
		res.Deltas = append(res.Deltas, d)
	}
	for p, a := range as {
		c, routed, err := s.lat.cdf(p, a.name)
		if err != nil {
			return nil, err
		}
		c.Arrivals, c.Routed = s.arrivals[p], routed
		res.LatencyCDF = append(res.LatencyCDF, c)
	}
	s.experts(res)
	res.Invariants.Checked = len(as) * s.reps
	res.Invariants.Violations = s.viol
	if s.timeline != nil {
		res.Timeline = *s.timeline
	}
	res.WarmupCheck = warmupCheckAvg(as[0].name, s.queue, sc.Run.Horizon, sc.Run.Warmup)
	if s.days != nil {
		names := make([]string, len(as))
		for p, a := range as {
			names[p] = a.name
		}
		res.TimeZone = sc.Week.TimeZone
		res.Days, res.HourOfWeek = s.days.results(names)
	}
	return res, nil
}

// experts fills the per-expert results and the cherry-pick detector
// (shadowq runs).
func (s *summary) experts(res *reports.Results) {
	var flagged, scripted []string
	tp := 0
	for i := range s.sc.Experts {
		x := &s.sc.Experts[i]
		er := reports.ExpertResult{ID: string(x.ID), Group: x.Group, CherryPicker: x.CherryPicker}
		for p := range s.as {
			er.Utilization = append(er.Utilization, reports.Summarize("", "", s.util[i][p]).Mean)
		}
		er.Interrupts = s.interr[i]
		unsched, segs := s.unsched[i], s.segs[i]
		er.Suspicion = min(1, unsched/unscheduledRef)
		if unsched > 0 {
			er.Evidence = fmt.Sprintf("%.1f%% of shift in meeting presences outside calendar blocks (%.1f stretches a day)", 100*unsched, segs)
		}
		er.Flagged = er.Suspicion >= SuspicionThreshold
		if er.Flagged {
			flagged = append(flagged, er.ID)
			if x.CherryPicker {
				tp++
			}
		}
		if x.CherryPicker {
			scripted = append(scripted, er.ID)
		}
		res.PerExpert = append(res.PerExpert, er)
	}
	res.CherryPick = reports.CherryPick{Threshold: SuspicionThreshold, Flagged: flagged, Scripted: scripted, Precision: 1, Recall: 1}
	if len(flagged) > 0 {
		res.CherryPick.Precision = float64(tp) / float64(len(flagged))
	}
	if len(scripted) > 0 {
		res.CherryPick.Recall = float64(tp) / float64(len(scripted))
	}
}
