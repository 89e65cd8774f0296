package sim

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// Options tune a simulation run. The zero value runs the scenario as
// written.
type Options struct {
	Seed         *uint64       // overrides the scenario's seed
	Replications int           // overrides the scenario's replications when > 0
	Workers      int           // parallel replications; 0 = GOMAXPROCS. Output does not depend on it.
	ServiceLevel time.Duration // T of "service level within T"; 0 = 60s
	// Records, if set, receives every escalation record in replication
	// order, arms in results order: the baselines, then shadowq (from the
	// calling goroutine).
	Records func(reports.Record) error
	// Progress, if set, is called after each replication finishes (from
	// the calling goroutine) with the count done and the total.
	Progress func(done, total int)
}

// SuspicionThreshold is the cherry-pick suspicion at which an expert is
// flagged.
const SuspicionThreshold = 0.5

// unscheduledRef is the share of a shift in unexplained meeting presences
// that scores a suspicion of 1.
const unscheduledRef = 0.10

// outcomeUnfinished is an escalation still in the system (queued, held,
// alerting) when the run ends; never counted as abandoned.
const outcomeUnfinished = "unfinished"

// Stats is what a run measured besides Results: the simulated events and
// the wall time, which depend on the machine and so stay out of Results.
type Stats struct {
	Events   uint64
	WallTime time.Duration
}

// arm is one policy under test: a baseline ACD, or shadowq in front of
// the first baseline's queue.
type arm struct {
	name string
	bl   *scenarios.Baseline
}

// arms lists the scenario's arms in results order.
func arms(sc *scenarios.Scenario) []arm {
	var out []arm
	for i := range sc.Baselines {
		out = append(out, arm{sc.Baselines[i].Name, &sc.Baselines[i]})
	}
	return append(out, arm{reports.Shadowq, &sc.Baselines[0]})
}

// runResult is one policy in one replication.
type runResult struct {
	vals       map[string]float64 // NaN where undefined (no routed escalation, no holds...)
	util       []float64          // per expert
	interrupts []float64          // per expert
	unsched    []float64          // per expert: share of shift in unexplained meeting presences
	segs       []int
	latencies  []float64
	records    []reports.Record
	violations []string
	timeline   *reports.Timeline
	events     uint64
	queue      []float64 // mean escalations waiting per bin of the horizon
}

// Run simulates the scenario under each baseline ACD and under shadowq
// with common random numbers, replication by replication, and summarises.
func Run(sc *scenarios.Scenario, opt Options) (*reports.Results, Stats, error) {
	t0 := time.Now()
	seed := sc.Seed
	if opt.Seed != nil {
		seed = *opt.Seed
	}
	reps := sc.Run.Replications
	if opt.Replications > 0 {
		reps = opt.Replications
	}
	sl := opt.ServiceLevel
	if sl <= 0 {
		sl = time.Minute
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	root := NewStreams(seed)
	out := make([][]runResult, reps)
	errs := make([]error, reps)
	var wg sync.WaitGroup
	jobs := make(chan int)
	doneCh := make(chan int, reps)
	for range min(workers, reps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i], errs[i] = replicate(sc, root.Replication(i), i, sl, opt.Records != nil)
				doneCh <- i
			}
		}()
	}
	go func() {
		for i := range reps {
			jobs <- i
		}
		close(jobs)
	}()
	for n := 1; n <= reps; n++ {
		<-doneCh
		if opt.Progress != nil {
			opt.Progress(n, reps)
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, Stats{}, fmt.Errorf("replication %d (seed %d): %w", i, seed, err)
		}
	}
	var st Stats
	for i := range out {
		for p := range out[i] {
			st.Events += out[i][p].events
		}
		if opt.Records != nil {
			for p := range out[i] {
				for _, r := range out[i][p].records {
					if err := opt.Records(r); err != nil {
						return nil, st, err
					}
				}
			}
		}
	}
	res := summarize(sc, seed, reps, sl, out)
	st.WallTime = time.Since(t0)
	return res, st, nil
}

func replicate(sc *scenarios.Scenario, st *Streams, rep int, sl time.Duration, records bool) ([]runResult, error) {
	sch := makeSchedule(sc, st)
	var res []runResult
	for _, a := range arms(sc) {
		r, err := runPolicy(sc, sch, a, rep, sl, records)
		if err != nil {
			return res, fmt.Errorf("%s: %w", a.name, err)
		}
		res = append(res, r)
	}
	return res, nil
}

