// Package hugepage asks the operating system to back the process's large
// anonymous mappings, the Go heap among them, with transparent huge pages
// (2 MiB on amd64 instead of 4 KiB).
//
// Why: a simulated organisation of 10,000 experts keeps ~120 MiB of
// records. On 4 KiB pages every replication that follows a smaller run
// (the Go runtime hands freed memory back to the OS) faults ~22,000 pages
// back in, and every random record read risks a TLB miss; in a virtual
// machine both cost more (two page tables to walk). Measured on the 2-core
// VM the project runs on, the shadowq arm at 10,000 experts spent
// 1,186-1,290 ns per event on 4 KiB pages and 1,023-1,077 on huge pages
// (~2,000 faults). Linux gives an anonymous mapping huge pages only when
// asked (madvise) where transparent_hugepage is "madvise" (the usual
// default), and the Go runtime no longer asks for its heap (Go 1.21.1
// on), so the simulator asks, for large worlds.
//
// It is a hint: it changes no byte the program reads, and where the
// system cannot or will not (another OS, THP set to "never", a kernel
// before 6.1 without MADV_COLLAPSE) it does as much as it can and says
// what it did.
package hugepage

import "errors"

// ErrDisabled is Advise's answer when GODEBUG=disablethp=1 is set.
var ErrDisabled = errors.New("hugepage: off (GODEBUG=disablethp=1)")

// Size is the huge page size advised for (x86-64 and arm64 with 4 KiB
// base pages: a PMD maps 2 MiB).
const Size = 2 << 20

// Report is what one Advise did.
type Report struct {
	// Mappings and Bytes are the anonymous read-write mappings advised
	// and the bytes in their huge-page-aligned interiors.
	Mappings int
	Bytes    uint64
	// Err is the first refusal by the system, if any (nil when every
	// advice was taken): the rest was still attempted. Some mappings
	// refuse MADV_COLLAPSE (a binary's zeroed data, for one) while the
	// heap's take it, so a refusal alone says little.
	Err error
}
