package engine

import (
	"math/rand/v2"
	"testing"
)

// TestSameKeysIsKeyEquality checks sameKeys against its definition on
// random pairs of sources drawn from few values per field (so that most
// fields agree and the few that differ decide): two sources are in one
// state to a hold exactly when they give the same key for every priority.
func TestSameKeysIsKeyEquality(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	defs := []PresenceDefID{"", "a", "b"}
	draw := func() blockSrc {
		return blockSrc{
			def:       defs[rng.IntN(len(defs))],
			sys:       SystemPresence(rng.IntN(2)),
			presSince: int64(rng.IntN(2)),
			routSince: int64(rng.IntN(2)),
			blockEnd:  []int64{never, 1}[rng.IntN(2)],
			routing:   []RoutingStatus{RSIdle, RSInteracting, RSCommunicating}[rng.IntN(3)],
			onConv:    rng.IntN(2) == 0,
			ruleOK:    rng.IntN(4) > 0,
			action:    []RuleAction{Route, Interrupt, Never}[rng.IntN(3)],
			minPrio:   Priority(1 + rng.IntN(5)),
		}
	}
	same, differ := 0, 0
	for range 200_000 {
		a, b := draw(), draw()
		want := true
		for p := P1; p <= P5; p++ {
			want = want && a.key(p) == b.key(p)
		}
		if got := sameKeys(&a, &b); got != want {
			t.Fatalf("sameKeys(%+v, %+v) = %v, keys equal for every priority: %v", a, b, got, want)
		}
		if want {
			same++
		} else {
			differ++
		}
	}
	if same < 1000 || differ < 1000 {
		t.Fatalf("%d pairs the same, %d differing: want at least 1,000 of each", same, differ)
	}
	t.Logf("%d pairs the same, %d differing", same, differ)
}
