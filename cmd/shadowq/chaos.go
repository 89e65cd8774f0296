package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine/serve/live"
)

// runChaos implements `shadowq chaos`: seeded fault schedules played
// against the fake Genesys Cloud, serve replicas and a private Redis, with
// invariants checked against the fake's truth after each run.
func runChaos(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "first seed")
	seeds := fs.Int("seeds", 1, "number of runs, seeds seed, seed+1, …")
	dur := fs.Duration("duration", 5*time.Second, "how long each run injects faults, changes presence and escalates")
	replicas := fs.Int("replicas", 2, "serve replicas per run")
	kinds := fs.String("faults", "", "comma-separated fault kinds (default all: "+strings.Join(live.AllFaults, ",")+")")
	parallel := fs.Int("parallel", 1, "runs at once (each has its own fake, Redis and replicas)")
	plan := fs.Bool("plan", false, "print each run's schedule (the seed's replayable plan) before running it")
	verbose := fs.Bool("v", false, "print the replicas' logs to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq chaos [--seed N] [--duration D] [--seeds K] [--replicas R] [--faults KIND,...] [--plan] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if *seeds < 1 || *replicas < 1 || *parallel < 1 || *dur <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "shadowq chaos: --seeds, --replicas and --parallel must be ≥ 1, --duration positive, and no arguments")
		return exitBadInput
	}
	var only []string
	if *kinds != "" {
		for _, k := range strings.Split(*kinds, ",") {
			if !slices.Contains(live.AllFaults, k) {
				fmt.Fprintf(stderr, "shadowq chaos: --faults: unknown kind %q (known: %s)\n", k, strings.Join(live.AllFaults, ","))
				return exitBadInput
			}
			only = append(only, k)
		}
	}
	var log *slog.Logger
	if *verbose {
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	} else {
		redis.SetLogger(quietRedis{}) // a killed Redis makes go-redis print every failed dial
	}
	ctx, stop := runContext()
	defer stop()
	// Runs go in parallel; reports print in seed order as they complete.
	type outcome struct {
		res *live.ChaosResult
		err error
	}
	results := make([]chan outcome, *seeds)
	sem := make(chan struct{}, *parallel)
	for i := range results {
		results[i] = make(chan outcome, 1)
	}
	go func() {
		for i := range *seeds {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				if ctx.Err() != nil {
					results[i] <- outcome{err: ctx.Err()}
					return
				}
				res, err := live.RunChaos(ctx, live.NewPlan(*seed+uint64(i), *dur, *replicas, only), log)
				results[i] <- outcome{res, err}
			}()
		}
	}()
	var tot live.ChaosTotals
	for i := range *seeds {
		if *plan {
			fmt.Fprint(stdout, live.NewPlan(*seed+uint64(i), *dur, *replicas, only))
		}
		o := <-results[i]
		if o.err != nil {
			fmt.Fprintf(stderr, "shadowq chaos: seed %d: %v\n", *seed+uint64(i), o.err)
			if ctx.Err() != nil {
				break
			}
			return exitFailed
		}
		o.res.Report(stdout)
		tot.Add(o.res)
	}
	tot.Print(stdout)
	if tot.Violations > 0 {
		return exitFailed
	}
	return exitOK
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
