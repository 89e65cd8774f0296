package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/shadowq/shadowq/reports"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

const simSynopsis = "shadowq sim SCENARIO.yaml [--seed N] [--replications N] [--out DIR] [--format table|json|csv] [--records jsonl|csv|none] [--sl DURATION] [--workers N] [--sweep KEY=V1,V2,...]"

// simFlags are the parsed flags of `shadowq sim`.
type simFlags struct {
	seed                 uint64
	seedSet              bool
	reps, workers        int
	out, format, records string
	sl                   time.Duration
	sweeps               listFlag
}

// parseSim parses and range-checks the command line; ok false means exit
// with code.
func parseSim(args []string, stdout, stderr io.Writer) (file string, f simFlags, code int, ok bool) {
	c := newCLI("sim", simSynopsis, "Simulate a scenario: shadowq against every baseline ACD on common random numbers, with 95% confidence intervals.\n"+
		"Writes results.json, records, report.html and report.md into --out. Exit 0 when every expectation holds,\n"+
		"1 when one fails (or an invariant is violated), 2 on bad input (checked before anything runs).", 1, 1, stdout, stderr)
	fs := c.fs
	fs.Uint64Var(&f.seed, "seed", 0, "random seed, 0 included; unset: the scenario's seed")
	fs.IntVar(&f.reps, "replications", 0, "replications, at least 1; unset: the scenario's, else 30")
	fs.StringVar(&f.out, "out", "", "directory for results.json, records, report.html and report.md; unset: out/<scenario file name>")
	fs.StringVar(&f.format, "format", "table", "stdout format: table, json or csv")
	fs.StringVar(&f.records, "records", "jsonl", "per-escalation records file: jsonl, csv or none")
	fs.DurationVar(&f.sl, "sl", time.Minute, "T of the service level within T, above 0")
	fs.Var(&f.sweeps, "sweep", "vary a scenario setting over values, KEY=V1,V2,... (repeat for a grid; replaces the scenario's sweep:); keys: "+strings.Join(scenarios.SweepKeys, ", "))
	fs.IntVar(&f.workers, "workers", 0, "parallel replications, at least 1; unset: all cores (output does not depend on it)")
	pos, code, ok := c.parse(args)
	if !ok {
		return "", f, code, false
	}
	f.seedSet = c.set("seed")
	switch {
	case c.set("replications") && f.reps < 1:
		return "", f, c.fail("--replications %d: want at least 1", f.reps), false
	case f.sl <= 0:
		return "", f, c.fail("--sl %v: want a duration above 0, e.g. 60s", f.sl), false
	case c.set("workers") && f.workers < 1:
		return "", f, c.fail("--workers %d: want at least 1", f.workers), false
	case f.format != "table" && f.format != "json" && f.format != "csv":
		return "", f, c.fail("--format %q: want table, json or csv", f.format), false
	case f.records != "none":
		if _, err := reports.ParseFormat(f.records); err != nil {
			return "", f, c.fail("--records %q: want jsonl, csv or none", f.records), false
		}
	}
	return pos[0], f, exitOK, true
}

