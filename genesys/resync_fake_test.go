package genesys

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
	fake "github.com/shadowq/shadowq/fakes/genesys"
)

// Silent event loss (no notification reaches the engine while a quarter
// of 2,000 experts change presence) is fully repaired by one resync: the
// concurrent chunked reads cover every expert, and the engine then agrees
// with the fake's truth on every one.
func TestFakeOneResyncRepairsSilentLoss(t *testing.T) {
	const n = 2000
	org := fake.DemoOrg()
	org.Users = nil
	var experts []engine.Expert
	var ids []engine.ExpertID
	for i := range n {
		id := fmt.Sprintf("0ad00000-0000-4000-8000-%012d", i)
		org.Users = append(org.Users, fake.User{ID: id, Name: id, PresenceID: fake.PresenceOnQueue})
		experts = append(experts, engine.Expert{ID: engine.ExpertID(id)})
		ids = append(ids, engine.ExpertID(id))
	}
	for i := range org.Queues {
		org.Queues[i].Members = nil
	}
	env := newFakeEnv(t, fake.Options{Org: &org, TimeScale: 1})
	c := env.client(t, nil)
	eng, err := engine.New(engine.Config{Clock: engine.ClockFunc(time.Now), Store: memstore.New(engine.ClockFunc(time.Now)),
		Dispatcher: &recordingDispatcher{}, Policy: engine.DefaultPolicy(), Experts: experts, ReplicaID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resync := func() {
		t.Helper()
		snap, err := c.Resync(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Entries) != n {
			t.Fatalf("resync read %d experts, want %d", len(snap.Entries), n)
		}
		if err := eng.ApplySnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	resync()
	time.Sleep(5 * time.Millisecond) // later modifiedDates than the first read's
	defs := []string{fake.PresenceAvailable, fake.PresenceMeetingDoNotDisturb, fake.PresenceMeetingInterruptP1}
	for i := 0; i < n; i += 4 {
		if err := env.srv.SetPresence(string(ids[i]), defs[i%len(defs)], ""); err != nil {
			t.Fatal(err)
		}
	}
	wrong := func() int {
		bad := 0
		for _, u := range env.srv.State().Users {
			st, ok := eng.State(engine.ExpertID(u.ID))
			if ok && string(st.Presence.Def) != u.PresenceID {
				bad++
			}
		}
		return bad
	}
	if w := wrong(); w != n/4 {
		t.Fatalf("%d experts wrong after the silent loss, want %d (the test must see the loss)", w, n/4)
	}
	resync()
	if w := wrong(); w != 0 {
		t.Fatalf("%d experts still wrong after one resync", w)
	}
}

// recordingDispatcher accepts every delivery (none happen here).
type recordingDispatcher struct{}

func (recordingDispatcher) Deliver(engine.Delivery) error { return nil }

// BenchmarkFakeResync10k is one full resync of 10,000 experts against the
// fake enforcing 300 requests a minute per token, with two OAuth clients
// (one read is 300 requests: 200 bulk presence, 100 user pages). Run once:
//
//	go test -run '^$' -bench FakeResync10k -benchtime 1x -count 3 ./genesys/
func BenchmarkFakeResync10k(b *testing.B) {
	const n = 10000
	org := fake.DemoOrg()
	org.Users = nil
	for i := range org.Queues {
		org.Queues[i].Members = nil
	}
	var ids []engine.ExpertID
	for i := range n {
		id := fmt.Sprintf("0ad00000-0000-4000-8000-%012d", i)
		org.Users = append(org.Users, fake.User{ID: id, Name: id, PresenceID: fake.PresenceOnQueue})
		ids = append(ids, engine.ExpertID(id))
	}
	env := newFakeEnv(b, fake.Options{Org: &org, TimeScale: 1, Faults: fake.Faults{TokenRateLimit: true}})
	api, _ := BaseURL(env.url)
	tokens := func() TokenSource {
		tm, err := NewTokenManager(TokenOptions{Login: LoginURL(api), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
		if err != nil {
			b.Fatal(err)
		}
		return tm
	}
	for b.Loop() {
		b.StopTimer()
		c, err := NewClient(Options{API: api, Tokens: tokens(), MoreClients: []OAuthClient{{Tokens: tokens()}}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		snap, err := c.Resync(context.Background(), ids)
		if err != nil || len(snap.Entries) != n {
			b.Fatalf("%d entries, %v", len(snap.Entries), err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/resync")
}

// forChunks reads at most resyncInFlight chunks at once, or the paced
// number a periodic resync asks for.
func TestForChunksInFlight(t *testing.T) {
	ids := make([]engine.ExpertID, 400)
	for i := range ids {
		ids[i] = engine.ExpertID(fmt.Sprint(i))
	}
	peak := func(ctx context.Context) int {
		var mu sync.Mutex
		cur, top := 0, 0
		err := forChunks(ctx, ids, 10, func([]engine.ExpertID) error {
			mu.Lock()
			cur++
			top = max(top, cur)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond) // overlap, so the bound is reached
			mu.Lock()
			cur--
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	if got := peak(context.Background()); got > resyncInFlight {
		t.Errorf("full speed: %d reads at once, want at most %d", got, resyncInFlight)
	}
	if got := peak(withInFlight(context.Background(), pacedInFlight)); got > pacedInFlight {
		t.Errorf("paced: %d reads at once, want at most %d", got, pacedInFlight)
	}
}
