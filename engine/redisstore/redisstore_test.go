package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/storetest"
)

// realRedis returns a client for REDIS_URL, or nil when it is unset.
func realRedis(tb testing.TB) redis.UniversalClient {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		return nil
	}
	opt, err := ParseURL(url)
	if err != nil {
		tb.Fatalf("REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("REDIS_URL=%s: %v", Redact(url), err)
	}
	return c
}

func miniClient(tb testing.TB) (*miniredis.Miniredis, redis.UniversalClient) {
	mr := miniredis.RunT(tb)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	tb.Cleanup(func() { c.Close() })
	return mr, c
}

// uniquePrefix names keys for one test or benchmark run on a shared server.
func uniquePrefix(tb testing.TB) string {
	return fmt.Sprintf("shadowq-test:%d:%s:", time.Now().UnixNano(), tb.Name())
}

// escapeGlob quotes the SCAN MATCH metacharacters in s.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// deleteKeys deletes every key under prefix with SCAN+DEL.
func deleteKeys(tb testing.TB, c redis.UniversalClient, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, escapeGlob(prefix)+"*", 1000).Result()
		if err != nil {
			tb.Errorf("cleanup of %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				tb.Errorf("cleanup of %s: %v", prefix, err)
				return
			}
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

func TestConformance(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		// A fresh server per store; Advance finds it by the test that made it.
		var mu sync.Mutex
		servers := map[testing.TB]*miniredis.Miniredis{}
		storetest.Run(t, storetest.Harness{
			New: func(tb testing.TB) engine.Store {
				mr, c := miniClient(tb)
				mu.Lock()
				servers[tb] = mr
				mu.Unlock()
				return New(c, "shadowq:")
			},
			Advance: func(tb testing.TB, d time.Duration) {
				mu.Lock()
				mr := servers[tb]
				mu.Unlock()
				mr.FastForward(d)
			},
			TTL: time.Minute,
		})
	})
	t.Run("redis", func(t *testing.T) {
		c := realRedis(t)
		if c == nil {
			t.Skip("REDIS_URL is not set; set it (e.g. REDIS_URL=redis://127.0.0.1:6379/0) to run the suite against a real Redis")
		}
		storetest.Run(t, storetest.Harness{
			New: func(tb testing.TB) engine.Store {
				prefix := uniquePrefix(tb)
				tb.Cleanup(func() { deleteKeys(tb, c, prefix) })
				return New(c, prefix)
			},
			Advance: func(_ testing.TB, d time.Duration) { time.Sleep(d) },
			TTL:     300 * time.Millisecond,
		})
	})
}

