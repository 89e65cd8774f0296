package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// bulkHandler answers bulk presence for the ids asked, accepting both the
// repeated (id=a&id=b) and the comma-joined (id=a,b) forms, and records
// every id it served.
func bulkHandler(served *[]string, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		for _, v := range r.URL.Query()["id"] {
			ids = append(ids, strings.Split(v, ",")...)
		}
		if len(ids) > 50 {
			apiError(w, 400, "max.user.presences")
			return
		}
		out := []map[string]any{}
		for _, id := range ids {
			out = append(out, map[string]any{
				"userId": id, "source": "PURECLOUD",
				"presenceDefinition": map[string]any{"id": "def-" + id, "systemPresence": "On Queue"},
				"modifiedDate":       "2025-01-01T10:00:00.000Z",
			})
		}
		mu.Lock()
		*served = append(*served, ids...)
		mu.Unlock()
		writeJSON(w, 200, out)
	}
}

func usersHandler(w http.ResponseWriter, r *http.Request) {
	var ids []string
	for _, v := range r.URL.Query()["id"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	ents := []map[string]any{}
	for _, id := range ids {
		ents = append(ents, map[string]any{"id": id, "name": "U " + id,
			"routingStatus": map[string]any{"userId": id, "status": "IDLE", "startTime": "2025-01-01T09:00:00.000Z"}})
	}
	writeJSON(w, 200, map[string]any{"entities": ents, "pageSize": len(ids), "pageNumber": 1, "total": len(ids), "pageCount": 1})
}

func expertIDs(n int) []engine.ExpertID {
	ids := make([]engine.ExpertID, n)
	for i := range ids {
		ids[i] = engine.ExpertID(fmt.Sprintf("u%03d", i))
	}
	return ids
}

func TestResyncCombinesPresenceAndRouting(t *testing.T) {
	s := newStub(t)
	var (
		mu     sync.Mutex
		served []string
	)
	s.handle("GET /api/v2/users/presences/purecloud/bulk", bulkHandler(&served, &mu))
	s.handle("GET /api/v2/users", usersHandler)
	c := s.client()

	ids := expertIDs(120)
	ids = append(ids, ids[3], "") // duplicates and blanks are dropped
	snap, err := c.Resync(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entries) != 120 {
		t.Fatalf("%d entries, want 120", len(snap.Entries))
	}
	// 120 ids: 3 bulk presence requests (≤ 50 each), 2 user pages (≤ 100).
	if b, u := s.count("GET /api/v2/users/presences/purecloud/bulk"), s.count("GET /api/v2/users"); b != 3 || u != 2 {
		t.Errorf("%d bulk presence and %d users requests, want 3 and 2", b, u)
	}
	e := snap.Entries[7]
	want := engine.SnapshotEntry{
		Expert:        "u007",
		Presence:      engine.Presence{Def: "def-u007", System: engine.SysOnQueue},
		PresenceSince: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC),
		Routing:       engine.RSIdle,
		RoutingSince:  time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC),
	}
	if !e.PresenceSince.Equal(want.PresenceSince) || !e.RoutingSince.Equal(want.RoutingSince) {
		t.Errorf("times = %v, %v", e.PresenceSince, e.RoutingSince)
	}
	e.PresenceSince, e.RoutingSince, want.PresenceSince, want.RoutingSince = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if e != want {
		t.Errorf("entry = %+v, want %+v", e, want)
	}
	if !slices.IsSortedFunc(snap.Entries, func(a, b engine.SnapshotEntry) int { return strings.Compare(string(a.Expert), string(b.Expert)) }) {
		t.Error("entries not sorted")
	}
}

