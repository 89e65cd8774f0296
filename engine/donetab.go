package engine

import "hash/maphash"

// doneTab finds a recently finished conversation's slot in the ring of
// endings (doneOrder, doneEnds): an open-addressing table of 8-byte
// entries (linear probing, at most half full), each the conversation id's
// hash and its slot. It replaced a map[string]int32: at 10,000 experts the
// ring is full, and forgetting its oldest ending on every new one hashed a
// conversation id not read since it ended and probed a 10,000-entry map,
// a few cache misses; the table knows where the oldest's entry is (at).
type doneTab struct {
	seed maphash.Seed
	ents []doneEnt
	n    int     // entries in use
	at   []int32 // by ring slot: its entry's position, valid while that entry names the slot
}

type doneEnt struct {
	h  uint32 // the conversation id's hash
	s1 int32  // its ring slot + 1; 0: empty
}

func (t *doneTab) hash(conv string) uint32 {
	if t.ents == nil {
		t.seed = maphash.MakeSeed()
		t.ents = make([]doneEnt, 16)
	}
	return uint32(maphash.String(t.seed, conv))
}

// doneFind is conv's ring slot, if it is remembered; p is where its entry
// is, or the empty position where it would go.
func (e *Engine) doneFind(conv string) (slot int32, p int, ok bool) {
	t := &e.done
	h := t.hash(conv)
	mask := len(t.ents) - 1
	for p = int(h) & mask; ; p = (p + 1) & mask {
		en := t.ents[p]
		if en.s1 == 0 {
			return -1, p, false
		}
		if en.h == h && e.doneOrder[en.s1-1] == conv {
			return en.s1 - 1, p, true
		}
	}
}

// doneSet makes conv's ring slot k (doneOrder[k] is conv).
func (e *Engine) doneSet(conv string, k int) {
	t := &e.done
	if len(t.at) < len(e.doneOrder) {
		t.at = append(t.at, make([]int32, len(e.doneOrder)-len(t.at))...)
	}
	_, p, ok := e.doneFind(conv)
	if ok {
		t.ents[p].s1 = int32(k) + 1
		t.at[k] = int32(p)
		return
	}
	h := t.hash(conv)
	if 2*(t.n+1) > len(t.ents) {
		t.grow()
		mask := len(t.ents) - 1
		for p = int(h) & mask; t.ents[p].s1 != 0; p = (p + 1) & mask {
		}
	}
	t.ents[p] = doneEnt{h: h, s1: int32(k) + 1}
	t.at[k] = int32(p)
	t.n++
}

// doneForget forgets doneOrder[k]'s conversation, wherever its entry
// points (it may have ended again since, in a later slot).
func (e *Engine) doneForget(k int) {
	t := &e.done
	if p := t.at[k]; int(p) < len(t.ents) && t.ents[p].s1 == int32(k)+1 {
		t.del(int(p))
		return
	}
	if _, p, ok := e.doneFind(e.doneOrder[k]); ok {
		t.del(p)
	}
}

// del empties position p, moving later entries of its run back so that
// every entry stays reachable from its hash's position.
func (t *doneTab) del(p int) {
	mask := len(t.ents) - 1
	t.n--
	i := p
	for {
		t.ents[i] = doneEnt{}
		j := i
		for {
			j = (j + 1) & mask
			if t.ents[j].s1 == 0 {
				return
			}
			home := int(t.ents[j].h) & mask
			// ents[j] may move to i unless its home lies cyclically in (i, j].
			if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
				break
			}
		}
		t.ents[i] = t.ents[j]
		t.at[t.ents[i].s1-1] = int32(i)
		i = j
	}
}

// grow doubles the table.
func (t *doneTab) grow() {
	old := t.ents
	t.ents = make([]doneEnt, 2*len(old))
	mask := len(t.ents) - 1
	for _, en := range old {
		if en.s1 == 0 {
			continue
		}
		p := int(en.h) & mask
		for t.ents[p].s1 != 0 {
			p = (p + 1) & mask
		}
		t.ents[p] = en
		t.at[en.s1-1] = int32(p)
	}
}

// doneEach calls f with each remembered conversation's slot (for tests).
func (e *Engine) doneEach(f func(conv string, slot int32)) {
	for _, en := range e.done.ents {
		if en.s1 != 0 {
			f(e.doneOrder[en.s1-1], en.s1-1)
		}
	}
}
