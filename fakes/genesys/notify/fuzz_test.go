package notify

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; f.Add covers the basics
// so the targets are useful even without them.

func FuzzSocketMessage(f *testing.F) {
	for _, s := range []string{
		`{"message":"ping"}`,
		`{"message":"subscribe","topics":["v2.users.u1.presence"],"correlationId":"x"}`,
		`{"message":"subscribe","topics":["v2.users.u1?presence&routingStatus&conversations"],"correlationId":"x"}`,
		`{"message":"unsubscribe","topics":["v2.users.u1.presence"]}`,
		`{"message":"subscribe","topics":[],"correlationId":7}`,
		`{"message":null}`, `[]`, `null`, `ping`, ``,
	} {
		f.Add([]byte(s))
	}
	h := newFuzzHub(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h.reset()
		m, err := decodeClientMessage(data)
		if err != nil {
			if reply := errorReply(m.CorrelationID, err.Error()); !json.Valid(reply) {
				t.Fatalf("invalid error reply %q", reply)
			}
			return
		}
		switch m.Message {
		case msgPing:
			return
		case msgSubscribe, msgUnsubscribe:
		default:
			t.Fatalf("accepted unknown message %q", m.Message)
		}
		if len(m.Topics) == 0 || slices.Contains(m.Topics, "") {
			t.Fatalf("accepted a subscribe without topics: %+v", m)
		}
		if !json.Valid(resultReply(m.CorrelationID, m.Topics, "subscribed")) {
			t.Fatal("invalid result reply")
		}
		op := opAdd
		if m.Message == msgUnsubscribe {
			op = opRemove
		}
		h.apply(t, op, m.Topics, false)
	})
}

func FuzzSubscriptionsBody(f *testing.F) {
	for _, s := range []string{
		`[{"id":"v2.users.u1.presence"}]`,
		`[{"id":"v2.users.u1?presence&routingStatus"},{"id":"v2.users.u2.conversations"}]`,
		`[]`, `[{"id":7}]`, `[{}]`, `{"id":"x"}`, `[{"id":"v2.users..presence"}] x`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	h := newFuzzHub(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h.reset()
		entries, err := decodeSubscriptionsBody(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// What was accepted round-trips.
		again, err := decodeSubscriptionsBody(mustJSON(t, topicsBody(entries...)))
		if err != nil || !slices.Equal(entries, again) {
			t.Fatalf("round trip: %q vs %q (%v)", entries, again, err)
		}
		h.apply(t, opReplace, entries, true)
		h.apply(t, opAdd, entries, false)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzHub applies fuzzed subscription changes to one channel and checks
// that the channel and the topic index stay consistent.
type fuzzHub struct {
	h  *Hub
	ch *channel
}

func newFuzzHub(f *testing.F) *fuzzHub {
	h := New(Options{Authorize: func(*http.Request) (string, *wire.ErrorBody) { return "a", nil }, MaxTopics: 50, Seed: 1})
	f.Cleanup(h.Close)
	h.mu.Lock()
	defer h.mu.Unlock()
	return &fuzzHub{h: h, ch: h.createLocked("a")}
}

// reset clears the channel so every input starts from the same state (a
// target whose coverage depends on earlier inputs minimises badly).
func (fh *fuzzHub) reset() {
	fh.h.mu.Lock()
	defer fh.h.mu.Unlock()
	fh.h.applyLocked(fh.ch, nil, nil)
}

func (fh *fuzzHub) apply(t *testing.T, op subOp, entries []string, ignoreErrors bool) {
	h, ch := fh.h, fh.ch
	h.mu.Lock()
	defer h.mu.Unlock()
	_, e := h.changeLocked(ch, op, entries, ignoreErrors)
	if e != nil && (e.Status != 400 || e.Code == "" || e.Message == "") {
		t.Fatalf("bad error body %+v", e)
	}
	if len(ch.subs) > h.opts.MaxTopics {
		t.Fatalf("%d subscriptions exceed the limit", len(ch.subs))
	}
	want := map[string]int{}
	for _, s := range ch.subs {
		parts, err := parseTopic(s)
		if err != nil {
			t.Fatalf("subscribed to invalid topic %q: %v", s, err)
		}
		if !slices.Equal(parts, ch.parts[s]) {
			t.Fatalf("parts of %q: %q vs %q", s, ch.parts[s], parts)
		}
		for _, p := range parts {
			if err := checkPlain(p); err != nil || !h.known(p) {
				t.Fatalf("expanded topic %q is not deliverable", p)
			}
			want[p]++
		}
	}
	for tp, n := range want {
		if ch.topics[tp] != n || !slices.Contains(h.index[tp], ch) {
			t.Fatalf("index out of step for %q", tp)
		}
	}
	for tp := range h.index {
		if want[tp] == 0 {
			t.Fatalf("index has stale topic %q", tp)
		}
	}
}
