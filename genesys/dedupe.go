package genesys

// dedupe remembers recently seen frame keys in two generations: a key is
// a duplicate if either generation holds it, and when the current one
// fills up it becomes the previous one. It so remembers between size and
// 2·size recent keys, which covers a rollover overlap (seconds of events
// seen on two channels) and duplicated deliveries, in bounded memory.
//
// Not safe for concurrent use: the Feed's merge goroutine owns it.
type dedupe struct {
	size      int
	cur, prev map[uint64]struct{}
}

func newDedupe(size int) *dedupe {
	if size < 1 {
		size = 1
	}
	return &dedupe{size: size, cur: make(map[uint64]struct{}, size)}
}

// seen reports whether k was seen recently and records it. Key 0 is never
// a duplicate.
func (d *dedupe) seen(k uint64) bool {
	if k == 0 {
		return false
	}
	if _, ok := d.cur[k]; ok {
		return true
	}
	if _, ok := d.prev[k]; ok {
		return true
	}
	d.cur[k] = struct{}{}
	if len(d.cur) >= d.size {
		d.prev, d.cur = d.cur, make(map[uint64]struct{}, d.size)
	}
	return false
}
