package engine_test

import (
	"testing"

	"github.com/shadowq/shadowq/engine"
)

// TestBucketSummaryAgreesWithScan checks that a time bucket's summary of
// non-zero words leads a decision to exactly the words a scan of the
// bucket finds, in order, from any starting word, for groups of one to
// several summary words.
func TestBucketSummaryAgreesWithScan(t *testing.T) {
	for seed, words := range []int{1, 63, 64, 65, 150, 300} {
		if d := engine.BucketDiff(uint64(seed), words); d != "" {
			t.Fatalf("%d words: %s", words, d)
		}
	}
}
