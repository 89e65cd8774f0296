//go:build !amd64

package engine

// prefetchLines does nothing where no prefetch instruction is wired in
// (see prefetch_amd64.s).
func prefetchLines(p uintptr, n int) {}
