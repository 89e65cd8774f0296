package sim

import "math/bits"

// ringSlabs is how many slabs the kernel's ring spans (its near slab's
// included): 4096 slabs of about a second, a little over an hour ahead,
// which covers nearly every timer a replication sets (alerts, handle
// times, patience, penalties); later events wait in the far heap.
const ringSlabs = 4096

// ring holds the kernel's events of the slabs after its near slab, in no
// order within a slab: one doubly linked list of slots per slab (the slot
// holds the event's time and sequence), and a bitmap of the non-empty
// slabs, so that finding the next one skips empty slabs 64 at a time.
// Slab s is at index s mod ringSlabs; the kernel only puts in slabs less
// than ringSlabs after its near slab and takes slabs in order, so an
// index never holds two slabs. Cancelling an event unlinks it at once
// (remove), so that its slot is free for the next event, still in cache.
//
// The lists are of slots rather than of nodes of their own because at
// 10,000 experts a node was a cache miss to allocate and another to take,
// and the event's slot a third when it ran; now taking a slab brings in
// the lines its events run from. The links are in an array of their own,
// by slot, not in the slots: eight bytes a slot, it stays in cache, so
// taking a slab does not chase one cache miss after another but has the
// misses on its slots in flight together.
type ring struct {
	head  [ringSlabs]int32 // per index: first slot + 1, 0 if empty
	full  [ringSlabs / 64]uint64
	links []ringLink // by slot, while it is in the ring
	n     int        // events held
}

// ringLink is a slot's place in its slab's list: the next and the
// previous slot + 1, 0 at the end and at the head.
type ringLink struct{ next, prev int32 }

// add puts e, of slab s, in the ring, its time and sequence in its slot.
func (r *ring) add(s int64, e event, slots []eventSlot) {
	slot := e.slot
	if int(slot) >= len(r.links) {
		r.links = append(r.links, make([]ringLink, len(slots)-len(r.links))...)
	}
	i := int(s & (ringSlabs - 1))
	sl := &slots[slot]
	sl.at, sl.seq, sl.inRing = e.at, e.seq, true
	h := r.head[i]
	r.links[slot] = ringLink{next: h}
	if h != 0 {
		r.links[h-1].prev = int32(slot) + 1
	}
	r.head[i] = int32(slot) + 1
	r.full[i>>6] |= 1 << (i & 63)
	r.n++
}

// remove unlinks slot's event from the ring.
func (r *ring) remove(slot uint32, slots []eventSlot) {
	sl := &slots[slot]
	sl.inRing = false
	i := int(slabOf(sl.at) & (ringSlabs - 1))
	l := r.links[slot]
	if l.prev != 0 {
		r.links[l.prev-1].next = l.next
	} else if r.head[i] = l.next; l.next == 0 {
		r.full[i>>6] &^= 1 << (i & 63)
	}
	if l.next != 0 {
		r.links[l.next-1].prev = l.prev
	}
	r.n--
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

// takeSlab moves the ring's slab s into the empty heap, unordered.
func (k *Kernel) takeSlab(s int64) {
	r := &k.ring
	i := int(s & (ringSlabs - 1))
	h := k.heap[:0]
	for nd := r.head[i]; nd != 0; {
		slot := uint32(nd - 1)
		nd = r.links[slot].next
		sl := &k.slots[slot]
		sl.inRing = false
		h = append(h, event{at: sl.at, seq: sl.seq, slot: slot, gen: sl.gen})
		r.n--
	}
	k.heap = h
	r.head[i] = 0
	r.full[i>>6] &^= 1 << (i & 63)
}