func TestResyncPartial(t *testing.T) {
	// Routing status fails for good: the presence half still comes back,
	// with no routing status, and the error says what failed.
	s := newStub(t)
	var (
		mu     sync.Mutex
		served []string
	)
	s.handle("GET /api/v2/users/presences/purecloud/bulk", bulkHandler(&served, &mu))
	s.handle("GET /api/v2/users", func(w http.ResponseWriter, r *http.Request) { apiError(w, 403, "missing.permissions") })
	c := s.client()
	snap, err := c.Resync(context.Background(), expertIDs(10))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "missing.permissions" {
		t.Fatalf("error %v, want the 403", err)
	}
	if len(snap.Entries) != 10 || !snap.Entries[0].RoutingSince.IsZero() || snap.Entries[0].Routing != engine.RSUnknown {
		t.Fatalf("partial snapshot = %+v", snap.Entries)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	s := newStub(t)
	var (
		mu     sync.Mutex
		served []string
		first  time.Time
		second time.Time
	)
	bulk := bulkHandler(&served, &mu)
	n := 0
	s.handle("GET /api/v2/users/presences/purecloud/bulk", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		switch k {
		case 1:
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			apiError(w, 429, "too.many.requests.retry.after")
			return
		case 2:
			second = time.Now()
		}
		bulk(w, r)
	})
	s.handle("GET /api/v2/users", usersHandler)
	m := newCountingMetrics()
	c := s.client(func(o *Options) { o.Metrics = m })

	snap, err := c.Resync(context.Background(), expertIDs(5))
	if err != nil {
		t.Fatal(err)
	}
	if gap := second.Sub(first); gap < time.Second {
		t.Errorf("retried after %v, want ≥ the 1 s Retry-After", gap)
	}
	// Nothing lost: every id came back.
	if len(snap.Entries) != 5 || len(served) != 5 {
		t.Errorf("%d entries, %d ids served; want 5 and 5", len(snap.Entries), len(served))
	}
	if m.retry("429") != 1 {
		t.Errorf("429 retries = %d, want 1", m.retry("429"))
	}
}

func TestRetryAfterThroughSDK(t *testing.T) {
	// The SDK's retry layer swallows a 429 when its own retries are off;
	// the response hook must still deliver status and Retry-After.
	s := newStub(t)
	var times []time.Time
	s.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) {
		times = append(times, time.Now())
		if len(times) == 1 {
			w.Header().Set("Retry-After", "1")
			apiError(w, 429, "too.many.requests.retry.after")
			return
		}
		writeJSON(w, 200, map[string]any{"entities": []map[string]any{{"id": "d1", "systemPresence": "Busy", "name": "Busy"}}})
	})
	c := s.client()
	defs, err := c.PresenceDefinitions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 2 || times[1].Sub(times[0]) < time.Second {
		t.Fatalf("requests at %v; want a retry ≥ 1 s after the 429", times)
	}
	if len(defs) != 1 || defs[0].System != engine.SysBusy {
		t.Errorf("definitions = %+v", defs)
	}
}

func TestRetryAfterBeyondDeadlineFailsFast(t *testing.T) {
	s := newStub(t)
	s.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		apiError(w, 429, "too.many.requests.retry.after")
	})
	c := s.client()
	start := time.Now()
	_, err := c.PresenceDefinitions(context.Background()) // MaxElapsed is 5 s
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != time.Minute {
		t.Fatalf("error %v, want the 429 with its Retry-After", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: a Retry-After past the retry window should fail at once", d)
	}
}

