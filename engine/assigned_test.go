package engine_test

import (
	"testing"

	"github.com/shadowq/shadowq/engine"
)

// Status says a delivery is Assigned only once NoteAssigned names its own
// holder: a stale holder (an earlier attempt, another conversation) or no
// word at all leaves it unassigned, and the next attempt starts unassigned.
func TestNoteAssignedMarksOnlyThePendingDelivery(t *testing.T) {
	h := newHarness(t, testPolicy(), expert("a", 0, "s", 5), expert("b", 0, "s", 3))
	h.presence("a", avail)
	h.presence("b", avail)
	h.submit("c1", engine.P2, "s")
	first := h.disp.last()
	status := func() engine.Status {
		t.Helper()
		st, ok := h.eng.Status("c1")
		if !ok {
			t.Fatal("c1 unknown")
		}
		return st
	}
	if st := status(); st.Action != engine.ActDeliver || st.Holder != first.Holder || st.Assigned {
		t.Fatalf("before any word: %+v, want deliver to holder %s, not assigned", st, first.Holder)
	}
	h.eng.NoteAssigned("someone-else")
	if status().Assigned {
		t.Fatal("assigned by another holder's word")
	}
	h.eng.NoteAssigned(first.Holder)
	if st := status(); !st.Assigned || st.Expert != "a" {
		t.Fatalf("after NoteAssigned: %+v", st)
	}
	h.outcome(first, engine.Declined)
	second := h.disp.last()
	if st := status(); st.Holder != second.Holder || st.Expert != "b" || st.Assigned {
		t.Fatalf("next attempt: %+v, want b's delivery, not assigned yet", st)
	}
	h.eng.NoteAssigned(first.Holder) // late word about the first attempt
	if status().Assigned {
		t.Fatal("the first attempt's word marked the second")
	}
}
