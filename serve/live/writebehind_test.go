package live

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/redisstore"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// Issue 12 item 2, serve side: a presence write that fails while Redis is
// down was dropped (the pending set was cleared before the write). It is
// now kept and retried with backoff until the store takes it.
func TestWriteBehindKeepsWritesWhileTheStoreIsDown(t *testing.T) {
	rd := startPrivateRedis(t)
	c := redis.NewClient(&redis.Options{Addr: rd.addr, MaxRetries: -1})
	defer c.Close()
	store := redisstore.New(c, "wb:")
	var failed atomic.Int32
	w := newWriteBehind(store, func(error) { failed.Add(1) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx, time.Millisecond) }()
	defer func() { cancel(); <-done }()
	rd.kill()
	st := engine.ExpertState{ID: "x1", Presence: engine.Presence{Def: "dnd", System: engine.SysMeeting}, PresenceSince: time.Unix(1700000000, 0)}
	w.PutExperts(context.Background(), []engine.ExpertState{st})
	// The write is attempted, and fails, twice while Redis is down.
	waitFor(t, func() bool { return failed.Load() >= 2 }, "two failed writes")
	if w.Pending() != 1 {
		t.Fatalf("pending %d while the store is down: the write was dropped", w.Pending())
	}
	rd.start()
	waitFor(t, func() bool {
		got, err := store.LoadExperts(context.Background())
		return err == nil && len(got) == 1 && got[0].Presence == st.Presence
	}, "the kept write to reach the store once it is back")
}

// Issue 12 item 6: after Redis restarted empty, experts whose presence
// did not change were never rewritten (only changes are written). The
// replica now notices the missing epoch marker and rewrites its cache,
// and claims back the conversations it is routing.
func TestStoreResetRewritesTheCache(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: time.Minute}}) // the alert rings on
	rd := startPrivateRedis(t)
	prefix := fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r := startReplicaCfg(t, f, rd.url(), "r1", prefix, func(c *serve.Config) { c.Shutdown.Drain = 100 * time.Millisecond })
	c := redis.NewClient(&redis.Options{Addr: rd.addr})
	defer c.Close()
	store := redisstore.New(c, prefix)
	all := func() bool {
		got, err := store.LoadExperts(context.Background())
		return err == nil && len(got) == 8
	}
	waitFor(t, all, "the 8 experts in the store after the first resync")
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r, conv, "Databases", "P3"); resp.Action != "routed" {
		t.Fatalf("%+v", resp)
	}
	owner := func() string { o, _ := c.Get(context.Background(), prefix+"conv:"+conv).Result(); return o }
	if owner() != "r1" {
		t.Fatalf("conversation owned by %q before the reset", owner())
	}
	if err := c.Set(context.Background(), prefix+"sentinel", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rd.restart() // empty, and nobody's presence changes
	// (The replica may already be rewriting: check emptiness on a key it
	// never writes.)
	if n, _ := c.Exists(context.Background(), prefix+"sentinel").Result(); n != 0 {
		t.Fatal("the restarted store kept its data: the test proves nothing")
	}
	waitFor(t, all, "the 8 unchanged experts rewritten after the store came back empty")
	waitFor(t, func() bool { return owner() == "r1" }, "r1 to own its in-flight conversation again")
}

// blockingStore's PutExperts waits for its context while block is set,
// then fails with the context's error; otherwise it records the write.
type blockingStore struct {
	engine.Store
	block   atomic.Bool
	calls   atomic.Int32
	written atomic.Int32
}

func (s *blockingStore) PutExperts(ctx context.Context, states []engine.ExpertState) error {
	s.calls.Add(1)
	if s.block.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	s.written.Add(int32(len(states)))
	return nil
}

// A write under way when serve shuts down was cut short by the
// cancellation and logged as an error ("presence write-behind: context
// canceled", which TestReadmeProductionWalkthrough caught once on a
// loaded machine), although the final flush then wrote the state. A
// write cut short by shutdown is not an error; the final flush's own
// failure still is.
func TestWriteBehindShutdownMidWriteIsNoError(t *testing.T) {
	store := &blockingStore{}
	store.block.Store(true)
	var errs atomic.Int32
	w := newWriteBehind(store, func(error) { errs.Add(1) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx, time.Millisecond) }()
	st := engine.ExpertState{ID: "x1", Presence: engine.Presence{Def: "busy", System: engine.SysBusy}, PresenceSince: time.Unix(1700000000, 0)}
	w.PutExperts(context.Background(), []engine.ExpertState{st})
	waitFor(t, func() bool { return store.calls.Load() >= 1 }, "the write to be under way")
	store.block.Store(false) // the final flush's write goes through
	cancel()
	<-done
	if n := errs.Load(); n != 0 {
		t.Fatalf("%d errors reported for a write cut short by shutdown", n)
	}
	if store.written.Load() != 1 || w.Pending() != 0 {
		t.Fatalf("written %d, pending %d: the final flush did not write the state", store.written.Load(), w.Pending())
	}

	// The final flush failing is still reported.
	store2 := &blockingStore{}
	store2.block.Store(true)
	w2 := newWriteBehind(store2, func(error) { errs.Add(1) })
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { defer close(done2); w2.run(ctx2, time.Millisecond) }()
	w2.PutExperts(context.Background(), []engine.ExpertState{st})
	waitFor(t, func() bool { return store2.calls.Load() >= 1 }, "the write to be under way")
	cancel2()
	<-done2 // the final flush waits out its 2 s deadline
	if errs.Load() != 1 {
		t.Fatalf("%d errors reported when the final flush failed, want 1", errs.Load())
	}
}
