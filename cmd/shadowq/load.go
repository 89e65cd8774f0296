package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/shadowq/shadowq/load"
)

const loadSynopsis = "shadowq load [--experts N] [--events-per-second R] [--escalations-per-second E] [--duration D] [--replicas K] [--oauth-clients C] [--faults NAME=V,...] [--target URL[,URL...] --fake-admin URL [--warmup D]] [--format table|json] [--out DIR]"

// runLoad implements `shadowq load`: the fake Genesys Cloud and serve
// replicas in-process under a fixed presence and escalation rate.
func runLoad(args []string, stdout, stderr io.Writer) int {
	c := newCLI("load", loadSynopsis,
		"Load test: the fake Genesys Cloud with N experts and K serve replicas in-process on loopback (Redis from REDIS_URL, else embedded), presence changes over the Notification API and escalations through the Data Action API at fixed rates. Reports time to ready, ingest rate, staleness, decision latency, and routed vs delivered from the fake's own delivery log. With --target and --fake-admin it drives a deployment started separately instead (serve replicas configured against `shadowq fake --experts N --serve-config FILE`; tokens from SHADOWQ_API_TOKEN and SHADOWQ_FAKE_ADMIN_TOKEN). Exit 1 when a --max-* threshold is exceeded.",
		0, 0, stdout, stderr)
	var o load.Options
	c.fs.IntVar(&o.Experts, "experts", 1000, "experts (users in the fake's queue)")
	c.fs.Float64Var(&o.EventsPerSecond, "events-per-second", 5000, "presence changes a second at the fake")
	c.fs.Float64Var(&o.EscalationsPerSecond, "escalations-per-second", 20, "escalations a second through the Data Action API")
	c.fs.DurationVar(&o.Duration, "duration", 30*time.Second, "measured phase, after every replica is ready")
	c.fs.IntVar(&o.Replicas, "replicas", 1, "serve replicas in-process")
	c.fs.IntVar(&o.OAuthClients, "oauth-clients", 1, "OAuth clients per replica (each adds 300 requests a minute)")
	c.fs.Uint64Var(&o.Seed, "seed", 1, "the fake's seed")
	c.fs.DurationVar(&o.ResyncInterval, "resync-interval", time.Minute, "the replicas' periodic full resync (serve's resync.interval)")
	faults := c.fs.String("faults", "", "the fake's fault knobs: rateLimitShare=0.05,serverErrorShare=0.01,latency=20ms,latencyJitter=D,assignDelay=D,requestsPerMinute=300,noTokenRateLimit (the per-token limit is on by default)")
	format := c.fs.String("format", "table", "table or json")
	out := c.fs.String("out", "", "also write result.json and load.html (time series plots) to this directory")
	var th load.Thresholds
	c.fs.DurationVar(&th.MaxStalenessP99, "max-staleness-p99", 0, "exit 1 when the staleness p99 is above this")
	c.fs.DurationVar(&th.MaxDecisionP99, "max-decision-p99", 0, "exit 1 when the decision p99 is above this")
	c.fs.DurationVar(&th.MaxReady, "max-ready", 0, "exit 1 when ready later than this")
	c.fs.IntVar(&th.MaxLost, "max-lost", -1, "exit 1 when more escalations than this were answered routed and never delivered (-1: not checked)")
	target := c.fs.String("target", "", "drive these running serve replicas (comma-separated base URLs) instead of starting any; needs --fake-admin")
	warmup := c.fs.Duration("warmup", 0, "with --target: generate presence changes this long before the measured phase (start-up work such as presence history reads is then not measured)")
	fakeAdmin := c.fs.String("fake-admin", "", "with --target: the running fake's base URL (its /_fake/ admin API)")
	adminToken := c.fs.String("admin-token", os.Getenv("SHADOWQ_FAKE_ADMIN_TOKEN"), "with --target: the fake's admin token (default $SHADOWQ_FAKE_ADMIN_TOKEN)")
	verbose := c.fs.Bool("v", false, "print the replicas' logs to stderr")
	cpuProfile := c.fs.String("cpuprofile", "", "write a CPU profile of the whole run (fake, replicas and load generators: one process) to this file")
	if _, code, ok := c.parse(args); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		return c.fail("--format %q: want table or json", *format)
	}
	var err error
	if o.Faults, err = load.ParseFaults(*faults); err != nil {
		return c.fail("%v", err)
	}
	if err := o.Validate(); err != nil {
		return c.fail("%v", err)
	}
	o.RedisURL = os.Getenv("REDIS_URL")
	if *verbose {
		o.Log = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return c.fail("--cpuprofile: %v", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return c.fail("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := runContext()
	defer cancel()
	var res *load.Result
	if *target != "" || *fakeAdmin != "" {
		to := load.TargetOptions{Targets: strings.Split(*target, ","), FakeAdmin: *fakeAdmin, AdminToken: *adminToken,
			APIToken: os.Getenv("SHADOWQ_API_TOKEN"), EventsPerSecond: o.EventsPerSecond, EscalationsPerSecond: o.EscalationsPerSecond,
			Duration: o.Duration, Warmup: *warmup, Log: o.Log}
		if *target == "" {
			to.Targets = nil
		}
		if err := to.Validate(); err != nil {
			return c.fail("%v", err)
		}
		res, err = load.RunTarget(ctx, to)
	} else {
		if *warmup != 0 {
			return c.fail("--warmup: only with --target (in-process runs measure from ready)")
		}
		res, err = load.Run(ctx, o)
	}
	if err != nil {
		fmt.Fprintf(stderr, "shadowq load: %v\n", err)
		return exitFailed
	}
	if *format == "json" {
		err = res.WriteJSON(stdout)
	} else {
		err = res.WriteTable(stdout)
	}
	if err == nil && *out != "" {
		settings := fmt.Sprintf("%d experts, %g presence events/s, %g escalations/s for %v, %d replica(s), %d OAuth client(s) each, faults %q, seed %d",
			o.Experts, o.EventsPerSecond, o.EscalationsPerSecond, o.Duration, o.Replicas, o.OAuthClients, *faults, o.Seed)
		if *target != "" {
			settings = fmt.Sprintf("target %s (fake %s): %g presence events/s, %g escalations/s for %v after a %v warm-up",
				*target, *fakeAdmin, o.EventsPerSecond, o.EscalationsPerSecond, o.Duration, *warmup)
		}
		err = writeLoadResult(*out, res, settings)
	}
	if err != nil {
		fmt.Fprintf(stderr, "shadowq load: %v\n", err)
		return exitFailed
	}
	if failed := th.Check(res); len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintf(stderr, "shadowq load: threshold exceeded: %s\n", f)
		}
		return exitFailed
	}
	return exitOK
}

// writeLoadResult writes result.json and load.html to dir.
func writeLoadResult(dir string, res *load.Result, settings string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, render func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := render(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		return f.Close()
	}
	if err := write("result.json", res.WriteJSON); err != nil {
		return err
	}
	return write("load.html", func(w io.Writer) error { return res.WriteHTML(w, settings) })
}
