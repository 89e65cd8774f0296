package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Nothing the user types is ignored: bad flags, extra arguments and values
// out of range are exit 2 with a one-line reason naming them, before any
// file is written; --help is exit 0 on stdout with every flag.
func TestCLINeverIgnores(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "never")
	sc := "../../scenarios/aa.yaml"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", sc, "extra.yaml", "--out", out}, `unexpected argument "extra.yaml"`},
		{[]string{"sim", sc, "--replications", "0", "--out", out}, "--replications 0: want at least 1"},
		{[]string{"sim", sc, "--replications", "-3", "--out", out}, "--replications -3: want at least 1"},
		{[]string{"sim", sc, "-3", "--out", out}, "flag provided but not defined: -3"},
		{[]string{"sim", sc, "--sl", "-5s", "--out", out}, "--sl -5s: want a duration above 0"},
		{[]string{"sim", sc, "--workers", "-1", "--out", out}, "--workers -1: want at least 1"},
		{[]string{"sim", sc, "--workers", "0", "--out", out}, "--workers 0: want at least 1"},
		{[]string{"sim", sc, "--records", "xml", "--out", out}, `--records "xml": want jsonl, csv or none`},
		{[]string{"sim", sc, "--seed", "-1", "--out", out}, `invalid value "-1" for flag -seed`},
		{[]string{"sim", "--out", out}, "missing SCENARIO.yaml"},
		{[]string{"report", "x.json", "--format", "pdf"}, `--format "pdf": want one of table, json, csv, md, html`},
		{[]string{"report", "x.json", "y.json"}, `unexpected argument "y.json"`},
		{[]string{"test", sc, "--replications", "0"}, "--replications 0: want at least 1"},
		{[]string{"policy", "lint", "x.yaml"}, `unknown subcommand "lint"`},
		{[]string{"policy"}, "missing check"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("shadowq %v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, stderr, c.want)
		}
		if !strings.HasPrefix(stderr, "shadowq "+c.args[0]+": ") {
			t.Errorf("shadowq %v: the reason does not come first: %q", c.args, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a rejected command line created its output directory")
	}
}

func TestCLIHelp(t *testing.T) {
	for _, c := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"sim", "--help"}, []string{"--seed", "--replications", "--out", "--format", "--records", "--sl", "--workers", "(default 1m0s)", "jsonl, csv or none"}},
		{[]string{"sim", "-h"}, []string{"--workers"}},
		{[]string{"help", "sim"}, []string{"--records", "--sl", "--workers"}},
		{[]string{"test", "--help"}, []string{"--junit", "--replications"}},
		{[]string{"report", "--help"}, []string{"table, json, csv, md, html", "--out"}},
		{[]string{"policy", "check", "--help"}, []string{"usage: shadowq policy check FILE..."}},
		{[]string{"--version"}, []string{"shadowq 0.1.0-dev"}},
		// Commands whose flag sets answer --help themselves: on stdout, exit 0.
		{[]string{"fake", "--help"}, []string{"usage: shadowq fake", "-addr"}},
		{[]string{"serve", "-h"}, []string{"usage: shadowq serve", "-config"}},
		{[]string{"help", "serve"}, []string{"usage: shadowq serve"}},
		{[]string{"chaos", "--help"}, []string{"shadowq chaos"}},
		{[]string{"help", "version"}, []string{"usage: shadowq version"}},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != exitOK || stderr != "" {
			t.Errorf("shadowq %v: exit %d, stderr %q", c.args, code, stderr)
		}
		for _, f := range c.flags {
			if !strings.Contains(stdout, f) {
				t.Errorf("shadowq %v: help lacks %q:\n%s", c.args, f, stdout)
			}
		}
	}
}

