package sim

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
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
	// calling goroutine), each replication's as soon as it and every one
	// before it have finished: records stream, they are not held for the
	// run. An error from it stops the run and is returned.
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
	days       *dayRun   // multi-day worlds only
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
	sum := newSummary(sc, seed, reps, sl)
	defer sum.close()
	st, err := runReplications(sc, seed, reps, sl, workers, opt, sum)
	if err != nil {
		return nil, st, err
	}
	res, err := sum.results()
	if err != nil {
		return nil, st, err
	}
	st.WallTime = time.Since(t0)
	return res, st, nil
}

// done is one finished replication.
type done struct {
	i   int
	out []runResult
	err error
}

// runReplications runs the replications on workers and hands them, in
// replication order, to the records callback and the summary, dropping
// each once handed over. At most 2×workers replications are started and
// not yet handed over, so memory does not grow with the replication count.
// The first error in replication order stops the run.
func runReplications(sc *scenarios.Scenario, seed uint64, reps int, sl time.Duration, workers int, opt Options, sum *summary) (Stats, error) {
	root := NewStreams(seed)
	window := make(chan struct{}, 2*workers)
	stop := make(chan struct{})
	jobs := make(chan int)
	results := make(chan done)
	go func() {
		defer close(jobs)
		for i := range reps {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(workers, reps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out, err := replicate(sc, root.Replication(i), i, sl, opt.Records != nil)
				results <- done{i, out, err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var st Stats
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			close(stop)
		}
	}
	pending := map[int]done{}
	next, finished := 0, 0
	for d := range results {
		finished++
		if opt.Progress != nil && firstErr == nil {
			opt.Progress(finished, reps)
		}
		pending[d.i] = d
		for d, ok := pending[next]; ok; d, ok = pending[next] {
			delete(pending, next)
			next++
			<-window
			if firstErr != nil {
				continue
			}
			if d.err != nil {
				fail(fmt.Errorf("replication %d (seed %d): %w", d.i, seed, d.err))
				continue
			}
			if err := handOver(d.out, opt.Records, sum, &st); err != nil {
				fail(err)
			}
		}
	}
	return st, firstErr
}

// handOver writes one replication's records and folds it into the summary.
func handOver(out []runResult, records func(reports.Record) error, sum *summary, st *Stats) error {
	for p := range out {
		st.Events += out[p].events
		if records != nil {
			for _, r := range out[p].records {
				if err := records(r); err != nil {
					return err
				}
			}
		}
	}
	return sum.add(out)
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
		if len(w.xs) >= prefetchMin {
			w.pre = sr
		}
		if rep == 0 {
			w.tl = newTimelineRec(w)
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
	r := w.measure(policy, rep, sl, records)
	if w.days != nil {
		r.days = w.measureDays(sl)
	}
	w.recycle()
	return r, nil
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
	var prioNames [256]string // Priority.String formats: once per priority, not per escalation
	prioName := func(p engine.Priority) string {
		if prioNames[p] == "" {
			prioNames[p] = p.String()
		}
		return prioNames[p]
	}
	for i := range w.es {
		e := &w.es[i]
		if !e.counted {
			continue
		}
		n++
		pc := byPrio[prioName(e.a.prio)]
		if pc == nil {
			pc = &prioCounts{}
			byPrio[prioName(e.a.prio)] = pc
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
			rec := reports.Record{Replication: rep, Policy: policy, ID: e.a.conv, ArrivalS: e.a.at.Seconds(), Priority: prioName(e.a.prio),
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
			w.addBusy(x, x.busyStart, now)
		}
		if x.refocusing {
			x.refocusWin += w.inWindow(x.refocusStart, now)
		}
		if x.inUnsched {
			x.unsched += min(now, x.shiftEnd) - x.unschedSince
			x.inUnsched = false
		}
		var st, shift time.Duration
		for _, sh := range x.sc.Shifts {
			lo, hi := max(sh.Start, sc.Run.Warmup), min(sh.End, sc.Run.Horizon)
			st += max(0, hi-lo)
			shift += sh.End - sh.Start
		}
		busy += x.busy
		refocus += x.refocusWin
		staffed += st
		r.util[i] = math.NaN()
		if st > 0 {
			r.util[i] = float64(x.busy) / float64(st)
		}
		r.interrupts[i] = float64(x.interrup)
		if sc.Week != nil {
			r.interrupts[i] /= float64(max(1, len(x.sc.Shifts))) // per working day
		}
		interrupts += int(x.interrup)
		if shift > 0 {
			r.unsched[i] = float64(x.unsched) / float64(shift)
		}
		r.segs[i] = int(x.unschedSegs)
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
		if sc.Week != nil {
			cost /= float64(sc.Week.Days) // per simulated day
		}
		if policy == reports.Shadowq {
			cost += ec.ShadowqCostPerDay
		}
		v[reports.MCost] = cost
	}
	v[reports.MRefocus] = w.minutesPerExpert(w.refocusTotal)
	v[reports.MMeetingLost] = w.minutesPerExpert(w.meetingLost)
	v[reports.MInterruptions] = float64(interrupts) / float64(max(1, w.expertDays()))
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