func TestServerErrorsRetriedWithBackoff(t *testing.T) {
	s := newStub(t)
	var (
		mu    sync.Mutex
		times []time.Time
	)
	s.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		k := len(times)
		mu.Unlock()
		if k <= 3 {
			apiError(w, []int{500, 503, 502}[k-1], "internal.server.error")
			return
		}
		writeJSON(w, 200, map[string]any{"entities": []map[string]any{}})
	})
	m := newCountingMetrics()
	c := s.client(func(o *Options) {
		o.Metrics = m
		o.Retry = RetryPolicy{InitialInterval: 40 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, Jitter: 0.25, MaxElapsed: 5 * time.Second}
	})
	if _, err := c.PresenceDefinitions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(times) != 4 || m.retry("5xx") != 3 {
		t.Fatalf("%d requests, %d 5xx retries; want 4 and 3", len(times), m.retry("5xx"))
	}
	// Waits grow: 40 ms ± 25 %, 80 ms ± 25 %, 160 ms ± 25 %.
	for i, lo := range []time.Duration{30 * time.Millisecond, 60 * time.Millisecond, 120 * time.Millisecond} {
		if d := times[i+1].Sub(times[i]); d < lo {
			t.Errorf("wait %d = %v, want ≥ %v", i+1, d, lo)
		}
	}

	// A 4xx is not retried.
	s2 := newStub(t)
	s2.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) { apiError(w, 403, "missing.permissions") })
	if _, err := s2.client().PresenceDefinitions(context.Background()); err == nil || s2.count("GET /api/v2/presence/definitions") != 1 {
		t.Fatalf("403: err %v after %d requests; want an error after 1", err, s2.count("GET /api/v2/presence/definitions"))
	}

	// Retries stop at MaxTries with the last error.
	s3 := newStub(t)
	s3.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) { apiError(w, 503, "service.unavailable") })
	_, err := s3.client(func(o *Options) { o.Retry.MaxTries = 3 }).PresenceDefinitions(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || s3.count("GET /api/v2/presence/definitions") != 3 {
		t.Fatalf("err %v after %d requests; want 503 after 3", err, s3.count("GET /api/v2/presence/definitions"))
	}
}

func TestBudgetEnforced(t *testing.T) {
	s := newStub(t)
	s.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"entities": []map[string]any{}})
	})
	// 2 requests a minute.
	c := s.client(func(o *Options) { o.Budget = NewBudget(2, time.Minute) })
	ctx := context.Background()
	for i := range 2 {
		if _, err := c.PresenceDefinitions(ctx); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.PresenceDefinitions(ctx)
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("third call: %v, want ErrBudget", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("the budget refusal took %v; it should not wait for a slot it cannot use", d)
	}
	if n := s.count("GET /api/v2/presence/definitions"); n != 2 {
		t.Fatalf("server saw %d requests, want 2", n)
	}
}

