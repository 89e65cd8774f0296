package main

import (
	"strings"
	"testing"
)

// shadowq chaos end to end: one short run without faults (the null run)
// prints its plan, a clean verdict and the totals, exit 0; bad flags are
// exit 2 with one line.
func TestChaosCommand(t *testing.T) {
	code, out, errs := runCLI(t, "chaos", "--seed", "11", "--duration", "1s", "--replicas", "1", "--faults", "none", "--plan")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"seed 11, 1s, 1 replicas", "seed 11: ", "0 violations", "runs 1, escalations ", ", faults 0, violations 0", "  redis-kill       0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, c := range []struct{ args, want string }{
		{"--seeds 0", "--seeds 0: want at least 1"},
		{"--replicas 0", "--replicas 0: want at least 1"},
		{"--duration 0s", "--duration 0s: want a duration above 0"},
		{"--faults nope", `--faults: unknown kind "nope"`},
		{"extra", `unexpected argument "extra"`},
	} {
		code, out, errs := runCLI(t, append([]string{"chaos"}, strings.Fields(c.args)...)...)
		if code != exitBadInput || out != "" || !strings.HasPrefix(errs, "shadowq chaos: "+c.want) {
			t.Errorf("chaos %s: exit %d, stderr %q; want exit 2 saying %q", c.args, code, errs, c.want)
		}
	}
}
