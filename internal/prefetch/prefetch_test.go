package prefetch

import (
	"testing"
	"unsafe"
)

// Lines must only hint: it reads nothing the program sees, writes nothing,
// and an address that is not mapped (nil, and the lines after it) does
// not fault, as it would if it loaded instead of prefetching.
func TestLinesOnlyHints(t *testing.T) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i)
	}
	Lines(unsafe.Pointer(&buf[0]), len(buf)/64)
	Lines(unsafe.Pointer(&buf[100]), 0)
	Lines(unsafe.Pointer(&buf[100]), -1)
	Lines(nil, 4)
	for i := range buf {
		if buf[i] != byte(i) {
			t.Fatalf("buf[%d] = %d after Lines, want %d", i, buf[i], byte(i))
		}
	}
}
