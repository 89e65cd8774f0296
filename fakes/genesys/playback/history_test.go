package playback

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// History is the simulator's baseline days, seeded: every escalation of
// every day becomes a conversation record, each expert's presence covers
// the whole period without gaps, and the same inputs give the same bytes.
func TestHistoryFromScenario(t *testing.T) {
	sc, err := scenarios.Load("../../../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := genesys.NewHistory()
	st, err := History(h, sc, 3, end)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for d := range 3 {
		want += len(sim.History(sc, d).Escalations)
	}
	if st.Conversations != want || st.Days != 3 || st.Shifts != 3*len(sc.Experts) {
		t.Fatalf("stats %+v, want %d conversations", st, want)
	}
	srv, err := genesys.New(genesys.Options{Org: ptr(Org(sc)), History: h})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.History() != h {
		t.Fatal("Server.History is not the store given")
	}
	c, p, r, _ := h.Counts()
	if c != want || p == 0 || r == 0 {
		t.Fatalf("counts %d %d %d", c, p, r)
	}
	_, pres, _ := h.Snapshot()
	if len(pres) != len(sc.Experts) {
		t.Fatalf("%d users with presence, %d experts", len(pres), len(sc.Experts))
	}
	for u, segs := range pres {
		first := end.Truncate(24*time.Hour).AddDate(0, 0, -3)
		if !segs[0].Start.Equal(first) || !segs[len(segs)-1].End.Equal(end) {
			t.Fatalf("%s: presence %v..%v, want %v..%v", u, segs[0].Start, segs[len(segs)-1].End, first, end)
		}
		if len(segs) < 3*5 { // offline, then at least a few changes a day
			t.Fatalf("%s: only %d presence segments in 3 days", u, len(segs))
		}
		for i := 1; i < len(segs); i++ {
			if !segs[i].Start.Equal(segs[i-1].End) {
				t.Fatalf("%s: gap or overlap at %v / %v", u, segs[i-1].End, segs[i].Start)
			}
		}
	}
	again := genesys.NewHistory()
	if _, err := History(again, sc, 3, end); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(dump(h))
	b, _ := json.Marshal(dump(again))
	if string(a) != string(b) {
		t.Fatal("same scenario, days and end: different history")
	}
	if _, err := History(genesys.NewHistory(), sc, 0, end); err == nil {
		t.Fatal("0 days accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// dump reads a store back through an ACDCall-free path: its counts and
// the conversation ids in order are enough to compare two stores.
func dump(h *genesys.History) []any {
	c, p, r, s := h.Counts()
	convs, pres, rout := h.Snapshot()
	return []any{c, p, r, s, convs, pres, rout}
}
