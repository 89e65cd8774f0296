package enginebench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
	"github.com/shadowq/shadowq/engine/redisstore"
)

const (
	nExperts = 10_000
	nSkills  = 20
)

type storeKind struct {
	name string
	new  func(b *testing.B, c engine.Clock) engine.Store
}

func kinds() []storeKind {
	return []storeKind{
		{"memory", func(_ *testing.B, c engine.Clock) engine.Store {
			return memstore.New(c, memstore.WithDecisionRetention(1000))
		}},
		{redisName(), newRedis},
	}
}

func redisName() string {
	if os.Getenv("REDIS_URL") != "" {
		return "redis"
	}
	return "miniredis"
}

// newRedis uses REDIS_URL when set (the real server), else miniredis.
func newRedis(b *testing.B, _ engine.Clock) engine.Store {
	var client *redis.Client
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			b.Fatal(err)
		}
		client = redis.NewClient(opt)
	} else {
		mr := miniredis.RunT(b)
		client = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	}
	prefix := fmt.Sprintf("shadowq-bench:%d:", time.Now().UnixNano())
	b.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
			if len(keys) == 1000 {
				client.Del(ctx, keys...)
				keys = keys[:0]
			}
		}
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
		client.Close()
	})
	return redisstore.New(client, prefix)
}

func newEngine(b *testing.B, st func(*testing.B, engine.Clock) engine.Store) (*engine.Engine, *Clock) {
	c := &Clock{T: Start}
	experts := Experts(nExperts, nSkills, 1)
	e, err := engine.New(engine.Config{Clock: c, Store: st(b, c), Dispatcher: NopDispatcher{}, Predictor: engine.DefaultPredictor(),
		Policy: Policy(), Experts: experts, ReplicaID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	init := InitialEvents(experts, 1)
	for i := 0; i < len(init); i += 1000 {
		if err := e.Apply(context.Background(), init[i:min(i+1000, len(init))]...); err != nil {
			b.Fatal(err)
		}
	}
	return e, c
}

// BenchmarkIngest measures presence events applied through the engine with
// write-through to the store, one call per batch of the given size.
func BenchmarkIngest(b *testing.B) {
	for _, k := range kinds() {
		for _, batch := range []int{1, 512} {
			if k.name != "memory" && batch == 1 {
				continue // one round trip per event: not how the Redis store is meant to be driven
			}
			b.Run(fmt.Sprintf("%s/batch=%d", k.name, batch), func(b *testing.B) {
				e, c := newEngine(b, k.new)
				experts := Experts(nExperts, nSkills, 1)
				stream := PresenceStream(experts, 1<<18)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					off := i % len(stream)
					end := min(off+batch, len(stream), off+(b.N-i))
					// Keep time moving forward so no event is "late".
					c.T = stream[end-1].At
					if err := e.Apply(ctx, stream[off:end]...); err != nil {
						b.Fatal(err)
					}
					if end == len(stream) {
						b.StopTimer()
						for j := range stream {
							stream[j].At = stream[j].At.Add(time.Duration(len(stream)) * time.Millisecond)
						}
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkDecision measures Submit latency (scan, score, claim, decision
// log) with 10,000 experts over 20 skills; each escalation is abandoned
// afterwards (untimed in the percentiles) so the pool stays steady.
func BenchmarkDecision(b *testing.B) {
	for _, k := range kinds() {
		b.Run(k.name, func(b *testing.B) {
			e, c := newEngine(b, k.new)
			escs := Escalations(1<<16, nSkills, 2)
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			// Warm up to the steady state a long-running engine is in
			// (decision log and idempotency memory full, heap grown).
			for i := 0; i < 20000 && k.name == "memory"; i++ {
				x := escs[i%len(escs)]
				x.ConversationID = fmt.Sprintf("w-%d", i)
				c.T = c.T.Add(time.Second)
				x.Arrival = c.T
				if d, err := e.Submit(ctx, x); err == nil && d.Action == engine.ActDeliver {
					e.Abandon(ctx, x.ConversationID)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x := escs[i%len(escs)]
				x.ConversationID = fmt.Sprintf("c-%d", i)
				c.T = c.T.Add(time.Second)
				x.Arrival = c.T
				t0 := time.Now()
				d, err := e.Submit(ctx, x)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if d.Action == engine.ActDeliver {
					if err := e.Abandon(ctx, x.ConversationID); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
	}
}
