package engine

// prefetchLines asks the CPU to start loading the n cache lines from
// address p on into its caches (PREFETCHT0) and returns without waiting
// for them. It reads nothing the program sees: an address that is not
// mapped is ignored.
func prefetchLines(p uintptr, n int)
