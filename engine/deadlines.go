package engine

import "time"

// deadline is when an escalation's delivery, hold or store retry is due
// (see Tick). An escalation's gen changes whenever its deadline is
// superseded or it leaves Engine.escs, so an entry is live while its gen
// is the escalation's: checking it reads the escalation the entry points
// to, not a map keyed by conversation id (which NextDeadline did after
// every event).
type deadline struct {
	at  time.Time
	es  *esc
	gen uint64
}

func (d *deadline) live() bool { return d.es.gen == d.gen }

// deadlineHeap is a min-heap by time, then conversation id. Its
// operations are container/heap's, typed, so a push does not box the
// entry in an interface (an allocation per delivery and hold).
type deadlineHeap []deadline

func (h deadlineHeap) less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].es.ConversationID < h[j].es.ConversationID
}

func (h *deadlineHeap) push(d deadline) {
	*h = append(*h, d)
	h.up(len(*h) - 1)
}

// pop removes the earliest entry.
func (h *deadlineHeap) pop() {
	old := *h
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	old.down(0, n)
	old[n] = deadline{} // let the escalation go
	*h = old[:n]
}

func (h deadlineHeap) init() {
	n := len(h)
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i, n)
	}
}

func (h deadlineHeap) up(j int) {
	for {
		i := (j - 1) / 2 // parent
		if i == j || !h.less(j, i) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func (h deadlineHeap) down(i0, n int) {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h.less(j2, j1) {
			j = j2 // = 2*i + 2  // right child
		}
		if !h.less(j, i) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (e *Engine) pushDeadline(es *esc, at time.Time) {
	es.gen++
	e.deadlines.push(deadline{at: at, es: es, gen: es.gen})
	// Superseded entries are skipped lazily when they reach the top; if
	// nobody ticks for a while they pile up, so compact now and then.
	if len(e.deadlines) > 2*len(e.escs)+64 {
		live := e.deadlines[:0]
		for _, d := range e.deadlines {
			if d.live() {
				live = append(live, d)
			}
		}
		clear(e.deadlines[len(live):])
		e.deadlines = live
		e.deadlines.init()
	}
}