// exactEqual compares states field by field, times with == on their UTC
// form (so also the location), nil and empty Interrupts alike.
func exactEqual(a, b engine.ExpertState) bool {
	norm := func(s engine.ExpertState) engine.ExpertState {
		for _, t := range fixedTimes(&s) {
			*t = t.UTC()
		}
		if len(s.Interrupts) == 0 {
			s.Interrupts = nil
		} else {
			in := make([]time.Time, len(s.Interrupts))
			for i, t := range s.Interrupts {
				in[i] = t.UTC()
			}
			s.Interrupts = in
		}
		return s
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// maxEncodedLen bounds len(appendState(nil, st)): a 64-bit varint and the
// nanoseconds (< 2^30, 5 bytes) per time, 10 bytes per length or count.
func maxEncodedLen(st *engine.ExpertState) int {
	const maxTimeLen = binary.MaxVarintLen64 + 5
	return 1 + 2*binary.MaxVarintLen64 + len(st.Presence.Def) + 2 + len(st.Conversation) + 1 +
		numFixedTimes*maxTimeLen + binary.MaxVarintLen64 + len(st.Interrupts)*maxTimeLen
}

var maxTime = time.Unix(1<<63-1-62135596800, 999_999_999) // the last time.Time
var minTime = time.Unix(-1<<63, 0)                        // the first time.Time

func TestEncodingRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	long := strings.Repeat("x", 1<<16+3)
	many := make([]time.Time, 4096)
	for i := range many {
		many[i] = t0.Add(time.Duration(i) * 877 * time.Millisecond)
	}
	full := engine.ExpertState{
		ID: "user-1", Presence: engine.Presence{Def: "6a3af858-942f-489d-9700-5f9bcdcdae9b", System: engine.SysMeeting},
		PresenceSince: t0, Routing: engine.RSInteracting, RoutingSince: t0.Add(time.Second),
		ConfirmedAt: t0.Add(2 * time.Second), Conversation: "conv-1", BlockEnd: t0.Add(time.Hour),
		LastDelivery: t0.Add(-time.Hour), LastInterrupt: t0.Add(-2 * time.Hour), CooldownUntil: t0.Add(5 * time.Minute),
		Interrupts: []time.Time{t0.Add(-30 * time.Minute), t0.Add(-10 * time.Minute)},
	}
	tests := []struct {
		name string
		st   engine.ExpertState
	}{
		{"zero value", engine.ExpertState{}},
		{"only id", engine.ExpertState{ID: "u"}},
		{"every field", full},
		{"zero times between set ones", engine.ExpertState{ID: "z", PresenceSince: t0, ConfirmedAt: t0.Add(time.Nanosecond),
			CooldownUntil: t0.Add(-time.Nanosecond), Interrupts: []time.Time{t0}}},
		{"zero interrupt time", engine.ExpertState{ID: "zi", Interrupts: []time.Time{{}, t0, {}}}},
		{"non-UTC location and monotonic", engine.ExpertState{ID: "loc", PresenceSince: t0.In(paris),
			RoutingSince: time.Now(), Interrupts: []time.Time{time.Now().In(paris)}}},
		{"unicode", engine.ExpertState{ID: "用户-é-🚀", Presence: engine.Presence{Def: "défini-✓", System: engine.SysAway},
			Conversation: "会話\x00\xff", PresenceSince: t0}},
		{"max-length fields", engine.ExpertState{ID: engine.ExpertID(long), Presence: engine.Presence{Def: engine.PresenceDefID(long), System: 255},
			Routing: 255, Conversation: long, PresenceSince: maxTime, RoutingSince: minTime, ConfirmedAt: maxTime,
			BlockEnd: time.Unix(0, 0), LastDelivery: time.Unix(-1, 999_999_999), LastInterrupt: minTime, CooldownUntil: maxTime,
			Interrupts: many}},
		{"extreme interrupts", engine.ExpertState{ID: "x", Interrupts: []time.Time{maxTime, minTime, maxTime, {}, minTime.Add(1)}}},
		{"pre-epoch and far future", engine.ExpertState{ID: "p", PresenceSince: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
			RoutingSince: time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC), ConfirmedAt: time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
			BlockEnd: time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendState(nil, &tt.st)
			if len(b) > maxEncodedLen(&tt.st) {
				t.Errorf("encoded %d bytes > maxEncodedLen %d", len(b), maxEncodedLen(&tt.st))
			}
			if b[0] != encodingVersion {
				t.Errorf("version byte %#x", b[0])
			}
			got, err := decodeState(string(tt.st.ID), string(b))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !exactEqual(got, tt.st) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.st)
			}
			for i, tm := range fixedTimes(&got) {
				want := fixedTimes(&tt.st)[i]
				if tm.IsZero() != want.IsZero() {
					t.Errorf("fixed time %d: IsZero %v, want %v", i, tm.IsZero(), want.IsZero())
				}
				if tm.Location() != time.UTC {
					t.Errorf("fixed time %d in %v, want UTC", i, tm.Location())
				}
			}
			for i, tm := range got.Interrupts {
				if tm.IsZero() != tt.st.Interrupts[i].IsZero() || tm.Location() != time.UTC {
					t.Errorf("interrupt %d = %v (zero %v), want %v", i, tm, tm.IsZero(), tt.st.Interrupts[i])
				}
			}
			// Appending to a non-empty buffer gives the same bytes.
			if b2 := appendState([]byte("prefix"), &tt.st); string(b2[6:]) != string(b) {
				t.Error("appendState depends on the buffer it appends to")
			}
		})
	}
	// The typical state is small.
	if n := len(appendState(nil, &full)); n > 110 {
		t.Errorf("typical state encodes to %d bytes, want <= 110", n)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := appendState(nil, &engine.ExpertState{ID: "u", PresenceSince: time.Unix(1e9, 5), Interrupts: []time.Time{time.Unix(1e9, 0)}})
	tests := []struct {
		name, v, want string
	}{
		{"empty", "", "truncated"},
		{"version 0", "\x00" + string(good[1:]), "version 0"},
		{"version 2", "\x02" + string(good[1:]), "version 2"},
		{"truncated", string(good[:len(good)-1]), "truncated"},
		{"trailing", string(good) + "\x00", "trailing"},
		{"string longer than value", "\x01\x7f", "truncated"},
		{"unknown mask bit", "\x01\x00\x00\x00\x00\x80\x00", "mask"},
		{"nanoseconds out of range", "\x01\x00\x00\x00\x00\x01\x00\x80\x94\xeb\xdc\x03\x00", "nanoseconds"},
		{"varint overflow", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "overflow"},
		{"huge interrupt count", "\x01\x00\x00\x00\x00\x00\xff\xff\xff\xff\x0f", "interrupts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeState("u", tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decode(%q) error = %v, want one mentioning %q", tt.v, err, tt.want)
			}
		})
	}
}

