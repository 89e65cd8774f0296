package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shadowq/shadowq/engine"
)

// TestRememberKeepsTheLastEndings checks the ring of recent endings
// (idempotent Submit) against the slice it replaced, for small and large
// bounds and conversations that end more than once.
func TestRememberKeepsTheLastEndings(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for _, keep := range []int{1, 2, 3, 7, 64} {
		for _, ids := range []int{2, 10, 1000} {
			convs := make([]string, 500)
			for i := range convs {
				convs[i] = fmt.Sprint("c", rng.IntN(ids))
			}
			if d := engine.RememberDiff(keep, convs); d != "" {
				t.Fatalf("keep %d, %d ids: %s", keep, ids, d)
			}
		}
	}
}
