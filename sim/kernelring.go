package sim

import "math/bits"

// ringSlabs is how many slabs the kernel's ring spans (its near slab's
// included): 4096 slabs of about a second, a little over an hour ahead,
// which covers nearly every timer a replication sets (alerts, handle
// times, patience, penalties); later events wait in the far heap.
const ringSlabs = 4096

// ring holds the kernel's events of the slabs after its near slab, in no
// order within a slab: one singly linked list per slab, threaded through
// a pool of nodes that are reused, and a bitmap of the non-empty slabs,
// so that finding the next one skips empty slabs 64 at a time. Slab s is
// at index s mod ringSlabs; the kernel only puts in slabs less than
// ringSlabs after its near slab and takes slabs in order, so an index
// never holds two slabs.
type ring struct {
	head  [ringSlabs]int32 // per index: first node + 1, 0 if empty
	full  [ringSlabs / 64]uint64
	nodes []ringNode
	free  int32 // first free node + 1, 0 if none
	n     int   // events held
}

type ringNode struct {
	e    event
	next int32 // next node + 1, 0 at the end
}

// add puts e, of slab s, in the ring.
func (r *ring) add(s int64, e event) {
	var nd int32
	if r.free != 0 {
		nd = r.free - 1
		r.free = r.nodes[nd].next
	} else {
		nd = int32(len(r.nodes))
		r.nodes = append(r.nodes, ringNode{})
	}
	i := int(s & (ringSlabs - 1))
	r.nodes[nd] = ringNode{e: e, next: r.head[i]}
	r.head[i] = nd + 1
	r.full[i>>6] |= 1 << (i & 63)
	r.n++
}

// next is the first non-empty slab after near, if any.
func (r *ring) next(near int64) (int64, bool) {
	if r.n == 0 {
		return 0, false
	}
	start := int((near + 1) & (ringSlabs - 1))
	// Scan the bitmap from start's word, wrapping once.
	w := start >> 6
	word := r.full[w] &^ (1<<(start&63) - 1)
	for range len(r.full) + 1 {
		if word != 0 {
			i := w<<6 | bits.TrailingZeros64(word)
			return near + 1 + int64((i-start)&(ringSlabs-1)), true
		}
		w = (w + 1) % len(r.full)
		word = r.full[w]
	}
	panic("sim: kernel ring holds events but no slab is marked")
}

// take empties slab s, appending its events to dst.
func (r *ring) take(s int64, dst []event) []event {
	i := int(s & (ringSlabs - 1))
	for nd := r.head[i]; nd != 0; {
		n := &r.nodes[nd-1]
		dst = append(dst, n.e)
		next := n.next
		n.next = r.free
		r.free = nd
		nd = next
		r.n--
	}
	r.head[i] = 0
	r.full[i>>6] &^= 1 << (i & 63)
	return dst
}

// filter drops the stale events: those whose generation is no longer
// their slot's in slots.
func (r *ring) filter(slots []eventSlot) {
	for w, word := range r.full {
		for word != 0 {
			i := w<<6 | bits.TrailingZeros64(word)
			word &= word - 1
			p := &r.head[i]
			for *p != 0 {
				nd := *p
				n := &r.nodes[nd-1]
				if slots[n.e.slot].gen == n.e.gen {
					p = &n.next
					continue
				}
				*p = n.next
				n.next = r.free
				r.free = nd
				r.n--
			}
			if r.head[i] == 0 {
				r.full[w] &^= 1 << (i & 63)
			}
		}
	}
}
