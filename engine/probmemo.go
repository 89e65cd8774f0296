package engine

// probMemo remembers the predictor's answers within one hold decision
// (planHold), keyed by the Blocking as a blockKey: at 10,000 experts a
// hold asks about ~3,000 blocked holders in ~50 distinct states (a
// shift's experts offline since the same moment), and the duration
// models' CDFs were a fifth of the simulator's shadowq arm. The answer
// for equal inputs is the same by the Predictor contract, so the hold is
// the same. The key holds the Blocking's instants as unix nanoseconds: two
// Blockings naming the same instants share an answer even when their
// time.Time values differ in location or monotonic reading, which a
// predictor that reads times as instants (as ModelPredictor does: Sub,
// After, IsZero) cannot tell apart.
//
// Holders come in expert order, and most of them are in the state of the
// one before (teams share shifts), so the last answer is tried first.
type probMemo struct {
	head    map[uint64]int32 // hash of (since, end) → first entry + 1
	entries []probEntry
	last    int32 // entry + 1 of the last answer given or stored; 0: none
}

type probEntry struct {
	k    blockKey
	p    float64
	next int32 // next entry with the same hash + 1; 0: none
}

func (m *probMemo) reset() {
	if m.head == nil {
		m.head = make(map[uint64]int32)
	}
	clear(m.head)
	m.entries = m.entries[:0]
	m.last = 0
}

func probHash(k *blockKey) uint64 {
	return uint64(k.since)*0x9E3779B97F4A7C15 ^ uint64(k.end)
}

// get returns the answer remembered for a key equal to k.
func (m *probMemo) get(k *blockKey) (float64, bool) {
	if m.last != 0 && m.entries[m.last-1].k == *k {
		return m.entries[m.last-1].p, true
	}
	for i := m.head[probHash(k)]; i != 0; i = m.entries[i-1].next {
		if en := &m.entries[i-1]; en.k == *k {
			m.last = i
			return en.p, true
		}
	}
	return 0, false
}

func (m *probMemo) put(k *blockKey, p float64) {
	h := probHash(k)
	m.entries = append(m.entries, probEntry{k: *k, p: p, next: m.head[h]})
	m.head[h] = int32(len(m.entries))
	m.last = m.head[h]
}
