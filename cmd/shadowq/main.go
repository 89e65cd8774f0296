// Command shadowq is the one binary: presence-aware expert routing beside
// Genesys Cloud. main only parses flags, wires packages and maps errors to
// exit codes; the logic lives in engine, sim, fakes and reports.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes CI can branch on.
const (
	exitOK       = 0
	exitFailed   = 1 // a check or expectation failed
	exitBadInput = 2 // bad flags, files or input
)

type command struct {
	name, usage, summary string
	run                  func(args []string, stdout, stderr io.Writer) int
	// ownHelp: the command prints its every flag with its default on
	// --help (exit 0), so `shadowq help NAME` runs `NAME --help`.
	ownHelp bool
}

func commands() []command {
	return []command{
		{"sim", simSynopsis, "simulate a scenario: shadowq vs baseline ACDs, with confidence intervals (exit 1 when an expectation fails)", runSim, true},
		{"test", "shadowq test SCENARIO_OR_DIR... [--junit FILE] [--replications N]", "check scenarios' expect: blocks (exit 0 pass, 1 fail, 2 bad input)", runTest, true},
		{"report", "shadowq report results.json [--format table|json|csv|md|html] [--out DIR]", "re-render a saved run", runReport, true},
		{"fake", "shadowq fake [--addr 127.0.0.1:8787] [--scenario FILE] [--time-scale N] [--client-id ID --client-secret SECRET]", "run a wire-faithful fake Genesys Cloud (REST, OAuth, Notification WebSocket, faults, admin API)", runFake, false},
		{"serve", "shadowq serve --config shadowq.yaml [--listen ADDR]", "route live escalations: Data Action API over the engine, Genesys feed and resync, Redis-shared replicas", runServe, false},
		{"load", loadSynopsis, "load test: the fake Genesys Cloud and serve replicas in-process; ready time, ingest, staleness, decision latency, routed vs delivered per the fake (exit 1 over a --max-* threshold)", runLoad, true},
		{"chaos", chaosSynopsis, "seeded fault schedules against serve replicas, the fake and Redis; invariants checked against the fake's truth (exit 1 on a violation)", runChaos, true},
		{"audit", auditSynopsis, "join the decision log with Genesys' records: counterfactual (observe mode) or deliveries (assign), cherry-pick report, ROI metrics; --publish feeds daily values back as external metrics", runAudit, true},
		{"calibrate", calibrateSynopsis, "read the org's history (conversation and user details, skills, WFM schedules) and write a fitted scenario plus calibration.md/.html", runCalibrate, true},
		{"healthcheck", "shadowq healthcheck [--url http://127.0.0.1:8080/readyz]", "exit 0 when the URL answers 200, else 1 (container health checks without curl)", runHealthcheck, false},
		{"version", "shadowq version (or shadowq --version)", "print the version", runVersion, false},
		{"policy", "shadowq policy check FILE...", "validate routing policy files (all problems, with file:line:column)", runPolicy, true},
		{"help", "shadowq help [COMMAND]", "show help", nil, false},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitBadInput
	}
	name := args[0]
	if name == "--version" || name == "-version" || name == "-v" {
		return runVersion(nil, stdout, stderr)
	}
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] && c.ownHelp {
					return c.run([]string{"--help"}, stdout, stderr)
				}
				if c.name == args[1] && c.run != nil && c.name != "version" {
					return helpOf(c, stdout)
				}
				if c.name == args[1] {
					fmt.Fprintf(stdout, "usage: %s\n\n%s\n", c.usage, c.summary)
					return exitOK
				}
			}
			fmt.Fprintf(stderr, "shadowq: unknown command %q\n", args[1])
			return exitBadInput
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			if !c.ownHelp && wantsHelp(args[1:]) {
				return helpOf(c, stdout)
			}
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "shadowq: unknown command %q (run 'shadowq help')\n", name)
	return exitBadInput
}

// wantsHelp reports whether args ask for help (-h, -help or --help
// before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// helpOf prints the help of a command whose flag set reports --help as
// bad input (exit 2, on stderr): its usage goes to stdout and it is
// exit 0, as for every other command. flag.Parse answers --help before
// the command does anything.
func helpOf(c command, stdout io.Writer) int {
	if code := c.run([]string{"--help"}, stdout, stdout); code != exitBadInput {
		return code
	}
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "shadowq %s: presence-aware expert routing for Genesys Cloud\n\nusage: shadowq COMMAND [ARGS]\n\ncommands:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "shadowq %s\n", version)
	return exitOK
}