func TestLoadExpertsCorruptValue(t *testing.T) {
	mr, c := miniClient(t)
	s := New(c, "p:")
	ctx := context.Background()
	if err := s.PutExperts(ctx, []engine.ExpertState{{ID: "good-1"}, {ID: "good-2"}}); err != nil {
		t.Fatal(err)
	}
	mr.HSet("p:experts", "broken-expert", "\x01\x05ab")
	_, err := s.LoadExperts(ctx)
	if err == nil {
		t.Fatal("LoadExperts accepted a corrupt value")
	}
	if !errors.Is(err, engine.ErrStore) {
		t.Errorf("error %v does not wrap engine.ErrStore", err)
	}
	if !strings.Contains(err.Error(), `"broken-expert"`) || !strings.Contains(err.Error(), "p:experts") {
		t.Errorf("error %q does not name the key and field", err)
	}
}

// countHook counts commands and pipelines sent (round trips), leaving out
// the connection set-up (HELLO, CLIENT SETINFO) go-redis does on a new
// connection.
type countHook struct{ cmds, pipes atomic.Int64 }

func setup(cmd redis.Cmder) bool { return cmd.Name() == "hello" || cmd.Name() == "client" }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !setup(cmd) {
			h.cmds.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !setup(cmds[0]) {
			h.pipes.Add(1)
		}
		return next(ctx, cmds)
	}
}