// runSim implements `shadowq sim SCENARIO.yaml [flags]`. Everything the
// user typed is checked (flags, scenario, expectation names, sweep keys)
// before anything runs or any file is written.
func runSim(args []string, stdout, stderr io.Writer) int {
	file, f, code, ok := parseSim(args, stdout, stderr)
	if !ok {
		return code
	}
	sc, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	exps, err := sim.Expectations(sc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	sweeps := sc.Sweep
	if len(f.sweeps) > 0 {
		sweeps = nil
		for _, a := range f.sweeps {
			sw, err := sc.ParseSweep(a)
			if err != nil {
				fmt.Fprintf(stderr, "shadowq sim: --sweep: %v\n", err)
				return exitBadInput
			}
			sweeps = append(sweeps, sw)
		}
		if err := scenarios.CheckGrid(sweeps); err != nil {
			fmt.Fprintf(stderr, "shadowq sim: --sweep: %v\n", err)
			return exitBadInput
		}
	}
	dir := f.out
	if dir == "" {
		dir = filepath.Join("out", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	opt := sim.Options{Replications: f.reps, Workers: f.workers, ServiceLevel: f.sl, Progress: progress(stderr)}
	if f.seedSet { // --seed 0 is a seed like any other
		opt.Seed = &f.seed
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitBadInput
	}
	// Records go to a temporary file renamed into place only when the run
	// succeeds, so a failed run never replaces the last good one.
	var rw *reports.RecordWriter
	recName, recTmp := "", ""
	if f.records != "none" {
		rf, _ := reports.ParseFormat(f.records)
		recName = filepath.Join(dir, "records."+string(rf))
		tmp, err := os.CreateTemp(dir, ".records-*")
		if err != nil {
			fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
			return exitBadInput
		}
		recTmp = tmp.Name()
		if err := tmp.Chmod(0o644); err != nil {
			fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
			return exitBadInput
		}
		defer os.Remove(recTmp) // a no-op once renamed
		defer tmp.Close()
		rw = reports.NewRecordWriter(tmp, rf)
		opt.Records = rw.Write
	}
	t0 := time.Now()
	res, st, err := sim.Run(sc, opt)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	if rw != nil {
		if err := rw.Flush(); err != nil {
			fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
			return exitFailed
		}
		if err := os.Rename(recTmp, recName); err != nil {
			fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
			return exitFailed
		}
	}
	res.Expectation = reports.EvaluateAll(exps, res)
	if len(sweeps) > 0 {
		sw, sst, err := sim.Sweep(sc, sweeps, opt)
		if err != nil {
			fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
			return exitFailed
		}
		res.Sweep = sw
		st.Events += sst.Events
	}
	st.WallTime = time.Since(t0)
	if err := writeArtifacts(dir, res); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	if err := render(stdout, f.format, res); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	wrote := "results.json,report.html,report.md"
	if recName != "" {
		wrote += "," + filepath.Base(recName)
	}
	fmt.Fprintf(stderr, "shadowq sim: %s, seed %d, %d replications × %d policies: %d events in %v (%.2fM events/s); wrote %s/{%s}\n",
		sc.Name, res.Seed, res.Replications, len(res.Policies), st.Events, st.WallTime.Round(time.Millisecond),
		float64(st.Events)/st.WallTime.Seconds()/1e6, dir, wrote)
	if c := res.WarmupCheck; c != nil && c.Warning != "" {
		fmt.Fprintf(stderr, "shadowq sim: WARNING: %s\n", c.Warning)
	}
	return verdictCode(res, stderr)
}

// verdictCode is exitFailed when an invariant was violated or an
// expectation failed (like k6 thresholds), else exitOK; it says which on
// stderr.
func verdictCode(res *reports.Results, stderr io.Writer) int {
	code := exitOK
	n := len(res.Invariants.Violations)
	if res.Sweep != nil {
		for _, p := range res.Sweep.Points {
			n += p.Violations
		}
	}
	if n > 0 {
		fmt.Fprintf(stderr, "shadowq sim: %d INVARIANT VIOLATIONS (replay with --seed %d)\n", n, res.Seed)
		code = exitFailed
	}
	failed := 0
	for _, e := range res.Expectation {
		if !e.Passed {
			failed++
			fmt.Fprintf(stderr, "shadowq sim: expectation failed: %s: %s\n    %s\n", e.Pos, e.Text, e.Detail)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "shadowq sim: %d of %d expectations failed (exit 1)\n", failed, len(res.Expectation))
		code = exitFailed
	}
	return code
}

func writeArtifacts(dir string, res *reports.Results) error {
	files := []struct {
		name  string
		write func(io.Writer, *reports.Results) error
	}{
		{"results.json", reports.WriteJSON},
		{"report.html", reports.WriteHTML},
		{"report.md", reports.WriteMarkdown},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), func(w io.Writer) error { return f.write(w, res) }); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	return f.Close()
}

func render(w io.Writer, format string, res *reports.Results) error {
	switch format {
	case "json":
		return reports.WriteJSON(w, res)
	case "csv":
		return reports.WriteCSV(w, res)
	case "md":
		return reports.WriteMarkdown(w, res)
	case "html":
		return reports.WriteHTML(w, res)
	case "table":
		return reports.WriteTables(w, res)
	}
	return errors.New("unknown format " + format)
}

// progress shows a bar on stderr once a run has taken more than two
// seconds, and only when stderr is a terminal.
func progress(stderr io.Writer) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	start := time.Now()
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			if time.Since(start) < 2*time.Second {
				return
			}
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("replications"),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
	}
}
