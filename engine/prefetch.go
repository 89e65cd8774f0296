package engine

import (
	"unsafe"

	"github.com/shadowq/shadowq/internal/prefetch"
)

// Prefetch asks the CPU to start loading expert i's records (its
// expertRec and the per-expert entries an event for it reads: hot,
// blk, gates, prov) into the cache, and returns without waiting. A
// caller that knows which expert a coming event concerns calls it ahead
// (the simulator: one or two events before), so that in a large
// organisation, where these records miss the L2 cache (at 10,000
// experts), their loads overlap other work instead of stalling the
// event. It changes nothing and reads nothing; an i out of range is
// ignored. Where no prefetch instruction is wired in it does nothing.
func (e *Engine) Prefetch(i int32) {
	if i < 0 || int(i) >= len(e.experts) {
		return
	}
	const line = 64
	prefetch.Lines(unsafe.Pointer(&e.experts[i]), int((unsafe.Sizeof(e.experts[0])+line-1)/line))
	prefetch.Lines(unsafe.Pointer(&e.hot[i]), 1)
	prefetch.Lines(unsafe.Pointer(&e.blk[i]), 1)
	prefetch.Lines(unsafe.Pointer(&e.gates[i]), 1)
	prefetch.Lines(unsafe.Pointer(&e.prov[i]), 1)
	// its groups and, where the address needs no read, its time-index
	// records, which a change of its gate reads
	if ms := &e.memberOf; ms.stride > 0 {
		prefetch.Lines(unsafe.Pointer(&ms.all[int(i)*ms.stride]), 1)
	}
	if r := e.allRecs; r != nil && r.stride > 0 {
		prefetch.Lines(unsafe.Pointer(&r.m[int(i)*r.stride]), 1)
	}
}