func runPolicy(sc *scenarios.Scenario, sch *schedule, a arm, rep int, sl time.Duration, records bool) (runResult, error) {
	policy := a.name
	w := newWorld(sc, sch, a.bl)
	var sr *shadowqRouter
	if policy == reports.Shadowq {
		var err error
		if sr, err = newShadowqRouter(w); err != nil {
			return runResult{}, err
		}
		w.r = sr
		if rep == 0 {
			w.tl = &timelineRec{w: w}
		}
		// The engine starts knowing everyone is offline (a first resync).
		w.k.At(w.start, sr.resync)
	} else {
		w.r = newACDRouter(w)
	}
	w.scheduleAll()
	// One run end for every arm: the horizon plus the drain window. Timers
	// still pending then (resync, ticks, hang-ups) never run, and every
	// escalation still open is unfinished, its wait censored right here.
	w.k.Run(w.at(sc.Run.Horizon + sc.Run.Drain))
	if sr != nil && sr.err != nil {
		return runResult{}, sr.err
	}
	w.r.finish()
	return w.measure(policy, rep, sl, records), nil
}

// measure turns a finished run into per-replication figures.
func (w *world) measure(policy string, rep int, sl time.Duration, records bool) runResult {
	sc := w.sc
	now := w.now()
	r := runResult{vals: map[string]float64{}, events: w.k.Executed()}
	var n, routed, voicemail, abandoned, unfinished, fellBack, engMissing, inSL, held, heldRouted, holds int
	var holdSum, waitSum float64
	waited := 0
	byPrio := map[string]*prioCounts{}
	for i := range w.es {
		e := &w.es[i]
		if !e.counted {
			continue
		}
		n++
		pc := byPrio[e.a.prio.String()]
		if pc == nil {
			pc = &prioCounts{}
			byPrio[e.a.prio.String()] = pc
		}
		if !e.done {
			// Still in the system at the run's end: censored now.
			e.outcome, e.end = outcomeUnfinished, now
			if e.held {
				e.holdTotal += now - e.holdStart
				e.held = false
			}
		}
		wait := e.end - e.a.at
		if e.outcome == "routed" {
			wait = e.connect - e.a.at
		}
		waitSum += wait.Seconds()
		pc.add(e.outcome, wait, sl)
		if wait > 0 {
			waited++
		}
		switch e.outcome {
		case "routed":
			routed++
			lat := (e.connect - e.a.at).Seconds()
			r.latencies = append(r.latencies, lat)
			if e.connect-e.a.at <= sl {
				inSL++
			}
		case "voicemail":
			voicemail++
		case "abandoned":
			abandoned++
		case outcomeUnfinished:
			unfinished++
		}
		if e.fellBack {
			fellBack++
		}
		if e.done && e.engEnd == "" {
			engMissing++
		}
		if e.holds > 0 {
			held++
			holds += e.holds
			holdSum += e.holdTotal.Seconds()
			if e.outcome == "routed" && e.holdRouted {
				heldRouted++
			}
		}
		if records {
			rec := reports.Record{Replication: rep, Policy: policy, ID: e.a.conv, ArrivalS: e.a.at.Seconds(), Priority: e.a.prio.String(),
				Skills: e.a.skills, Outcome: e.outcome, Attempts: e.attempts, HoldS: e.holdTotal.Seconds(), Interrupt: e.interrupt, Stale: e.stale}
			if e.expert >= 0 {
				rec.Expert = string(w.xs[e.expert].sc.ID)
			}
			if e.outcome == "routed" {
				rec.LatencyS = (e.connect - e.a.at).Seconds()
			} else {
				rec.LatencyS = (e.end - e.a.at).Seconds()
			}
			r.records = append(r.records, rec)
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	slices.Sort(r.latencies)
	v := r.vals
	v[reports.MEscalations] = float64(n)
	v[reports.MRouted] = ratio(routed, n)
	v[reports.MVoicemail] = ratio(voicemail, n)
	v[reports.MFallbacks] = math.NaN()
	if policy == reports.Shadowq {
		v[reports.MFallbacks] = ratio(fellBack, n)
	}
	v[reports.MAbandonment] = ratio(abandoned, n)
	v[reports.MUnfinished] = ratio(unfinished, n)
	v[reports.MServiceLevel] = ratio(inSL, n)
	v[reports.MRejectRate] = ratio(w.rejects, w.deliveries)
	v[reports.MWaitProb] = ratio(waited, n)
	v[reports.MWaitMean] = math.NaN()
	if n > 0 {
		v[reports.MWaitMean] = waitSum / float64(n)
	}
	for _, prio := range priorities(sc) {
		byPrio[prio].values(v, prio)
	}
	v[reports.MHolds] = float64(holds)
	v[reports.MHoldMean] = math.NaN()
	if held > 0 {
		v[reports.MHoldMean] = holdSum / float64(held)
	}
	v[reports.MHoldRouted] = ratio(heldRouted, held)
	v[reports.MDNDInterrupts] = float64(w.dndInterrupts)
	v[reports.MStaleMisroutes] = float64(w.stale)
	for _, m := range []string{reports.MLatencyMean, reports.MLatencyP50, reports.MLatencyP90, reports.MLatencyP95, reports.MLatencyP99} {
		v[m] = math.NaN()
	}
	if len(r.latencies) > 0 {
		sum := 0.0
		for _, l := range r.latencies {
			sum += l
		}
		v[reports.MLatencyMean] = sum / float64(len(r.latencies))
		v[reports.MLatencyP50] = reports.Quantile(r.latencies, 0.50)
		v[reports.MLatencyP90] = reports.Quantile(r.latencies, 0.90)
		v[reports.MLatencyP95] = reports.Quantile(r.latencies, 0.95)
		v[reports.MLatencyP99] = reports.Quantile(r.latencies, 0.99)
	}
	// Utilization: busy time over staffed time, inside [warm-up, horizon].
	var busy, staffed, refocus time.Duration
	interrupts := 0
	r.util = make([]float64, len(w.xs))
	r.interrupts = make([]float64, len(w.xs))
	r.unsched = make([]float64, len(w.xs))
	r.segs = make([]int, len(w.xs))
	for i := range w.xs {
		x := &w.xs[i]
		if x.busyNow() {
			x.busy += w.inWindow(x.busyStart, now)
		}
		if x.refocusing {
			x.refocusWin += w.inWindow(x.refocusStart, now)
		}
		if x.inUnsched {
			x.unsched += min(now, x.sc.Shift.End) - x.unschedSince
			x.inUnsched = false
		}
		lo, hi := max(x.sc.Shift.Start, sc.Run.Warmup), min(x.sc.Shift.End, sc.Run.Horizon)
		st := max(0, hi-lo)
		busy += x.busy
		refocus += x.refocusWin
		staffed += st
		r.util[i] = math.NaN()
		if st > 0 {
			r.util[i] = float64(x.busy) / float64(st)
		}
		r.interrupts[i] = float64(x.interrup)
		interrupts += x.interrup
		if shift := x.sc.Shift.End - x.sc.Shift.Start; shift > 0 {
			r.unsched[i] = float64(x.unsched) / float64(shift)
		}
		r.segs[i] = x.unschedSegs
	}
	v[reports.MUtilization] = math.NaN()
	v[reports.MProductive] = math.NaN()
	if staffed > 0 {
		v[reports.MUtilization] = float64(busy) / float64(staffed)
		v[reports.MProductive] = float64(busy-refocus) / float64(staffed)
	}
	if ec := sc.Economics; ec != nil {
		lost := (w.refocusTotal + w.meetingLost).Hours()
		cost := ec.ExpertCostPerHour*lost + ec.WaitCostPerMinute*waitSum/60 +
			ec.AbandonmentCost*float64(abandoned) + ec.VoicemailCost*float64(voicemail) + ec.UnfinishedCost*float64(unfinished)
		if policy == reports.Shadowq {
			cost += ec.ShadowqCostPerDay
		}
		v[reports.MCost] = cost
	}
	v[reports.MRefocus] = w.minutesPerExpert(w.refocusTotal)
	v[reports.MMeetingLost] = w.minutesPerExpert(w.meetingLost)
	v[reports.MInterruptions] = float64(interrupts) / float64(max(1, len(w.xs)))
	// Invariant: counts are conserved.
	if routed+voicemail+abandoned+unfinished != n {
		w.violations = append(w.violations, fmt.Sprintf("%s: %d escalations but %d routed + %d voicemail + %d abandoned + %d unfinished",
			policy, n, routed, voicemail, abandoned, unfinished))
	}
	if policy == reports.Shadowq && engMissing > 0 {
		w.violations = append(w.violations, fmt.Sprintf("%s: %d escalations ended without a terminal decision from the engine", policy, engMissing))
	}
	r.violations = w.violations
	r.queue = w.queue.means()
	if w.tl != nil {
		w.tl.close(now)
		r.timeline = &w.tl.out
	}
	return r
}

// summarize aggregates replications into Results, in replication order.
func summarize(sc *scenarios.Scenario, seed uint64, reps int, sl time.Duration, out [][]runResult) *reports.Results {
	res := &reports.Results{
		Schema: reports.SchemaVersion, Scenario: sc.Name, File: sc.File, Seed: seed, Replications: reps,
		HorizonS: sc.Run.Horizon.Seconds(), WarmupS: sc.Run.Warmup.Seconds(), ServiceLevelS: sl.Seconds(), Experts: len(sc.Experts),
	}
	as := arms(sc)
	sq := len(as) - 1 // shadowq is the last arm
	series := func(p int, m string) []float64 {
		xs := make([]float64, reps)
		for i := range out {
			xs[i] = out[i][p].vals[m]
		}
		return xs
	}
	names := append(slices.Clone(reports.MetricNames), priorityMetricNames(sc)...)
	for p, a := range as {
		pr := reports.PolicyResult{Name: a.name}
		for _, m := range names {
			pr.Metrics = append(pr.Metrics, reports.Summarize(m, reports.MetricUnit(m), series(p, m)))
		}
		res.Policies = append(res.Policies, pr)
	}
	money := sc.Economics != nil
	if money {
		res.Currency = sc.Economics.Currency
		for p := range res.Policies {
			res.Policies[p].Metrics = append(res.Policies[p].Metrics, reports.Summarize(reports.MCost, reports.UnitMoney, series(p, reports.MCost)))
		}
	}
	for b := range sq {
		d := reports.DeltaResult{Baseline: as[b].name}
		for _, m := range names {
			d.Metrics = append(d.Metrics, reports.Paired(m, reports.MetricUnit(m), series(b, m), series(sq, m)))
			d.Relative = append(d.Relative, reports.Relative(m, series(b, m), series(sq, m)))
		}
		if money {
			d.Metrics = append(d.Metrics,
				reports.Paired(reports.MCost, reports.UnitMoney, series(b, reports.MCost), series(sq, reports.MCost)),
				// baseline − shadowq: what shadowq saves a day
				reports.Paired(reports.MNetValue, reports.UnitMoney, series(sq, reports.MCost), series(b, reports.MCost)))
			d.Relative = append(d.Relative, reports.Relative(reports.MCost, series(b, reports.MCost), series(sq, reports.MCost)))
		}
		res.Deltas = append(res.Deltas, d)
	}
	for p, a := range as {
		var all []float64
		arrivals := 0
		for i := range out {
			all = append(all, out[i][p].latencies...)
			arrivals += int(out[i][p].vals[reports.MEscalations])
		}
		slices.Sort(all)
		c := reports.NewCDF(a.name, all)
		c.Arrivals, c.Routed = arrivals, len(all)
		res.LatencyCDF = append(res.LatencyCDF, c)
	}
	// Per expert, and the cherry-pick detector (shadowq runs).
	var flagged, scripted []string
	tp := 0
	for i := range sc.Experts {
		x := &sc.Experts[i]
		er := reports.ExpertResult{ID: string(x.ID), Group: x.Group, CherryPicker: x.CherryPicker}
		var unsched, segs float64
		for p := range as {
			var xs []float64
			for r := range out {
				xs = append(xs, out[r][p].util[i])
			}
			er.Utilization = append(er.Utilization, reports.Summarize("", "", xs).Mean)
		}
		for r := range out {
			er.Interrupts += out[r][sq].interrupts[i] / float64(reps)
			unsched += out[r][sq].unsched[i] / float64(reps)
			segs += float64(out[r][sq].segs[i]) / float64(reps)
		}
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
	res.Invariants.Checked = len(as) * reps
	for i := range out {
		for p := range out[i] {
			for _, v := range out[i][p].violations {
				res.Invariants.Violations = append(res.Invariants.Violations, fmt.Sprintf("replication %d (seed %d): %s", i, seed, v))
			}
		}
	}
	if tl := out[0][sq].timeline; tl != nil {
		res.Timeline = *tl
	}
	var qs [][]float64
	for i := range out {
		qs = append(qs, out[i][0].queue)
	}
	res.WarmupCheck = warmupCheck(as[0].name, qs, sc.Run.Horizon, sc.Run.Warmup)
	return res
}