func TestBudgetWindow(t *testing.T) {
	// 5 per 100 ms: the whole allowance at once, then each slot again one
	// period after its use.
	b := NewBudget(5, 100*time.Millisecond)
	start := time.Now()
	for range 5 {
		if err := b.Wait(context.Background(), ClassDelivery, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Wait(context.Background(), ClassDelivery, time.Now().Add(time.Millisecond)); !errors.Is(err, ErrBudget) {
		t.Fatalf("sixth request within the window: %v, want ErrBudget", err)
	}
	if err := b.Wait(context.Background(), ClassDelivery, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 95*time.Millisecond {
		t.Errorf("the sixth request went after %v; the window allows 5 per 100 ms", d)
	}
	// A pause (Retry-After) holds everyone.
	b2 := NewBudget(100, time.Minute)
	b2.PauseUntil(time.Now().Add(80 * time.Millisecond))
	start = time.Now()
	if err := b2.Wait(context.Background(), ClassDelivery, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 70*time.Millisecond {
		t.Errorf("waited %v during an 80 ms pause", d)
	}
}

// convHandler serves GET /api/v2/conversations/{id} with the given
// participants (read under mu at request time).
func convHandler(mu *sync.Mutex, parts *[]map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p := slices.Clone(*parts)
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": r.PathValue("id"), "participants": p})
	}
}

func TestAssignNotReissuedWhenUserAlreadyParticipant(t *testing.T) {
	s := newStub(t)
	var (
		mu    sync.Mutex
		parts = []map[string]any{{"id": "p-cust", "purpose": "customer"}}
	)
	s.handle("POST /api/v2/conversations/{id}/assign", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ID string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		// The assignment takes effect, but the answer is lost in a 503.
		mu.Lock()
		parts = append(parts, map[string]any{"id": "p-agent", "purpose": "agent", "userId": body.ID, "calls": []map[string]any{{"state": "alerting"}}})
		mu.Unlock()
		apiError(w, 503, "service.unavailable")
	})
	s.handle("GET /api/v2/conversations/{id}", convHandler(&mu, &parts))
	m := newCountingMetrics()
	c := s.client(func(o *Options) { o.Metrics = m })

	err := c.Deliver(context.Background(), engine.Delivery{ConversationID: "c1", Expert: "u1", Attempt: 1, Holder: "h1"}, ModeAssign)
	if err != nil {
		t.Fatalf("Deliver: %v; the re-check should have found the assignment", err)
	}
	if a, g := s.count("POST /api/v2/conversations/{id}/assign"), s.count("GET /api/v2/conversations/{id}"); a != 1 || g != 1 {
		t.Fatalf("%d assigns and %d conversation reads; want 1 and 1 (never re-issued)", a, g)
	}
	if m.retry("check") != 1 {
		t.Errorf("check count = %d", m.retry("check"))
	}
}

func TestAssignReissuedWhenUserAbsent(t *testing.T) {
	s := newStub(t)
	var (
		mu    sync.Mutex
		parts = []map[string]any{{"id": "p-cust", "purpose": "customer"}}
		n     int
	)
	s.handle("POST /api/v2/conversations/{id}/assign", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k == 1 {
			apiError(w, 500, "internal.server.error") // failed without effect
			return
		}
		w.WriteHeader(202)
		fmt.Fprint(w, `"accepted"`)
	})
	s.handle("GET /api/v2/conversations/{id}", convHandler(&mu, &parts))
	c := s.client()
	if err := c.Deliver(context.Background(), engine.Delivery{ConversationID: "c1", Expert: "u1"}, ModeAssign); err != nil {
		t.Fatal(err)
	}
	if a, g := s.count("POST /api/v2/conversations/{id}/assign"), s.count("GET /api/v2/conversations/{id}"); a != 2 || g != 1 {
		t.Fatalf("%d assigns and %d reads; want 2 and 1 (checked, then re-issued)", a, g)
	}
}

func TestAssignDefinitiveErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		unknown bool // error wraps ErrOutcomeUnknown
		code    string
		assigns int
	}{
		// A 400 is final and not retried.
		{"400", func(w http.ResponseWriter, r *http.Request) { apiError(w, 400, "feature.not.enabled") }, false, "feature.not.enabled", 1},
		// 5xx every time, the user never shows up: retries run out and the
		// outcome is unknown.
		{"5xx", func(w http.ResponseWriter, r *http.Request) { apiError(w, 503, "service.unavailable") }, true, "service.unavailable", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			var (
				mu    sync.Mutex
				parts []map[string]any
			)
			s.handle("POST /api/v2/conversations/{id}/assign", tt.handler)
			s.handle("GET /api/v2/conversations/{id}", convHandler(&mu, &parts))
			c := s.client(func(o *Options) { o.Retry.MaxTries = 3 })
			err := c.Deliver(context.Background(), engine.Delivery{ConversationID: "c1", Expert: "u1"}, ModeAssign)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || errors.Is(err, ErrOutcomeUnknown) != tt.unknown {
				t.Fatalf("error %v; want code %s, unknown=%v", err, tt.code, tt.unknown)
			}
			if a := s.count("POST /api/v2/conversations/{id}/assign"); a != tt.assigns {
				t.Errorf("%d assigns, want %d", a, tt.assigns)
			}
		})
	}
}

