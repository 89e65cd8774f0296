package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCLI(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"version"}, exitOK, "shadowq 0.1.0-dev", ""},
		{[]string{"help"}, exitOK, "policy", ""},
		{[]string{"help", "policy"}, exitOK, "usage: shadowq policy check", ""},
		{[]string{}, exitBadInput, "", "usage"},
		{[]string{"frobnicate"}, exitBadInput, "", `unknown command "frobnicate"`},
		{[]string{"policy", "check", "../../scenarios/policy.yaml"}, exitOK, "ok (5 presence rules", ""},
		{[]string{"policy", "check", "../../engine/testdata/bad-policy.yaml"}, exitBadInput, "", "bad-policy.yaml:7:9:"},
		{[]string{"policy", "check", "nope.yaml"}, exitBadInput, "", "no such file"},
		// an endless file is refused at the size cap, not read into memory
		{[]string{"policy", "check", "/dev/zero"}, exitBadInput, "", "/dev/zero: file too large: more than 4194304 bytes"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errb.String(), c.err) {
			t.Errorf("shadowq %v: code %d\nstdout: %s\nstderr: %s", c.args, code, out.String(), errb.String())
		}
	}
}
