package hugepage

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// mu keeps two Advise calls (replications on parallel goroutines) from
// advising the same mappings at once.
var mu sync.Mutex

// Advise marks every private anonymous read-write mapping of the process
// that holds at least one aligned huge page (the Go heap's arenas; not
// the stack, not files) for huge pages (MADV_HUGEPAGE: later page faults
// there get huge pages) and asks the kernel to fold the pages already
// there into huge pages now (MADV_COLLAPSE: it copies them, ~2 ms per
// MiB the first time, microseconds when already folded). Call it after
// the large structures are built: the heap grows in new mappings, which
// the advice made before does not reach.
//
// GODEBUG=disablethp=1, the Go runtime's own switch that keeps its heap
// off huge pages, turns Advise off too (Report.Err is ErrDisabled).
func Advise() Report { return advise(os.Getenv("GODEBUG")) }

func advise(godebug string) Report {
	if disabled(godebug) {
		return Report{Err: ErrDisabled}
	}
	mu.Lock()
	defer mu.Unlock()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return Report{Err: err}
	}
	var r Report
	note := func(err error) {
		if err != nil && r.Err == nil {
			r.Err = err
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		lo, hi, ok := anonRW(sc.Bytes())
		if !ok {
			continue
		}
		lo = (lo + Size - 1) &^ (Size - 1)
		hi &^= Size - 1
		if hi <= lo {
			continue
		}
		r.Mappings++
		r.Bytes += uint64(hi - lo)
		note(madvise(lo, hi-lo, unix.MADV_HUGEPAGE, "MADV_HUGEPAGE"))
		note(collapse(lo, hi))
	}
	note(sc.Err())
	return r
}

// disabled reports whether a GODEBUG value sets disablethp=1 (the last
// setting of a key wins, as in the runtime).
func disabled(godebug string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}

// anonRW parses one line of /proc/self/maps ("lo-hi perms offset dev
// inode [name]") and reports the range of a private read-write mapping
// with no file: unnamed, or named by its owner ("[anon: Go: heap]" where
// the kernel keeps such names), not [stack] or [heap] (C's brk area).
func anonRW(line []byte) (lo, hi uintptr, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[1]) != "rw-p" || string(f[4]) != "0" ||
		len(f) > 5 && !bytes.HasPrefix(f[5], []byte("[anon:")) {
		return 0, 0, false
	}
	dash := bytes.IndexByte(f[0], '-')
	if dash < 0 {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(string(f[0][:dash]), 16, 64)
	h, err2 := strconv.ParseUint(string(f[0][dash+1:]), 16, 64)
	if err1 != nil || err2 != nil || h <= l {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}

// maxPiecewise is the largest mapping collapse retries 2 MiB at a time.
const maxPiecewise = 1 << 30

// collapse folds [lo, hi) into huge pages: in one call, and where that
// is refused, 2 MiB at a time, each tried twice. One call stops at the
// first huge page it cannot make (the kernel gives up on the rest of the
// range when, say, another thread of the process maps or releases memory
// while it copies: the Go runtime's scavenger and heap growth do), while
// huge pages one at a time fail alone. A range never written (no page
// to fold) is refused again each time: a few microseconds per 2 MiB, so
// a mapping larger than maxPiecewise (a sparse reservation, not a heap
// this simulator builds) is not tried piece by piece.
func collapse(lo, hi uintptr) error {
	err := madvise(lo, hi-lo, unix.MADV_COLLAPSE, "MADV_COLLAPSE")
	if err == nil || hi-lo > maxPiecewise {
		return err
	}
	var first error
	for p := lo; p < hi; p += Size {
		err := madvise(p, Size, unix.MADV_COLLAPSE, "MADV_COLLAPSE")
		if err != nil {
			err = madvise(p, Size, unix.MADV_COLLAPSE, "MADV_COLLAPSE")
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func madvise(addr, n uintptr, advice int, name string) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, addr, n, uintptr(advice))
	if e != 0 {
		return fmt.Errorf("hugepage: %s %#x+%d: %w", name, addr, n, e)
	}
	return nil
}
