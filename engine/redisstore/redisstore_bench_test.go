package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
)

// benchBackend returns a client on REDIS_URL when it is set, else on an
// embedded miniredis, and the backend's name for the sub-benchmark.
func benchBackend(b *testing.B) (redis.UniversalClient, string) {
	if c := realRedis(b); c != nil {
		return c, "redis"
	}
	_, c := miniClient(b)
	return c, "miniredis"
}

// benchStore returns a store under a fresh prefix whose keys are deleted
// when the benchmark run ends.
func benchStore(b *testing.B, c redis.UniversalClient) (*Store, string) {
	prefix := uniquePrefix(b)
	b.Cleanup(func() { deleteKeys(b, c, prefix) })
	return New(c, prefix), prefix
}

func guid(kind, i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761%(1<<32), kind, i%4096, (i/4096)%4096, i)
}

// realisticState looks like production: GUID ids, millisecond event times
// from Genesys, nanosecond engine-clock times, two recent interruptions.
func realisticState(i int) engine.ExpertState {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7919 * time.Microsecond)
	ev := now.Add(-time.Duration(i%600) * time.Second).Truncate(time.Millisecond)
	return engine.ExpertState{
		ID:            engine.ExpertID(guid(1, i)),
		Presence:      engine.Presence{Def: engine.PresenceDefID(guid(2, i%12)), System: engine.SysBusy},
		PresenceSince: ev,
		Routing:       engine.RSIdle,
		RoutingSince:  ev.Add(-3 * time.Minute),
		ConfirmedAt:   now.Add(123456789),
		Conversation:  guid(3, i),
		BlockEnd:      ev.Add(30 * time.Minute),
		LastDelivery:  now.Add(-17*time.Minute + 987654321),
		LastInterrupt: now.Add(-17*time.Minute + 987654321),
		Interrupts:    []time.Time{now.Add(-40*time.Minute + 55555), now.Add(-17*time.Minute + 987654321)},
	}
}

func BenchmarkPutExpertsBatch(b *testing.B) {
	c, backend := benchBackend(b)
	const distinct, batch = 10_000, 512
	// The tail repeats the head so every batch is one contiguous window.
	states := make([]engine.ExpertState, distinct+batch)
	for i := range states {
		states[i] = realisticState(i % distinct)
	}
	b.Run(backend, func(b *testing.B) {
		s, _ := benchStore(b, c)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := i * batch % distinct
			if err := s.PutExperts(ctx, states[start:start+batch]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	})
}

func BenchmarkClaimContention(b *testing.B) {
	c, backend := benchBackend(b)
	b.Run(backend, func(b *testing.B) {
		s, prefix := benchStore(b, c)
		ctx := context.Background()
		const workers, n = 8, 100
		experts := make([]engine.ExpertID, n)
		keys := make([]string, n)
		for i := range experts {
			experts[i] = engine.ExpertID(fmt.Sprintf("race-%03d", i))
			keys[i] = prefix + "claim:" + string(experts[i])
		}
		orders := make([][]engine.ExpertID, workers)
		for w := range orders {
			off := w * n / workers
			orders[w] = append(slices.Clone(experts[off:]), experts[:off]...)
		}
		var doubles, claims int
		b.ReportAllocs()
		b.ResetTimer()
		for round := 0; round < b.N; round++ {
			owner := make([]string, n)
			var mu sync.Mutex
			var wg sync.WaitGroup
			var failed error
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for k := 0; ; k++ {
						holder := fmt.Sprintf("r%d-w%d-%d", round, w, k)
						i, err := s.ClaimFirst(ctx, orders[w], holder, time.Minute)
						if err != nil || i < 0 {
							if err != nil {
								mu.Lock()
								failed = err
								mu.Unlock()
							}
							return
						}
						e := (i + w*n/workers) % n
						mu.Lock()
						if owner[e] != "" {
							doubles++
						}
						owner[e] = holder
						claims++
						mu.Unlock()
					}
				}(w)
			}
			wg.Wait()
			if failed != nil {
				b.Fatal(failed)
			}
			if i := slices.Index(owner, ""); i >= 0 {
				b.Fatalf("round %d: %s was never claimed", round, experts[i])
			}
			b.StopTimer()
			if err := c.Del(ctx, keys...).Err(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if doubles > 0 {
			b.Fatalf("%d double claims", doubles)
		}
		b.ReportMetric(float64(claims)/b.Elapsed().Seconds(), "claims/s")
	})
}

func BenchmarkClaimFirstLatency(b *testing.B) {
	c, backend := benchBackend(b)
	b.Run(backend, func(b *testing.B) {
		s, _ := benchStore(b, c)
		ctx := context.Background()
		// Four candidates are held already; the fifth is fresh every time,
		// so each call walks five keys and claims the last.
		held := []engine.ExpertID{"held-0", "held-1", "held-2", "held-3"}
		for i := range held {
			if k, err := s.ClaimFirst(ctx, held[i:i+1], "other", time.Hour); err != nil || k != 0 {
				b.Fatalf("pre-claim: %d, %v", k, err)
			}
		}
		cands := make([][]engine.ExpertID, b.N)
		for i := range cands {
			cands[i] = append(slices.Clone(held), engine.ExpertID(fmt.Sprintf("fresh-%d", i)))
		}
		durs := make([]time.Duration, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t := time.Now()
			k, err := s.ClaimFirst(ctx, cands[i], "me", time.Minute)
			durs[i] = time.Since(t)
			if err != nil || k != 4 {
				b.Fatalf("ClaimFirst = %d, %v; want 4", k, err)
			}
		}
		b.StopTimer()
		slices.Sort(durs)
		pct := func(p float64) float64 {
			i := int(p*float64(len(durs))+0.999999) - 1
			return float64(durs[max(i, 0)]) / float64(time.Microsecond)
		}
		b.ReportMetric(pct(0.50), "p50-µs")
		b.ReportMetric(pct(0.99), "p99-µs")
	})
}

// The encoding benchmarks compare the binary format with JSON.

func BenchmarkEncodeState(b *testing.B) {
	st := realisticState(42)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendState(buf[:0], &st)
	}
	b.ReportMetric(float64(len(buf)), "bytes/state")
}

func BenchmarkDecodeState(b *testing.B) {
	st := realisticState(42)
	v := string(appendState(nil, &st))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeState(string(st.ID), v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStateJSON(b *testing.B) {
	st := realisticState(42)
	var n int
	b.ReportAllocs()
	for b.Loop() {
		v, err := json.Marshal(&st)
		if err != nil {
			b.Fatal(err)
		}
		n = len(v)
	}
	b.ReportMetric(float64(n), "bytes/state")
}

func BenchmarkDecodeStateJSON(b *testing.B) {
	st := realisticState(42)
	v, _ := json.Marshal(&st)
	b.ReportAllocs()
	for b.Loop() {
		var out engine.ExpertState
		if err := json.Unmarshal(v, &out); err != nil {
			b.Fatal(err)
		}
	}
}
