package sim

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// Sweep runs the scenario at every point of the grid the sweeps span (the
// first key varies slowest), every arm on common random numbers at every
// point, all points with the same seed and replications. Points run in
// parallel; the result does not depend on opt.Workers. opt.Records and
// opt.Progress are not used.
func Sweep(sc *scenarios.Scenario, sweeps []scenarios.Sweep, opt Options) (*reports.SweepResult, Stats, error) {
	out := &reports.SweepResult{}
	for _, s := range sweeps {
		out.Keys = append(out.Keys, s.Key)
	}
	var grid [][]float64
	var walk func(i int, vals []float64)
	walk = func(i int, vals []float64) {
		if i == len(sweeps) {
			grid = append(grid, append([]float64(nil), vals...))
			return
		}
		for _, v := range sweeps[i].Values {
			walk(i+1, append(vals, v))
		}
	}
	walk(0, nil)
	scs := make([]*scenarios.Scenario, len(grid))
	for i, vals := range grid {
		s := sc
		for k, v := range vals {
			var err error
			if s, err = s.With(sweeps[k].Key, v); err != nil {
				return nil, Stats{}, err
			}
		}
		scs[i] = s
	}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	par := min(workers, len(grid))
	inner := opt
	inner.Records, inner.Progress = nil, nil
	inner.Workers = max(1, workers/max(1, par))
	out.Points = make([]reports.SweepPoint, len(grid))
	stats := make([]Stats, len(grid))
	errs := make([]error, len(grid))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res, st, err := Run(scs[i], inner)
				if err != nil {
					errs[i] = fmt.Errorf("sweep point %s: %w", pointName(out.Keys, grid[i]), err)
					continue
				}
				stats[i] = st
				out.Points[i] = reports.SweepPoint{Values: grid[i], Policies: res.Policies, Deltas: res.Deltas, Violations: len(res.Invariants.Violations)}
			}
		}()
	}
	for i := range grid {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	var total Stats
	for i := range grid {
		if errs[i] != nil {
			return nil, total, errs[i]
		}
		total.Events += stats[i].Events
		total.WallTime += stats[i].WallTime
	}
	return out, total, nil
}

func pointName(keys []string, vals []float64) string {
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s=%g", k, vals[i])
	}
	return s
}
