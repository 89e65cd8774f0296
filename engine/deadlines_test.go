package engine

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestDeadlineHeapPopsInOrder pushes deadlines with many equal times and
// pops them in between, and checks every pop against a sorted list: by
// time, then conversation id.
func TestDeadlineHeapPopsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h deadlineHeap
	var want []deadline
	order := func(a, b deadline) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.es.ConversationID, b.es.ConversationID))
	}
	for step := range 5000 {
		if rng.IntN(3) > 0 || len(want) == 0 {
			es := &esc{Escalation: Escalation{ConversationID: fmt.Sprintf("c%04d", rng.IntN(10000))}}
			d := deadline{at: time.Unix(int64(rng.IntN(50)), 0), es: es}
			h.push(d)
			want = append(want, d)
			if rng.IntN(200) == 0 {
				h.init() // a compaction re-heaps what is left
			}
			continue
		}
		slices.SortStableFunc(want, order)
		if got := h[0]; order(got, want[0]) != 0 {
			t.Fatalf("step %d: top %v %s, want %v %s", step, got.at, got.es.ConversationID, want[0].at, want[0].es.ConversationID)
		}
		h.pop()
		want = want[1:]
		if len(h) != len(want) {
			t.Fatalf("step %d: %d entries, want %d", step, len(h), len(want))
		}
	}
}
