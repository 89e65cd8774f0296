package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// runTest implements `shadowq test SCENARIO_OR_DIR... [--junit FILE]`:
// every scenario is simulated and its expect: block checked. Exit 0 when
// all pass, 1 when an expectation or invariant fails, 2 on bad input.
func runTest(args []string, stdout, stderr io.Writer) int {
	c := newCLI("test", "shadowq test SCENARIO_OR_DIR... [--junit FILE] [--replications N]",
		"Simulate every scenario and check its expect: block. Exit 0 when all pass, 1 when an expectation or invariant fails, 2 on bad input.", 1, -1, stdout, stderr)
	junit := c.fs.String("junit", "", "write a JUnit XML report to FILE; unset: none")
	reps := c.fs.Int("replications", 0, "override every scenario's replications, at least 1; unset: each scenario's own")
	paths, code, ok := c.parse(args)
	if !ok {
		return code
	}
	if c.set("replications") && *reps < 1 {
		return c.fail("--replications %d: want at least 1", *reps)
	}
	files, err := scenarioFiles(paths)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq test: %v\n", err)
		return exitBadInput
	}
	code = exitOK
	worse := func(c int) {
		if c == exitBadInput || (c == exitFailed && code == exitOK) {
			code = c
		}
	}
	var suites []reports.Suite
	for _, file := range files {
		start := time.Now()
		sc, err := scenarios.Load(file)
		if err != nil {
			fmt.Fprintf(stdout, "ERROR %s\n%s\n", file, indent(err.Error()))
			suites = append(suites, reports.Suite{Name: file, File: file, Err: err})
			worse(exitBadInput)
			continue
		}
		exps, err := sim.Expectations(sc)
		if err != nil {
			fmt.Fprintf(stdout, "ERROR %s\n%s\n", file, indent(err.Error()))
			suites = append(suites, reports.Suite{Name: sc.Name, File: file, Err: err})
			worse(exitBadInput)
			continue
		}
		res, _, err := sim.Run(sc, sim.Options{Replications: *reps})
		if err != nil {
			fmt.Fprintf(stdout, "ERROR %s: %v\n", file, err)
			suites = append(suites, reports.Suite{Name: sc.Name, File: file, Err: err})
			worse(exitFailed)
			continue
		}
		res.Expectation = reports.EvaluateAll(exps, res)
		suite := reports.NewSuite(res)
		suite.File, suite.Time = file, time.Since(start)
		suites = append(suites, suite)
		failed := 0
		for _, c := range suite.Cases {
			if !c.Passed && !c.Skipped {
				failed++
			}
		}
		status := "PASS"
		if failed > 0 {
			status = "FAIL"
			worse(exitFailed)
		}
		fmt.Fprintf(stdout, "%s %s (%d checks, %d replications, %v)\n", status, file, len(suite.Cases), res.Replications, time.Since(start).Round(time.Millisecond))
		for _, c := range suite.Cases {
			if !c.Passed && !c.Skipped {
				fmt.Fprintf(stdout, "  FAIL %s\n%s\n", c.Name, indent(c.Message))
			}
		}
		for _, v := range res.Invariants.Violations {
			fmt.Fprintf(stdout, "  VIOLATION %s\n", v)
		}
		if c := res.WarmupCheck; c != nil && c.Warning != "" {
			fmt.Fprintf(stdout, "  WARNING %s\n", c.Warning)
		}
	}
	if *junit != "" {
		if err := writeFile(*junit, func(w io.Writer) error { return reports.WriteJUnit(w, suites) }); err != nil {
			fmt.Fprintf(stderr, "shadowq test: %v\n", err)
			worse(exitBadInput)
		}
	}
	return code
}

// scenarioFiles expands directories to their *.yaml/*.yml files, except
// routing policies (files named policy*.yaml), sorted.
func scenarioFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, "policy") || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
				continue
			}
			found = append(found, filepath.Join(p, n))
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no scenario files (*.yaml)", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