func TestRoundTripsAndKeyLayout(t *testing.T) {
	mr, c := miniClient(t)
	ctx := context.Background()
	h := &countHook{}
	c.AddHook(h)
	s := New(c, "sq:", WithDecisionRetention(time.Hour))

	if err := s.PutExperts(ctx, nil); err != nil || h.cmds.Load() != 0 {
		t.Fatalf("empty PutExperts: err %v, %d commands; want none", err, h.cmds.Load())
	}
	batch := make([]engine.ExpertState, 512)
	for i := range batch {
		batch[i] = engine.ExpertState{ID: engine.ExpertID(fmt.Sprintf("e%d", i)), PresenceSince: time.Unix(int64(i), 0)}
	}
	if err := s.PutExperts(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := h.cmds.Load(); n != 1 {
		t.Errorf("PutExperts of 512 took %d commands, want 1", n)
	}
	if keys, _ := mr.HKeys("sq:experts"); len(keys) != 512 {
		t.Errorf("sq:experts has %d fields, want 512", len(keys))
	}

	// The first run of a script on a fresh server is EVALSHA, NOSCRIPT,
	// EVAL; after that it is one EVALSHA.
	if i, err := s.ClaimFirst(ctx, []engine.ExpertID{"warm-up"}, "w", time.Second); err != nil || i != 0 {
		t.Fatalf("ClaimFirst = %d, %v", i, err)
	}
	h.cmds.Store(0)
	if i, err := s.ClaimFirst(ctx, []engine.ExpertID{"a", "b", "c"}, "h1", 1500*time.Microsecond); err != nil || i != 0 {
		t.Fatalf("ClaimFirst = %d, %v", i, err)
	}
	if n := h.cmds.Load(); n != 1 {
		t.Errorf("ClaimFirst took %d commands, want 1", n)
	}
	if v, _ := mr.Get("sq:claim:a"); v != "h1" {
		t.Errorf("sq:claim:a = %q", v)
	}
	if ttl := mr.TTL("sq:claim:a"); ttl != 2*time.Millisecond {
		t.Errorf("claim TTL %v, want 2ms (1.5ms rounded up)", ttl)
	}
	if ok, err := s.Transition(ctx, "a", "h1", "h2", 0); err != nil || !ok {
		t.Fatalf("Transition = %v, %v", ok, err)
	}
	if ttl := mr.TTL("sq:claim:a"); ttl != time.Millisecond {
		t.Errorf("claim TTL %v after ttl 0, want 1ms", ttl)
	}

	h.cmds.Store(0)
	h.pipes.Store(0)
	d := engine.Decision{ConversationID: "conv-9", Seq: 1, At: time.Unix(1e9, 0).UTC(), Action: engine.ActHold, Priority: engine.P2, Why: "w"}
	if err := s.AppendDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if h.pipes.Load() != 1 || h.cmds.Load() != 0 {
		t.Errorf("AppendDecision: %d pipelines, %d single commands; want 1, 0", h.pipes.Load(), h.cmds.Load())
	}
	if ttl := mr.TTL("sq:dec:conv-9"); ttl != time.Hour {
		t.Errorf("decision log TTL %v, want 1h", ttl)
	}
	mr.FastForward(30 * time.Minute)
	d.Seq = 2
	if err := s.AppendDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("sq:dec:conv-9"); ttl != time.Hour {
		t.Errorf("decision log TTL %v after a second append, want 1h (refreshed)", ttl)
	}

	def := New(c, "def:")
	if err := def.AppendDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("def:dec:conv-9"); ttl != DefaultDecisionRetention {
		t.Errorf("default retention %v, want %v", ttl, DefaultDecisionRetention)
	}
	forever := New(c, "forever:", WithDecisionRetention(0))
	if err := forever.AppendDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("forever:dec:conv-9"); ttl != 0 || !mr.Exists("forever:dec:conv-9") {
		t.Errorf("retention 0: TTL %v, exists %v; want no TTL", ttl, mr.Exists("forever:dec:conv-9"))
	}
	for _, k := range mr.Keys() {
		if !strings.HasPrefix(k, "sq:") && !strings.HasPrefix(k, "def:") && !strings.HasPrefix(k, "forever:") {
			t.Errorf("key %q outside the prefixes", k)
		}
	}
}

func TestCorruptDecision(t *testing.T) {
	mr, c := miniClient(t)
	mr.RPush("p:dec:c1", "{not json")
	_, err := New(c, "p:").Decisions(context.Background(), "c1")
	if !errors.Is(err, engine.ErrStore) || !strings.Contains(err.Error(), "p:dec:c1") {
		t.Errorf("Decisions of a corrupt log: %v", err)
	}
}

func TestErrorsWrapErrStore(t *testing.T) {
	mr, c := miniClient(t)
	s := New(c, "p:")
	check := func(what string, errs map[string]error) {
		t.Helper()
		for m, err := range errs {
			if !errors.Is(err, engine.ErrStore) {
				t.Errorf("%s: %s = %v, want an engine.ErrStore", what, m, err)
			}
		}
	}
	all := func(ctx context.Context) map[string]error {
		errs := map[string]error{}
		errs["PutExperts"] = s.PutExperts(ctx, []engine.ExpertState{{ID: "x"}})
		_, errs["LoadExperts"] = s.LoadExperts(ctx)
		_, errs["ClaimFirst"] = s.ClaimFirst(ctx, []engine.ExpertID{"x"}, "h", time.Second)
		_, errs["Transition"] = s.Transition(ctx, "x", "h", "h2", time.Second)
		_, errs["Release"] = s.Release(ctx, "x", "h")
		_, errs["Holder"] = s.Holder(ctx, "x")
		errs["AppendDecision"] = s.AppendDecision(ctx, &engine.Decision{ConversationID: "c"})
		_, errs["Decisions"] = s.Decisions(ctx, "c")
		return errs
	}
	// Redis error replies: every key holds the wrong type.
	mr.Set("p:experts", "a string")
	mr.HSet("p:claim:x", "f", "v")
	mr.Set("p:dec:c", "a string")
	errs := all(context.Background())
	// SET NX does not care about the type of the key it finds: the expert
	// is simply held.
	delete(errs, "ClaimFirst")
	if i, err := s.ClaimFirst(context.Background(), []engine.ExpertID{"x"}, "h", time.Second); i != -1 || err != nil {
		t.Errorf("ClaimFirst over a non-string key = %d, %v; want -1, nil", i, err)
	}
	check("WRONGTYPE", errs)
	// Client-side failures.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs = all(ctx)
	check("cancelled context", errs)
	if !errors.Is(errs["Holder"], context.Canceled) {
		t.Errorf("Holder error %v does not also wrap context.Canceled", errs["Holder"])
	}
}

func FuzzDecodeState(f *testing.F) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.UTC)
	for _, st := range []engine.ExpertState{
		{},
		{Presence: engine.Presence{Def: "def", System: engine.SysBusy}, Routing: engine.RSIdle, Conversation: "c",
			PresenceSince: t0, ConfirmedAt: t0.Add(time.Second), Interrupts: []time.Time{t0, t0.Add(time.Minute)}},
		{PresenceSince: maxTime, RoutingSince: minTime, Interrupts: []time.Time{{}}},
	} {
		f.Add(appendState(nil, &st))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		st, err := decodeState("id", string(v))
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same state.
		again, err := decodeState("id", string(appendState(nil, &st)))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !exactEqual(st, again) {
			t.Fatalf("not stable:\n%+v\n%+v", st, again)
		}
	})
}
