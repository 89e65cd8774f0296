package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/fakes/genesys/playback"
	"github.com/shadowq/shadowq/load"
	"github.com/shadowq/shadowq/scenarios"
)

// runContext ends on SIGINT or SIGTERM; tests replace it.
var runContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// randomSeed draws a non-zero seed from crypto/rand: conversation ids are
// drawn from the seed, so each process gets its own.
func randomSeed() uint64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if s := binary.LittleEndian.Uint64(b[:]); s != 0 {
			return s
		}
	}
}

// runFake implements `shadowq fake`: a wire-faithful Genesys Cloud on
// loopback, with the demo org or a scenario played back.
func runFake(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address")
	scenario := fs.String("scenario", "", "play this simulator scenario (its experts become users; one simulated day is replayed)")
	rep := fs.Int("replication", 0, "which replication of the scenario to play")
	scale := fs.Float64("time-scale", 1, "run the fake's clock (and the played day) this many times faster than real time")
	clientID := fs.String("client-id", os.Getenv("GENESYSCLOUD_OAUTHCLIENT_ID"), "OAuth client id (default $GENESYSCLOUD_OAUTHCLIENT_ID, else the demo id)")
	secret := fs.String("client-secret", os.Getenv("GENESYSCLOUD_OAUTHCLIENT_SECRET"), "OAuth client secret (default $GENESYSCLOUD_OAUTHCLIENT_SECRET, else the demo secret)")
	adminToken := fs.String("admin-token", os.Getenv("SHADOWQ_FAKE_ADMIN_TOKEN"), "token for /_fake/ (default $SHADOWQ_FAKE_ADMIN_TOKEN, else random)")
	share429 := fs.Float64("rate-limit-share", 0, "share of API calls answered 429 with Retry-After")
	share5xx := fs.Float64("error-share", 0, "share of API calls answered 503")
	latency := fs.Duration("latency", 0, "latency added to every API call")
	tokenRL := fs.Bool("token-rate-limit", false, "enforce 300 requests/minute per token")
	drop := fs.Float64("event-drop", 0, "probability a notification event is lost")
	dup := fs.Float64("event-duplicate", 0, "probability a notification event is delivered twice")
	reorder := fs.Float64("event-reorder", 0, "probability a notification event is delivered out of order")
	delay := fs.Duration("event-delay", 0, "latency added to every notification event")
	history := fs.String("history", "", "with --scenario: generate this many days of past activity (e.g. 28d), served by the analytics and WFM endpoints")
	noWFM := fs.Bool("no-wfm", false, "answer the Workforce Management endpoints 403, as an org without a WFM licence")
	experts := fs.Int("experts", 0, "serve the load-test org of this many experts (skill-00…skill-19) instead of the demo org; see shadowq load --target")
	serveConfig := fs.String("serve-config", "", "with --experts: write a serve configuration for that org to this file")
	serveListen := fs.String("serve-listen", "127.0.0.1:8080", "with --serve-config: the listen address written into it")
	seed := fs.Uint64("seed", 0, "seed of conversation ids, answer draws and fault draws (0: a random one, so that a restarted fake sharing a Redis with an earlier one never reuses a conversation id)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq fake [--addr 127.0.0.1:8787] [--scenario FILE] [--time-scale N] [--history 28d] [--no-wfm] [--experts N [--serve-config FILE]] [--client-id ID --client-secret SECRET] [fault flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	secretGiven := *secret != ""
	if *seed == 0 {
		*seed = randomSeed()
	}
	days := 0
	if *history != "" {
		var err error
		if days, err = parseDays(*history); err != nil {
			fmt.Fprintf(stderr, "shadowq fake: --history %q: %v\n", *history, err)
			return exitBadInput
		}
		if *scenario == "" {
			fmt.Fprintln(stderr, "shadowq fake: --history needs --scenario (history is generated from a scenario's world)")
			return exitBadInput
		}
	}
	opts := genesys.Options{ClientID: *clientID, ClientSecret: *secret, AdminToken: *adminToken, TimeScale: *scale, NoWFM: *noWFM, Seed: *seed,
		Faults: genesys.Faults{RateLimitShare: *share429, ServerErrorShare: *share5xx, Latency: *latency, TokenRateLimit: *tokenRL}}
	var sc *scenarios.Scenario
	if *scenario != "" {
		var err error
		if sc, err = scenarios.Load(*scenario); err != nil {
			fmt.Fprintln(stderr, err)
			return exitBadInput
		}
		org := playback.Org(sc)
		opts.Org = &org
		if days > 0 {
			t0 := time.Now()
			opts.History = genesys.NewHistory()
			st, err := playback.History(opts.History, sc, days, t0)
			if err != nil {
				fmt.Fprintf(stderr, "shadowq fake: %v\n", err)
				return exitBadInput
			}
			fmt.Fprintf(stdout, "shadowq fake: %d days of history before %s in %s: %d conversations, %d presence and %d routing-status segments, %d WFM shifts\n",
				st.Days, t0.UTC().Truncate(24*time.Hour).Format("2006-01-02"), time.Since(t0).Round(time.Millisecond),
				st.Conversations, st.PresenceSegments, st.RoutingSegments, st.Shifts)
		}
	}
	var nopts notify.Options
	if *experts > 0 {
		// Load tests push tens of thousands of events a second: a deeper
		// per-socket queue, as shadowq load uses in-process.
		nopts.QueueSize = 1 << 16
		if sc != nil {
			fmt.Fprintln(stderr, "shadowq fake: --experts and --scenario exclude each other")
			return exitBadInput
		}
		org := load.Org(*experts)
		opts.Org = &org
		if *serveConfig != "" {
			if err := writeServeConfig(*serveConfig, *experts, *serveListen); err != nil {
				fmt.Fprintf(stderr, "shadowq fake: --serve-config: %v\n", err)
				return exitBadInput
			}
		}
	} else if *serveConfig != "" {
		fmt.Fprintln(stderr, "shadowq fake: --serve-config needs --experts")
		return exitBadInput
	}
	f, err := genesys.NewFull(opts, nopts)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq fake: %v\n", err)
		return exitBadInput
	}
	defer f.Close()
	f.Hub.SetFaults(notify.Faults{Drop: *drop, Duplicate: *dup, Reorder: *reorder, Delay: *delay, Seed: 1})
	base, err := f.Start(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq fake: %v\n", err)
		return exitBadInput
	}
	users := len(f.State().Users)
	fmt.Fprintf(stdout, "shadowq fake: Genesys Cloud twin at %s\n", base)
	fmt.Fprintf(stdout, "  GENESYSCLOUD_REGION=%s\n", base)
	fmt.Fprintf(stdout, "  GENESYSCLOUD_OAUTHCLIENT_ID=%s\n", f.ClientID())
	if secretGiven {
		fmt.Fprintln(stdout, "  client secret: as given (not shown)")
	} else {
		fmt.Fprintf(stdout, "  GENESYSCLOUD_OAUTHCLIENT_SECRET=%s   (the demo secret)\n", genesys.DemoClientSecret)
	}
	fmt.Fprintf(stdout, "  admin API: %s/_fake/state with Authorization: Bearer %s\n", base, f.AdminToken())
	fmt.Fprintf(stdout, "  %d users, time scale %gx, seed %d\n", users, *scale, *seed)

	ctx, stop := runContext()
	defer stop()
	if sc != nil {
		fmt.Fprintf(stdout, "  playing %s (replication %d): %s of simulated time in %s\n", sc.Name, *rep,
			sc.Run.Horizon, time.Duration(float64(sc.Run.Horizon) / *scale).Round(time.Millisecond))
		go func() {
			st, err := playback.Play(ctx, f.Server, sc, *rep, *scale)
			if err == nil {
				fmt.Fprintf(stdout, "shadowq fake: day played: %d presence changes, %d escalations, %d errors\n", st.PresenceChanges, st.Escalations, st.Errors)
			}
		}()
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "shadowq fake: stopped")
	return exitOK
}

// parseDays reads a whole number of days: "28d" or "28".
func parseDays(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
	if err != nil || n < 1 || n > 3660 {
		return 0, fmt.Errorf("not a number of days such as 28d (1–3660)")
	}
	return n, nil
}

// writeServeConfig writes the serve configuration of load.Org(n) to file.
func writeServeConfig(file string, n int, listen string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := load.WriteServeConfig(f, n, listen, "SHADOWQ_API_TOKEN"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
