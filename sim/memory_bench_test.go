package sim

import (
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
)

// peakHeap runs f while sampling the heap's object bytes (live and not
// yet swept) every millisecond, and returns the largest sample.
func peakHeap(f func()) uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak
}

// BenchmarkReplicationMemory is the simulator's memory against the number
// of replications: erlang-c.yaml (10 experts, 100 hours, ~5,000
// escalations an arm) at 10 and 200 replications, records written as
// JSON lines (to io.Discard), in one run. It reports the peak heap of
// each and their ratio (heap-ratio: 1 is memory flat in replications).
// `shadowq sim --replications N` measured with /usr/bin/time gives the
// process's peak RSS (README).
func BenchmarkReplicationMemory(b *testing.B) {
	sc, err := scenarios.Load("../scenarios/erlang-c.yaml")
	if err != nil {
		b.Fatal(err)
	}
	peak := map[int]uint64{}
	for b.Loop() {
		for _, reps := range []int{10, 200} {
			rw := reports.NewRecordWriter(io.Discard, reports.FormatJSONL)
			p := peakHeap(func() {
				if _, _, err := Run(sc, Options{Replications: reps, Records: rw.Write}); err != nil {
					b.Fatal(err)
				}
			})
			peak[reps] = max(peak[reps], p)
		}
	}
	b.ReportMetric(float64(peak[10])/(1<<20), "heap-MB@10")
	b.ReportMetric(float64(peak[200])/(1<<20), "heap-MB@200")
	b.ReportMetric(float64(peak[200])/float64(peak[10]), "heap-ratio")
}
