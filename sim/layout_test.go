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
		{"busy", unsafe.Offsetof(x.busy) + unsafe.Sizeof(x.busy), 2},
	} {
		if f.end != 64*f.line {
			t.Errorf("expertState.%s ends at byte %d, not at the end of line %d", f.name, f.end, f.line)
		}
	}
}