func TestDeliverModes(t *testing.T) {
	s := newStub(t)
	var (
		mu     sync.Mutex
		bodies = map[string]string{}
		parts  = []map[string]any{
			{"id": "p-cust", "purpose": "customer", "calls": []map[string]any{{"state": "connected"}}},
			{"id": "p-t1", "purpose": "agent", "userId": "tier1", "calls": []map[string]any{{"state": "connected"}}},
			{"id": "p-old", "purpose": "agent", "userId": "gone", "endTime": "2025-01-01T10:00:00Z", "calls": []map[string]any{{"state": "disconnected"}}},
		}
	)
	record := func(key string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var v any
			_ = json.NewDecoder(r.Body).Decode(&v)
			b, _ := json.Marshal(v)
			mu.Lock()
			bodies[key+" "+r.URL.Path] = string(b)
			mu.Unlock()
			w.WriteHeader(202)
		}
	}
	s.handle("PATCH /api/v2/routing/conversations/{id}", func(w http.ResponseWriter, r *http.Request) {
		record("PATCH")(w, r)
	})
	s.handle("POST /api/v2/conversations/{id}/participants/{pid}/replace/agent", record("POST"))
	s.handle("GET /api/v2/conversations/{id}", convHandler(&mu, &parts))
	c := s.client()
	d := engine.Delivery{ConversationID: "c1", Expert: "u9"}
	if err := c.Deliver(context.Background(), d, ModePreferred); err != nil {
		t.Fatal(err)
	}
	if err := c.Deliver(context.Background(), d, ModeTransfer); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PATCH /api/v2/routing/conversations/c1":                        `{"requestScoredAgents":[{"id":"u9","score":100}]}`,
		"POST /api/v2/conversations/c1/participants/p-t1/replace/agent": `{"transferType":"Unattended","userId":"u9"}`,
	}
	for k, v := range want {
		if bodies[k] != v {
			t.Errorf("%s body = %s, want %s", k, bodies[k], v)
		}
	}
	if m, err := ParseMode("transfer"); err != nil || m != ModeTransfer || m.String() != "transfer" {
		t.Errorf("ParseMode(transfer) = %v, %v", m, err)
	}
	if _, err := ParseMode("bogus"); err == nil {
		t.Error("ParseMode(bogus) succeeded")
	}
}

func TestDirectory(t *testing.T) {
	s := newStub(t)
	s.handle("GET /api/v2/users", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != "active" {
			apiError(w, 400, "bad.request")
			return
		}
		page := r.URL.Query().Get("pageNumber")
		n := 100
		if page == "2" {
			n = 3
		}
		ents := []map[string]any{}
		for i := range n {
			ents = append(ents, map[string]any{"id": fmt.Sprintf("p%s-%d", page, i), "name": "x", "state": "active"})
		}
		writeJSON(w, 200, map[string]any{"entities": ents, "pageCount": 2})
	})
	s.handle("GET /api/v2/routing/queues/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["joined"]; ok {
			apiError(w, 400, "joined must not filter here")
			return
		}
		writeJSON(w, 200, map[string]any{"entities": []map[string]any{
			{"id": "m1", "name": "M1", "joined": true, "user": map[string]any{"id": "m1", "email": "m1@x"}},
			{"id": "m2", "name": "M2", "joined": false},
		}, "pageCount": 1})
	})
	c := s.client()
	users, err := c.Users(context.Background())
	if err != nil || len(users) != 103 {
		t.Fatalf("Users: %d, %v", len(users), err)
	}
	members, err := c.QueueMembers(context.Background(), "q1")
	if err != nil || len(members) != 2 || !members[0].Joined || members[0].Email != "m1@x" || members[1].Joined {
		t.Fatalf("QueueMembers: %+v, %v", members, err)
	}
}

