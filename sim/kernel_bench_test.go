package sim

import (
	"testing"
	"time"
)

// delayTable pre-generates exponential delays (mean 1s) so that the
// benchmarks measure the kernel, not the RNG. Its length is a power of two.
func delayTable() []time.Duration {
	r := NewStreams(1).Stream("bench/delays")
	d := make([]time.Duration, 1<<12)
	for i := range d {
		d[i] = Exp(r, time.Second)
	}
	return d
}

// BenchmarkKernel measures the kernel's hot path at a realistic size: a
// steady state of 10,000 pending events, each of which reschedules itself a
// random delay ahead. One op is one event (pop, run, push).
func BenchmarkKernel(b *testing.B) {
	const pending = 10000
	delays := delayTable()
	mask := len(delays) - 1
	k := NewKernel(t0)
	j := 0
	var tick func()
	tick = func() {
		k.After(delays[j&mask], tick)
		j++
	}
	for range pending {
		tick()
	}
	for range 4 * pending { // reach steady state: heap, slots and free list grown
		k.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.StopTimer()
	if k.Pending() != pending {
		b.Fatalf("Pending() = %d, want %d", k.Pending(), pending)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkKernelCancel measures the timeout pattern: 10,000 work items
// each reschedule themselves a random delay ahead (as in BenchmarkKernel)
// and, every time they run, cancel their pending timeout and arm a new one
// a minute ahead, so timeouts are almost always cancelled, never run, and
// 20,000 events are pending. One op is one work event: Step, Cancel, two
// Afters.
func BenchmarkKernelCancel(b *testing.B) {
	const items = 10000
	delays := delayTable()
	mask := len(delays) - 1
	k := NewKernel(t0)
	nop := func() {}
	timeouts := make([]EventID, items)
	j := 0
	work := make([]func(), items)
	for i := range work {
		work[i] = func() {
			k.Cancel(timeouts[i])
			timeouts[i] = k.After(time.Minute+delays[(j+1)&mask], nop)
			k.After(delays[j&mask], work[i])
			j++
		}
	}
	for _, w := range work {
		k.After(0, w)
	}
	for range 4 * items {
		k.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.Step()
	}
	b.StopTimer()
	if p := k.Pending(); p < items || p > 2*items {
		b.Fatalf("Pending() = %d, want %d..%d", p, items, 2*items)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
