//go:build !amd64

package prefetch

import "unsafe"

// Lines does nothing where no prefetch instruction is wired in (see
// prefetch_amd64.s).
func Lines(p unsafe.Pointer, n int) {}