func TestResyncer(t *testing.T) {
	s := newStub(t)
	var (
		mu     sync.Mutex
		served []string
	)
	s.handle("GET /api/v2/users/presences/purecloud/bulk", bulkHandler(&served, &mu))
	s.handle("GET /api/v2/users", usersHandler)
	c := s.client()
	newResyncer := func(interval time.Duration) <-chan engine.Snapshot {
		snaps := make(chan engine.Snapshot, 16)
		r, err := NewResyncer(c, expertIDs(3), interval, func(sn engine.Snapshot, err error) {
			if err != nil {
				t.Error(err)
			}
			snaps <- sn
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go r.Run(ctx)
		if interval == time.Hour {
			// A burst of triggers (gaps) costs one resync, two at most
			// (one running, one pending); the hour-long interval means
			// any resync seen here came from Trigger.
			for range 5 {
				r.Trigger()
			}
		}
		return snaps
	}
	wait := func(snaps <-chan engine.Snapshot, what string) {
		t.Helper()
		select {
		case sn := <-snaps:
			if len(sn.Entries) != 3 {
				t.Errorf("%s: %d entries", what, len(sn.Entries))
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s", what)
		}
	}

	triggered := newResyncer(time.Hour)
	wait(triggered, "resync after Trigger")
	// Not a time limit: on a slow machine extra resyncs only arrive later,
	// so this can let a regression pass, never fail a correct resyncer.
	extra := 0
	for quiet := time.After(300 * time.Millisecond); ; {
		select {
		case <-triggered:
			extra++
			continue
		case <-quiet:
		}
		break
	}
	if extra > 1 {
		t.Errorf("a burst of 5 triggers cost %d resyncs: not coalesced", 1+extra)
	}

	// Then the interval, with no triggers at all.
	periodic := newResyncer(50 * time.Millisecond)
	wait(periodic, "periodic resync")
	wait(periodic, "second periodic resync")
}

func BenchmarkDecodeFrame(b *testing.B) {
	frames := [][]byte{
		[]byte(`{"topicName":"v2.users.0d3a1e00-05e0-4e00-8000-000000000001.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":"6a3af858-942f-489d-9700-5f9bcdcdae9b","systemPresence":"AVAILABLE"},"primary":true,"message":"","modifiedDate":"2025-03-01T11:59:58.123Z"},"metadata":{"CorrelationId":"290034f4-1b6e-4c5e-9d2b-7f1c1d0a1e11"}}`),
		[]byte(`{"topicName":"v2.users.0d3a1e00-05e0-4e00-8000-000000000001.routingStatus","version":"2","eventBody":{"id":"0d3a1e00-05e0-4e00-8000-000000000001","routingStatus":{"status":"INTERACTING","startTime":"2025-03-01T11:00:00.000Z"}},"metadata":{"CorrelationId":"c-2"}}`),
		[]byte(`{"topicName":"v2.users.u3.conversations","version":"2","eventBody":{"id":"c0ffee00-0000-4000-8000-000000000001","participants":[{"id":"p0","purpose":"customer","calls":[{"state":"connected"}]},{"id":"p1","userId":"u3","purpose":"agent","connectedTime":"2025-03-01T11:59:00Z","calls":[{"state":"connected","connectedTime":"2025-03-01T11:59:01Z"}]}]},"metadata":{"CorrelationId":"c-3"}}`),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := decodeFrame(frames[i%len(frames)], recvAt); err != nil {
			b.Fatal(err)
		}
	}
}

// With Settle, triggers spread over a burst (channels coming up one by one)
// cost one resync, not one plus a coalesced second.
func TestResyncerSettlesABurst(t *testing.T) {
	s := newStub(t)
	var (
		mu     sync.Mutex
		served []string
	)
	s.handle("GET /api/v2/users/presences/purecloud/bulk", bulkHandler(&served, &mu))
	s.handle("GET /api/v2/users", usersHandler)
	c := s.client()
	var reads atomic.Int32
	r, err := NewResyncer(c, expertIDs(3), time.Hour, func(engine.Snapshot, error) { reads.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	r.Settle = 2 * time.Second // generous: a loaded machine must not split the burst
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	// Ten triggers 10 ms apart: each restarts the quiet period.
	for range 10 {
		r.Trigger()
		time.Sleep(10 * time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for reads.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Let a would-be second resync happen, then count.
	time.Sleep(time.Second)
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d resyncs for one burst of triggers, want 1", n)
	}
}
