package engine

import (
	"math"
	"slices"
)

// ltEntry is a member of a time-index class by last touch: position in
// the group and last touch (unix ns). It also carries the member's expert
// index (the group's members[pos]; in what was the entry's padding), so
// that a ranking's walk reads the member's gate without first reading the
// group's members array: at 10,000 experts that read missed the L1 cache
// on most list entries walked. Entries are compared (cmpEntry, search) by
// last touch and position only.
type ltEntry struct {
	lt  int64
	pos int32
	idx int32
}

// cmpEntry orders entries oldest touch first, then by position (expert
// order), so a walk from the front meets members in order of
// non-increasing fairness and, among equal last touches, of expert.
func cmpEntry(a, b ltEntry) int {
	switch {
	case a.lt < b.lt:
		return -1
	case a.lt > b.lt:
		return 1
	case a.pos < b.pos:
		return -1
	case a.pos > b.pos:
		return 1
	}
	return 0
}

// chunkMax bounds a chunk of an ltList: an insert or delete moves at most
// this many entries, whatever the list's length.
const chunkMax = 128

// ltList is a sorted set of entries (cmpEntry) kept as an ordered run of
// sorted chunks of at most chunkMax entries, none empty: insert and delete
// cost a binary search and a move within one chunk, a walk from the front
// costs one step per entry. Most inserts (a member just touched) go to the
// back, where they append.
type ltList struct {
	chunks [][]ltEntry
	// last[k] is the last entry of chunks[k]: finding an entry's chunk
	// searches this one dense array rather than reaching into each
	// chunk it compares (at 10,000 experts a class holds thousands of
	// entries and each chunk reached was a cache miss).
	last []ltEntry
	n    int
}

// before reports whether a sorts before b (cmpEntry(a, b) < 0), inlined on
// the path of every change of a member's class.
func before(a, b ltEntry) bool { return a.lt < b.lt || a.lt == b.lt && a.pos < b.pos }

// chunk is the index of the chunk where x belongs: the first whose last
// entry is not before x, else the last.
func (l *ltList) chunk(x ltEntry) int {
	hi := len(l.last) - 1
	if hi <= 0 || before(l.last[hi-1], x) {
		return max(hi, 0) // the usual insert: at the back
	}
	lo := 0
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(l.last[m], x) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// search is slices.BinarySearchFunc(c, x, cmpEntry), with the comparison
// inlined (it is on the path of every change of a member's class).
func search(c []ltEntry, x ltEntry) (int, bool) {
	lo, hi := 0, len(c)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(c[m], x) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(c) && c[lo].lt == x.lt && c[lo].pos == x.pos
}

func (l *ltList) insert(x ltEntry) {
	l.n++
	if k := len(l.chunks) - 1; k < 0 || before(l.last[k], x) {
		// At the back (a member just touched): append, starting a new
		// chunk when the last is full, so such chunks stay full.
		if k < 0 || len(l.chunks[k]) == chunkMax {
			l.chunks = append(l.chunks, append(make([]ltEntry, 0, chunkMax+1), x))
			l.last = append(l.last, x)
		} else {
			l.chunks[k] = append(roomy(l.chunks[k]), x)
			l.last[k] = x
		}
		return
	}
	ci := l.chunk(x)
	c := l.chunks[ci]
	j, _ := search(c, x)
	c = slices.Insert(roomy(c), j, x)
	if len(c) > chunkMax {
		h := len(c) / 2
		right := append(make([]ltEntry, 0, chunkMax+1), c[h:]...)
		clear(c[h:])
		c = c[:h]
		l.chunks = slices.Insert(l.chunks, ci+1, right)
		l.last = slices.Insert(l.last, ci+1, right[len(right)-1])
	}
	l.chunks[ci] = c
	l.last[ci] = c[len(c)-1]
}

// frontProbe: delete first looks for an entry among a chunk's first
// frontProbe entries (a few cache lines), where most deletes are.
const frontProbe = 16

// roomy is c with room for one more entry: a chunk that delete trimmed at
// the front has lost capacity, and one full to its capacity moves to a new
// array of chunkMax+1 (rather than append's growth).
func roomy(c []ltEntry) []ltEntry {
	if len(c) < cap(c) {
		return c
	}
	return append(make([]ltEntry, 0, max(chunkMax+1, len(c)+1)), c...)
}

// delete removes x and reports whether it was there. Most deletes are of a
// member near the front of the first chunk (counted over one replication at
// 10,000 experts: 36% of deletes within the first chunk's first eighth), so
// delete looks at the first chunk and its first entries before searching,
// and moves whichever side of the entry is shorter.
func (l *ltList) delete(x ltEntry) bool {
	if len(l.chunks) == 0 {
		return false
	}
	ci := 0
	if before(l.last[0], x) {
		ci = l.chunk(x)
	}
	c := l.chunks[ci]
	var j int
	var ok bool
	if len(c) > frontProbe && !before(c[frontProbe-1], x) {
		j, ok = search(c[:frontProbe], x)
	} else {
		j, ok = search(c, x)
	}
	if !ok {
		return false
	}
	l.n--
	if j < len(c)/2 {
		// Nearer the front (as mostly: a member ranked, hence among the
		// longest untouched, is touched): move the entries before it
		// up one and drop the chunk's first slot.
		copy(c[1:j+1], c[:j])
		c[0] = ltEntry{}
		c = c[1:]
		l.chunks[ci] = c
		return true // its last entry is unchanged
	}
	if c = slices.Delete(c, j, j+1); len(c) == 0 {
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
		l.last = slices.Delete(l.last, ci, ci+1)
	} else {
		l.chunks[ci] = c
		l.last[ci] = c[len(c)-1]
	}
	return true
}

// first is the last touch of the list's first entry, math.MaxInt64 when
// it is empty.
func (l *ltList) first() int64 {
	if l.n == 0 {
		return math.MaxInt64
	}
	return l.chunks[0][0].lt
}

// popFront removes the entries touched at or before cut, oldest first,
// calling f for each.
func (l *ltList) popFront(cut int64, f func(ltEntry)) {
	for len(l.chunks) > 0 {
		c := l.chunks[0]
		j := 0
		for j < len(c) && c[j].lt <= cut {
			f(c[j])
			j++
		}
		l.n -= j
		if j < len(c) {
			l.chunks[0] = slices.Delete(c, 0, j)
			return
		}
		l.chunks = slices.Delete(l.chunks, 0, 1)
		l.last = slices.Delete(l.last, 0, 1)
	}
}

// ltCursor walks an ltList from the front. The list must not change
// during the walk.
type ltCursor struct {
	l     *ltList
	ci, j int
}

func (cu *ltCursor) ok() bool    { return cu.ci < len(cu.l.chunks) }
func (cu *ltCursor) at() ltEntry { return cu.l.chunks[cu.ci][cu.j] }
func (cu *ltCursor) next() {
	if cu.j++; cu.j == len(cu.l.chunks[cu.ci]) {
		cu.ci, cu.j = cu.ci+1, 0
	}
}
