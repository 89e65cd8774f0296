package engine

// probMemo is the set of states a hold decision (planHold) has asked the
// predictor about, keyed by the Blocking as a blockKey: at 10,000 experts
// a hold meets ~220 runs of holders in ~50 distinct states (a shift's
// experts offline since the same moment), and the duration models' CDFs
// were a fifth of the simulator's shadowq arm. A holder in a state asked
// about already cannot win the hold (same p by the Predictor contract,
// higher expert index), so the set keeps no answers. The key holds the
// Blocking's instants as unix nanoseconds: two Blockings naming the same
// instants count as one state even when their time.Time values differ in
// location or monotonic reading, which a predictor that reads times as
// instants (as ModelPredictor does: Sub, After, IsZero) cannot tell apart.
//
// It is a small open-addressing table, cleared per hold: a look-up is a
// multiply and one or two compares, where a Go map of the hashes cost a
// hash call and a probe of its own per run.
type probMemo struct {
	slots []int32 // index into keys + 1; 0: empty. len is a power of two.
	keys  []blockKey
}

func (m *probMemo) reset() {
	if m.slots == nil {
		m.slots = make([]int32, 256)
	}
	clear(m.slots)
	m.keys = m.keys[:0]
}

func (k *blockKey) hash() uint64 {
	h := uint64(k.since)*0x9E3779B97F4A7C15 ^ uint64(k.end)*0xC2B2AE3D27D4EB4F
	return h ^ h>>29
}

// add puts k in the set and reports whether it was there already.
func (m *probMemo) add(k *blockKey) bool {
	mask := uint64(len(m.slots) - 1)
	i := k.hash() & mask
	for ; m.slots[i] != 0; i = (i + 1) & mask {
		if m.keys[m.slots[i]-1] == *k {
			return true
		}
	}
	m.keys = append(m.keys, *k)
	m.slots[i] = int32(len(m.keys))
	if 2*len(m.keys) > len(m.slots) { // keep it at most half full
		m.grow()
	}
	return false
}

func (m *probMemo) grow() {
	m.slots = make([]int32, 2*len(m.slots))
	mask := uint64(len(m.slots) - 1)
	for j := range m.keys {
		i := m.keys[j].hash() & mask
		for m.slots[i] != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = int32(j + 1)
	}
}
