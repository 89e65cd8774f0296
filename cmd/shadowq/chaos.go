package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/serve/live"
)

const chaosSynopsis = "shadowq chaos [--seed N] [--duration D] [--seeds K] [--replicas R] [--faults KIND,...] [--parallel P] [--plan]"

// runChaos implements `shadowq chaos`: seeded fault schedules played
// against the fake Genesys Cloud, serve replicas and a private Redis, with
// invariants checked against the fake's truth after each run.
func runChaos(args []string, stdout, stderr io.Writer) int {
	c := newCLI("chaos", chaosSynopsis,
		"Seeded fault schedules (VOPR-style) against serve replicas, the fake Genesys Cloud and a private Redis; after each run the invariants are checked against the fake's truth. Same seed, same schedule (--plan prints it). Exit 1 on a violation.",
		0, 0, stdout, stderr)
	seed := c.fs.Uint64("seed", 1, "first seed")
	seeds := c.fs.Int("seeds", 1, "number of runs: seeds seed, seed+1, …")
	dur := c.fs.Duration("duration", 5*time.Second, "how long each run injects faults, changes presence and escalates")
	replicas := c.fs.Int("replicas", 2, "serve replicas per run")
	parallel := c.fs.Int("parallel", 1, "runs at once (each has its own fake, Redis and replicas)")
	kinds := c.fs.String("faults", "", "comma-separated fault kinds, or none (default all: "+strings.Join(live.AllFaults, ",")+")")
	plan := c.fs.Bool("plan", false, "print each run's schedule (the seed's replayable plan) before its verdict")
	verbose := c.fs.Bool("v", false, "print the replicas' logs to stderr")
	if _, code, ok := c.parse(args); !ok {
		return code
	}
	switch {
	case *seeds < 1:
		return c.fail("--seeds %d: want at least 1", *seeds)
	case *replicas < 1:
		return c.fail("--replicas %d: want at least 1", *replicas)
	case *parallel < 1:
		return c.fail("--parallel %d: want at least 1", *parallel)
	case *dur <= 0:
		return c.fail("--duration %v: want a duration above 0", *dur)
	}
	var only []string
	if *kinds == "none" {
		only = []string{} // the null run: no faults
	} else if *kinds != "" {
		for _, k := range strings.Split(*kinds, ",") {
			if !slices.Contains(live.AllFaults, k) {
				return c.fail("--faults: unknown kind %q (known: %s)", k, strings.Join(live.AllFaults, ","))
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
