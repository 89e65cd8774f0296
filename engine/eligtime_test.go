package engine_test

import (
	"testing"

	"github.com/shadowq/shadowq/engine"
)

// TestSparseSetAgreesWithScan checks that a sparse set's summary of
// non-zero words leads a decision to exactly the words a scan of the set
// finds, in order, from any starting word, for sets of one to several
// summary words, and that it counts its members.
func TestSparseSetAgreesWithScan(t *testing.T) {
	for seed, words := range []int{1, 63, 64, 65, 150, 300} {
		if d := engine.SparseSetDiff(uint64(seed), words); d != "" {
			t.Fatalf("%d words: %s", words, d)
		}
	}
}

// TestLtListAgreesWithSortedSlice checks the time index's ordered lists
// against a sorted slice through inserts (most at the back, many tied),
// deletes, deletes of what is not there and pops of the oldest: small
// lists of few values (ties everywhere) and lists of thousands (many
// chunks split and emptied).
func TestLtListAgreesWithSortedSlice(t *testing.T) {
	for _, c := range []struct {
		seed        uint64
		steps, span int
	}{
		{1, 2000, 3},        // every entry ties with many
		{2, 3000, 50},       // a few chunks
		{3, 20000, 1 << 20}, // thousands of entries, many chunks
	} {
		if d := engine.LtListDiff(c.seed, c.steps, c.span); d != "" {
			t.Fatalf("seed %d: %s", c.seed, d)
		}
	}
}
