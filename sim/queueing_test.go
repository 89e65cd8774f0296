package sim

import (
	"math"
	"testing"
)

func TestErlangFormulas(t *testing.T) {
	// Textbook M/M/10, λ=50/h, μ=6/h (a = 8.333 Erlang).
	pw, w, sl := ErlangC(10, 50, 6, 1.0/60)
	if math.Abs(pw-0.4876) > 5e-4 || math.Abs(w*3600-175.5) > 0.5 || math.Abs(sl-(1-0.4128)) > 5e-4 {
		t.Errorf("ErlangC = %.4f, %.1fs, %.4f", pw, w*3600, sl)
	}
	// With patience 5 min the chain gives the figures in scenarios/erlang-a.yaml.
	pw, pa, w, u := ErlangA(10, 50, 6, 12)
	if math.Abs(pw-0.2830) > 5e-4 || math.Abs(pa-0.0799) > 5e-4 || math.Abs(w*3600-23.96) > 0.1 || math.Abs(u-0.7668) > 5e-4 {
		t.Errorf("ErlangA = %.4f, %.4f, %.2fs, %.4f", pw, pa, w*3600, u)
	}
	// Without patience Erlang A tends to Erlang C.
	pwA, _, wA, _ := ErlangA(10, 50, 6, 1e-9)
	pwC, wC, _ := ErlangC(10, 50, 6, 0)
	if math.Abs(pwA-pwC) > 1e-4 || math.Abs(wA-wC) > 1e-4 {
		t.Errorf("ErlangA(θ→0) = %.4f/%.4f, ErlangC = %.4f/%.4f", pwA, wA, pwC, wC)
	}
	if pw, _, _ := ErlangC(2, 3, 1, 0); !math.IsNaN(pw) {
		t.Error("unstable queue not reported")
	}
}
