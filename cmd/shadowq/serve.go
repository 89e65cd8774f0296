package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/shadowq/shadowq/serve"
	"github.com/shadowq/shadowq/serve/live"
)

// getenv is os.Getenv; tests replace it.
var getenv = os.Getenv

// runServe implements `shadowq serve --config shadowq.yaml [--listen ADDR] [--check] [--cpuprofile FILE]`.
// Exit 2: bad input (flags, config, policy, a missing or malformed
// environment variable), found before anything connects; exit 1: a
// runtime failure (Genesys refuses the OAuth client, Redis unreachable,
// the address in use).
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "shadowq.yaml", "config file")
	listen := fs.String("listen", "", "Data Action API address (overrides the config's listen)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (stopped on SIGINT/SIGTERM)")
	check := fs.Bool("check", false, "validate the config, its policy and the environment, print what is wrong, and exit 0 (good) or 2 without connecting to anything")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq serve --config shadowq.yaml [--listen ADDR] [--check] [--cpuprofile FILE]\n\nenvironment (docs/config.md):")
		for _, v := range live.EnvVars() {
			req := ""
			if v.Required {
				req = " (required)"
			}
			fmt.Fprintf(stderr, "  %s%s\n    \t%s\n", v.Name, req, v.Help)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shadowq serve: unexpected argument %q (the config is --config FILE)\n", fs.Arg(0))
		return exitBadInput
	}
	cfg, err := serve.LoadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if *check {
			fmt.Fprintf(stderr, "shadowq serve --check: %s is not valid\n", *config)
		}
		return exitBadInput
	}
	if probs := live.Check(cfg, getenv); len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintf(stderr, "shadowq serve: environment: %s\n", p)
		}
		fmt.Fprintf(stderr, "shadowq serve: %d environment problem(s); see docs/config.md\n", len(probs))
		return exitBadInput
	}
	if *check {
		fmt.Fprintf(stdout, "shadowq serve --check: %s is valid: %d experts listed%s, delivery %s, policy %s; environment complete\n",
			*config, len(cfg.Experts), queueNote(cfg.QueueID), cfg.Delivery.Mode, policyNote(cfg.Policy))
		return exitOK
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "shadowq serve: --cpuprofile: %v\n", err)
			return exitBadInput
		}
		defer stopProfile()
	}
	ctx, stop := runContext()
	defer stop()
	live.Version = version
	srv, err := live.New(ctx, cfg, live.EnvFromOS(), log)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitFailed
	}
	addr, err := srv.Listen(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "shadowq serve: Data Action API at http://%s/v1/escalations (status page /status, health /healthz, /readyz, metrics /metrics)\n", addr)
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func queueNote(q string) string {
	if q == "" {
		return ""
	}
	return " plus the members of queue " + q
}

func policyNote(p string) string {
	if strings.TrimSpace(p) == "" {
		return "(built-in default)"
	}
	return p
}

// startCPUProfile starts a CPU profile into path; the function returned
// stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
