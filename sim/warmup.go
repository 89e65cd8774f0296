package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/shadowq/shadowq/reports"
)

// The warm-up check: MSER-5 (White 1997; White, Cobb & Spratt 2000) on
// the first baseline's number of escalations waiting, averaged over
// replications. It estimates where the initial transient ends: the
// truncation point minimising the marginal standard error of the mean of
// what remains.

// queueBins is how many equal intervals of the horizon the queue series
// has; MSER-5 batches them by 5, so it sees 100 batch means.
const queueBins = 500

// mserBatch is MSER-5's batch size.
const mserBatch = 5

// queueSeries is the time-average of a step function (escalations waiting)
// over queueBins equal intervals of [0, horizon].
type queueSeries struct {
	width time.Duration
	area  []float64 // per bin: integral of n over the bin, in n·ns
	n     int
	last  time.Duration
}

func newQueueSeries(horizon time.Duration) queueSeries {
	return queueSeries{width: max(1, horizon/queueBins), area: make([]float64, queueBins)}
}

// add changes the count by dn at t (t never decreases).
func (q *queueSeries) add(t time.Duration, dn int) {
	q.flush(t)
	q.n += dn
}

// flush accounts the current count from the last change up to t.
func (q *queueSeries) flush(t time.Duration) {
	if q.width == 0 {
		return
	}
	for q.last < t {
		b := int(q.last / q.width)
		if b >= len(q.area) {
			q.last = t
			return
		}
		end := min(t, time.Duration(b+1)*q.width)
		q.area[b] += float64(q.n) * float64(end-q.last)
		q.last = end
	}
}

// means returns the average count per bin (after flushing to the horizon).
func (q *queueSeries) means() []float64 {
	q.flush(q.width * queueBins)
	out := make([]float64, len(q.area))
	for i, a := range q.area {
		out[i] = a / float64(q.width)
	}
	return out
}

// mser returns the truncation index d (in batches) that minimises
// MSER(d) = Σ_{j≥d} (z_j − z̄_d)² / (n − d)² over d ≤ n/2, the usual bound.
func mser(z []float64) int {
	n := len(z)
	best, bestV := 0, 0.0
	for d := 0; d <= n/2 && n-d >= 2; d++ {
		var mean float64
		for _, x := range z[d:] {
			mean += x
		}
		mean /= float64(n - d)
		var ss float64
		for _, x := range z[d:] {
			ss += (x - mean) * (x - mean)
		}
		v := ss / float64((n-d)*(n-d))
		if d == 0 || v < bestV {
			best, bestV = d, v
		}
	}
	return best
}

// warmupCheck runs MSER-5 on the replications' mean queue series of arm
// 0 and compares its truncation point with the chosen warm-up. A warning
// is set when the suggestion exceeds the warm-up by more than one batch.
func warmupCheck(name string, series [][]float64, horizon, warmup time.Duration) *reports.WarmupCheck {
	if len(series) == 0 {
		return nil
	}
	avg := make([]float64, queueBins)
	for _, s := range series {
		for i, x := range s {
			avg[i] += x / float64(len(series))
		}
	}
	return warmupCheckAvg(name, avg, horizon, warmup)
}

// warmupCheckAvg is warmupCheck of the replications' mean series avg.
func warmupCheckAvg(name string, avg []float64, horizon, warmup time.Duration) *reports.WarmupCheck {
	z := make([]float64, queueBins/mserBatch)
	for i := range z {
		for _, x := range avg[i*mserBatch : (i+1)*mserBatch] {
			z[i] += x / mserBatch
		}
	}
	batch := horizon / queueBins * mserBatch
	d := mser(z)
	suggested := time.Duration(d) * batch
	c := &reports.WarmupCheck{Method: "MSER-5", Arm: name, SuggestedS: suggested.Seconds(), ChosenS: warmup.Seconds()}
	if suggested > warmup+batch {
		c.Warning = fmt.Sprintf("run.warmup %s is shorter than the %s MSER-5 suggests from %s's queue length, so the statistics include the initial transient: set run.warmup to at least %s",
			shortDur(warmup), shortDur(suggested), name, shortDur(suggested))
		if d == len(z)/2 {
			c.Warning += " (MSER-5 stopped at its bound, half the horizon: the queue may not settle within this horizon; run longer)"
		}
	}
	return c
}

// shortDur formats d without zero trailing units: 12h, 1h30m, 45s.
func shortDur(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
