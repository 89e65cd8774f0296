package sim

// ordset is an ordered set of distinct keys (a treap): insert and delete
// in O(log n) expected, ascending iteration from the smallest key that can
// stop early. The node priorities come from a counter through splitmix64,
// so the tree's shape is deterministic, and it never affects the order,
// which is cmp's alone. Deleted nodes are recycled. Not safe for
// concurrent use.
type ordset[T any] struct {
	root *tnode[T]
	cmp  func(a, b T) int // total order; 0 only for the same key
	n    int
	ctr  uint64
	free *tnode[T]
}

type tnode[T any] struct {
	v    T
	pri  uint64
	l, r *tnode[T]
}

func newOrdset[T any](cmp func(a, b T) int) *ordset[T] { return &ordset[T]{cmp: cmp} }

// Len is the number of keys in the set.
func (s *ordset[T]) Len() int { return s.n }

// Insert adds v, which must not be in the set.
func (s *ordset[T]) Insert(v T) {
	nd := s.free
	if nd != nil {
		s.free = nd.r
		*nd = tnode[T]{}
	} else {
		nd = new(tnode[T])
	}
	s.ctr++
	nd.v, nd.pri = v, splitmix64(s.ctr)
	l, r := s.split(s.root, v)
	s.root = s.merge(s.merge(l, nd), r)
	s.n++
}

// Delete removes v and reports whether it was in the set.
func (s *ordset[T]) Delete(v T) bool {
	p := &s.root
	for *p != nil {
		c := s.cmp(v, (*p).v)
		switch {
		case c < 0:
			p = &(*p).l
		case c > 0:
			p = &(*p).r
		default:
			nd := *p
			*p = s.merge(nd.l, nd.r)
			var zero T
			nd.v, nd.l, nd.r = zero, nil, s.free
			s.free = nd
			s.n--
			return true
		}
	}
	return false
}

// Min returns the smallest key; ok is false when the set is empty.
func (s *ordset[T]) Min() (v T, ok bool) {
	nd := s.root
	if nd == nil {
		return v, false
	}
	for nd.l != nil {
		nd = nd.l
	}
	return nd.v, true
}

// Ascend calls f on the keys in ascending order until f returns false.
// f must not change the set.
func (s *ordset[T]) Ascend(f func(T) bool) { ascend(s.root, f) }

func ascend[T any](nd *tnode[T], f func(T) bool) bool {
	for nd != nil {
		if !ascend(nd.l, f) || !f(nd.v) {
			return false
		}
		nd = nd.r
	}
	return true
}

// split returns the nodes below v and those at or above it.
func (s *ordset[T]) split(nd *tnode[T], v T) (l, r *tnode[T]) {
	if nd == nil {
		return nil, nil
	}
	if s.cmp(nd.v, v) < 0 {
		nd.r, r = s.split(nd.r, v)
		return nd, r
	}
	l, nd.l = s.split(nd.l, v)
	return l, nd
}

// merge joins two treaps, every key of l below every key of r.
func (s *ordset[T]) merge(l, r *tnode[T]) *tnode[T] {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.pri > r.pri:
		l.r = s.merge(l.r, r)
		return l
	}
	r.l = s.merge(l, r.l)
	return r
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
