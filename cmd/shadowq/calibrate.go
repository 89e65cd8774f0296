package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shadowq/shadowq/calibrate"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/serve/live"
)

const calibrateSynopsis = "shadowq calibrate (--since 28d | --from DATE --to DATE) [--queue NAME...] [--users FILE] [--priorities P1=0.05,...] [--policy FILE] [--week] [--time-zone TZ] [--no-jobs] --out scenario.yaml"

// runCalibrate implements `shadowq calibrate`: read the org's history
// through the live adapter, fit, write a scenario and its report.
func runCalibrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.String("since", "", "whole UTC days before today to read, e.g. 28d")
	fromS := fs.String("from", "", "first day to read (YYYY-MM-DD, UTC)")
	toS := fs.String("to", "", "day after the last to read (YYYY-MM-DD, UTC)")
	var queues listFlag
	fs.Var(&queues, "queue", "queue to calibrate, by name or id (repeatable); default every conversation and user")
	users := fs.String("users", "", "file of user ids (one a line) to keep")
	prios := fs.String("priorities", "", "priority mix, e.g. P1=0.05,P2=0.15,P3=0.8 (conversation details carry none)")
	policy := fs.String("policy", "", "policy file the scenario names (default: the engine's default policy)")
	out := fs.String("out", "", "scenario file to write (calibration.md/.html go next to it)")
	name := fs.String("name", "", "scenario name")
	week := fs.Bool("week", false, "write a multi-day world (run.days = the days read, hours per day of week, arrivals byDay × byHour) instead of one shift")
	tz := fs.String("time-zone", "UTC", "time zone times of day are read in and the multi-day world runs in (IANA name)")
	noJobs := fs.Bool("no-jobs", false, "read conversation details with the synchronous query only (pages of 100), not the async jobs API")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\nreads GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET\n", calibrateSynopsis)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "shadowq calibrate: "+format+"\n", a...)
		return exitBadInput
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return bad("--out FILE is required")
	}
	from, to, err := calWindow(*since, *fromS, *toS, time.Now())
	if err != nil {
		return bad("%v", err)
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return bad("--time-zone %q: %v", *tz, err)
	}
	opt := calibrate.Options{Name: *name, Week: *week, Location: loc}
	if *prios != "" {
		if opt.Priorities, err = parseWeights(*prios); err != nil {
			return bad("--priorities: %v", err)
		}
	}
	if *policy != "" {
		abs, err := filepath.Abs(*policy)
		if err != nil {
			return bad("--policy: %v", err)
		}
		opt.Policy = abs
	}
	q := genesys.CalibrationQuery{From: from, To: to, Queues: queues, NoJobs: *noJobs}
	if *users != "" {
		b, err := os.ReadFile(*users)
		if err != nil {
			return bad("--users: %v", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				q.Users = append(q.Users, l)
			}
		}
	}
	// The output directory is made and tried before minutes of reading,
	// so an unwritable --out stops at once instead of losing what was read.
	if err := writableDir(filepath.Dir(*out)); err != nil {
		return bad("--out %s: %v", *out, err)
	}
	client, err := auditClient(live.EnvFromOS())
	if err != nil {
		return bad("%v", err)
	}
	t0 := time.Now()
	q.Progress = func(msg string) { fmt.Fprintf(stderr, "\r\033[K[%5.1fs] %s", time.Since(t0).Seconds(), msg) }
	ctx, stop := runContext()
	defer stop()
	data, err := client.CalibrationData(ctx, q)
	fmt.Fprintln(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq calibrate: reading history: %v\n", err)
		return exitFailed
	}
	read := time.Since(t0)
	m, err := calibrate.Calibrate(data, opt)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq calibrate: %v\n", err)
		return exitFailed
	}
	if _, err := m.Refine(4); err != nil {
		fmt.Fprintf(stderr, "shadowq calibrate: %v\n", err)
		return exitFailed
	}
	if err := writeCalibration(m, *out); err != nil {
		fmt.Fprintf(stderr, "shadowq calibrate: %v\n", err)
		return exitFailed
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "calibrated %d conversations and %d users over %s..%s in %s (reading %s): %s, calibration.md and calibration.html in %s\n",
		len(data.Conversations), len(data.Users), from.Format("2006-01-02"), to.Format("2006-01-02"),
		time.Since(t0).Round(time.Millisecond), read.Round(time.Millisecond), *out, filepath.Dir(*out))
	return exitOK
}

// writeCalibration writes the scenario, checks that it loads, and writes
// the report next to it.
// writableDir makes dir when missing and checks a file can be created in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".shadowq-calibrate-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

func writeCalibration(m *calibrate.Model, out string) error {
	if err := os.WriteFile(out, []byte(m.YAML()), 0o644); err != nil {
		return err
	}
	if _, err := scenarios.Load(out); err != nil {
		return fmt.Errorf("the calibrated scenario does not load (a bug; please report it with the file): %w", err)
	}
	return m.WriteReport(filepath.Dir(out))
}

// calWindow turns --since or --from/--to into whole UTC days.
func calWindow(since, from, to string, now time.Time) (time.Time, time.Time, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case since != "" && (from != "" || to != ""):
		return time.Time{}, time.Time{}, fmt.Errorf("give --since or --from/--to, not both")
	case since != "":
		n, err := parseDays(since)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--since %q: %v", since, err)
		}
		return today.AddDate(0, 0, -n), today, nil
	case from != "" && to != "":
		a, err1 := time.Parse("2006-01-02", from)
		b, err2 := time.Parse("2006-01-02", to)
		if err1 != nil || err2 != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--from/--to: dates must look like 2026-11-02")
		}
		if !b.After(a) {
			return time.Time{}, time.Time{}, fmt.Errorf("--to %s is not after --from %s: the interval is empty", to, from)
		}
		return a, b, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("give --since 28d, or --from and --to")
}

func parseWeights(v string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || f < 0 {
			return nil, fmt.Errorf("%q is not NAME=WEIGHT", kv)
		}
		out[strings.TrimSpace(k)] = f
	}
	return out, nil
}