// Flags after the file are honoured (they once were silently dropped and
// the main results overwritten), and --records none writes no records.
func TestSimFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "sim", "--seed", "3", "../../scenarios/aa.yaml", "--replications", "2", "--records", "none", "--out", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"seed": 3,`) || !strings.Contains(string(data), `"replications": 2,`) {
		t.Errorf("flags after the file were ignored: %.200s", data)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "records") || strings.HasPrefix(e.Name(), ".records") {
			t.Errorf("--records none left %s", e.Name())
		}
	}
}

// writeScenario copies erlang-c.yaml (and its policy) into a temporary
// directory with the given expect: lines.
func writeScenario(t *testing.T, expect ...string) string {
	t.Helper()
	dir := t.TempDir()
	scenario, err := os.ReadFile("../../scenarios/erlang-c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := os.ReadFile("../../scenarios/policy.yaml")
	os.WriteFile(filepath.Join(dir, "policy.yaml"), policy, 0o644)
	s := string(scenario)
	s = s[:strings.Index(s, "\nexpect:")] + "\nexpect:\n  - " + strings.Join(expect, "\n  - ") + "\n"
	p := filepath.Join(dir, "s.yaml")
	os.WriteFile(p, []byte(s), 0o644)
	return p
}

// sim gates like k6 thresholds: exit 1 when an expectation fails, and a
// misspelt name is exit 2 with file:line:column before anything runs or
// is written.
func TestSimExpectationsGate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	pass := writeScenario(t, "baseline.utilization > 0.5", "rel.utilization > -50%", "latency.p95[P3] < 2h")
	code, _, stderr := runCLI(t, "sim", pass, "--replications", "3", "--out", out)
	if code != exitOK {
		t.Fatalf("passing expectations: exit %d\n%s", code, stderr)
	}
	fail := writeScenario(t, "baseline.utilization > 0.5", "baseline.utilization > 0.99")
	code, _, stderr = runCLI(t, "sim", fail, "--replications", "3", "--out", out)
	if code != exitFailed || !strings.Contains(stderr, "expectation failed: "+fail+":") || !strings.Contains(stderr, "1 of 2 expectations failed") {
		t.Errorf("failing expectation: exit %d\n%s", code, stderr)
	}
	for _, c := range []struct{ expect, want string }{
		{"delta.utilisation > 0", `s.yaml:`},
		{"delta.utilisation > 0", `unknown metric "utilisation"`},
		{"rel[todya].utilization >= 20%", `no baseline named "todya"`},
		{"delta[baseline].latency.p95[P1] < 0", `no P1 escalations in this scenario`},
		{"latency.p95[P9] < 1m", `unknown priority "P9"`},
		{"holds[P1] < 3", `holds has no per-priority value`},
		{"basline.utilization > 0.5", `no policy named "basline"`},
		{"delta.net_value_per_day > 0", `needs an economics: block`},
	} {
		dir := filepath.Join(t.TempDir(), "never")
		code, _, stderr := runCLI(t, "sim", writeScenario(t, c.expect), "--out", dir)
		if code != exitBadInput || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "events in") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 before running, saying %q", c.expect, code, stderr, c.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: bad input created the output directory", c.expect)
		}
	}
}

// --sweep: checked before running (exit 2), flags after it honoured, and
// results.json carries every point, re-rendered by shadowq report.
func TestSimSweep(t *testing.T) {
	never := filepath.Join(t.TempDir(), "never")
	for _, c := range []struct{ arg, want string }{
		{"experts[platfrom].count=4,8", `no expert group "platfrom" (groups: dba, platform, sap)`},
		{"experts[platform].count", "write KEY=V1,V2,..."},
		{"experts[platform].count=4,0", "want a whole number of experts"},
		{"colour=1", "unknown key; sweepable keys"},
	} {
		code, _, stderr := runCLI(t, "sim", "../../scenarios/tier3-meetings.yaml", "--sweep", c.arg, "--out", never)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("--sweep %s: exit %d, %q; want 2 saying %q", c.arg, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(never); err == nil {
		t.Error("a rejected sweep created the output directory")
	}
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "sim", "../../scenarios/tier3-meetings.yaml", "--sweep", "experts[platform].count=8,16", "--replications", "3", "--records", "none", "--out", dir)
	if code == exitBadInput {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"Sweep: 2 points over experts[platform].count", "Break-even", "Staffing (experts[platform].count needed"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q", w)
		}
	}
	code, md, stderr := runCLI(t, "report", filepath.Join(dir, "results.json"), "--format", "md")
	if code != exitOK || !strings.Contains(md, "## Sweep") || !strings.Contains(md, "### Staffing") {
		t.Errorf("report of a sweep: exit %d %s\n%.300s", code, stderr, md)
	}
}
