package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// The README's main job, end to end: tables on stdout, artifacts on disk,
// and the same bytes for the same seed.
func TestSimWritesArtifactsReproducibly(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		code, out, errs := runCLI(t, "sim", "../../scenarios/tier3-meetings.yaml", "--replications", "4", "--out", d)
		// 4 replications may fail an expectation (exit 1); artifacts are
		// written either way.
		if code != exitOK && code != exitFailed {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		for _, want := range []string{"delta shadowq−today", "delta shadowq−available-on-queue", "latency.p95", "Invariants: PASS"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		for _, f := range []string{"results.json", "records.jsonl", "report.html", "report.md"} {
			if fi, err := os.Stat(filepath.Join(d, f)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	a, _ := os.ReadFile(filepath.Join(dirs[0], "results.json"))
	b, _ := os.ReadFile(filepath.Join(dirs[1], "results.json"))
	if !bytes.Equal(a, b) {
		t.Error("results.json differs between two runs with the same seed")
	}
	ra, _ := os.ReadFile(filepath.Join(dirs[0], "records.jsonl"))
	rb, _ := os.ReadFile(filepath.Join(dirs[1], "records.jsonl"))
	if !bytes.Equal(ra, rb) || bytes.Count(ra, []byte("\n")) < 100 {
		t.Errorf("records.jsonl: %d and %d bytes, equal=%v", len(ra), len(rb), bytes.Equal(ra, rb))
	}
	// shadowq report re-renders the saved run.
	code, out, errs := runCLI(t, "report", filepath.Join(dirs[0], "results.json"), "--format", "csv")
	if code != exitOK || !strings.Contains(out, "latency.p95") {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestSimBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nrun: {horizon: -1h}\ncolour: red\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sim"}, "usage: shadowq sim"},
		{[]string{"sim", "nope.yaml"}, "nope.yaml"},
		{[]string{"sim", bad}, "bad.yaml:3:1: unknown field \"colour\""},
		{[]string{"sim", "../../scenarios/erlang-c.yaml", "--format", "xml"}, "--format \"xml\""},
		{[]string{"report", filepath.Join(dir, "missing.json")}, "missing.json"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(errs, c.want) {
			t.Errorf("shadowq %v: exit %d, stderr %q; want exit 2 mentioning %q", c.args, code, errs, c.want)
		}
	}
}

// shadowq test: 0 when every expectation holds, 1 when one fails, 2 on bad
// input; JUnit XML either way.
func TestTestCommandExitCodes(t *testing.T) {
	dir := t.TempDir()
	scenario, err := os.ReadFile("../../scenarios/erlang-c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := os.ReadFile("../../scenarios/policy.yaml")
	os.WriteFile(filepath.Join(dir, "policy.yaml"), policy, 0o644)
	write := func(name, expect string) string {
		s := string(scenario)
		s = s[:strings.Index(s, "\nexpect:")] + "\nexpect:\n  - " + expect + "\n"
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	pass := write("pass.yaml", "baseline.utilization > 0.5")
	fail := write("fail.yaml", "baseline.utilization > 0.99")
	typo := write("typo.yaml", "baseline.utilisation > 0.5")
	junit := filepath.Join(dir, "junit.xml")
	for _, c := range []struct {
		files []string
		code  int
	}{
		{[]string{pass}, exitOK},
		{[]string{pass, fail}, exitFailed},
		{[]string{typo}, exitBadInput},
	} {
		args := append([]string{"test", "--replications", "3", "--junit", junit}, c.files...)
		code, out, errs := runCLI(t, args...)
		if code != c.code {
			t.Errorf("shadowq %v: exit %d, want %d\n%s\n%s", args, code, c.code, out, errs)
		}
		data, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		}
		if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests == 0 {
			t.Errorf("junit: %v %+v", err, suites)
		}
		if c.code == exitFailed && suites.Failures == 0 {
			t.Errorf("junit records no failure for a failing run")
		}
	}
}

// --seed 0 is a seed like any other, not "unset": it replaces the
// scenario's seed (7) in the results and changes them.
func TestSimSeedZero(t *testing.T) {
	read := func(args ...string) string {
		d := t.TempDir()
		args = append([]string{"sim", "../../scenarios/erlang-c.yaml", "--replications", "2", "--format", "json", "--out", d}, args...)
		code, out, errs := runCLI(t, args...)
		if code == exitBadInput { // 2 replications may fail an expectation: exit 1
			t.Fatalf("exit %d\n%s", code, errs)
		}
		return out
	}
	zero, def := read("--seed", "0"), read()
	if !strings.Contains(zero, `"seed": 0,`) {
		t.Errorf("--seed 0 not recorded as seed 0")
	}
	if zero == def {
		t.Error("--seed 0 gave the scenario seed's results")
	}
}
