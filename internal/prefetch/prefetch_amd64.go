package prefetch

import "unsafe"

// Lines asks the CPU to start loading the n cache lines from p on
// (PREFETCHT0) and returns without waiting for them. An address that is
// not mapped is ignored by the instruction.
//
//go:noescape
func Lines(p unsafe.Pointer, n int)
