package sim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/shadowq/shadowq/reports"
)

// latencyPool holds the latencies of every replication of one run, per
// arm, for the pooled latency CDF, in bounded memory: each replication's
// sorted latencies are one run; runs stay in memory until they hold more
// than limit latencies in all, then every run goes to a temporary file and
// later ones are appended to it. The CDF is exact either way (the same
// bytes as sorting every latency in memory): a k-way merge of the runs
// streams the latencies in order and keeps only the ≤ 202 ranks the CDF
// reads (reports.CDFRanks).
type latencyPool struct {
	limit int // latencies held in memory before spilling
	held  int
	arms  [][]latRun
	f     *os.File
	w     *bufio.Writer
	off   int64
}

// latRun is one sorted run: in memory (mem) or n latencies at off in the file.
type latRun struct {
	mem []float64
	off int64
	n   int
}

func newLatencyPool(arms, limit int) *latencyPool {
	return &latencyPool{limit: limit, arms: make([][]latRun, arms)}
}

// add appends arm's next run; sorted must be sorted and is kept (not copied)
// while in memory.
func (p *latencyPool) add(arm int, sorted []float64) error {
	if len(sorted) == 0 {
		return nil
	}
	p.arms[arm] = append(p.arms[arm], latRun{mem: sorted, n: len(sorted)})
	if p.f != nil {
		return p.spill(&p.arms[arm][len(p.arms[arm])-1])
	}
	if p.held += len(sorted); p.held <= p.limit {
		return nil
	}
	f, err := os.CreateTemp("", "shadowq-latencies-*")
	if err != nil {
		return fmt.Errorf("latency spill file: %w", err)
	}
	p.f, p.w = f, bufio.NewWriterSize(f, 1<<16)
	for a := range p.arms {
		for i := range p.arms[a] {
			if err := p.spill(&p.arms[a][i]); err != nil {
				return err
			}
		}
	}
	p.held = 0
	return nil
}

func (p *latencyPool) spill(r *latRun) error {
	if r.mem == nil {
		return nil
	}
	r.off = p.off
	var b [8]byte
	for _, x := range r.mem {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		if _, err := p.w.Write(b[:]); err != nil {
			return fmt.Errorf("latency spill file: %w", err)
		}
	}
	p.off += int64(8 * len(r.mem))
	r.mem = nil
	return nil
}

// close removes the spill file, if any.
func (p *latencyPool) close() {
	if p.f != nil {
		p.f.Close()
		os.Remove(p.f.Name())
		p.f = nil
	}
}

// cdf is arm's pooled latency CDF, and how many latencies it pools.
func (p *latencyPool) cdf(arm int, name string) (reports.CDF, int, error) {
	if p.w != nil {
		if err := p.w.Flush(); err != nil {
			return reports.CDF{}, 0, fmt.Errorf("latency spill file: %w", err)
		}
	}
	runs := p.arms[arm]
	n := 0
	for _, r := range runs {
		n += r.n
	}
	ranks := reports.CDFRanks(n)
	vals := make([]float64, 0, len(ranks))
	m, err := newMerger(p.f, runs)
	if err != nil {
		return reports.CDF{}, 0, err
	}
	for rank := 0; len(vals) < len(ranks); rank++ {
		x, err := m.next()
		if err != nil {
			return reports.CDF{}, 0, err
		}
		if rank == ranks[len(vals)] {
			vals = append(vals, x)
		}
	}
	return reports.NewCDFAt(name, n, vals), n, nil
}

// merger streams the union of sorted runs in order (a heap of cursors).
type merger struct {
	f    *os.File
	cur  []cursor
	heap []int // indices into cur, a min-heap by the cursor's current value
	raw  []byte
}

type cursor struct {
	buf  []float64 // buffered values; buf[pos] is current
	pos  int
	off  int64 // file: the next unread value
	left int   // file: values not yet buffered
}

// mergeBudget bounds the merge's file buffers (in values) whatever the
// number of runs; each cursor gets at least 16.
const mergeBudget = 1 << 16

func newMerger(f *os.File, runs []latRun) (*merger, error) {
	m := &merger{f: f}
	per := max(16, mergeBudget/max(1, len(runs)))
	for _, r := range runs {
		c := cursor{buf: r.mem}
		if r.mem == nil {
			c = cursor{buf: make([]float64, 0, per), off: r.off, left: r.n}
			if err := m.fill(&c); err != nil {
				return nil, err
			}
		}
		if len(c.buf) > 0 {
			m.cur = append(m.cur, c)
		}
	}
	for i := range m.cur {
		m.heap = append(m.heap, i)
		m.up(len(m.heap) - 1)
	}
	return m, nil
}

func (m *merger) fill(c *cursor) error {
	k := min(cap(c.buf), c.left)
	if need := 8 * k; len(m.raw) < need {
		m.raw = make([]byte, need)
	}
	if _, err := m.f.ReadAt(m.raw[:8*k], c.off); err != nil {
		return fmt.Errorf("latency spill file: %w", err)
	}
	c.buf, c.pos = c.buf[:k], 0
	for i := range k {
		c.buf[i] = math.Float64frombits(binary.LittleEndian.Uint64(m.raw[8*i:]))
	}
	c.off += int64(8 * k)
	c.left -= k
	return nil
}

// next returns the smallest value not yet returned; there must be one.
func (m *merger) next() (float64, error) {
	if len(m.heap) == 0 {
		return 0, fmt.Errorf("latency merge: ran out of values")
	}
	c := &m.cur[m.heap[0]]
	x := c.buf[c.pos]
	c.pos++
	if c.pos == len(c.buf) && c.left > 0 {
		if err := m.fill(c); err != nil {
			return 0, err
		}
	}
	if c.pos == len(c.buf) {
		last := len(m.heap) - 1
		m.heap[0] = m.heap[last]
		m.heap = m.heap[:last]
	}
	if len(m.heap) > 0 {
		m.down(0)
	}
	return x, nil
}

func (m *merger) less(a, b int) bool {
	ca, cb := &m.cur[m.heap[a]], &m.cur[m.heap[b]]
	return ca.buf[ca.pos] < cb.buf[cb.pos]
}

func (m *merger) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !m.less(i, p) {
			return
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
}

func (m *merger) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(m.heap) {
			return
		}
		s := l
		if r := l + 1; r < len(m.heap) && m.less(r, l) {
			s = r
		}
		if !m.less(s, i) {
			return
		}
		m.heap[i], m.heap[s] = m.heap[s], m.heap[i]
		i = s
	}
}
