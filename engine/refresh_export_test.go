package engine

import (
	"fmt"
	"testing"
	"unsafe"
)

// RefreshDiff checks every expert's hot record, gate and hold source
// against those derived afresh from its full state (refresh), and
// describes the first difference ("" when they agree): refreshState keeps
// part of the hot record instead of deriving it, which holds only if
// every other change of that part calls refresh.
func (e *Engine) RefreshDiff() string {
	for i := range e.experts {
		r := &e.experts[i]
		h := r.hotOf()
		if e.hot[i] != h {
			return fmt.Sprintf("expert %s: hot %+v, from its state %+v", r.ID, e.hot[i], h)
		}
		if g := e.gateOf(&h); e.gates[i] != g {
			return fmt.Sprintf("expert %s: gate %+v, from its state %+v", r.ID, e.gates[i], g)
		}
		if s := r.blockSrc(); e.blk[i] != s {
			return fmt.Sprintf("expert %s: hold source %+v, from its state %+v", r.ID, e.blk[i], s)
		}
		if r.st.ID != r.ID {
			return fmt.Sprintf("expert %s: state of %s", r.ID, r.st.ID)
		}
	}
	return ""
}

// The record's layout is what refreshState and a resync's confirmation
// rely on to touch few cache lines (see expertRec).
func TestExpertRecLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("laid out for 64-bit platforms")
	}
	var r expertRec
	if s := unsafe.Sizeof(r); s != 384 {
		t.Errorf("expertRec is %d bytes, want 384 (6 cache lines): adjust expertRecPad", s)
	}
	st := unsafe.Offsetof(r.st)
	if end := st + unsafe.Offsetof(r.st.ConfirmedAt) + unsafe.Sizeof(r.st.ConfirmedAt); end > 128 {
		t.Errorf("st.ConfirmedAt ends at byte %d, want ≤ 128 (lines 0–1)", end)
	}
	if end := st + unsafe.Offsetof(r.st.BlockEnd) + unsafe.Sizeof(r.st.BlockEnd); end > 192 {
		t.Errorf("st.BlockEnd ends at byte %d, want ≤ 192 (lines 0–2)", end)
	}
	if end := unsafe.Offsetof(r.byGUID) + 1; end > 64 {
		t.Errorf("the rule ends at byte %d, want ≤ 64 (line 0)", end)
	}
	e := &Engine{}
	e.experts = make([]expertRec, 0, 10_000)
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(e.experts))); p%64 != 0 {
		t.Errorf("10,000 records start at %#x, not on a cache line", p)
	}
}
