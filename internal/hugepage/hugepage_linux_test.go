package hugepage

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestAnonRW(t *testing.T) {
	for _, c := range []struct {
		line   string
		lo, hi uintptr
		ok     bool
	}{
		{"c000000000-c004000000 rw-p 00000000 00:00 0 ", 0xc000000000, 0xc004000000, true},
		{"c000000000-c004000000 rw-p 00000000 00:00 0                  [anon: Go: heap]", 0xc000000000, 0xc004000000, true},
		{"7ffd4f677000-7ffd4f698000 rw-p 00000000 00:00 0                          [stack]", 0, 0, false},
		{"00592000-0059d000 rw-p 00192000 fe:00 9978011                            /tmp/exe", 0, 0, false},
		{"c000000000-c004000000 ---p 00000000 00:00 0 ", 0, 0, false},
		{"c000000000-c004000000 rw-s 00000000 00:00 0 ", 0, 0, false},
		{"c004000000-c000000000 rw-p 00000000 00:00 0 ", 0, 0, false},
		{"garbage", 0, 0, false},
	} {
		lo, hi, ok := anonRW([]byte(c.line))
		if lo != c.lo || hi != c.hi || ok != c.ok {
			t.Errorf("anonRW(%q) = %#x, %#x, %v; want %#x, %#x, %v", c.line, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
}

func TestDisabled(t *testing.T) {
	for _, c := range []struct {
		godebug string
		off     bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"madvdontneed=1, disablethp=1", true},
		{"disablethp=0", false},
		{"disablethp=1,disablethp=0", false},
		{"xdisablethp=1", false},
	} {
		if got := disabled(c.godebug); got != c.off {
			t.Errorf("disabled(%q) = %v, want %v", c.godebug, got, c.off)
		}
	}
	// (not through the environment: setting GODEBUG in the process also
	// switches the runtime's disablethp, for the rest of the tests)
	if r := advise("disablethp=1"); r.Err != ErrDisabled || r.Mappings != 0 {
		t.Errorf("advise with GODEBUG=disablethp=1 = %+v, want nothing advised and ErrDisabled", r)
	}
}

// A large slice already written (its pages faulted in as 4 KiB pages, as
// a built world's are) is on huge pages after Advise, read from the
// kernel's own account (/proc/self/smaps), and its bytes are unchanged.
func TestAdviseFoldsWrittenHeap(t *testing.T) {
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || strings.Contains(string(b), "[never]") {
		t.Skipf("transparent huge pages off here (%q, %v)", b, err)
	}
	buf := make([]byte, 24<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	addr := uintptr(unsafe.Pointer(&buf[0]))
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil && kernelBefore(unix.ByteSliceToString(u.Release[:]), 6, 1) {
		t.Skipf("kernel %s has no MADV_COLLAPSE (6.1 on)", u.Release[:])
	}
	r := Advise()
	t.Logf("Advise: %d mappings, %d bytes, first refusal: %v", r.Mappings, r.Bytes, r.Err)
	if r.Mappings == 0 || r.Bytes < 16<<20 {
		t.Fatalf("Advise advised %d mappings, %d bytes; want the heap holding a 24 MiB slice", r.Mappings, r.Bytes)
	}
	if kb := anonHugeKB(t, addr); kb < 16<<10 {
		t.Errorf("the mapping holding the slice has %d KiB on huge pages after Advise, want >= 16 MiB", kb)
	}
	for i := range buf {
		if buf[i] != byte(i*7) {
			t.Fatalf("buf[%d] = %d after Advise, want %d", i, buf[i], byte(i*7))
		}
	}
}

func kernelBefore(release string, major, minor int) bool {
	a, rest, _ := strings.Cut(release, ".")
	b, _, _ := strings.Cut(rest, ".")
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(strings.TrimRightFunc(b, func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}

// anonHugeKB is AnonHugePages of the mapping holding addr, from smaps.
func anonHugeKB(t *testing.T, addr uintptr) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fs := strings.Fields(line); len(fs) > 0 && strings.Contains(fs[0], "-") && !strings.HasSuffix(fs[0], ":") {
			lo, hi, _ := strings.Cut(fs[0], "-")
			l, _ := strconv.ParseUint(lo, 16, 64)
			h, _ := strconv.ParseUint(hi, 16, 64)
			in = uint64(addr) >= l && uint64(addr) < h
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no mapping in smaps holds %#x", addr)
	return 0
}
