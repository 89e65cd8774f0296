package main

import (
	"errors"
	"flag"
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

// runSim implements `shadowq sim SCENARIO.yaml [flags]`.
func runSim(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "random seed, 0 included (default: the scenario's)")
	reps := fs.Int("replications", 0, "replications (default: the scenario's, else 30)")
	out := fs.String("out", "", "directory for results.json, records, report.html and report.md (default out/<scenario>)")
	format := fs.String("format", "table", "stdout format: table, json or csv")
	recFormat := fs.String("records", "jsonl", "per-escalation records format: jsonl or csv")
	sl := fs.Duration("sl", time.Minute, "T of the service level within T")
	workers := fs.Int("workers", 0, "parallel replications (default: all cores; output does not depend on it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq sim SCENARIO.yaml [--seed N] [--replications N] [--out DIR] [--format table|json|csv]")
		fs.PrintDefaults()
	}
	file, ok := parseFileArgs(fs, args)
	if !ok {
		return exitBadInput
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "shadowq sim: --format %q: want table, json or csv\n", *format)
		return exitBadInput
	}
	rf, err := reports.ParseFormat(*recFormat)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq sim: --records: %v\n", err)
		return exitBadInput
	}
	sc, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitBadInput
	}
	recName := filepath.Join(dir, "records."+string(rf))
	recFile, err := os.Create(recName)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitBadInput
	}
	defer recFile.Close()
	rw := reports.NewRecordWriter(recFile, rf)

	opt := sim.Options{Replications: *reps, Workers: *workers, ServiceLevel: *sl, Records: rw.Write, Progress: progress(stderr)}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" { // --seed 0 is a seed like any other
			opt.Seed = seed
		}
	})
	res, st, err := sim.Run(sc, opt)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	if err := rw.Flush(); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	evaluate(sc, res)
	if err := writeArtifacts(dir, res); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	if err := render(stdout, *format, res); err != nil {
		fmt.Fprintf(stderr, "shadowq sim: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "shadowq sim: %s, seed %d, %d replications × %d policies: %d events in %v (%.2fM events/s); wrote %s/{results.json,%s,report.html,report.md}\n",
		sc.Name, res.Seed, res.Replications, len(res.Policies), st.Events, st.WallTime.Round(time.Millisecond),
		float64(st.Events)/st.WallTime.Seconds()/1e6, dir, filepath.Base(recName))
	if c := res.WarmupCheck; c != nil && c.Warning != "" {
		fmt.Fprintf(stderr, "shadowq sim: WARNING: %s\n", c.Warning)
	}
	if len(res.Invariants.Violations) > 0 {
		fmt.Fprintf(stderr, "shadowq sim: %d INVARIANT VIOLATIONS (replay with --seed %d)\n", len(res.Invariants.Violations), res.Seed)
		return exitFailed
	}
	return exitOK
}

// parseFileArgs parses a command's flags and its one FILE argument, which
// may come before or after the flags. It prints the usage and reports
// false when the flags are bad or the file is missing.
func parseFileArgs(fs *flag.FlagSet, args []string) (string, bool) {
	file := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		fs.Usage()
		return "", false
	}
	return file, true
}

// evaluate fills in the scenario's expectations.
func evaluate(sc *scenarios.Scenario, res *reports.Results) []error {
	var bad []error
	res.Expectation = nil
	for _, x := range sc.Expect {
		e, err := reports.ParseExpectation(x.Text, x.Pos)
		if err != nil {
			bad = append(bad, err)
			res.Expectation = append(res.Expectation, reports.ExpectResult{Text: x.Text, Pos: x.Pos.String(), Detail: err.Error()})
			continue
		}
		res.Expectation = append(res.Expectation, e.Evaluate(res))
	}
	return bad
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
