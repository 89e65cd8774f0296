package sim

import (
	"testing"
	"unsafe"
)

// TestExpertStateLines checks the layout expertState's comment promises:
// a size in whole cache lines, with the first line's fields in the first
// 64 bytes and the second's in the next.
func TestExpertStateLines(t *testing.T) {
	var x expertState
	if n := unsafe.Sizeof(x); n%64 != 0 {
		t.Errorf("expertState is %d bytes, not a multiple of 64", n)
	}
	for _, f := range []struct {
		name string
		end  uintptr // offset just past the field
		line uintptr // the cache line it must end in
	}{
		{"routeSince", unsafe.Offsetof(x.routeSince) + unsafe.Sizeof(x.routeSince), 1},
		{"refocusDue", unsafe.Offsetof(x.refocusDue) + unsafe.Sizeof(x.refocusDue), 2},
	} {
		if f.end != 64*f.line {
			t.Errorf("expertState.%s ends at byte %d, not at the end of line %d", f.name, f.end, f.line)
		}
	}
}

// TestArrivalLines checks arrival's layout: 256 bytes, a delivery's
// fields (handle to the second attempt's dice) in its second cache line.
func TestArrivalLines(t *testing.T) {
	var a arrival
	if n := unsafe.Sizeof(a); n != 256 {
		t.Errorf("arrival is %d bytes, not 256", n)
	}
	if lo, hi := unsafe.Offsetof(a.handle), unsafe.Offsetof(a.draws)+2*unsafe.Sizeof(a.draws[0]); lo != 64 || hi > 128 {
		t.Errorf("arrival's handle..draws[1] lie at bytes %d..%d, not in line 2 (64..128)", lo, hi)
	}
}
